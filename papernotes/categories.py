"""Categories as readers see them: arXiv's name with its code, and the category index.

A note shows the category *names* frozen when its issue was published or imported
(``PaperAsShown.category_names``); arXiv shows each as "name (code)". A name maps to a code
directly unless it is shared ("Machine Learning" is cs.LG and stat.ML). Then the paper's
current codes decide when they have one left for that name; otherwise (back issues
imported from text, whose papers were never fetched) the codes of that name are taken in
taxonomy order, one per repetition, so "Machine Learning, Machine Learning" reads
"Machine Learning (cs.LG); Machine Learning (stat.ML)".
"""

from collections import defaultdict
from dataclasses import dataclass

from django.core.cache import cache

from papernotes import selectors, taxonomy
from papernotes.caching import build_once


@dataclass(frozen=True)
class ShownCategory:
    name: str
    code: str | None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name

    @property
    def reader_name(self) -> str:
        """The name readers see beside the code: Japanese when the site has one, else arXiv's."""
        return (self.code and taxonomy.japanese_name_for(self.code)) or self.name


def shown_categories(names: tuple[str, ...] | list[str], paper_codes: list[str]) -> list[ShownCategory]:
    """Pair each shown name with its code (see the module docstring for shared names)."""
    used: set[str] = set()
    shown = []
    for name in names:
        candidates = taxonomy.codes_for_name(name)
        code = next((c for c in paper_codes if c in candidates and c not in used), None)
        code = code or next((c for c in candidates if c not in used), None)
        if code:
            used.add(code)
        shown.append(ShownCategory(name=name, code=code))
    return shown


def note_categories(note) -> list[ShownCategory]:
    """The categories one note shows, in order (primary first)."""
    return shown_categories(note.paper_as_shown.category_names, note.paper.categories)


def _names_of(frozen: dict, paper_codes: list[str]) -> tuple[str, ...]:
    if frozen:
        return tuple(frozen.get("category_names") or ())
    return tuple(taxonomy.name_for(code) for code in paper_codes)


def category_index(*, version: str) -> dict[str, list[int]]:
    """Category code → ids of the public notes showing it, newest issue first.

    Built from one query over the public notes, once per version of the category pages
    (by one process at a time) and kept in the cache: category pages and their counts read
    it instead of scanning JSON.
    """

    def build():
        collected: dict[str, list[int]] = defaultdict(list)
        for note_id, paper_codes, frozen in selectors.public_note_categories():
            for category in shown_categories(_names_of(frozen, paper_codes or []), paper_codes or []):
                if category.code:
                    collected[category.code].append(note_id)
        return dict(collected), None

    key = f"category-index:{version}"
    index = cache.get(key)
    if index is None:
        index, _ = build_once(key, build)
    return index


def category_name(code: str) -> str | None:
    """arXiv's name of ``code``, or None for a code arXiv does not have."""
    category = taxonomy.categories().get(code)
    return category.name if category else None


def category_reader_name(code: str) -> str | None:
    """The name readers see for ``code``: Japanese when the site has one, else arXiv's."""
    return taxonomy.japanese_name_for(code) or category_name(code)
