"""``manage.py run_local``: start a Celery worker and the development server together.

The worker uses the configured broker (the embedded filesystem broker by default), so
ingestion and drafting tasks run in a real worker process even without Redis.
"""

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from .setup_local import ADMIN_USERNAME, local_admin_password_file


class Command(BaseCommand):
    help = _("Celery ワーカーと開発用サーバーを起動します。")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help=_("ワーカーを起動しません"))

    def handle(self, *args, port: int, no_worker: bool, **options):
        worker = None
        if not no_worker:
            worker = subprocess.Popen(worker_command(), cwd=settings.BASE_DIR)
        password_file = local_admin_password_file()
        password = password_file.read_text(encoding="utf-8").strip() if password_file.exists() else "?"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("サイト: http://127.0.0.1:{port}/").format(port=port)))
        self.stdout.write(
            _("管理画面: http://127.0.0.1:{port}/admin/  ユーザー名: {user}  パスワード: {password}").format(
                port=port, user=ADMIN_USERNAME, password=password
            )
        )
        self.stdout.write(
            _("(パスワードは {path} に保存されています。Ctrl+C で終了します。)").format(path=password_file)
        )
        self.stdout.write("")
        # A `kill` (or a closed terminal) stops the worker too, as Ctrl+C does: without these
        # handlers Python exits at once, skipping the clean-up below and orphaning the worker.
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _exit)
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()


def worker_command() -> list[str]:
    """The embedded worker: one for every queue (ingestion, drafting, editorial work), as
    threads, with Celery beat inside. Production runs a worker per pool type (Procfile)."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "papernotes",
        "worker",
        "--queues",
        ",".join(settings.TASK_QUEUE_NAMES),
        "--pool",
        "threads",
        "--concurrency",
        "4",
        "--loglevel",
        "INFO",
        # Embedded Celery beat: publishes scheduled issues when due.
        "--beat",
        "--scheduler",
        "django_celery_beat.schedulers:DatabaseScheduler",
    ]


def _exit(signum, frame) -> None:
    raise SystemExit(128 + signum)
