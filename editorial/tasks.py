"""Celery tasks of the editors' side: thin wrappers around the services.

``publish_due_issues_task`` runs every minute under Celery beat (django-celery-beat's
database scheduler; ``CELERY_BEAT_SCHEDULE`` in settings) and publishes scheduled
issues whose time has come. ``refresh_findings_task`` (``editorial.checks.tasks``)
re-runs the quality checks of a note after a machine draft arrives.
"""

import logging

from celery import shared_task
from django.db import OperationalError

from editorial.checks.tasks import backoff, refresh_findings_task
from editorial.workflow import publish_due_issues

logger = logging.getLogger(__name__)

__all__ = ["publish_due_issues_task", "refresh_findings_task"]


@shared_task(bind=True, acks_late=True, max_retries=3, soft_time_limit=120, time_limit=150)
def publish_due_issues_task(self) -> list[int]:
    try:
        published = publish_due_issues()
    except OperationalError as error:  # a locked SQLite file, a lost connection
        raise self.retry(exc=error, countdown=backoff(self.request.retries)) from error
    if published:
        logger.info("published scheduled issues %s", published)
    return published
