"""Caches that follow public content: ETags and Last-Modified change when, and only when,
what readers see changes; a later commit always makes a newer ETag; a miss is rendered once.

Every public page and API read is requested as a reader's browser or a CDN would, keeping
its ETag and Last-Modified, and revalidated after each kind of write.
"""

import datetime
import gzip
import re
import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from papernotes import stamps
from papernotes.caching import build_once
from papernotes.ingestion.services import issue_create_from_list
from papernotes.models import IssueState, Note, NoteState, Paper, PaperIngestion, QuestionAnswer, WeeklyIssue
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory, set_issue_state

MONDAY = datetime.date(2024, 4, 29)
NEXT_MONDAY = MONDAY + datetime.timedelta(weeks=1)

PUBLIC_URLS = [
    "/",
    "/issues/2024-04-29/",
    "/issues/2024-04-29.txt",
    "/issues/2024-04-29.md",
    "/papers/2405.01535/",
    "/categories/",
    "/categories/cs.CL/",
    "/feed.atom",
    "/sitemap.xml",
    "/sitemap-issues.xml",
    "/api/v1/issues/",
    "/api/v1/issues/2024-04-29/",
    "/api/v1/notes/",
    "/api/v1/papers/2405.01535/",
]


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute"}}


def _published_week() -> WeeklyIssue:
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    paper = PaperFactory(arxiv_id="2405.01535", title="Prometheus 2", categories=["cs.CL"])
    note = NoteFactory(issue=issue, paper=paper, position=1, state=NoteState.APPROVED)
    QuestionAnswerFactory(note=note, position=1, answer="公開された回答です.")
    return issue


def _validators(client: Client) -> dict[str, tuple[str, str]]:
    seen = {}
    for url in PUBLIC_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        seen[url] = (response["ETag"], response["Last-Modified"])
    return seen


def _all_revalidate(client: Client, seen: dict[str, tuple[str, str]]) -> None:
    for url, (etag, last_modified) in seen.items():
        assert client.get(url, headers={"if-none-match": etag}).status_code == 304, url
        assert client.get(url, headers={"if-modified-since": last_modified}).status_code == 304, url


# --- unpublished work leaves public validators alone ----------------------------------------


@pytest.mark.django_db
def test_unpublished_saves_machine_drafts_and_ingestion_leave_every_public_etag_alone(client):
    # given a published week that readers, the feed, the sitemap and API clients have cached
    issue = _published_week()
    hidden = NoteFactory(issue=issue, position=2, state=NoteState.IN_REVIEW, paper=PaperFactory(categories=["cs.CL"]))
    QuestionAnswerFactory(note=hidden, position=1)
    draft_issue = WeeklyIssueFactory(week_start=NEXT_MONDAY, state=IssueState.IN_REVIEW)
    draft = NoteFactory(issue=draft_issue, position=1, state=NoteState.DRAFTED)
    draft_qa = QuestionAnswerFactory(note=draft, position=1)
    before = _validators(client)

    # when editors and machines work on what readers do not see
    draft.summary = "編集中の要約."
    draft.save()  # a draft of an unpublished issue
    draft_qa.answer = "編集中の回答."
    draft_qa.save()
    draft_issue.intro = "まだ公開していない前書き."
    draft_issue.save()
    hidden.abstract_ja = "レビュー中のノートの編集."
    hidden.save()  # a note of the published issue that is not approved
    public_note = issue.notes.get(position=1)
    public_note.summary_machine_draft = "機械の提案(編集者の文章の横に置かれる)."
    public_note.save()  # a machine draft kept beside an editor's text
    public_qa = public_note.qas.get()
    public_qa.search_terms = ["evaluation"]
    public_qa.save()
    draft.paper.title = "Re-ingested Title"
    draft.paper.save()  # ingestion of a paper only an unpublished issue shows
    PaperIngestion.objects.create(paper=draft.paper)
    issue_create_from_list(text="2405.04434", week_start=NEXT_MONDAY + datetime.timedelta(weeks=1))
    Note.objects.filter(pk=hidden.pk).update(summary="一括更新(未承認)")
    QuestionAnswer.objects.filter(note=draft).update(position=5)
    issue.save()  # a save that changes nothing readers see

    # then every public URL still has the same validators, and revalidates to 304
    assert _validators(client) == before
    _all_revalidate(client, before)


