"""Selectors other apps read: the glossary entries relevant to an English text."""

import time

import pytest

from papernotes.glossary import glossary_entries_for_text
from papernotes.models import GlossaryEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def glossary():
    for term, preferred in [
        ("fine-tuning", "ファインチューニング"),
        ("large language model", "大規模言語モデル"),
        ("RAG", "RAG"),
        ("reward model", "報酬モデル"),
        ("tuning", "チューニング"),
    ]:
        GlossaryEntry.objects.create(term=term, preferred=preferred)


def _terms(text: str) -> list[str]:
    return [entry.term for entry in glossary_entries_for_text(text=text)]


def test_terms_are_found_case_insensitively_as_whole_words_with_plurals(glossary):
    text = "We study Large Language Models and Fine-Tuning with RAG; we leverage a reward\nmodel."
    assert _terms(text) == ["fine-tuning", "large language model", "RAG", "reward model", "tuning"]


def test_a_term_inside_another_word_is_not_found(glossary):
    # "rag" inside "leverage"/"fragment", "tuning" inside "detuning"
    assert _terms("We leverage fragments and detuning.") == []


def test_empty_text_finds_nothing(glossary):
    assert _terms("") == []


def test_a_few_hundred_entries_are_fast():
    GlossaryEntry.objects.bulk_create(GlossaryEntry(term=f"term number {n}", preferred=f"用語{n}") for n in range(400))
    text = "A long abstract about term number 7 and term number 123. " * 200
    started = time.perf_counter()
    found = glossary_entries_for_text(text=text)
    elapsed = time.perf_counter() - started
    assert {entry.term for entry in found} == {"term number 7", "term number 123"}
    assert elapsed < 0.5
