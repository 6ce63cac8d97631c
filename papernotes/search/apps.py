from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    """The search index: PostgreSQL trigram indexes, or SQLite FTS5 tables kept by triggers."""

    name = "papernotes.search"
    label = "search"
    verbose_name = _("検索")

    def ready(self) -> None:
        from .backends import sqlite

        # A migration that rebuilds a content table on SQLite drops its triggers: make
        # sure after every migrate that they exist and the index matches the tables.
        post_migrate.connect(sqlite.ensure_index, sender=self, dispatch_uid="search-ensure-sqlite-index")