# --- public changes reach readers at once ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    ["answer corrected", "note edited", "note unapproved", "issue corrected", "notes reordered", "qa reordered"],
)
def test_each_public_change_makes_new_validators_for_the_issue_page_and_its_lists(client, change):
    # given a published issue, cached
    issue = _published_week()
    old = client.get("/issues/2024-04-29/")
    old_api = client.get("/api/v1/issues/2024-04-29/")

    # when public content changes, through a save or an update() (which sends no signal)
    note = issue.notes.get()
    if change == "answer corrected":
        qa = note.qas.get()
        qa.answer = "訂正された回答です."
        qa.save()
    elif change == "note edited":
        note.summary = "訂正された要約."
        note.save()
    elif change == "note unapproved":
        Note.objects.filter(pk=note.pk).update(state=NoteState.IN_REVIEW)
    elif change == "issue corrected":
        set_issue_state(issue, IssueState.CORRECTED, corrected_at=datetime.datetime(2024, 5, 8, tzinfo=datetime.UTC))
    elif change == "notes reordered":
        issue.notes.update(position=7)
    else:
        note.qas.update(position=3)

    # then the page and its API twin answer with new content and new validators
    new = client.get("/issues/2024-04-29/", headers={"if-none-match": old["ETag"]})
    assert new.status_code == 200
    assert new["ETag"] != old["ETag"]
    assert new["Last-Modified"] != old["Last-Modified"]
    assert client.get("/issues/2024-04-29/", headers={"if-modified-since": old["Last-Modified"]}).status_code == 200
    assert client.get("/api/v1/issues/2024-04-29/", headers={"if-none-match": old_api["ETag"]}).status_code == 200


@pytest.mark.django_db
def test_a_change_to_one_issue_leaves_other_issues_pages_alone(client):
    # given two published issues
    _published_week()
    other = WeeklyIssueFactory(week_start=MONDAY - datetime.timedelta(weeks=1), published=True)
    other_note = NoteFactory(issue=other, position=1, state=NoteState.APPROVED)
    old = client.get("/issues/2024-04-29/")
    old_other = client.get(other.get_absolute_url())
    old_home = client.get("/")

    # when a note of the other issue is corrected
    other_note.summary = "訂正."
    other_note.save()

    # then this issue's page is confirmed, while the other's and the home page are new
    assert client.get("/issues/2024-04-29/", headers={"if-none-match": old["ETag"]}).status_code == 304
    assert client.get(other.get_absolute_url(), headers={"if-none-match": old_other["ETag"]}).status_code == 200
    assert client.get("/", headers={"if-none-match": old_home["ETag"]}).status_code == 200


# --- monotonic across out-of-order commits ------------------------------------------------


