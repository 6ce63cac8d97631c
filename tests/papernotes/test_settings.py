"""Configuration errors an operator can make are answered clearly."""

import os
import subprocess
import sys

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
