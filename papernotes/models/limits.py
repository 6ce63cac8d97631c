"""Length caps of the Japanese texts readers see, about ten times the longest in the sample
issue (概要 846 characters, answer 468, question 89, one-liner 94).

A text past its cap is an editor's mistake (a paste of a whole paper), and every text is
indexed for search: the cap is a validation error on the field, so the admin form shows it
beside the editor's text, which stays in the form; nothing is saved and nothing is lost.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

TEXT_LENGTH_LIMITS = {"summary": 1_000, "abstract_ja": 20_000, "question": 1_000, "answer": 5_000}


@deconstructible
class TextLengthValidator(MaxLengthValidator):
    message = _("%(limit)s 文字以内にしてください(いまは %(length)s 文字です)。")

    def __call__(self, value) -> None:
        if len(value) > self.limit_value:
            raise ValidationError(
                self.message,
                code=self.code,
                params={"limit": f"{self.limit_value:,}", "length": f"{len(value):,}", "value": value},
            )


def text_length_validators(field: str) -> list[TextLengthValidator]:
    return [TextLengthValidator(TEXT_LENGTH_LIMITS[field])]
