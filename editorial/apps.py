from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = _("編集")

    def ready(self) -> None:
        # The admin's autodiscovery ran in django.contrib.admin's ready(), which comes first.
        from editorial.admin.site import unregister_unused

        unregister_unused()
