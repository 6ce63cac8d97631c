"""The error raised for text that is not in the weekly issue format."""

from django.utils.translation import gettext as _


class IssueFormatError(ValueError):
    """A file is not in the weekly format; names the line and what was expected."""

    def __init__(self, line_no: int, expected: str, found: str | None = None):
        self.line_no = line_no
        self.expected = expected
        self.found = found
        if found is None:
            message = _("{line} 行目: {expected}").format(line=line_no, expected=expected)
        else:
            shown = found if len(found) <= 60 else found[:60] + "…"
            message = _("{line} 行目: {expected}(実際の内容: 「{found}」)").format(
                line=line_no, expected=expected, found=shown
            )
        super().__init__(message)