def _correct_in_thread(qa_id: int, answer: str, saved: threading.Event, release: threading.Event, errors: list):
    try:
        with transaction.atomic():
            qa = QuestionAnswer.objects.get(pk=qa_id)
            qa.answer = answer
            qa.save()
            saved.set()
            assert release.wait(20)
    except Exception as error:  # reported to the test
        errors.append(error)
        saved.set()
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_a_correction_committed_after_a_later_one_still_makes_a_new_etag(settings):
    """Two real transactions on PostgreSQL: A saves first and commits last. A reader renders
    between the commits (B's correction, not yet A's); A's commit must still change the ETag."""
    if connection.vendor != "postgresql":
        pytest.skip("needs two concurrent writers: PostgreSQL (SQLite serialises whole write transactions)")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute"}}
    # given a published issue with two answers, cached by a reader
    issue = _published_week()
    note = issue.notes.get()
    second = QuestionAnswerFactory(note=note, position=2, answer="二つ目の回答です.")
    first = note.qas.get(position=1)
    reader = Client()
    assert reader.get("/issues/2024-04-29/").status_code == 200

    # when correction A saves first and stays open...
    saved, release, errors = threading.Event(), threading.Event(), []
    thread = threading.Thread(target=_correct_in_thread, args=(first.pk, "訂正A.", saved, release, errors))
    thread.start()
    assert saved.wait(20) and not errors
    # ...correction B saves later and commits first, and a reader renders the page in between
    with transaction.atomic():
        second.answer = "訂正B."
        second.save()
    between = reader.get("/issues/2024-04-29/")
    assert "訂正B." in between.content.decode() and "訂正A." not in between.content.decode()
    assert reader.get("/issues/2024-04-29/", headers={"if-none-match": between["ETag"]}).status_code == 304
    # ...then A commits
    release.set()
    thread.join(20)
    assert not errors

    # then the copy rendered in between is no longer confirmed, by ETag or by date
    after = reader.get("/issues/2024-04-29/", headers={"if-none-match": between["ETag"]})
    assert after.status_code == 200
    assert "訂正A." in after.content.decode() and "訂正B." in after.content.decode()
    assert after["ETag"] != between["ETag"]
    since = reader.get("/issues/2024-04-29/", headers={"if-modified-since": between["Last-Modified"]})
    assert since.status_code == 200
    api = reader.get("/api/v1/issues/2024-04-29/")
    assert [qa["answer"] for qa in api.json()["notes"][0]["qas"]] == ["訂正A.", "訂正B."]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_public_change_bumps_nothing(client):
    # given a published issue, cached
    issue = _published_week()
    old = client.get("/issues/2024-04-29/")

    # when a correction is rolled back
    with pytest.raises(RuntimeError), transaction.atomic():
        note = issue.notes.get()
        note.summary = "取り消される訂正."
        note.save()
        raise RuntimeError("editor cancelled")

    # then the cached copy is still current
    assert client.get("/issues/2024-04-29/", headers={"if-none-match": old["ETag"]}).status_code == 304


@pytest.mark.django_db
def test_versions_only_grow_and_change_times_move_by_at_least_a_second():
    stamps.bump({"issue:2024-04-29"})
    first = stamps.stamp_of(["issue:2024-04-29"])
    stamps.bump({"issue:2024-04-29"})
    second = stamps.stamp_of(["issue:2024-04-29"])

    assert int(second.token.split("=")[1]) > int(first.token.split("=")[1])
    assert second.last_modified - first.last_modified >= datetime.timedelta(seconds=1)


# --- 304 only for what exists, Host, compression ---------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/issues/2024-05-06/",
        "/issues/2024-05-06.txt",
        "/papers/2405.09999/",
        "/categories/cs.XX/",
        "/?page=9",
        "/api/v1/issues/2024-05-06/",
        "/api/v1/papers/2405.09999/",
    ],
)
def test_nothing_that_does_not_exist_answers_304(client, url):
    _published_week()
    far_future = "Fri, 01 Jan 2100 00:00:00 GMT"
    # a request for the page first, so that whatever could be stored is stored
    client.get(url)

    response = client.get(url, headers={"if-modified-since": far_future})

    assert response.status_code == 404


@pytest.mark.django_db
def test_a_withdrawn_issue_is_410_and_never_304(client):
    issue = _published_week()
    old = client.get("/issues/2024-04-29/")
    set_issue_state(issue, IssueState.WITHDRAWN)

    for headers in ({"if-none-match": old["ETag"]}, {"if-modified-since": "Fri, 01 Jan 2100 00:00:00 GMT"}):
        assert client.get("/issues/2024-04-29/", headers=headers).status_code == 410


@pytest.mark.django_db
def test_an_unknown_host_is_refused_before_the_cache_and_each_host_has_its_own_pages(settings):
    settings.ALLOWED_HOSTS = ["notes.example.org", "mirror.example.org"]
    _published_week()
    client = Client()
    main = client.get("/sitemap-issues.xml", HTTP_HOST="notes.example.org")
    assert main.status_code == 200
    assert client.get("/sitemap-issues.xml", HTTP_HOST="notes.example.org").status_code == 200  # cached now

    # a host not allowed gets a 400, whether the page is cached or not
    assert client.get("/sitemap-issues.xml", HTTP_HOST="evil.example").status_code == 400
    assert client.get("/issues/2024-04-29/", HTTP_HOST="evil.example").status_code == 400
    assert client.get("/api/v1/issues/", HTTP_HOST="evil.example").status_code == 400
    # and another allowed host gets its own page, not the first host's
    mirror = client.get("/sitemap-issues.xml", HTTP_HOST="mirror.example.org")
    assert "mirror.example.org" in mirror.content.decode() and "notes.example.org" not in mirror.content.decode()
    assert mirror["ETag"] != main["ETag"]
    refused = client.get("/sitemap-issues.xml", HTTP_HOST="mirror.example.org", HTTP_IF_NONE_MATCH=main["ETag"])
    assert refused.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/issues/2024-04-29/", "/feed.atom", "/sitemap.xml", "/api/v1/issues/2024-04-29/"])
