"""Every door × every role: the permission matrix generated from the URL resolver.

One world (an issue in every state, notes in every state) per role; every admin and API URL
pattern filled with its objects; GET and POST as the page's own form sends it (texts
changed, each submit button, an inline row deleted, two rows reordered), forged POSTs where
there is no form, and PUT/PATCH/DELETE on the API. Each request runs in a savepoint that is
rolled back, so each meets the same world. After each one the rules' invariants are checked
(``tests.rules.matrix.violations``) and every broken rule is collected; the test fails with
the whole list, so one run shows every door that leaks.

Run with ``-s`` to see how many patterns, URLs and requests were tried.
"""

import logging
import re
import time
from collections import Counter

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from papernotes.models import NoteState, WeeklyIssue
from tests.rules.conftest import ROLE_GROUPS, ROLES, make_user
from tests.rules.htmlforms import main_form
from tests.rules.matrix import (
    Request,
    UrlFiller,
    api_requests,
    forged_requests,
    form_requests,
    url_patterns,
    violations,
)
from tests.rules.world import build_world, changed_tables, content_snapshot, full_snapshot, rows_written

pytestmark = pytest.mark.django_db

JAPANESE = re.compile("[ぁ-んァ-ン一-龥]")
# Pages every logged-in staff user may open whatever their role (they show nothing editorial).
ACCOUNT_PAGES = ("admin:login", "admin:logout", "admin:password_change", "admin:password_change_done", "admin:jsi18n")


class _Rollback(Exception):
    pass


class Matrix:
    def __init__(self, role: str, client: Client, world):
        self.role = role
        self.client = client
        self.world = world
        self.before = content_snapshot()
        self.baseline = full_snapshot() if role in ("anonymous", "staff_without_role") else None
        self.secrets = [note.paper.title for note in world.notes] + [note.summary for note in world.notes]
        self.found: list[str] = []
        self.requests = 0
        self.statuses: Counter = Counter()
        self.seconds: Counter = Counter()  # by URL pattern
        self.written = rows_written()

    def perform(self, request: Request, pattern_name: str):
        """Send one request in a savepoint, check the rules, roll the savepoint back."""
        cookies = self.client.cookies
        self.client.cookies = type(cookies)(cookies)  # a logout or a message must not outlive the request
        where = f"[{self.role}] {request.method.upper()} {request.url} ({pattern_name}; {request.label})"
        response = None
        self.requests += 1
        started = time.monotonic()
        try:
            with transaction.atomic():
                written = self.written  # PostgreSQL's counters only grow: the last reading is "before"
                self.saw_write = False
                with connection.execute_wrapper(self._watch_writes):
                    response = self._send(request)
                self.statuses[response.status_code] += 1
                problems = []
                try:
                    # Nothing written (no INSERT/UPDATE/DELETE went through Django, and on PostgreSQL
                    # its own counters agree): the world is as before, no snapshot needed.
                    self.written = rows_written()
                    unchanged = not self.saw_write and self.written == written
                    after = None if unchanged else content_snapshot()
                except DatabaseError as error:
                    problems.append(f"the request left the transaction broken: {error}")
                    after = None
                if after is not None:
                    problems += violations(self.role, self.before, after)
                    if request.method == "get" and (self.before.issues, self.before.notes, self.before.qas) != (
                        after.issues,
                        after.notes,
                        after.qas,
                    ):
                        problems.append("a GET changed content")
                    if self.baseline is not None:
                        changed = changed_tables(self.baseline, full_snapshot())
                        if changed:
                            problems.append(f"changed {changed}")
                problems += self._page_problems(request, response, pattern_name)
                self.found += [f"{where}: {problem}" for problem in problems]
                raise _Rollback
        except _Rollback:
            pass
        finally:
            self.client.cookies = cookies
            self.seconds[pattern_name] += time.monotonic() - started
        return response

    def _watch_writes(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "WITH", "TRUNCATE")):
            self.saw_write = True
        return execute(sql, params, many, context)

    def _send(self, request: Request):
        method = getattr(self.client, request.method)
        if request.json:
            return method(request.url, data=request.data, content_type="application/json")
        if request.method in ("get", "post"):
            return method(request.url, data=request.data or {})
        return method(request.url)

    def _page_problems(self, request: Request, response, pattern_name: str) -> list[str]:
        problems = []
        status = response.status_code
        if status >= 500:
            problems.append(f"HTTP {status}")
        body = response.content.decode("utf-8", "replace") if not getattr(response, "streaming", False) else ""
        if status == 403 and not JAPANESE.search(body):
            problems.append("a refusal (403) with no Japanese on the page")
        is_admin = request.url.startswith("/admin/")
        if is_admin and self.role in ("anonymous", "staff_without_role") and status == 200:
            shown = [secret for secret in self.secrets if secret in body]
            if shown:
                problems.append(f"shows editorial content to {self.role}: {shown[:3]}")
            elif pattern_name not in (*ACCOUNT_PAGES, "admin:index"):
                problems.append(f"opens an editorial page to {self.role}")
        return problems


