"""The worker configuration we ship, read from the Procfile (and compose.yaml), so that tests
and the benchmark run the pool type and concurrency production runs, not a copy of them."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_DEFAULT_RE = re.compile(r"\$\{[A-Z_]+:-([^}]*)\}")


@dataclass(frozen=True)
class WorkerCommand:
    name: str
    queues: tuple[str, ...]
    pool: str
    concurrency: int


def _option(words: list[str], *names: str) -> str | None:
    for index, word in enumerate(words):
        if word in names and index + 1 < len(words):
            return words[index + 1]
        for name in names:
            if name.startswith("--") and word.startswith(f"{name}="):
                return word.split("=", 1)[1]
    return None


def parse_worker(name: str, command: str) -> WorkerCommand | None:
    """A ``celery worker`` command line, with ``${VAR:-default}`` read as its default."""
    words = shlex.split(_DEFAULT_RE.sub(r"\1", command))
    if "worker" not in words:
        return None
    queues = _option(words, "-Q", "--queues")
    return WorkerCommand(
        name=name,
        queues=tuple(queues.split(",")) if queues else (),
        pool=_option(words, "-P", "--pool") or "prefork",
        concurrency=int(_option(words, "-c", "--concurrency") or 0),
    )


def procfile_workers(path: Path = REPO / "Procfile") -> dict[str, WorkerCommand]:
    workers = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _colon, command = line.partition(":")
        worker = parse_worker(name.strip(), command)
        if worker is not None:
            workers[worker.name] = worker
    return workers


def compose_workers(path: Path = REPO / "compose.yaml") -> dict[str, WorkerCommand]:
    """The ``command:`` of each compose service that runs a worker (no YAML parser needed)."""
    workers = {}
    service = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        header = re.match(r"^  ([a-z][a-z0-9_-]*):\s*$", line)
        if header:
            service = header.group(1)
        command = re.match(r"^    command:\s*(.+)$", line)
        if command and service:
            worker = parse_worker(service, command.group(1))
            if worker is not None:
                workers[service] = worker
    return workers


def drafting_worker() -> WorkerCommand:
    """The shipped worker that consumes the drafting queue."""
    [worker] = [w for w in procfile_workers().values() if "drafting" in w.queues]
    return worker
