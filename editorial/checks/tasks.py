"""The quality checks' Celery task: re-run the checks of a note after a machine draft."""

import logging
import random

from celery import shared_task
from django.db import OperationalError

from editorial.checks.services import note_refresh_findings
from papernotes.models import Note

logger = logging.getLogger(__name__)


def backoff(retries: int) -> float:
    """Seconds before the next try of an editorial task: doubling from 5, capped at 5 minutes."""
    return min(300.0, 5.0 * 2**retries) * random.uniform(0.8, 1.2)


# The name it had when it lived in ``editorial.tasks``: messages already queued still find it.
@shared_task(
    bind=True,
    name="editorial.tasks.refresh_findings_task",
    acks_late=True,
    max_retries=3,
    soft_time_limit=60,
    time_limit=90,
)
def refresh_findings_task(self, note_id: int) -> int:
    try:
        return len(note_refresh_findings(note_id=note_id))
    except Note.DoesNotExist:
        return 0  # deleted meanwhile: nothing to check
    except OperationalError as error:
        raise self.retry(exc=error, countdown=backoff(self.request.retries)) from error
