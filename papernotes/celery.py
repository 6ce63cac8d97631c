"""The Celery application, configured from Django settings (``CELERY_*``)."""

import os
from pathlib import Path

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papernotes.settings")

app = Celery("papernotes")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each pipeline keeps its tasks beside it; the apps' own tasks modules are found as usual.
app.autodiscover_tasks(
    lambda: [*settings.INSTALLED_APPS, "papernotes.ingestion", "papernotes.drafting", "papernotes.delivery"]
)


@app.on_after_configure.connect
def _create_filesystem_broker_folders(sender: Celery, **kwargs) -> None:
    # The embedded broker (kombu's filesystem transport) needs its folders to exist
    # in both the web process and the worker.
    if str(sender.conf.broker_url).startswith("filesystem"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            folder = sender.conf.broker_transport_options.get(key)
            if folder:
                Path(folder).mkdir(parents=True, exist_ok=True)
