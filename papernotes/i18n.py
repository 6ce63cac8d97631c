"""Translation that also works before Django is set up (scripts, benchmarks, bare imports)."""

from django.apps import apps
from django.utils.translation import gettext


def gettext_safe(message: str) -> str:
    """Translate ``message``; before the app registry is ready keep the msgid.

    The msgids are the Japanese texts themselves, so the fallback is what an editor reads anyway.
    """
    return gettext(message) if apps.ready else message
