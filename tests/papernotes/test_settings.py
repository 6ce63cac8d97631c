"""Configuration errors an operator can make are answered clearly."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=environment, capture_output=True, text=True, timeout=60
    )


def test_secret_key_is_required_when_debug_is_off():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_setup_local_is_for_debug_only():
    result = _manage("setup_local", SECRET_KEY="x", DEBUG="false")
    assert result.returncode != 0
    assert "DEBUG=true" in result.stderr


def test_the_embedded_broker_keeps_every_folder_under_var():
    # kombu's filesystem transport writes its exchange tables to "control" relative to the
    # working directory unless told otherwise: that was the repository root.
    script = "import json; from papernotes.celery import app; print(json.dumps(app.conf.broker_transport_options))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "DEBUG": "true", "CELERY_BROKER_URL": "filesystem://"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)
    folders = {key: options[key] for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")}
    for key, folder in folders.items():
        assert Path(folder).is_relative_to(REPO / "var"), (key, folder)


def test_run_local_stops_its_worker_when_it_is_killed(tmp_path):
    import signal
    import socket
    import time
    import urllib.request

    # given the local site started as `make run` starts it, on a scratch database
    environment = {
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
    }
    assert _manage("migrate", "--verbosity", "0", **environment).returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = subprocess.Popen(
        [sys.executable, "manage.py", "run_local", "--port", str(port)],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        children = Path(f"/proc/{site.pid}/task/{site.pid}/children")
        deadline = time.monotonic() + 60
        serving = False
        while time.monotonic() < deadline and not (worker and serving):
            time.sleep(0.5)
            worker = worker or int((children.read_text().split() or [0])[0])
            try:
                serving = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).status == 200
            except OSError:
                serving = False
        assert worker and serving, "the site and its worker did not start"

        # when the site is killed (SIGTERM, as a process manager or `kill` does)
        site.send_signal(signal.SIGTERM)
        site.wait(timeout=30)

        # then its worker is gone too, not left running on its own
        assert not Path(f"/proc/{worker}").exists()
    finally:
        if site.poll() is None:
            site.kill()
        if worker and Path(f"/proc/{worker}").exists():  # a failed run leaves nothing behind
            os.kill(worker, signal.SIGKILL)
