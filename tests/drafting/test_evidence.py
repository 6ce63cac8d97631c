"""Evidence quotes are found in their passage however the model copied the words."""

import pytest

from papernotes.drafting.evidence import quote_in_passage

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
