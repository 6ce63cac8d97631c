from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PapernotesConfig(AppConfig):
    name = "papernotes"
    verbose_name = _("論文ノート")

    def ready(self) -> None:
        # Imported here, as Django asks of code that needs the app registry ready.
        from papernotes import public_changes, tasks

        public_changes.connect()
        tasks.connect()
