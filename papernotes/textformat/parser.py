"""Parser for the weekly issue text format (see docs in the README and the design brief).

The parser walks the file line by line and fails on the first line that does not fit,
naming that line and what it expected there. It never guesses: a file it accepts renders
back to the same text.
"""

import datetime
import re

from django.utils.translation import gettext as _

from papernotes.models.limits import TEXT_LENGTH_LIMITS

from .document import HEADING_PREFIX, IssueDocument, PaperSection, QAPair
from .errors import IssueFormatError

HEADING_RE = re.compile(rf"^{HEADING_PREFIX}:【(\d{{4}}-\d{{2}}-\d{{2}})~ (\d{{4}}-\d{{2}}-\d{{2}})】$")
TOC_TITLE_RE = re.compile(r"^  (\d+)\. (.+)$")
TOC_DATE_RE = re.compile(r"^    発行日:(\d{4})年(\d{2})月(\d{2})日$")
TOC_SUMMARY_PREFIX = "    "
DATE_LABEL_RE = r"(\d{4})年(\d{2})月(\d{2})日"


def decode_issue_bytes(data: bytes) -> str:
    """Decode a file as UTF-8, naming the line of the first invalid byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_no = data[: error.start].count(b"\n") + 1
        if error.reason == "unexpected end of data":
            raise IssueFormatError(line_no, _("ファイルが途中で終わっています(文字の途中で切れています)")) from error
        raise IssueFormatError(line_no, _("UTF-8 のテキストではありません")) from error
    return text.removeprefix("\ufeff")


def parse_issue_text(text: str) -> IssueDocument:
    """Parse one weekly issue. Raises :class:`IssueFormatError`."""
    return _Parser(text).parse()


def _date(match: re.Match[str], line_no: int, line: str) -> datetime.date:
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as error:
        raise IssueFormatError(line_no, _("存在する日付が必要です"), line) from error


class _Parser:
    def __init__(self, text: str):
        text = text.replace("\r\n", "\n")
        # The blog's files end without a final newline; one extra newline is tolerated.
        self.lines = text.removesuffix("\n").split("\n") if text else []
        self.index = 0

    # -- cursor -----------------------------------------------------------------
    @property
    def line_no(self) -> int:
        return self.index + 1

    def at_end(self) -> bool:
        return self.index >= len(self.lines)

    def peek(self) -> str | None:
        return None if self.at_end() else self.lines[self.index]

    def take(self, expected: str) -> str:
        if self.at_end():
            raise IssueFormatError(
                self.line_no, _("ファイルが途中で終わっています。{expected}が必要です").format(expected=expected)
            )
        line = self.lines[self.index]
        self.index += 1
        return line

    def take_blank(self, after: str) -> None:
        line = self.take(_("{after}の後の空行").format(after=after))
        if line.strip():
            raise IssueFormatError(self.line_no - 1, _("{after}の後に空行が必要です").format(after=after), line)

    def take_match(self, pattern: re.Pattern[str], expected: str) -> re.Match[str]:
        line = self.take(expected)
        match = pattern.match(line)
        if not match:
            raise IssueFormatError(self.line_no - 1, _("{expected}が必要です").format(expected=expected), line)
        return match

    def take_field(self, label: str) -> str:
        line = self.take(f"「{label}:」の行")
        if not line.startswith(f"{label}:"):
            raise IssueFormatError(self.line_no - 1, _("「{label}:」で始まる行が必要です").format(label=label), line)
        return line[len(label) + 1 :]

    def take_date_field(self, label: str) -> datetime.date:
        value = self.take_field(label)
        match = re.fullmatch(DATE_LABEL_RE, value)
        if not match:
            raise IssueFormatError(
                self.line_no - 1,
                _("「{label}:YYYY年MM月DD日」の形式の日付が必要です").format(label=label),
                value,
            )
        return _date(match, self.line_no - 1, value)

    # -- grammar ----------------------------------------------------------------
    def parse(self) -> IssueDocument:
        if not self.lines:
            raise IssueFormatError(1, _("空のファイルです。見出し「最新論文ノート:【…】」が必要です"))
        week_start = self.parse_heading()
        self.take_blank(_("見出し"))
        intro = self.parse_intro()
        toc = self.parse_toc()
        papers = tuple(
            self.parse_paper(number, title, date, summary) for number, (title, date, summary) in enumerate(toc, start=1)
        )
        if not self.at_end():
            raise IssueFormatError(self.line_no, _("最後の論文の後に余分な内容があります"), self.peek())
        return IssueDocument(week_start=week_start, intro=intro, papers=papers)

    def parse_heading(self) -> datetime.date:
        match = self.take_match(HEADING_RE, _("見出し「最新論文ノート:【YYYY-MM-DD~ YYYY-MM-DD】」"))
        try:
            start = datetime.date.fromisoformat(match[1])
            end = datetime.date.fromisoformat(match[2])
        except ValueError as error:
            raise IssueFormatError(1, _("見出しに存在する日付が必要です"), self.lines[0]) from error
        if start.isoweekday() != 1:
            raise IssueFormatError(1, _("週の開始日は月曜日である必要があります"), self.lines[0])
        if end != start + datetime.timedelta(days=6):
            raise IssueFormatError(1, _("週の終了日は開始日の6日後(日曜日)である必要があります"), self.lines[0])
        return start

    def parse_intro(self) -> str:
        # The intro is optional: the table of contents may follow the heading directly.
        if (line := self.peek()) is not None and TOC_TITLE_RE.match(line):
            return ""
        intro_lines = []
        while (line := self.peek()) is not None and line.strip():
            intro_lines.append(self.take(""))
        if not intro_lines:
            raise IssueFormatError(self.line_no, _("前書きまたは目次が必要です"), line)
        self.take_blank(_("前書き"))
        return "\n".join(intro_lines)

    def parse_toc(self) -> list[tuple[str, datetime.date, str]]:
        entries: list[tuple[str, datetime.date, str]] = []
        while (line := self.peek()) is not None and line.strip():
            match = self.take_match(TOC_TITLE_RE, _("目次の行「  N. タイトル」"))
            if int(match[1]) != len(entries) + 1:
                raise IssueFormatError(
                    self.line_no - 1,
                    _("目次の番号は {number} である必要があります").format(number=len(entries) + 1),
                    line,
                )
            date_line = self.lines[self.index] if not self.at_end() else ""
            date_match = self.take_match(TOC_DATE_RE, _("目次の発行日の行「    発行日:YYYY年MM月DD日」"))
            date = _date(date_match, self.line_no - 1, date_line)
            summary_line = self.take(_("目次の一行要約"))
            if not summary_line.startswith(TOC_SUMMARY_PREFIX) or TOC_TITLE_RE.match(summary_line):
                raise IssueFormatError(
                    self.line_no - 1, _("目次の一行要約(4つの空白で始まる行)が必要です"), summary_line
                )
            entries.append((match[2], date, summary_line[len(TOC_SUMMARY_PREFIX) :]))
        if not entries:
            raise IssueFormatError(self.line_no, _("目次(「  1. タイトル」の行)が必要です"), line)
        self.take_blank(_("目次"))
        return entries

    def parse_paper(self, number: int, toc_title: str, toc_date: datetime.date, summary: str) -> PaperSection:
        start_line = self.line_no
        title = self.take(_("{number} 番目の論文のタイトル").format(number=number))
        if title != toc_title:
            raise IssueFormatError(
                start_line,
                _("目次の {number} 番目と同じタイトル「{title}」が必要です").format(number=number, title=toc_title),
                title,
            )
        self.take_blank(_("タイトル"))
        authors = self.take_field("著者")
        first_published_on = self.take_date_field("発行日")
        if first_published_on != toc_date:
            raise IssueFormatError(self.line_no - 1, _("発行日が目次の日付と一致しません"), self.lines[self.index - 1])
        latest_updated_on = self.take_date_field("最終更新日")
        pdf_url = self.take_field("URL")
        if not pdf_url.strip():
            raise IssueFormatError(self.line_no - 1, _("URL が空です"))
        self.take_blank("URL")
        categories = self.take_field("カテゴリ")
        self.take_blank(_("カテゴリ"))
        if (line := self.take("「概要:」の行")) != "概要:":
            raise IssueFormatError(self.line_no - 1, _("「概要:」の行が必要です"), line)
        self.take_blank(_("「概要:」"))
        abstract = self.parse_paragraph_until_qa()
        if (line := self.take("「Q&A:」の行")) != "Q&A:":
            raise IssueFormatError(self.line_no - 1, _("「Q&A:」の行が必要です"), line)
        self.take_blank("「Q&A:」")
        qas = self.parse_qas()
        self.check_lengths(start_line, summary=summary, abstract_ja=abstract, qas=qas)
        return PaperSection(
            title=title,
            summary=summary,
            authors=tuple(authors.split(", ")) if authors else (),
            first_published_on=first_published_on,
            latest_updated_on=latest_updated_on,
            pdf_url=pdf_url,
            category_names=tuple(categories.split(", ")) if categories else (),
            abstract_ja=abstract,
            qas=qas,
            line_no=start_line,
        )

    def check_lengths(self, line_no: int, *, summary: str, abstract_ja: str, qas: tuple[QAPair, ...]) -> None:
        """A text past its cap (``papernotes.models.limits``) is refused, as the admin refuses it."""
        texts = [(_("一行要約"), "summary", summary), (_("概要"), "abstract_ja", abstract_ja)]
        for position, pair in enumerate(qas, start=1):
            texts += [(f"Q{position}", "question", pair.question), (f"A{position}", "answer", pair.answer)]
        for label, field, text in texts:
            if len(text) > TEXT_LENGTH_LIMITS[field]:
                raise IssueFormatError(
                    line_no,
                    _("この論文の{label}は {limit:,} 文字以内にしてください(いまは {length:,} 文字です)").format(
                        label=label, limit=TEXT_LENGTH_LIMITS[field], length=len(text)
                    ),
                )

    def parse_paragraph_until_qa(self) -> str:
        """The abstract: every line up to the blank line before "Q&A:"."""
        lines = []
        while True:
            line = self.take(_("概要の本文と「Q&A:」の行"))
            if not line.strip() and self.peek() == "Q&A:":
                break
            if line.startswith(("Q: ", "A: ")):
                raise IssueFormatError(self.line_no - 1, _("「Q&A:」の行が必要です"), line)
            lines.append(line)
        if not lines:
            raise IssueFormatError(self.line_no - 1, _("概要の本文が空です"))
        return "\n".join(lines)

    def parse_qas(self) -> tuple[QAPair, ...]:
        pairs = []
        while True:
            line = self.take(_("「Q: 」で始まる質問"))
            if not line.startswith("Q: "):
                raise IssueFormatError(self.line_no - 1, _("「Q: 」で始まる質問が必要です"), line)
            question = line[3:]
            answer_line = self.take(_("質問に対する「A: 」の行"))
            if not answer_line.startswith("A: "):
                raise IssueFormatError(
                    self.line_no - 1, _("「Q: 」の次の行には「A: 」で始まる回答が必要です"), answer_line
                )
            answer_lines = [answer_line[3:]]
            while (line := self.peek()) is not None and line.strip():
                if line.startswith("Q: "):
                    raise IssueFormatError(self.line_no, _("Q&A の間に空行が必要です"), line)
                answer_lines.append(self.take(""))
            pairs.append(QAPair(question=question, answer="\n".join(answer_lines)))
            if self.at_end():
                return tuple(pairs)
            self.take_blank(_("回答"))
            if not (self.peek() or "").startswith("Q: "):
                return tuple(pairs)
