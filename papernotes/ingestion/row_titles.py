"""The title of one row of the "ML Papers of the Week" table, as an editor reads it.

The title is only a placeholder: arXiv's own title replaces it as soon as the metadata
arrives. But when that fetch fails it is what the editor sees, so it must be the title and
nothing more, and short. The rows were written in several styles over the years:

- ``1) **Title** - description`` (2023, 2024): the bold part is the title;
- ``1) Title - description`` (early 2025, single spaces, no bold): a `` - `` (or en/em dash)
  between spaces ends the title. Titles almost never contain a spaced dash; the list's own
  never do;
- ``1) Title  Description. <br>● bullet`` (2025): two spaces or a line break end the title;
- ``1) Title Introduces a …`` / ``1) Title This paper presents …`` (a few 2025 rows with a
  single space, so the first two-space gap is deep in the description): when no separator
  ends the title within :data:`MAX_TITLE_CHARS`, the description's opening words end it;
- ``1) Title: a description that runs as a sentence``: a colon ends the title only when what
  follows reads like a sentence (mostly lower-case words, eight words or more) and what comes
  before is more than one word, because titles use colons all the time ("KAN:
  Kolmogorov-Arnold Networks", "Command A: An Enterprise-Ready LLM").

Whatever is left is cut to :data:`MAX_TITLE_CHARS` at a word boundary.
"""

import re

MAX_TITLE_CHARS = 120

_ROW_NUMBER_RE = re.compile(r"^\s*\d+\s*[).]\s*")
_BOLD_TITLE_RE = re.compile(r"^\*\*(?P<title>.+?)\*\*|^__(?P<title2>.+?)__")
_MD_LINK_RE = re.compile(r"\[(?P<label>[^\[\]]*)\]\(\s*<?(?P<url>[^()\s<>]+)>?\s*\)")
_HTML_TAG_RE = re.compile(r"<[^>]+>")
_LINE_BREAK_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TWO_SPACES_RE = re.compile(r"\S(?P<gap>[ \t\u00a0]{2,})\S")
_DASH_RE = re.compile(r"\S(?P<gap>\s+[-–—]\s+)\S")
# Words a description opens with; a title does not contain them in this form.
_OPENER_RE = re.compile(
    r"\s(?=(?:Introduces|Proposes|Presents|Explores|Investigates|Examines|Demonstrates|Describes|Develops|"
    r"Evaluates|Argues|Researchers|The authors|This (?:paper|work|study|survey|report|position paper))\b)"
)
_MIN_DESCRIPTION_WORDS = 8


def row_title(description: str) -> str | None:
    """The title in a row's description cell (without the links), or None if there is none."""
    text = _ROW_NUMBER_RE.sub("", description, count=1).strip()
    bold = _BOLD_TITLE_RE.match(text)
    title = (bold.group("title") or bold.group("title2")) if bold else _plain_title(text)
    title = _MD_LINK_RE.sub(lambda m: m.group("label"), title)
    title = _HTML_TAG_RE.sub("", title).replace("**", "").replace("__", "")
    title = re.sub(r"\s+", " ", title).strip(" -–—:*_")
    return _shorten(title) or None


def _plain_title(text: str) -> str:
    head = _LINE_BREAK_RE.split(text, maxsplit=1)[0]
    ends = [match.start("gap") for match in (_TWO_SPACES_RE.search(head), _DASH_RE.search(head)) if match]
    end = min(ends, default=None)
    if end is not None and end <= MAX_TITLE_CHARS:
        return head[:end]
    # No separator, or only one far into the description (a row whose title ends at a single
    # space): the wording decides.
    opener = _OPENER_RE.search(head)
    if opener and len(head[: opener.start()].split()) >= 2:
        return head[: opener.start()]
    before_colon = _before_descriptive_colon(head)
    if before_colon is not head:
        return before_colon
    return head if end is None else head[:end]


def _before_descriptive_colon(text: str) -> str:
    before, colon, after = text.partition(": ")
    if not colon or len(before.split()) < 2 or len(before) > MAX_TITLE_CHARS:
        return text
    words = [word for word in after.split() if word[:1].isalpha()]
    lower = sum(1 for word in words if word[0].islower())
    if len(after.split()) >= _MIN_DESCRIPTION_WORDS and lower * 2 >= len(words):
        return before
    return text


def _shorten(title: str) -> str:
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title.rfind(" ", 0, MAX_TITLE_CHARS)
    return title[: cut if cut > MAX_TITLE_CHARS // 2 else MAX_TITLE_CHARS - 1].rstrip(" ,;:-–—") + "…"
