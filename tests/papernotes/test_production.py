"""Production settings from the environment: ``check --deploy`` is clean, HTTPS and secure
cookies are the defaults when DEBUG is off, and every page carries a Content-Security-Policy."""

import os
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.conftest import REPO

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k2v9Jq7yN4bXr1sT8uW3zE6pLmA0cD5fGhI9oPqRsTuVwXyZ12345",
    "ALLOWED_HOSTS": "notes.example.org",
    "DATABASE_URL": "sqlite:////tmp/papernotes-deploy-check.sqlite3",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=keep | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings_from_the_environment():
    # given only what an operator must set: DEBUG off, a secret key, the host name
    result = _manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)

    # then Django's deployment checklist has nothing to say
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_each_security_setting_can_be_turned_off_from_the_environment():
    # given an operator behind a proxy that terminates TLS and redirects itself
    script = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_PROXY_SSL_HEADER)"
    )
    result = _manage(
        "shell",
        "-c",
        script,
        **PRODUCTION,
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        SECURE_PROXY_SSL_HEADER="true",
    )

    # then the settings follow the environment, and check --deploy says so
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "False",
        "0",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
    warned = _manage("check", "--deploy", **PRODUCTION, SECURE_SSL_REDIRECT="false")
    assert "security.W008" in warned.stderr + warned.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["papernotes:home", "admin:login", "api:issue-list"])
def test_pages_carry_a_content_security_policy_without_inline_script(client, url_name):
    response = client.get(reverse(url_name))

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_reader_pages_have_no_inline_script_or_style(client):
    from tests.factories import NoteFactory, QuestionAnswerFactory, WeeklyIssueFactory

    issue = WeeklyIssueFactory(published=True)
    QuestionAnswerFactory(note=NoteFactory(issue=issue, position=1, state="approved"), position=1)

    for url in (reverse("papernotes:home"), issue.get_absolute_url(), reverse("papernotes:search") + "?q=研究"):
        html = client.get(url).content.decode()
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert " on" + "click=" not in html


@pytest.mark.django_db
def test_pages_from_the_cache_and_revalidations_carry_the_same_security_headers(client):
    from django.test import Client

    from tests.factories import NoteFactory, WeeklyIssueFactory

    # given a published issue whose page one web process has rendered and stored
    issue = WeeklyIssueFactory(published=True)
    NoteFactory(issue=issue, position=1, state="approved")
    rendered = client.get(issue.get_absolute_url())
    policy = rendered["Content-Security-Policy"]
    assert "default-src 'self'" in policy and rendered["X-Frame-Options"] == "DENY"

    # when another process (a fresh handler) serves it from the shared cache, twice, and
    # then answers a revalidation
    other = Client()
    responses = [other.get(issue.get_absolute_url()) for _ in range(2)]
    responses.append(other.get(issue.get_absolute_url(), headers={"if-none-match": rendered["ETag"]}))

    # then every response carries the policy and the frame rule of the rendered page
    assert [response.status_code for response in responses] == [200, 200, 304]
    for response in responses:
        assert response["Content-Security-Policy"] == policy
        assert response["X-Frame-Options"] == "DENY"
    assert responses[1].content == rendered.content