def test_pages_are_compressed_for_clients_that_accept_gzip(client, url):
    _published_week()
    plain = client.get(url)

    for _ in range(2):  # rendered, then from the cache
        packed = client.get(url, headers={"accept-encoding": "gzip, deflate, br"})
        assert packed["Content-Encoding"] == "gzip"
        assert gzip.decompress(packed.content) == plain.content
        assert packed["Vary"] == "Accept-Encoding"
        assert packed["ETag"] == f"W/{plain['ETag']}"
        assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content)
    assert "Content-Encoding" not in plain and plain["Vary"] == "Accept-Encoding"
    assert client.get(url, headers={"accept-encoding": "gzip;q=0"}).content == plain.content
    not_modified = client.get(url, headers={"accept-encoding": "gzip", "if-none-match": packed["ETag"]})
    assert not_modified.status_code == 304


@pytest.mark.django_db
def test_the_admin_is_never_compressed(admin_client):
    response = admin_client.get("/admin/", headers={"accept-encoding": "gzip"})

    assert response.status_code == 200
    assert "Content-Encoding" not in response


# --- the API like the pages --------------------------------------------------------------


@pytest.mark.django_db
def test_public_api_responses_are_cached_like_pages_without_cookies(client, django_assert_num_queries):
    _published_week()
    first = client.get("/api/v1/issues/")

    assert first["Cache-Control"] == "public, max-age=0, s-maxage=60"
    assert "Cookie" not in first.get("Vary", "") and not first.cookies
    with django_assert_num_queries(1):  # the stamps only
        again = client.get("/api/v1/issues/")
    assert again.content == first.content
    with django_assert_num_queries(1):
        assert client.get("/api/v1/issues/", headers={"if-none-match": first["ETag"]}).status_code == 304
    # a client sending credentials gets the same public response
    token = client.get("/api/v1/issues/", headers={"authorization": "Token whatever"})
    assert token.status_code == 200 and token.content == first.content


# --- rendering once ------------------------------------------------------------------------


def test_a_miss_is_built_once_while_concurrent_requests_wait_for_it(settings):
    settings.READER_RENDER_WAIT = 5
    builds, results = [], []
    start = threading.Barrier(8)

    def build():
        builds.append(1)
        threading.Event().wait(0.3)  # a slow render
        return {"page": "rendered"}, None

    def request():
        start.wait()
        results.append(build_once(f"test-build-once-{id(builds)}", build)[0])

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert len(builds) == 1
    assert results == [{"page": "rendered"}] * 8


# --- the CDN purge hook ------------------------------------------------------------------------


@pytest.mark.django_db
def test_publication_correction_and_withdrawal_purge_their_urls_at_the_cdn(settings, eager_tasks):
    from tests.support.purge_server import PurgeServer

    with PurgeServer() as server:
        settings.CDN_PURGE_URL = server.url
        settings.CDN_PURGE_TOKEN = "cdn-secret"
        settings.PUBLIC_BASE_URL = "https://notes.example.org"
        # given an issue being prepared: nothing is purged while it is unpublished
        issue = WeeklyIssueFactory(week_start=MONDAY, state=IssueState.READY)
        NoteFactory(issue=issue, position=1, state=NoteState.APPROVED, paper=PaperFactory(arxiv_id="2405.01535"))
        assert server.requests == []

        # when it is published, corrected and withdrawn
        set_issue_state(issue, IssueState.PUBLISHED, published_at=datetime.datetime(2024, 5, 6, tzinfo=datetime.UTC))
        set_issue_state(issue, IssueState.CORRECTED, corrected_at=datetime.datetime(2024, 5, 8, tzinfo=datetime.UTC))
        set_issue_state(issue, IssueState.WITHDRAWN)

    # then the CDN was told each time, with the issue's, its paper's and the lists' URLs
    assert len(server.requests) == 3
    for headers, body in server.requests:
        assert headers["Authorization"] == "Bearer cdn-secret"
        urls = body["urls"]
        for path in ("/issues/2024-04-29/", "/issues/2024-04-29.txt", "/papers/2405.01535/", "/", "/feed.atom"):
            assert f"https://notes.example.org{path}" in urls
        assert "https://notes.example.org/api/v1/issues/2024-04-29/" in urls


