"""Which passages answer which question: BM25 over a paper's body, by the question's English terms.

No embedding service is needed: the read step gives every question English search terms
worded as the paper words things, and BM25 (bm25s, with the Snowball English stemmer)
ranks the paper's body passages for them. References and figure text are left out: they
would match names and numbers without answering anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import Stemmer

_STEMMER = Stemmer.Stemmer("english")


@dataclass(frozen=True)
class Candidate:
    """A passage as retrieval and the prompts see it."""

    key: str  # "P12": the id the model cites
    passage_id: int | None  # the Passage row, None for the abstract stand-in
    page_start: int | None
    page_end: int | None
    section: str
    text: str


def _tokens(texts: Sequence[str]) -> list[list[str]]:
    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False)


class PassageIndex:
    """A BM25 index over one paper's candidate passages."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        self._retriever = None
        if self.candidates:
            self._retriever = bm25s.BM25()
            self._retriever.index(
                bm25s.tokenize(
                    [f"{c.section} {c.text}" for c in self.candidates],
                    stopwords="en",
                    stemmer=_STEMMER,
                    show_progress=False,
                ),
                show_progress=False,
            )

    def top(self, terms: Sequence[str], k: int) -> list[Candidate]:
        """The best ``k`` passages for ``terms``, best first; only passages that match at all."""
        if self._retriever is None or not terms:
            return []
        query = _tokens([" ".join(terms)])
        if not query[0]:
            return []
        k = min(k, len(self.candidates))
        indices, scores = self._retriever.retrieve(query, k=k, show_progress=False)
        return [self.candidates[int(index)] for index, score in zip(indices[0], scores[0], strict=True) if score > 0]
