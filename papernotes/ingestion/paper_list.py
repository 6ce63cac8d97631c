"""The list of papers an editor pastes to start a weekly issue.

Two inputs are understood:

- arXiv ids or URLs, one per line or separated by spaces or commas (list markers such as
  ``1.`` or ``-`` and Markdown links are tolerated);
- a section of dair.ai's "ML Papers of the Week" README: week headings
  (``## Top ML Papers of the Week (April 29 - May 5) - 2024``) and table rows
  ``| 1) **Title** - description | [Paper](url), [Tweet](url) |`` (2024 style) or
  ``| 1) Plain Title  description <br>● bullet | [Paper](url), … |`` (2025 style: the title
  ends at two spaces).

Nothing the editor pasted disappears silently: every row or token that is not an arXiv paper
comes back in ``rejected`` with a Japanese reason, and repeated papers in ``duplicates``.
"""

import re
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlsplit

from papernotes.ingestion.ids import (
    ArxivRef,
    InvalidArxivId,
    _,
    is_arxiv_host,
    looks_like_arxiv_url,
    parse_arxiv_id,
)


class PaperListError(ValueError):
    """The pasted text cannot be used at all; ``str()`` is a Japanese message for the editor."""


@dataclass(frozen=True)
class ListEntry:
    """One arXiv paper found in the pasted text."""

    ref: ArxivRef
    title: str | None
    line_no: int
    source_text: str


@dataclass(frozen=True)
class RejectedEntry:
    """A row or token that does not name an arXiv paper; ``text`` is the link URL or the token."""

    line_no: int
    title: str | None
    text: str
    reason: str


@dataclass(frozen=True)
class DuplicateEntry:
    """A later mention of a paper already listed at ``first_line_no``."""

    ref: ArxivRef
    title: str | None
    line_no: int
    source_text: str
    first_line_no: int


@dataclass(frozen=True)
class WeekSection:
    """A "Top ML Papers of the Week" heading; ``start`` is None when the heading has no year."""

    label: str
    start: date | None
    line_no: int


@dataclass(frozen=True)
class PaperList:
    entries: tuple[ListEntry, ...]
    rejected: tuple[RejectedEntry, ...]
    duplicates: tuple[DuplicateEntry, ...]
    week_start: date | None
    weeks: tuple[WeekSection, ...] = ()


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

# dair.ai renamed the list over time ("ML", later "AI"), so accept both.
_WEEK_HEADING_RE = re.compile(
    r"^#{1,6}\s*Top\s+(?:ML|AI|LLM)\s+Papers\s+of\s+the\s+Week\s*\((?P<range>[^)]*)\)"
    r"\s*(?:[-–—]\s*(?P<year>\d{4}))?\s*$",
    re.IGNORECASE,
)
_RANGE_RE = re.compile(r"^\s*(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2})\b")
_TABLE_SEPARATOR_RE = re.compile(r"^\|?[\s:|-]+\|?$")
_MD_LINK_RE = re.compile(r"\[(?P<label>[^\[\]]*)\]\(\s*<?(?P<url>[^()\s<>]+)>?\s*\)")
_BARE_URL_RE = re.compile(r"(?:https?://|(?<![\w/.])(?:www\.|export\.)?arxiv\.org/)[^\s<>()\[\]|,]+", re.I)
_ARXIV_PREFIXED_RE = re.compile(r"\barxiv\s*:\s*\S+", re.IGNORECASE)
_ROW_NUMBER_RE = re.compile(r"^\s*\d+\s*[).]\s*")
_BOLD_TITLE_RE = re.compile(r"^\*\*(?P<title>.+?)\*\*|^__(?P<title2>.+?)__")
_LIST_MARKER_RE = re.compile(r"^\s*(?:[-*+•●]|\d+[.)])\s+")
_TOKEN_SPLIT_RE = re.compile(r"[\s,、，;；]+")
_HTML_TAG_RE = re.compile(r"<[^>]+>")
_TITLE_END_RE = re.compile(r"\s{2,}|<br\s*/?>")
_SOCIAL_LABELS = frozenset({"tweet", "tweets", "x", "thread", "twitter", "post on x"})
_SOCIAL_HOSTS = frozenset({"x.com", "twitter.com", "mobile.twitter.com", "nitter.net", "threads.net"})


@dataclass(frozen=True)
class _Link:
    label: str
    url: str


@dataclass(frozen=True)
class _Candidate:
    """One thing to resolve to a paper: a table row's links or one pasted token."""

    line_no: int
    title: str | None
    source_text: str
    links: tuple[_Link, ...]
    section: int | None  # index into the week headings; None before the first heading


