"""Markdown → sanitised HTML, for everything the LLM or an editor wrote.

Markdown is converted with python-markdown (the same library django-markdownx uses for
its preview), then cleaned with nh3 so that no script, style or event handler written in
a text field can reach a reader's browser.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import lru_cache
from html import escape, unescape

import markdown as md
import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "wbr",  # break opportunities in long URLs (see ``_link``)
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    )


def render_markdown(text: str) -> SafeString:
    """Render ``text`` as Markdown and return HTML that is safe to embed."""
    return mark_safe(_render(text or "", tuple(settings.MARKDOWNX_MARKDOWN_EXTENSIONS)))


@lru_cache(maxsize=8192)
def _render(text: str, extensions: tuple[str, ...]) -> str:
    # A pure function of its arguments, and pages are read far more often than texts
    # change: an edited text is simply a new key.
    return sanitise_html(_link_bare_urls(md.markdown(text, extensions=list(extensions))))


# --- bare URLs become links -----------------------------------------------------------

# A URL in Japanese text ends where its ASCII characters end: Japanese prose puts no space
# after it (Django's urlize takes the whole run for one word and links 「ここでは、https://…」),
# and the blog glues some URLs together ("https://www.chatpdf.com/https://scispace.com/").
_URL_RE = re.compile(r"https?://(?:(?!https?://)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%])+")
_URL_TRAILING = ".,;:!?'"
LINK_REL = "noopener noreferrer nofollow"
_TAG = re.compile(r"(<[^>]+>)")
# Text inside these is never linked or typeset again: a link already, or code shown as written.
_NO_LINK_TAG = re.compile(r"<(/?)(a|code|pre)\b", re.IGNORECASE)


def _url_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each http(s) URL in plain ``text``, without trailing punctuation."""
    for match in _URL_RE.finditer(text):
        url = match.group().rstrip(_URL_TRAILING)
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]  # "(https://example.org)" closes outside the URL
        if len(url) > len("https://"):
            yield match.start(), match.start() + len(url)


def _link(url: str) -> str:
    # A URL may break after a slash (not inside "//"), rather than anywhere a phone needs;
    # also after its last one, where the blog glues the next URL on ("…chatpdf.com/https://…").
    shown = re.sub(r"(?<!/)/(?!/)", "/<wbr>", escape(url))
    return f'<a href="{escape(url)}" rel="{LINK_REL}">{shown}</a>'


def _outside_links_and_code(html: str, transform: Callable[[str], str]) -> str:
    """``html`` with ``transform`` applied to each run of its text outside links and code."""
    out, inside = [], 0
    for part in _TAG.split(html):
        if part.startswith("<"):
            if tag := _NO_LINK_TAG.match(part):
                inside = max(0, inside + (-1 if tag.group(1) else 1))
            out.append(part)
        else:
            out.append(part if inside or not part else transform(part))
    return "".join(out)


def _link_urls_in(part: str) -> str:
    if "://" not in part:
        return part
    text, at, out = unescape(part), 0, []
    for start, end in _url_spans(text):
        out += [escape(text[at:start], quote=False), _link(text[start:end])]
        at = end
    out.append(escape(text[at:], quote=False))
    return "".join(out)


def _link_bare_urls(html: str) -> str:
    """Bare URLs in the text of Markdown's HTML become links (never inside a link or code)."""
    return _outside_links_and_code(html, _link_urls_in)


# --- reader pages: Japanese line breaking ---------------------------------------------

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# Never at a line start (JIS X 4051's 行頭禁則, with the house style's ASCII ". , : ? !").
_NO_BREAK_BEFORE = frozenset(
    ".,:;!?%)]}”’。、，．：；！？）］｝」』】〕〉》〙〗・ー〜～ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
)
# Never at a line end (行末禁則).
_NO_BREAK_AFTER = frozenset("([{“‘（［｛「『【〔〈《〘〖")
_SENTENCE_END = frozenset(".!?。！？、，")
# Latin words, names and numbers: "GPT-4-Turbo", "Q&A", "28.53%", "Bradley-Terry".
_LATIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-‐+_&'’.%/")
_ASCII_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
# A hyphenated Latin name or model ("Bradley-Terry", "Llama-3-8B-Instruct"), not part of a
# URL or a path; browsers break after a hyphen, so it is kept on one line as a whole.
_HYPHENATED = re.compile(
    r"(?<![A-Za-z0-9_/.:#?=&%~@\-])[A-Za-z0-9]+(?:[-‐][A-Za-z0-9]+)+(?![A-Za-z0-9_/@\-]|\.[A-Za-z0-9])"
)
# Where a browser breaks a line by itself, whatever word-break says (after closing brackets,
# commas and the katakana middle dot), when another character follows.
_BREAKS_BY_ITSELF = re.compile(r"[)）」』】〕〉》、。，・](?=\S)")
_HYPHENATED_MAX = 30  # longer runs may still break at a hyphen rather than overflow a phone
# A phrase of two thirds of a phone line or more ("ペアワイズランキングベンチマークで、") may
# break inside (by the Japanese rules), rather than leave most of a line empty or overflow.
_LONG_PHRASE = 14


@lru_cache(maxsize=1)
def _phrase_parser():
    import budoux

    return budoux.load_default_japanese_parser()


