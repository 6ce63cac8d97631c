"""Provenance of Japanese text fields.

Each provenanced field ``<name>`` is stored with two companions:
``<name>_source`` (a :class:`TextSource`) and ``<name>_machine_draft`` (the last text the
machine drafted, kept even after an editor rewrites the field). The rule that protects
editors' work lives here, so every writer (import, drafting task, admin) goes through it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from .choices import TextSource

# Texts the machine may replace: nothing a human wrote or a back issue carried.
MACHINE_OVERWRITABLE = frozenset({TextSource.EMPTY, TextSource.MACHINE})


def source_field() -> models.CharField:
    return models.CharField(_("出典"), max_length=16, choices=TextSource.choices, default=TextSource.EMPTY)


def machine_draft_field() -> models.TextField:
    return MarkdownxField(_("最新の機械下書き"), blank=True, default="")


class ProvenancedTextMixin:
    """Methods for models that declare ``provenanced_fields``."""

    provenanced_fields: tuple[str, ...] = ()

    def source_of(self, field: str) -> str:
        return getattr(self, f"{field}_source")

    def set_imported_text(self, field: str, text: str) -> None:
        """Back issues are published content: they replace anything but an editor's text."""
        if self.source_of(field) == TextSource.EDITOR and getattr(self, field) != text:
            return
        setattr(self, field, text)
        setattr(self, f"{field}_source", TextSource.IMPORTED if text else TextSource.EMPTY)

    def set_machine_text(self, field: str, text: str) -> bool:
        """Record a machine draft; it becomes the current text only over empty or machine text.

        Returns whether the current text changed.
        """
        setattr(self, f"{field}_machine_draft", text)
        if self.source_of(field) not in MACHINE_OVERWRITABLE:
            return False
        setattr(self, field, text)
        setattr(self, f"{field}_source", TextSource.MACHINE if text else TextSource.EMPTY)
        return True

    def set_editor_text(self, field: str, text: str) -> bool:
        """An editor's text always wins and is marked as such. Returns whether it changed."""
        if getattr(self, field) == text:
            return False
        setattr(self, field, text)
        setattr(self, f"{field}_source", TextSource.EDITOR if text else TextSource.EMPTY)
        return True
