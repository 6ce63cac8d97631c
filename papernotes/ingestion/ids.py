"""arXiv identifiers: read every form an editor pastes into one canonical reference.

Accepted forms (surrounding whitespace, angle brackets, quotes and trailing punctuation
are tolerated):

- new scheme ``2405.01535``, ``2405.01535v2``, ``0704.0001`` (4 digits from 0704 to 1412,
  5 digits from 1501 on, as arXiv defines it);
- old scheme ``hep-th/9901001``, ``math.AG/0601001v2``;
- an ``arXiv:`` prefix in any case;
- ``/abs/``, ``/pdf/`` (with or without ``.pdf``) and ``/html/`` URLs on arxiv.org,
  www.arxiv.org or export.arxiv.org, http or https, with or without a scheme;
- the arXiv DOI, ``10.48550/arXiv.2405.01535`` or its doi.org URL;
- pages about one arXiv paper on the sites the list links to: Hugging Face papers
  (``huggingface.co/papers/2405.01535``) and alphaXiv (``alphaxiv.org/abs/…``, ``/overview/…``).

Scheme, host and path prefix are read in any case (``HTTPS://ARXIV.ORG/ABS/…``).

The subject class of an old-scheme id (``math.AG/…``) is dropped: arXiv's canonical form of
``math.AG/0601001`` is ``math/0601001``, and keeping the class would let one paper count as
two when de-duplicating a list.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from papernotes.external.urls import UnsafeUrl, connect_target
from papernotes.i18n import gettext_safe as _

# The archives of the pre-2007 scheme. The list is closed: no archive was added after the
# scheme changed, so validating against it rejects typos such as "hep_th/…" early.
OLD_ARCHIVES = frozenset(
    {
        "acc-phys",
        "adap-org",
        "alg-geom",
        "ao-sci",
        "astro-ph",
        "atom-ph",
        "bayes-an",
        "chao-dyn",
        "chem-ph",
        "cmp-lg",
        "comp-gas",
        "cond-mat",
        "cs",
        "dg-ga",
        "funct-an",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math",
        "math-ph",
        "mtrl-th",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "patt-sol",
        "physics",
        "plasm-ph",
        "q-alg",
        "q-bio",
        "quant-ph",
        "solv-int",
        "supr-con",
    }
)

_VERSION = r"(?:v(?P<version>[1-9]\d*))?"
_NEW_ID = r"(?P<yymm>\d{4})\.(?P<number>\d{4,5})"
_OLD_ID = r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.(?P<subject>[A-Za-z]+(?:-[A-Za-z]+)?))?/(?P<old>\d{7})"
_ID_RE = re.compile(rf"(?:{_NEW_ID}|{_OLD_ID}){_VERSION}")
_PREFIX_RE = re.compile(r"^arxiv\s*:\s*", re.IGNORECASE)
_DOI_RE = re.compile(r"^(?:doi\s*:\s*)?10\.48550/arxiv\.", re.IGNORECASE)
_URL_PATH_RE = re.compile(r"^/(?:abs|pdf|html|ps|format)/(?P<id>.+?)(?:\.pdf)?/?$", re.IGNORECASE)
# Sites whose page for one paper is named by its arXiv id. Only these paths count: the same
# hosts also serve models, data sets and blog posts, which are not arXiv papers.
_MIRROR_PATHS = {
    "huggingface.co": re.compile(r"^/papers/(?P<id>[^/]+?)/?$", re.IGNORECASE),
    "hf.co": re.compile(r"^/papers/(?P<id>[^/]+?)/?$", re.IGNORECASE),
    "alphaxiv.org": re.compile(r"^/(?:abs|overview|pdf)/(?P<id>[^/]+?)(?:\.pdf)?/?$", re.IGNORECASE),
}
_HOSTLESS_URL_RE = re.compile(
    r"^(?:[a-z0-9-]+\.)*(?:arxiv\.org|doi\.org|huggingface\.co|hf\.co|alphaxiv\.org)/", re.IGNORECASE
)
# Wrappers an id arrives in when copied from Markdown, chat or e-mail.
_LEADING_JUNK = "<([{\"'「『"
_TRAILING_JUNK = ">)]}\"'」』.,;:!?、。"


class InvalidArxivId(ValueError):
    """Raised when a text cannot be read as an arXiv identifier; ``str()`` is for an editor."""

    def __init__(self, value: str, message: str) -> None:
        super().__init__(message)
        self.value = value
        self.message = message


@dataclass(frozen=True)
class ArxivRef:
    """One arXiv paper, optionally one version of it."""

    arxiv_id: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        """``2405.01535v2`` when a version is known, else the bare id."""
        return f"{self.arxiv_id}v{self.version}" if self.version else self.arxiv_id

    def __str__(self) -> str:
        return self.versioned


def is_arxiv_host(host: str | None) -> bool:
    """True for arxiv.org and its subdomains (www., export., …)."""
    host = (host or "").lower().rstrip(".")
    return host == "arxiv.org" or host.endswith(".arxiv.org")


def looks_like_arxiv_url(url: str) -> bool:
    """True when ``url`` points at arXiv (any path), whether or not it names a paper."""
    text = _strip_wrappers(url)
    if not text:
        return False
    if "://" not in text:
        if not _HOSTLESS_URL_RE.match(text):
            return False
        text = "https://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    if is_arxiv_host(parts.hostname):
        return True
    if _mirror_paper_id(parts.hostname, parts.path) is not None:
        return True
    return (parts.hostname or "").lower() == "doi.org" and bool(_DOI_RE.match(parts.path.lstrip("/")))


def _mirror_paper_id(host: str | None, path: str) -> str | None:
    """The arXiv id in the path of a paper's page on a site that names it so, else None."""
    pattern = _MIRROR_PATHS.get((host or "").lower().rstrip(".").removeprefix("www."))
    match = pattern.match(path) if pattern else None
    return match.group("id") if match else None


