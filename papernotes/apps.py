from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PapernotesConfig(AppConfig):
    name = "papernotes"
    verbose_name = _("論文ノート")
