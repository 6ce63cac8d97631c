"""The public doors, tried as an attacker would: odd URLs and bodies get a 400 with a message
(never a 500), admin logins are throttled, API tokens are hashed, shown once and expire,
pasted lists are capped before any work."""

import datetime
import hashlib
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.tokens import api_token_create, api_token_rotate
from papernotes.models import Paper, WeeklyIssue

pytestmark = pytest.mark.django_db


# --- no 500 from any input ---------------------------------------------------------------

BAD_URLS = [
    "/search/?q=abc%00def",
    "/?page=%00",
    "/issues/2024-04-29/?x=%01",
    "/api/v1/papers/2405.01535%00/",
    "/api/v1/notes/?q=%00",
    "/api/v1/notes/?category=cs.CL%00",
    "/api/v1/issues/2024-04-29%00/",
    "/papers/2405.01535/%00",
    "/search/?q=" + "評価" * 1500,
    "/api/v1/notes/?q=" + "a" * 3000,
    "/issues/" + "x" * 2000 + "/",
    "/api/v1/papers/" + "1" * 2000 + "/",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_control_characters_and_overlong_urls_are_a_400_with_a_message(client, archive, url):
    response = client.get(url)

    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response["Content-Type"] == "application/json"
        assert re.search("[ぁ-んァ-ン一-龥]", response.json()["detail"])
    else:
        body = response.content.decode()
        assert "リクエストを処理できません" in body
        assert "制御文字" in body or "長すぎます" in body


def test_json_nested_a_thousand_deep_is_a_400(editor_api):
    body = "[" * 1000 + "]" * 1000

    response = editor_api.post("/api/v1/editorial/issues/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert "入れ子が深すぎます" in response.json()["detail"]
    assert not WeeklyIssue.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        '{"text": ' + "[" * 500 + "]" * 500 + "}",
        '{"text": "2405.01535", "week_start": "2024-04-29"',  # cut off
        b'{"text": "\xff\xfe"}',
        '{"text": NaN}',
    ],
)
def test_broken_json_bodies_are_a_400(editor_api, body):
    response = editor_api.post("/api/v1/editorial/issues/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_body_over_the_cap_is_a_400(editor_api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = editor_api.post("/api/v1/editorial/issues/", data={"text": "2405.01535\n" * 200}, format="json")

    assert response.status_code == 400
    assert "大きすぎます" in response.json()["detail"]


def test_a_host_not_allowed_is_a_japanese_400_even_for_cached_pages(client, archive):
    assert client.get("/issues/2024-04-29/").status_code == 200  # now in the cache

    response = client.get("/issues/2024-04-29/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert "リクエストを処理できません" in response.content.decode()


# --- admin login throttling --------------------------------------------------------------


def _login(client: Client, password: str, **extra):
    return client.post("/admin/login/", {"username": "chief", "password": password}, **extra)


@pytest.fixture
def chief(settings):
    settings.AXES_FAILURE_LIMIT = 5
    return User.objects.create_user("chief", password="correct-horse-battery", is_staff=True)


def test_after_five_wrong_passwords_even_the_right_one_is_refused_for_a_while(chief):
    client = Client()
    for _ in range(4):
        assert _login(client, "wrong").status_code == 200  # the form again, with its error

    locked = _login(client, "wrong")
    assert locked.status_code == 429
    assert "ログインを一時的に停止しています" in locked.content.decode()
    assert "15 分間" in locked.content.decode()

    refused = _login(client, "correct-horse-battery")
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_user_and_address(chief):
    for _ in range(5):
        _login(Client(), "wrong", REMOTE_ADDR="203.0.113.5")

    # the same user from another address, and another user from that address, still log in
    other_address = Client()
    assert _login(other_address, "correct-horse-battery", REMOTE_ADDR="203.0.113.6").status_code == 302
    User.objects.create_user("editor", password="another-long-secret", is_staff=True)
    same_address = Client().post(
        "/admin/login/", {"username": "editor", "password": "another-long-secret"}, REMOTE_ADDR="203.0.113.5"
    )
    assert same_address.status_code == 302


def test_behind_a_proxy_the_client_address_comes_from_it_and_cannot_be_forged(chief, settings):
    # behind one proxy (API_NUM_PROXIES=1) that appends the client's address
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for number in range(5):
        # the attacker sends its own X-Forwarded-For; the proxy appends the real address
        _login(Client(), "wrong", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}, 203.0.113.9")

    assert (
        _login(
            Client(), "correct-horse-battery", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9"
        ).status_code
        == 429
    )
    # another client behind the same proxy is not locked out
    assert (
        _login(
            Client(), "correct-horse-battery", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.10"
        ).status_code
        == 302
    )


def test_the_limit_comes_from_the_environment():
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    script = "from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)"
    env = {**os.environ, "SECRET_KEY": "x", "LOGIN_FAILURE_LIMIT": "3", "LOGIN_LOCKOUT_MINUTES": "60"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.stdout.split()[-2:] == ["3", "1:00:00"]


# --- API tokens ----------------------------------------------------------------------------


def _editor() -> User:
    user = User.objects.create_user("tokens-editor", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_weeklyissue", content_type__app_label="papernotes"))
    return user


def test_a_token_is_stored_hashed_and_works_until_it_expires(client, archive):
    issued = api_token_create(user=_editor(), name="週刊号スクリプト", days=30)
    url = "/api/v1/editorial/issues/2024-04-29/pipeline/"

    # the database holds no usable key
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert issued.key not in stored
    assert issued.token.digest == hashlib.sha256(issued.key.encode()).hexdigest()
    assert issued.key.startswith(issued.token.prefix)

    assert client.get(url, HTTP_AUTHORIZATION=f"Token {issued.key}").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None

    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    expired = client.get(url, HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert expired.status_code == 401
    assert "有効期限が切れています" in expired.json()["detail"]


def test_rotation_ends_the_old_key_at_once(client, archive):
    old = api_token_create(user=_editor(), name="スクリプト")
    new = api_token_rotate(token=old.token)
    url = "/api/v1/editorial/issues/2024-04-29/pipeline/"

    assert client.get(url, HTTP_AUTHORIZATION=f"Token {old.key}").status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION=f"Token {new.key}").status_code == 200
    assert new.token.name == "スクリプト" and new.token.user == old.token.user


def test_the_admin_shows_a_new_token_once_and_never_again(admin_client):
    user = _editor()

    created = admin_client.post(
        "/admin/api/apitoken/add/", {"user": user.pk, "name": "自動作成スクリプト", "days": "7"}
    )

    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    key = re.search(r'<code class="api-token-key">([^<]+)</code>', created.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.expires_at - timezone.now() < datetime.timedelta(days=7, minutes=1)
    # the list, the token's page and the rotation's next page never show it again
    for url in ("/admin/api/apitoken/", f"/admin/api/apitoken/{token.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert key not in page and f"{token.prefix}…" in page
    assert "Set-Cookie" not in str(created.cookies) or key not in str(created.cookies)

    rotated = admin_client.post("/admin/api/apitoken/", {"action": "rotate", "_selected_action": [token.pk]})
    new_key = re.search(r'<code class="api-token-key">([^<]+)</code>', rotated.content.decode()).group(1)
    assert new_key != key
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert new_key not in admin_client.get("/admin/api/apitoken/").content.decode()


def test_existing_plain_text_drf_tokens_are_hashed_by_the_migration(transactional_db):
    """The migration, run against a table as rest_framework.authtoken left it."""
    from importlib import import_module

    from django.apps import apps as global_apps

    migration = import_module("api.migrations.0002_hash_existing_drf_tokens")
    user = User.objects.create_user("legacy", password="x")
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.schema_editor() as editor, connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, user_id integer, created timestamp)'
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, user.pk, timezone.now()])
        migration.hash_drf_tokens(global_apps, editor)
    try:
        token = ApiToken.objects.get(user=user)
        assert token.digest == hashlib.sha256(key.encode()).hexdigest()
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM authtoken_token")
            assert cursor.fetchone()[0] == 0
        user.user_permissions.add(Permission.objects.get(codename="view_weeklyissue"))
        user.is_staff = True
        user.save()
        answer = Client().get("/api/v1/editorial/issues/2024-04-29/pipeline/", HTTP_AUTHORIZATION=f"Token {key}")
        assert answer.status_code == 404  # authenticated: that week has no issue
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")


# --- pasted lists ---------------------------------------------------------------------------


@pytest.mark.parametrize("lines", [6_000, 10_000])
def test_a_paste_of_thousands_of_lines_is_refused_before_any_work(editor_api, lines):
    text = "\n".join(f"{number}.{number}" for number in range(lines))  # short lines

    response = editor_api.post("/api/v1/editorial/issues/", {"text": text, "week_start": "2024-04-29"}, format="json")

    assert response.status_code == 400
    assert f"行数が多すぎます({lines:,} 行。5,000 行まで)" in response.json()["detail"]
    assert not WeeklyIssue.objects.exists() and not Paper.objects.exists()


def test_more_papers_than_a_week_holds_are_refused_before_any_row_is_written(editor_api, settings):
    settings.PAPER_LIST_MAX_PAPERS = 50
    text = "\n".join(f"2405.{number:05d}" for number in range(1, 52))

    response = editor_api.post("/api/v1/editorial/issues/", {"text": text, "week_start": "2024-04-29"}, format="json")

    assert response.status_code == 400
    assert "50 本まで" in response.json()["detail"]
    assert not WeeklyIssue.objects.exists() and not Paper.objects.exists()


def test_the_admin_paste_says_why_on_the_form(admin_client, settings):
    settings.PAPER_LIST_MAX_LINES = 100
    text = "\n".join(f"2405.{number:05d}" for number in range(1, 200))

    response = admin_client.post(
        "/admin/papernotes/weeklyissue/new-from-list/", {"text": text, "week_start": "2024-04-29"}
    )

    assert response.status_code == 200
    assert "行数が多すぎます(199 行。100 行まで)" in response.content.decode()
    assert not WeeklyIssue.objects.exists()


# --- throttling before the cache ------------------------------------------------------------


def test_public_renders_are_throttled_per_address_while_stored_answers_stay_cheap(client, archive, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/minute"}}
    address = {"REMOTE_ADDR": "198.51.100.7"}
    # given a client that made two renders (two filters nobody asked for before)
    assert client.get("/api/v1/notes/?category=cs.CL", **address).status_code == 200
    assert client.get("/api/v1/notes/?category=cs.LG", **address).status_code == 200

    # then a third render is refused, in Japanese, with when to come back...
    refused = client.get("/api/v1/notes/?category=cs.AI", **address)
    assert refused.status_code == 429
    assert "リクエストが多すぎます" in refused.json()["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    # ...while what is stored is served as a static file would be, and another address renders
    assert client.get("/api/v1/notes/?category=cs.CL", **address).status_code == 200
    assert client.get("/api/v1/notes/?category=cs.AI", REMOTE_ADDR="198.51.100.8").status_code == 200