def parse_paper_list(text: str, *, week: date | None = None) -> PaperList:
    """Read what an editor pasted; ``week`` picks one section when several weeks are pasted."""
    if not text or not text.strip():
        raise PaperListError(_("貼り付けられたテキストが空です。論文の ID か URL を入力してください。"))
    lines = text.splitlines()
    weeks = _week_sections(lines)
    markdown = bool(weeks) or any(_is_table_row(line) for line in lines)
    candidates = _markdown_candidates(lines) if markdown else _list_candidates(lines)
    candidates, week_start = _select_week(candidates, weeks, week)
    if not candidates:
        raise PaperListError(
            _(
                "論文の一覧として読み取れる行がありません。arXiv の ID か URL を1行に1件ずつ、"
                "または「ML Papers of the Week」の表を貼り付けてください。"
            )
        )
    entries, rejected = _resolve(candidates)
    if not entries and not markdown and not any(_looks_like_reference(r.text) for r in rejected):
        # Plain prose with nothing id- or URL-like in it: most likely the wrong thing pasted.
        raise PaperListError(
            _("arXiv の ID や URL が見つかりません。貼り付けた内容を確認してください: {sample}").format(
                sample=" ".join(r.text for r in rejected[:3])
            )
        )
    unique, duplicates = _merge_duplicates(entries)
    return PaperList(
        entries=tuple(unique),
        rejected=tuple(rejected),
        duplicates=tuple(duplicates),
        week_start=week_start,
        weeks=tuple(weeks),
    )


# --- week headings -------------------------------------------------------------------------


def _week_sections(lines: list[str]) -> list[WeekSection]:
    sections = []
    for line_no, line in enumerate(lines, start=1):
        match = _WEEK_HEADING_RE.match(line.strip())
        if match:
            year = int(match.group("year")) if match.group("year") else None
            label = line.strip().lstrip("#").strip()
            sections.append(WeekSection(label, _week_start(match.group("range"), year), line_no))
    return sections


def _week_start(range_text: str, year: int | None) -> date | None:
    """The Monday a heading's range starts on, or None when it cannot be known for sure."""
    match = _RANGE_RE.match(range_text)
    if year is None or not match:
        return None
    month = _MONTHS.get(match.group("month").lower())
    if month is None:
        return None
    # A week that straddles New Year may carry either year; the Monday check settles it.
    for candidate_year in (year, year - 1):
        try:
            start = date(candidate_year, month, int(match.group("day")))
        except ValueError:
            return None
        if start.weekday() == 0:
            return start
    return None


def _select_week(
    candidates: list[_Candidate], weeks: list[WeekSection], week: date | None
) -> tuple[list[_Candidate], date | None]:
    if week is not None and weeks:
        wanted = {index for index, section in enumerate(weeks) if section.start == week}
        if not wanted:
            found = "、".join(section.label for section in weeks)
            raise PaperListError(
                _("{week} から始まる週の見出しが見つかりません(貼り付けられた週: {found})。").format(
                    week=week.isoformat(), found=found
                )
            )
        return [c for c in candidates if c.section in wanted], week
    if len(weeks) == 1:
        return candidates, weeks[0].start
    # Several weeks and no choice made: keep every row but do not claim a week.
    return candidates, None


# --- Markdown (dair.ai README) ------------------------------------------------------------


def _is_table_row(line: str) -> bool:
    return line.lstrip().startswith("|")


def _markdown_candidates(lines: list[str]) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    section: int | None = None
    in_comment = False
    for line_no, raw in enumerate(lines, start=1):
        line, in_comment = _without_html_comments(raw, in_comment)
        stripped = line.strip()
        if not stripped:
            continue
        if _WEEK_HEADING_RE.match(stripped):
            section = 0 if section is None else section + 1
            continue
        if _is_table_row(stripped):
            candidate = _row_candidate(stripped, line_no, section)
            if candidate is not None:
                candidates.append(candidate)
            continue
        # Prose around the table (the README's contents, links to the repository) is not a
        # list of papers, but an arXiv URL or "arXiv:" id in it is one the editor added by hand.
        candidates.extend(_loose_reference_candidates(stripped, line_no, section))
    return candidates


def _without_html_comments(line: str, in_comment: bool) -> tuple[str, bool]:
    kept: list[str] = []
    rest = line
    while rest:
        if in_comment:
            end = rest.find("-->")
            if end < 0:
                return "".join(kept), True
            rest, in_comment = rest[end + 3 :], False
        else:
            start = rest.find("<!--")
            if start < 0:
                kept.append(rest)
                break
            kept.append(rest[:start])
            rest, in_comment = rest[start + 4 :], True
    return "".join(kept), in_comment


def _row_candidate(row: str, line_no: int, section: int | None) -> _Candidate | None:
    if _TABLE_SEPARATOR_RE.match(row):
        return None
    cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
    if not cells or _is_header_row(cells):
        return None
    description = " | ".join(cells[:-1]) if len(cells) > 1 else cells[0]
    links = _links_in(row)
    title = _row_title(description) if len(cells) > 1 else _row_title(_MD_LINK_RE.sub("", description))
    return _Candidate(line_no, title, row, links, section)


def _is_header_row(cells: list[str]) -> bool:
    plain = [cell.strip("*_ ").lower() for cell in cells]
    return "paper" in plain and "links" in plain


