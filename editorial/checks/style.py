"""The blog's voice: house-style characters and the register of each field.

Both come from :mod:`papernotes.house_style`, the one definition drafting applies too, so a
machine draft never gets a finding for a character drafting itself put there.
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from papernotes.house_style import FIELD_REGISTERS, REGISTER_LABELS, sentence_registers, style_problems

from .base import FIELD_LABELS, NoteText, Severity, check, excerpt_around, finding

# Beyond single characters: what the blog never writes either.
SPACING = [
    (re.compile(r"[^\s.。?!]\s*\.\s*\."), _lazy("「.」が重なっています。")),
    (re.compile(r" {2,}"), _lazy("空白が続いています。")),
]


@check("house_style", severity=Severity.WARNING, label="表記ルール(句読点など)")
def house_style(note: NoteText):
    """The newsletter's characters: "." at sentence ends, ASCII ?, :, (), %, digits and Latin
    letters, 「、」 rather than a full-width comma (papernotes.house_style)."""
    for field_name, qa, text in note.texts():
        problems = [(position, position + 1, message) for position, message in style_problems(text)]
        for pattern, message in SPACING:
            match = pattern.search(text)
            if match:
                problems.append((match.start(), match.end(), str(message)))
        for start, end, message in problems:
            yield finding(
                "house_style",
                field_name=field_name,
                qa=qa,
                message=_(message),
                excerpt=excerpt_around(text, start, end),
            )


@check("register", severity=Severity.WARNING, label="文体(です・ます調/である調)")
def register(note: NoteText):
    """概要 and answers in です・ます調, the one-line summary in である調: one finding per field,
    naming how many sentences are in the other register and quoting the first."""
    for field_name, qa, text in note.texts():
        wanted = FIELD_REGISTERS.get(field_name)
        if wanted is None or not text.strip():
            continue
        off = [sentence for sentence, found in sentence_registers(text) if found != wanted]
        if not off:
            continue
        other = next(label for key, label in REGISTER_LABELS.items() if key != wanted)
        start = text.find(off[0])
        yield finding(
            "register",
            field_name=field_name,
            qa=qa,
            message=_("{field}は{wanted}で書きます({other}の文が {count} つあります)。").format(
                field=FIELD_LABELS[field_name], wanted=REGISTER_LABELS[wanted], other=other, count=len(off)
            ),
            excerpt=excerpt_around(text, max(start, 0) + len(off[0]) - 1, max(start, 0) + len(off[0])),
        )
