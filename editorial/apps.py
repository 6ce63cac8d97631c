from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = _("編集")

    def ready(self) -> None:
        # Imported here, as Django asks of code that needs the app registry ready.
        from editorial import receivers, roles
        from editorial.admin.site import unregister_unused

        # The admin's autodiscovery ran in django.contrib.admin's ready(), which comes first.
        unregister_unused()
        post_migrate.connect(roles.sync_role_groups, sender=self, dispatch_uid="editorial-sync-role-groups")
        receivers.connect()
