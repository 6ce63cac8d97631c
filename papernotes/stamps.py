"""Version stamps of public content: which keys a page shows, bumped after public changes commit.

A reader page or a public API response is validated and cached by the stamps of the keys
it shows: ``issue:<week>`` (an issue page, its exports, its API detail), ``paper:<arxiv id>``
(a paper page), the lists (``archive``: home and the API issue list; ``feed``;
``sitemap``; ``categories``; ``notes``: the API notes list) and ``issue-set`` (which weeks
are public: an issue page's previous and next links). ``papernotes.public_changes``
decides which keys a saved row touches; nothing else needs to.

A bump happens after the change has committed (``transaction.on_commit``), in a short
transaction of its own that first locks the ``all`` row: bumps are serialised, and each
one sets its keys to a version higher than any before (the greater of the last version + 1
and the clock in microseconds) and a change time at least one second after the last one
(so ``If-Modified-Since``, which has whole seconds, never confirms a copy older than a
change). Whatever the order in which transactions commit, the stamp a reader sees after a
commit is newer than every stamp seen before it: a page rendered from older data is stored
under an older stamp and never served again. The clock part keeps versions unique across
rolled-back transactions and recreated databases, so a shared cache never mixes them up.

Keys of one transaction are gathered and bumped once, at commit. Code that runs outside
any transaction bumps at once (as ``on_commit`` does in autocommit mode). Inside the test
suite's per-test transaction (Django's ``TestCase``, which never commits) a bump happens
at once too, within the transaction, as if each service's transaction had committed:
a test reads what a reader would read after the commit. Tests with real transactions
(``transaction=True``) go through ``on_commit`` as production does.

A key that was never bumped (content older than this table, or a page that does not
exist) takes the version of the ``epoch`` row instead, marked as such: a number the
migration drew from the clock and nothing changes, so such pages stay valid, each until
its key is first bumped, and two databases sharing a cache never mix them up.
"""

import datetime
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.dispatch import Signal
from django.utils import timezone

from papernotes.models import PublicStamp

ALL = "all"
EPOCH = "epoch"
ISSUE_SET = "issue-set"
ARCHIVE = "archive"
FEED = "feed"
SITEMAP = "sitemap"
CATEGORIES = "categories"
NOTES = "notes"
# Every list that shows issues or notes.
LISTS = (ARCHIVE, FEED, SITEMAP, CATEGORIES, NOTES)
KEY_MAX_LENGTH = 100

# Sent after a bump has committed, with ``keys`` (a frozenset): the CDN purge hook listens.
public_content_changed = Signal()


def issue_key(week_start: datetime.date | str) -> str:
    return f"issue:{week_start.isoformat() if isinstance(week_start, datetime.date) else week_start}"


def paper_key(arxiv_id: str) -> str:
    return f"paper:{arxiv_id}"


@dataclass(frozen=True)
class Stamp:
    """What a page's validators derive from: ``token`` names the version of every key it
    shows; ``last_modified`` is when the newest of them changed (None: never)."""

    token: str
    last_modified: datetime.datetime | None

    @property
    def stamp(self) -> str:
        """The token (the name views have used: ``request.public_version.stamp``)."""
        return self.token


# --- bumping --------------------------------------------------------------------------------

_pending = threading.local()


def _in_test_case(connection) -> bool:
    # Django's TestCase wraps each test in atomic blocks it marks, and never commits them.
    return any(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _pending_keys(alias: str) -> set[str]:
    by_alias = getattr(_pending, "by_alias", None)
    if by_alias is None:
        by_alias = _pending.by_alias = {}
    return by_alias.setdefault(alias, set())


def changed(keys: Iterable[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Public content of ``keys`` changed in the current transaction: bump them after it commits."""
    keys = {key for key in keys if key}
    if not keys:
        return
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block or _in_test_case(connection):
        bump(keys, using=using)
        return
    pending = _pending_keys(using)
    if not any(isinstance(entry[1], _Flush) for entry in connection.run_on_commit):
        # No flush of ours is waiting: what is left was rolled back with its transaction.
        pending.clear()
    pending.update(keys)
    transaction.on_commit(_Flush(using), using=using)


class _Flush:
    """One per registration; the first that runs after the commit bumps every gathered key."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def __call__(self) -> None:
        pending = _pending_keys(self.alias)
        keys = set(pending)
        pending.clear()
        if keys:
            bump(keys, using=self.alias)


def bump(keys: Iterable[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Give ``keys`` a new version now, in a transaction of its own (see the module docstring)."""
    keys = {key[:KEY_MAX_LENGTH] for key in keys} | {ALL}
    with transaction.atomic(using=using):
        stamps = PublicStamp.objects.using(using)
        last = stamps.select_for_update().filter(key=ALL).first()
        if last is None:
            stamps.bulk_create(
                [PublicStamp(key=ALL, version=0, changed_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))],
                ignore_conflicts=True,
            )
            last = stamps.select_for_update().get(key=ALL)
        now = timezone.now().replace(microsecond=0)
        version = max(last.version + 1, time.time_ns() // 1000)
        changed_at = max(now, last.changed_at + datetime.timedelta(seconds=1))
        stamps.bulk_create(
            [PublicStamp(key=key, version=version, changed_at=changed_at) for key in sorted(keys)],
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["version", "changed_at"],
        )
    _known.clear()  # this process sees its own change at once
    public_content_changed.send(sender=PublicStamp, keys=frozenset(keys))


# --- reading ------------------------------------------------------------------------------

# key → (valid until, version, changed at), with READER_STAMP_TTL > 0.
_known: dict[str, tuple[float, int | None, datetime.datetime | None]] = {}
_KNOWN_MAX = 20000


def _versions(keys: tuple[str, ...]) -> dict[str, tuple[int | None, datetime.datetime | None]]:
    ttl = settings.READER_STAMP_TTL
    now = time.monotonic()
    found: dict[str, tuple[int | None, datetime.datetime | None]] = {}
    wanted = []
    for key in (*keys, EPOCH):
        entry = _known.get(key) if ttl > 0 else None
        if entry is not None and entry[0] > now:
            found[key] = entry[1:]
        else:
            wanted.append(key)
    if wanted:
        rows = dict.fromkeys(wanted, (None, None))
        for key, version, changed_at in PublicStamp.objects.filter(key__in=wanted).values_list(
            "key", "version", "changed_at"
        ):
            rows[key] = (version, changed_at)
        found.update(rows)
        if ttl > 0:
            if len(_known) > _KNOWN_MAX:
                _known.clear()
            for key, value in rows.items():
                _known[key] = (now + ttl, *value)
    return found


def stamp_of(keys: Iterable[str]) -> Stamp:
    """The stamp of a page showing ``keys`` (one query, or none within READER_STAMP_TTL)."""
    keys = tuple(sorted({key[:KEY_MAX_LENGTH] for key in keys}))
    versions = _versions(keys)
    epoch, epoch_changed = versions[EPOCH]
    parts, dates = [], []
    for key in keys:
        version, changed_at = versions[key]
        if version is None:
            parts.append(f"{key}=E{epoch or 0}")
            dates.append(epoch_changed)
        else:
            parts.append(f"{key}={version}")
            dates.append(changed_at)
    dates = [date for date in dates if date is not None]
    return Stamp(token=";".join(parts), last_modified=max(dates) if dates else None)