def parse_arxiv_id(text: str) -> ArxivRef:
    """Read ``text`` as an arXiv id or URL; raise :class:`InvalidArxivId` when it is not one."""
    value = _strip_wrappers(text)
    if not value:
        raise InvalidArxivId(text, _("arXiv ID が空です。"))
    candidate = _candidate_from_url(value) if _is_url_like(value) else _candidate_from_plain(value)
    return _parse_candidate(candidate, original=value)


def _strip_wrappers(text: str) -> str:
    value = text.strip()
    # Strip pairs and stray wrappers repeatedly: "<https://…>." needs two passes.
    while True:
        stripped = value.lstrip(_LEADING_JUNK).rstrip(_TRAILING_JUNK).strip()
        if stripped == value:
            return value
        value = stripped


def _is_url_like(value: str) -> bool:
    return "://" in value or bool(_HOSTLESS_URL_RE.match(value))


def _candidate_from_url(value: str) -> str:
    url = value if "://" in value else "https://" + value
    if url.split("://", 1)[0].lower() not in {"http", "https"}:
        raise InvalidArxivId(value, _("arXiv の URL ではありません: {value}").format(value=value))
    # The same reading of the URL as the HTTP client's: a link that parsers could take to
    # different hosts (backslashes, user information) is not a paper's link.
    try:
        host = connect_target(url).host
    except UnsafeUrl as exc:
        raise InvalidArxivId(value, exc.message) from exc
    parts = urlsplit(url)
    if host == "doi.org":
        doi = parts.path.lstrip("/")
        if _DOI_RE.match(doi):
            return _DOI_RE.sub("", doi)
        raise InvalidArxivId(value, _("arXiv の URL ではありません: {value}").format(value=value))
    mirrored = _mirror_paper_id(host, parts.path)
    if mirrored is not None:
        return _lower_id(mirrored)
    if not is_arxiv_host(host):
        raise InvalidArxivId(value, _("arXiv の URL ではありません: {value}").format(value=value))
    match = _URL_PATH_RE.match(parts.path)
    if not match:
        raise InvalidArxivId(value, _("arXiv の URL ですが、論文の ID が含まれていません: {value}").format(value=value))
    return _lower_id(match.group("id"))


def _lower_id(candidate: str) -> str:
    """An id from a URL typed in capitals ("…/ABS/2405.01535V2") as arXiv writes it.

    Safe for both schemes: archives are lower case, and an old id's subject class
    ("math.AG"), the only upper-case part, is dropped anyway.
    """
    return candidate.lower()


def _candidate_from_plain(value: str) -> str:
    candidate = _PREFIX_RE.sub("", value)
    candidate = _DOI_RE.sub("", candidate)
    # A downloaded file name such as "2405.01535v2.pdf" is a common paste.
    if candidate.lower().endswith(".pdf"):
        candidate = candidate[:-4]
    return candidate


def _parse_candidate(candidate: str, *, original: str) -> ArxivRef:
    match = _ID_RE.fullmatch(candidate)
    if not match:
        raise InvalidArxivId(original, _("arXiv ID として解釈できません: {value}").format(value=original))
    version = int(match.group("version")) if match.group("version") else None
    if match.group("yymm"):
        yymm, number = match.group("yymm"), match.group("number")
        if not _valid_new_style(yymm, number):
            message = _("arXiv ID の年月または番号の桁数が正しくありません: {value}")
            raise InvalidArxivId(original, message.format(value=original))
        return ArxivRef(f"{yymm}.{number}", version)
    archive, old = match.group("archive"), match.group("old")
    if archive not in OLD_ARCHIVES or not _valid_old_style(old):
        raise InvalidArxivId(
            original, _("arXiv ID の分野名または年月が正しくありません: {value}").format(value=original)
        )
    return ArxivRef(f"{archive}/{old}", version)


def _valid_new_style(yymm: str, number: str) -> bool:
    month = int(yymm[2:])
    if not 1 <= month <= 12 or int(number) == 0:
        return False
    # arXiv: 4-digit numbers from 0704 through 1412, 5 digits from 1501 on.
    if len(number) == 4:
        return "0704" <= yymm <= "1412"
    return yymm >= "1501"


def _valid_old_style(old: str) -> bool:
    year, month, number = int(old[:2]), int(old[2:4]), int(old[4:])
    # The old scheme ran from August 1991 to March 2007.
    return (year >= 91 or year <= 7) and 1 <= month <= 12 and number > 0
