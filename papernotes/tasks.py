"""Tasks of the content core: the CDN purge after public content changed (``papernotes.cdn``)."""

import logging

from celery import shared_task

from papernotes import cdn, stamps

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
    name="papernotes.tasks.purge_cdn_task",
)
def purge_cdn_task(self, urls: list[str]) -> None:
    """Tell the CDN that ``urls`` changed; retried with backoff while it does not answer."""
    try:
        cdn.purge(urls)
    except cdn.CdnPurgeError as error:
        if self.request.retries >= self.max_retries:
            logger.error("CDN purge failed for good: %s (%d URLs)", error.message, len(urls))
            return
        raise self.retry(exc=error, countdown=min(300, 5 * 2**self.request.retries)) from error


def enqueue_purge(sender, *, keys: frozenset[str], **kwargs) -> None:
    """After a bump has committed: purge the pages of its keys, when a hook is configured."""
    if cdn.enabled():
        urls = cdn.urls_for(keys - {stamps.ALL})
        if urls:
            purge_cdn_task.delay(urls)


def connect() -> None:
    stamps.public_content_changed.connect(enqueue_purge, dispatch_uid="papernotes-cdn-purge")
