"""Evidence quotes are found in the paper however the model copied the words or cited the passage."""

from dataclasses import dataclass

import pytest

from papernotes.drafting.evidence import locate, passage_key, quote_in_passage

PASSAGE = (
    "We ﬁne-tune the model on 2 trillion tokens and evaluate it on four bench-\n"
    "marks, where it improves accuracy by 3.5 points over the strong baseline."
)
TABLE = (
    "Table 5: Ablation over the pre-training tasks.\n"
    "Tasks | MNLI-m | QNLI\nBERTBASE | 84.4 | 88.4\nNo NSP | 83.9 | 84.9"
)


@pytest.mark.parametrize(
    ("quote", "passage"),
    [
        ("We fine-tune the model on 2 trillion tokens", PASSAGE),  # ligature, line break
        ("evaluate it on four benchmarks, where it improves", PASSAGE),  # hyphenation joined
        ("“We fine-tune the model” ... improves accuracy by 3.5 points", PASSAGE),  # cut, curly quotes
        ("WE FINE-TUNE THE MODEL ON 2 TRILLION TOKENS", PASSAGE),  # case
        ("BERTBASE | 84.4 | 88.4", TABLE),  # a table row as the passage has it
        ("BERTBASE 84.4 88.4 No NSP 83.9", TABLE),  # the same cells without the separators
    ],
)
def test_a_quote_copied_with_harmless_differences_is_found(quote, passage):
    assert quote_in_passage(quote, passage)


@pytest.mark.parametrize(
    "quote",
    [
        "improves accuracy by 4.5 points over the strong baseline",  # a number changed
        "the model",  # too short to prove anything
        "over the strong baseline ... We fine-tune the model",  # pieces out of order
    ],
)
def test_a_quote_not_in_the_passage_is_not_found(quote):
    assert not quote_in_passage(quote, PASSAGE)


@pytest.mark.parametrize("cited", ["P12", "12", "[P12]", "(P12)", "passage 12", "Passage P12", "P 12", "p12, p. 3"])
def test_any_way_a_model_writes_a_passage_id_names_the_passage(cited):
    assert passage_key(cited) == "P12"


def test_the_abstract_and_unknown_ids_are_kept_as_written():
    assert passage_key("Abstract") == "A"
    assert passage_key("Table 3") == "Table 3"


@dataclass(frozen=True)
class _Passage:
    key: str
    text: str


CITED = _Passage("P1", "The model is trained on web text for two epochs with a cosine schedule.")
SENT = _Passage("P2", "It improves exact match by 4.2 points on Natural Questions over the baseline.")
BODY = _Passage("P9", "Appendix: the learning rate is warmed up over the first 2,000 steps.")


@pytest.mark.parametrize(
    ("quote", "where", "passage"),
    [
        ("trained on web text for two epochs", "cited", CITED),
        ("improves exact match by 4.2 points", "sent", SENT),
        ("warmed up over the first 2,000 steps", "body", BODY),
        ("a sentence the paper never wrote anywhere", "", CITED),
    ],
)
def test_a_quote_is_looked_up_where_cited_then_in_what_was_sent_then_in_the_body(quote, where, passage):
    found = locate(quote, CITED, [CITED, SENT], [CITED, SENT, BODY])

    assert (found.found_in, found.passage, found.verified) == (where, passage, bool(where))