def run_matrix(role: str, client: Client, world) -> Matrix:
    matrix = Matrix(role, client, world)
    patterns = url_patterns()
    filler = UrlFiller(world)
    all_note_ids = [str(note.pk) for note in world.notes]
    url_count = 0
    for pattern in patterns:
        urls = filler.urls(pattern)
        if not urls:
            matrix.found.append(f"[{role}] {pattern.route} ({pattern.name}): the matrix could not build a URL for it")
        for url in urls:
            url_count += 1
            if pattern.is_api:
                for request in api_requests(url):
                    matrix.perform(request, pattern.name)
                continue
            response = matrix.perform(Request("get", url, label="GET"), pattern.name)
            form = None
            if response is not None and response.status_code == 200 and "html" in response.get("Content-Type", ""):
                form = main_form(response.content.decode("utf-8", "replace"))
            if form is not None:
                # The inline rows' changes matter where an approval or a publication covers them.
                note = filler.note_of(url)
                inlines = note is None or note.state == NoteState.APPROVED
                requests = form_requests(url, form, inlines=inlines)
            else:
                # POST-only doors (a GET is refused as 405) of issues and of the site get every
                # workflow verb in turn; those of single notes, and other pages, one forged body
                # (which carries the review screen's verbs too).
                thorough = (
                    response is not None
                    and response.status_code == 405
                    and role in ("editor", "chief_editor")
                    and filler.note_of(url) is None
                )
                requests = forged_requests(url, all_note_ids=all_note_ids, thorough=thorough)
            for request in requests:
                matrix.perform(request, pattern.name)
    matrix.patterns = len(patterns)
    matrix.urls = url_count
    return matrix


@pytest.mark.parametrize("role", ROLES)
def test_every_door_keeps_the_rules(role, settings):
    # Given a world with an issue in every state and notes in every state, and a user in the role
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    chief = make_user("matrix-chief", ROLE_GROUPS["chief_editor"])
    world = build_world(scheduler=chief)
    client = Client(raise_request_exception=False)
    if role == "chief_editor":
        client.force_login(chief)
    elif role != "anonymous":
        client.force_login(make_user(f"matrix-{role}", ROLE_GROUPS[role]))

    # (the change detector sees a write, so the matrix can fail)
    with transaction.atomic():
        written = rows_written()
        WeeklyIssue.objects.filter(pk=world.issues["published"].pk).update(intro="canary")
        assert written is None or rows_written() > written
        transaction.set_rollback(True)

    # When every admin and API URL is requested with every method the matrix knows
    # (refusals are logged with their traceback; the matrix reports what matters itself)
    quiet = [logging.getLogger(name) for name in ("django.request", "django.security", "axes")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    started = time.monotonic()
    try:
        matrix = run_matrix(role, client, world)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    elapsed = time.monotonic() - started

    print(
        f"\n[{role}] {matrix.patterns} URL patterns, {matrix.urls} URLs, {matrix.requests} requests "
        f"in {elapsed:.1f} s; statuses {dict(sorted(matrix.statuses.items()))}; {len(matrix.found)} broken rules"
    )
    slowest = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in matrix.seconds.most_common(6))
    print(f"  slowest patterns: {slowest}")
    for problem in matrix.found:
        print("  " + problem)

    # Then no request broke a rule
    assert not matrix.found, f"{len(matrix.found)} requests broke a rule, e.g.:\n" + "\n".join(matrix.found[:40])
