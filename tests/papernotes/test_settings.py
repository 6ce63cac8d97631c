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
