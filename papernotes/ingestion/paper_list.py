"""The list of papers an editor pastes to start a weekly issue.

Two inputs are understood:

- arXiv ids or URLs, one per line or separated by spaces or commas (list markers such as
  ``1.`` or ``-`` and Markdown links are tolerated);
- a section of dair.ai's "ML Papers of the Week" README: week headings
  (``## Top ML Papers of the Week (April 29 - May 5) - 2024``) and table rows
  ``| 1) **Title** - description | [Paper](url), [Tweet](url) |`` (2023–2024 style),
  ``| 1) Plain Title - description | … |`` (early 2025) or
  ``| 1) Plain Title  description <br>● bullet | [Paper](url), … |`` (2025 style: the title
  ends at two spaces). The paper link may point at arXiv, Hugging Face papers or alphaXiv.

Nothing the editor pasted disappears silently: every row or token that is not an arXiv paper
comes back in ``rejected`` with a Japanese reason, and repeated papers in ``duplicates``.

Which Monday a heading names, and which section a week picks, is :mod:`.weeks`' job; a
row's title is :mod:`.row_titles`'.
"""

import re
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlsplit

from django.conf import settings

from papernotes.ingestion.ids import (
    ArxivRef,
    InvalidArxivId,
    _,
    is_arxiv_host,
    looks_like_arxiv_url,
    parse_arxiv_id,
)
from papernotes.ingestion.row_titles import row_title
from papernotes.ingestion.weeks import (
    WeekHeading,
    WeekNotFound,
    WeekSection,
    choose_week,
    read_week_heading,
    resolve_weeks,
)


class PaperListError(ValueError):
    """The pasted text cannot be used at all; ``str()`` is a Japanese message for the editor.

    ``field`` names what to correct: ``"text"`` (the list) or ``"week_start"`` (the week).
    """

    def __init__(self, message: str, *, field: str = "text") -> None:
        super().__init__(message)
        self.field = field


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
class PaperList:
    """What was read. ``week_start`` is None when no week can be decided: ``week_problem``
    then says why, in Japanese. ``notices`` are Japanese remarks for the editor (e.g. a
    heading overruled by the week they gave)."""

    entries: tuple[ListEntry, ...]
    rejected: tuple[RejectedEntry, ...]
    duplicates: tuple[DuplicateEntry, ...]
    week_start: date | None
    weeks: tuple[WeekSection, ...] = ()
    week_problem: str | None = None
    notices: tuple[str, ...] = ()


_TABLE_SEPARATOR_RE = re.compile(r"^\|?[\s:|-]+\|?$")
_MD_LINK_RE = re.compile(r"\[(?P<label>[^\[\]]*)\]\(\s*<?(?P<url>[^()\s<>]+)>?\s*\)")
_BARE_URL_RE = re.compile(r"(?:https?://|(?<![\w/.])(?:www\.|export\.)?arxiv\.org/)[^\s<>()\[\]|,]+", re.I)
_ARXIV_PREFIXED_RE = re.compile(r"\barxiv\s*:\s*\S+", re.IGNORECASE)
_LIST_MARKER_RE = re.compile(r"^\s*(?:[-*+•●]|\d+[.)])\s+")
_TOKEN_SPLIT_RE = re.compile(r"[\s,、，;；]+")
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


def check_list_size(text: str) -> None:
    """A paste larger than PAPER_LIST_MAX_BYTES or longer than PAPER_LIST_MAX_LINES is refused
    before it is read (a whole ML Papers of the Week README fits; a dump of thousands of ids does not)."""
    size = len(text.encode("utf-8"))
    if size > settings.PAPER_LIST_MAX_BYTES:
        raise PaperListError(
            _(
                "貼り付けられたテキストが大きすぎます({size:,} バイト。{limit:,} バイトまで)。"
                "一週分の節だけを貼り付けてください。"
            ).format(size=size, limit=settings.PAPER_LIST_MAX_BYTES)
        )
    lines = text.count("\n") + 1
    if lines > settings.PAPER_LIST_MAX_LINES:
        raise PaperListError(
            _(
                "貼り付けられたテキストの行数が多すぎます({lines:,} 行。{limit:,} 行まで)。"
                "一週分の節だけを貼り付けてください。"
            ).format(lines=lines, limit=settings.PAPER_LIST_MAX_LINES)
        )


def parse_paper_list(text: str, *, week: date | None = None) -> PaperList:
    """Read what an editor pasted; ``week`` picks one section when several weeks are pasted,
    and is the week of a single pasted section whatever its heading says."""
    if not text or not text.strip():
        raise PaperListError(_("貼り付けられたテキストが空です。論文の ID か URL を入力してください。"))
    check_list_size(text)
    lines = text.splitlines()
    candidates, headings = _markdown_candidates(lines)
    markdown = bool(headings) or any(_is_table_row(line) for line in lines)
    if not markdown:
        candidates = _list_candidates(lines)
    weeks = resolve_weeks(headings, week=week)
    try:
        choice = choose_week(weeks, week=week)
    except WeekNotFound as error:
        raise PaperListError(str(error), field="week_start") from error
    if choice.sections is not None:
        candidates = [candidate for candidate in candidates if candidate.section in choice.sections]
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
        week_start=choice.week_start,
        weeks=tuple(weeks),
        week_problem=choice.problem if choice.week_start is None else None,
        notices=choice.notices,
    )


# --- Markdown (dair.ai README) ------------------------------------------------------------


def _is_table_row(line: str) -> bool:
    return line.lstrip().startswith("|")


def _markdown_candidates(lines: list[str]) -> tuple[list[_Candidate], list[WeekHeading]]:
    """Rows and loose arXiv references, each tagged with its section, and the week headings.

    One pass for both, after HTML comments are removed, so a section index always means the
    same heading on both sides.
    """
    candidates: list[_Candidate] = []
    headings: list[WeekHeading] = []
    in_comment = False
    for line_no, raw in enumerate(lines, start=1):
        line, in_comment = _without_html_comments(raw, in_comment)
        stripped = line.strip()
        if not stripped:
            continue
        section = len(headings) - 1 if headings else None
        heading = read_week_heading(stripped, line_no)
        if heading is not None:
            headings.append(heading)
            continue
        if _is_table_row(stripped):
            candidate = _row_candidate(stripped, line_no, section)
            if candidate is not None:
                candidates.append(candidate)
            continue
        # Prose around the table (the README's contents, links to the repository) is not a
        # list of papers, but an arXiv URL or "arXiv:" id in it is one the editor added by hand.
        candidates.extend(_loose_reference_candidates(stripped, line_no, section))
    return candidates, headings


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
    title = row_title(description) if len(cells) > 1 else row_title(_MD_LINK_RE.sub("", description))
    return _Candidate(line_no, title, row, links, section)


def _is_header_row(cells: list[str]) -> bool:
    plain = [cell.strip("*_ ").lower() for cell in cells]
    return "paper" in plain and "links" in plain


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
