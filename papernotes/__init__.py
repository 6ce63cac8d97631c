"""最新論文ノート CMS: project package and content domain."""

from .celery import app as celery_app

__all__ = ["celery_app"]
