"""Celery tasks of the editors' side: thin wrappers around the services.

``publish_due_issues_task`` runs every minute under Celery beat (django-celery-beat's
database scheduler; ``CELERY_BEAT_SCHEDULE`` in settings) and publishes scheduled
issues whose time has come. ``refresh_findings_task`` re-runs the quality checks of a
note after a machine draft arrives.
"""

import logging
import random

from celery import shared_task
from django.db import OperationalError

from editorial.checks.services import note_refresh_findings
from editorial.workflow import publish_due_issues
from papernotes.models import Note

logger = logging.getLogger(__name__)


def _backoff(retries: int) -> float:
    return min(300.0, 5.0 * 2**retries) * random.uniform(0.8, 1.2)


@shared_task(bind=True, acks_late=True, max_retries=3, soft_time_limit=120, time_limit=150)
def publish_due_issues_task(self) -> list[int]:
    try:
        published = publish_due_issues()
    except OperationalError as error:  # a locked SQLite file, a lost connection
        raise self.retry(exc=error, countdown=_backoff(self.request.retries)) from error
    if published:
        logger.info("published scheduled issues %s", published)
    return published


@shared_task(bind=True, acks_late=True, max_retries=3, soft_time_limit=60, time_limit=90)
def refresh_findings_task(self, note_id: int) -> int:
    try:
        return len(note_refresh_findings(note_id=note_id))
    except Note.DoesNotExist:
        return 0  # deleted meanwhile: nothing to check
    except OperationalError as error:
        raise self.retry(exc=error, countdown=_backoff(self.request.retries)) from error