def _row_title(description: str) -> str | None:
    text = _ROW_NUMBER_RE.sub("", description, count=1).strip()
    bold = _BOLD_TITLE_RE.match(text)
    # 2025 rows: "Plain Title  description <br>● bullet" — the title ends at two spaces or at
    # the first line break of the cell.
    title = (bold.group("title") or bold.group("title2")) if bold else _TITLE_END_RE.split(text, maxsplit=1)[0]
    title = _MD_LINK_RE.sub(lambda m: m.group("label"), title)
    title = _HTML_TAG_RE.sub("", title).replace("**", "").replace("__", "")
    title = re.sub(r"\s+", " ", title).strip(" -–—:")
    return title or None


def _links_in(text: str) -> tuple[_Link, ...]:
    links = [_Link(m.group("label").strip(), m.group("url")) for m in _MD_LINK_RE.finditer(text)]
    bare_text = _MD_LINK_RE.sub(" ", text)
    links.extend(_Link("", m.group(0)) for m in _BARE_URL_RE.finditer(bare_text))
    return tuple(links)


def _loose_reference_candidates(line: str, line_no: int, section: int | None) -> list[_Candidate]:
    found = [link.url for link in _links_in(line) if looks_like_arxiv_url(link.url)]
    found.extend(m.group(0) for m in _ARXIV_PREFIXED_RE.finditer(_MD_LINK_RE.sub(" ", line)))
    return [_Candidate(line_no, None, token, (_Link("", token),), section) for token in found]


# --- plain lists of ids and URLs ----------------------------------------------------------


def _list_candidates(lines: list[str]) -> list[_Candidate]:
    candidates = []
    for line_no, raw in enumerate(lines, start=1):
        line = _LIST_MARKER_RE.sub("", raw, count=1)
        # "[Paper](https://arxiv.org/abs/…)" pasted from Markdown: keep the URL.
        line = _MD_LINK_RE.sub(lambda m: f" {m.group('url')} ", line)
        for token in _TOKEN_SPLIT_RE.split(line):
            if token.strip():
                link = (_Link("", token),)
                candidates.append(_Candidate(line_no, None, token, link, None))
    return candidates


def _looks_like_reference(text: str) -> bool:
    """A token worth reporting back: it has a digit, a slash or a scheme, unlike plain words."""
    return any(ch.isdigit() for ch in text) or "/" in text or ":" in text


# --- resolving candidates to papers -------------------------------------------------------


def _resolve(candidates: list[_Candidate]) -> tuple[list[ListEntry], list[RejectedEntry]]:
    entries: list[ListEntry] = []
    rejected: list[RejectedEntry] = []
    for candidate in candidates:
        outcome = _resolve_one(candidate)
        (entries if isinstance(outcome, ListEntry) else rejected).append(outcome)
    return entries, rejected


def _resolve_one(candidate: _Candidate) -> ListEntry | RejectedEntry:
    paper_links = [link for link in candidate.links if not _is_social(link)]
    if not paper_links:
        reason = _("論文へのリンクがありません")
        return RejectedEntry(candidate.line_no, candidate.title, candidate.source_text, reason)
    arxiv_links = [link for link in paper_links if looks_like_arxiv_url(link.url) or "://" not in link.url]
    # The link labelled "Paper" is the row's paper; any other arXiv link is a fallback.
    arxiv_links.sort(key=lambda link: link.label.lower() != "paper")
    first_error: InvalidArxivId | None = None
    for link in arxiv_links:
        try:
            ref = parse_arxiv_id(link.url)
        except InvalidArxivId as exc:
            first_error = first_error or exc
            continue
        return ListEntry(ref, candidate.title, candidate.line_no, candidate.source_text)
    if first_error is not None:
        return RejectedEntry(candidate.line_no, candidate.title, first_error.value, first_error.message)
    link = next((link for link in paper_links if link.label.lower() == "paper"), paper_links[0])
    host = _display_host(link.url)
    return RejectedEntry(
        candidate.line_no,
        candidate.title,
        link.url,
        _("arXiv の論文ではありません(リンク先: {host})").format(host=host),
    )


def _is_social(link: _Link) -> bool:
    return link.label.lower() in _SOCIAL_LABELS or _host(link.url) in _SOCIAL_HOSTS


def _host(url: str) -> str:
    try:
        host = urlsplit(url if "://" in url else "https://" + url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def _display_host(url: str) -> str:
    host = _host(url)
    return host if host and not is_arxiv_host(host) else url


def _merge_duplicates(entries: list[ListEntry]) -> tuple[list[ListEntry], list[DuplicateEntry]]:
    """Keep the first mention of each paper, carrying the highest explicit version seen."""
    kept: dict[str, ListEntry] = {}
    duplicates: list[DuplicateEntry] = []
    for entry in entries:
        first = kept.get(entry.ref.arxiv_id)
        if first is None:
            kept[entry.ref.arxiv_id] = entry
            continue
        duplicates.append(DuplicateEntry(entry.ref, entry.title, entry.line_no, entry.source_text, first.line_no))
        if (entry.ref.version or 0) > (first.ref.version or 0):
            kept[entry.ref.arxiv_id] = replace(first, ref=entry.ref)
    return list(kept.values()), duplicates