@pytest.mark.django_db
def test_a_purge_command_gets_the_urls_as_arguments(settings, eager_tasks, tmp_path):
    out = tmp_path / "purged.txt"
    script = tmp_path / "purge.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> {out}\n')
    script.chmod(0o755)
    settings.CDN_PURGE_COMMAND = str(script)

    _published_week()

    purged = out.read_text().split()
    assert "/issues/2024-04-29/" in purged and "/papers/2405.01535/" in purged


@pytest.mark.django_db
def test_without_a_purge_setting_nothing_is_sent(settings, eager_tasks):
    from tests.support.purge_server import PurgeServer

    with PurgeServer() as server:
        settings.CDN_PURGE_URL = ""
        _published_week()
    assert server.requests == []
    assert Paper.objects.filter(arxiv_id="2405.01535").exists()


@pytest.mark.django_db(transaction=True)
def test_one_transaction_bumps_once_after_commit_and_a_rolled_back_one_never():
    # given two published issues
    _published_week()
    other = WeeklyIssueFactory(week_start=MONDAY - datetime.timedelta(weeks=1), published=True)
    other_note = NoteFactory(issue=other, position=1, state=NoteState.APPROVED)
    bumps = []

    def record(sender, keys, **kwargs):
        bumps.append(keys)

    stamps.public_content_changed.connect(record)
    try:
        # when a correction of the other issue is rolled back...
        with pytest.raises(RuntimeError), transaction.atomic():
            other_note.summary = "取り消される訂正."
            other_note.save()
            raise RuntimeError
        assert bumps == []
        # ...and one transaction corrects three texts of this issue
        with transaction.atomic():
            note = Note.objects.get(issue__week_start=MONDAY)
            note.summary = "訂正された要約."
            note.save()
            for qa in note.qas.all():
                qa.answer = "訂正された回答."
                qa.save()
            assert bumps == []  # nothing before the commit
    finally:
        stamps.public_content_changed.disconnect(record)

    # then one bump follows the commit, with this issue's keys and not the rolled-back one's
    assert len(bumps) == 1
    assert {"issue:2024-04-29", "paper:2405.01535", "archive", "feed"} <= bumps[0]
    assert stamps.issue_key(other.week_start) not in bumps[0]


@pytest.mark.django_db
def test_while_one_request_renders_a_new_version_the_others_get_the_previous_one_at_once(client):
    from django.core.cache import cache
    from django.test import RequestFactory

    from papernotes.caching import _etag

    # given a published issue whose page is cached, then corrected
    issue = _published_week()
    old = client.get("/issues/2024-04-29/")
    qa = issue.notes.get().qas.get()
    qa.answer = "訂正された回答です."
    qa.save()
    # and another request rendering the new version right now (it holds the page's lock)
    stamp = stamps.stamp_of([stamps.issue_key(MONDAY), stamps.ISSUE_SET])
    new_key = "page:" + _etag(RequestFactory().get("/issues/2024-04-29/"), "testserver", (), stamp.token)
    assert cache.add(f"lock:{new_key}", 1, timeout=30)

    # when a reader asks meanwhile, they get the previous version at once, marked so that
    # nothing keeps or confirms it
    meanwhile = client.get("/issues/2024-04-29/", headers={"if-none-match": old["ETag"]})
    assert meanwhile.status_code == 200
    assert meanwhile.content == old.content
    assert "ETag" not in meanwhile and "Last-Modified" not in meanwhile
    assert meanwhile["Cache-Control"] == "no-store"

    # and once the render is done, the new version with its new ETag
    cache.delete(f"lock:{new_key}")
    fresh = client.get("/issues/2024-04-29/", headers={"if-none-match": old["ETag"]})
    assert fresh.status_code == 200
    assert "訂正された回答です." in re.sub(r"<[^>]+>", "", fresh.content.decode())
    assert fresh["ETag"] != old["ETag"]