def _ends_sentence(text: str, at: int) -> bool:
    """Whether ``text[at - 1]`` ends a Japanese sentence ("です." but not "28.53" or "e.g.")."""
    return text[at - 1] in _SENTENCE_END and (at < 2 or text[at - 2] not in _ASCII_ALNUM)


def _may_break(text: str, at: int, phrase_starts: set[int]) -> bool:
    """Whether a line may break before ``text[at]``: between BudouX's phrases, and after a
    sentence (BudouX reads "です.次の" as one phrase), but never before closing punctuation,
    after opening punctuation or inside a Latin word, name or number."""
    before, after = text[at - 1], text[at]
    if before.isspace() or after.isspace() or after in _NO_BREAK_BEFORE or before in _NO_BREAK_AFTER:
        return False  # white space breaks by itself
    if _ends_sentence(text, at):
        return True
    if before in _LATIN and after in _LATIN:
        return False
    return at in phrase_starts


def _typeset(text: str, *, phrases: bool = True) -> str:
    """Plain text as HTML: hyphenated names unbreakable and, with ``phrases``, ``<wbr>``
    where a line may break (see ``_may_break``)."""
    breaks: list[int] = []
    opens: dict[int, list[str]] = defaultdict(list)
    closes: dict[int, list[str]] = defaultdict(list)
    if not phrases and _JAPANESE.search(text):
        # Body text breaks anywhere by the browser's rules, except after the house style's
        # ASCII full stop before a Latin word ("です.SPPOは"): Unicode joins "." to a letter
        # after it, so the line would end early and, justified, spread its letters.
        breaks = [
            at
            for at in range(1, len(text))
            if text[at - 1] == "." and text[at] in _ASCII_ALNUM and _ends_sentence(text, at)
        ]
    if phrases and _JAPANESE.search(text):
        phrase_starts, at = set(), 0
        for phrase in _phrase_parser().parse(text):
            at += len(phrase)
            phrase_starts.add(at)
        breaks = [at for at in range(1, len(text)) if _may_break(text, at, phrase_starts)]
        for start, end in zip([0, *breaks], [*breaks, len(text)], strict=True):
            if not _JAPANESE.search(text, start, end):
                continue
            if max(map(len, text[start:end].split())) >= _LONG_PHRASE:
                opens[start].append('<span class="ja-long">')
                closes[end].append("</span>")
            elif _BREAKS_BY_ITSELF.search(text, start, end - 1):
                # A browser breaks after ")" or "・" even under keep-all: 「(LLM)が」 stays whole.
                opens[start].append('<span class="nowrap">')
                closes[end].append("</span>")
    for match in _HYPHENATED.finditer(text):
        if match.end() - match.start() <= _HYPHENATED_MAX:
            opens[match.start()].append('<span class="nowrap">')
            closes[match.end()].insert(0, "</span>")
    marks = {at: "" for at in (*breaks, *opens, *closes)}
    for at in marks:
        marks[at] = "".join(closes.get(at, ())) + ("<wbr>" if at in breaks else "") + "".join(opens.get(at, ()))
    out, at = [], 0
    for position in sorted(marks):
        out += [escape(text[at:position], quote=False), marks[position]]
        at = position
    out.append(escape(text[at:], quote=False))
    return "".join(out)


def _typeset_html(html: str, *, phrases: bool) -> str:
    """``_typeset`` applied to the text of sanitised HTML, outside links and code (a URL
    breaks after its slashes, see ``_link``; code is shown as written).

    Text is unescaped before and escaped after, so an entity is never split.
    """

    def typeset(part: str) -> str:
        if not (_JAPANESE.search(part) or "-" in part or "‐" in part):
            return part
        return _typeset(unescape(part), phrases=phrases)

    return _outside_links_and_code(html, typeset)


def render_reader_markdown(text: str, *, phrases: bool = True) -> SafeString:
    """Markdown for reader pages: sanitised HTML, hyphenated names kept whole.

    With ``phrases`` (short texts: questions, one-line summaries) lines break only between
    BudouX's phrases (``<wbr>``, with ``word-break: keep-all`` in the CSS); without (body
    text: 概要, answers) the browser breaks between any characters by the Japanese rules
    (``word-break: normal; line-break: strict``), as print does.
    """
    return mark_safe(_render_reader(text or "", tuple(settings.MARKDOWNX_MARKDOWN_EXTENSIONS), phrases))


@lru_cache(maxsize=8192)
def _render_reader(text: str, extensions: tuple[str, ...], phrases: bool) -> str:
    return _typeset_html(_render(text, extensions), phrases=phrases)


def phrase_breaks(text: str) -> SafeString:
    """Plain text (a one-line summary, an intro) as HTML with phrase breaks."""
    return mark_safe(_typeset(text or ""))


def linkify(text: str, *, phrases: bool = True) -> SafeString:
    """Plain text as HTML: its http(s) URLs as links, the rest escaped and typeset."""
    out, at = [], 0
    for start, end in _url_spans(text or ""):
        out += [_typeset(text[at:start], phrases=phrases), _link(text[start:end])]
        at = end
    out.append(_typeset((text or "")[at:], phrases=phrases))
    return mark_safe("".join(out))
