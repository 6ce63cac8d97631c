"""Django for a benchmark: the project's settings on a scratch SQLite database.

Import and call :func:`setup` before importing anything from the project.
"""

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def setup(**environment: str) -> Path:
    """Configure and start Django on a fresh scratch folder; returns that folder."""
    sys.path.insert(0, str(REPO))
    scratch = Path(tempfile.mkdtemp(prefix="papernotes-bench-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="papernotes.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only"),
        DATABASE_URL=f"sqlite:///{scratch / 'bench.sqlite3'}",
        MEDIA_ROOT=str(scratch / "media"),
        RATE_LIMIT_DIR=str(scratch / "ratelimit"),
        LOG_LEVEL="WARNING",
        **environment,
    )
    os.environ.pop("REDIS_URL", None)  # benchmarks use the embedded defaults only

    import django

    django.setup()
    return scratch
