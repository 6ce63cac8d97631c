"""arXiv category taxonomy: code ↔ English display name, from ``data/arxiv_taxonomy.json``,
and the Japanese names readers see beside the codes (``data/arxiv_categories_ja.json``).

Some names belong to more than one code (cs.LG and stat.ML are both "Machine Learning",
and arXiv's aliases such as math.IT/cs.IT share names), so a name maps back to a code
only when it is unambiguous.
"""

import json
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import NamedTuple

DATA_FILE = Path(__file__).parent / "data" / "arxiv_taxonomy.json"
JAPANESE_NAMES_FILE = Path(__file__).parent / "data" / "arxiv_categories_ja.json"


class Category(NamedTuple):
    code: str
    name: str
    archive: str
    group: str


@cache
def categories() -> dict[str, Category]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {c["code"]: Category(c["code"], c["name"], c["archive"], c["group"]) for c in data["categories"]}


@cache
def _codes_by_name() -> dict[str, tuple[str, ...]]:
    by_name: dict[str, list[str]] = defaultdict(list)
    for category in categories().values():
        by_name[category.name].append(category.code)
    return {name: tuple(codes) for name, codes in by_name.items()}


def name_for(code: str) -> str:
    """The display name of ``code``; an unknown code is shown as itself."""
    category = categories().get(code)
    return category.name if category else code


def codes_for_name(name: str) -> tuple[str, ...]:
    """Every code displayed as ``name`` (empty when the name is unknown)."""
    return _codes_by_name().get(name, ())


def code_for_name(name: str) -> str | None:
    """The one code displayed as ``name``, or None when unknown or ambiguous."""
    codes = codes_for_name(name)
    return codes[0] if len(codes) == 1 else None


@cache
def _japanese_names() -> dict[str, str]:
    return json.loads(JAPANESE_NAMES_FILE.read_text(encoding="utf-8"))["names"]


def japanese_name_for(code: str) -> str | None:
    """The Japanese name of ``code`` (「計算と言語」 for cs.CL), or None when there is none."""
    return _japanese_names().get(code)
