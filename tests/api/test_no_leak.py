"""No draft ever reaches an anonymous reader or API client.

With unpublished issues in every state, unapproved notes in a published issue and a
withdrawn issue in the database, every public URL pattern is requested with every week,
paper and category the database has, plus searches and filters that would match the
secrets; then every link the pages show is followed. Nothing may contain the secret.
"""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from papernotes.models import Paper, WeeklyIssue
from tests.api.conftest import SECRET

pytestmark = pytest.mark.django_db

# Patterns that are not public reads: the admin, the editors' widgets, editorial endpoints.
PRIVATE_PREFIXES = ("admin/", "markdownx/", "api/v1/editorial/")
QUERIES = [
    "",
    "?page=2",
    "?q=SECRET",
    "?q=評価",
    "?q=SECRET 評価",
    "?category=cs.CL",
    "?week=2024-05-06",
    # what an attacker tries: control characters, empty and broken values, very long values
    "?q=abc%00def",
    "?page=%00",
    "?week=",
    "?page_size=0",
    "?q=" + "評" * 3000,
]


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def _fill(route: str, values: dict[str, list[str]]) -> list[str]:
    """Every URL of a route pattern, with each placeholder taking every known value."""
    route = route.lstrip("^").rstrip("$").replace("\\.", ".")
    urls = [route]
    for name, choices in values.items():
        placeholder = re.compile(rf"<(?:\w+:)?{name}>|\(\?P<{name}>[^)]*\)")
        urls = (
            [placeholder.sub(choice, url, count=1) for url in urls for choice in choices]
            if any(placeholder.search(url) for url in urls)
            else urls
        )
    return ["/" + url for url in urls]


def test_every_public_url_and_endpoint_hides_drafts(client, archive):
    values = {
        "week": [issue.week_start.isoformat() for issue in WeeklyIssue.objects.all()],
        "arxiv_id": list(Paper.objects.values_list("arxiv_id", flat=True)),
        "code": ["cs.CL", "cs.LG"],
        "token": ["x"],  # the subscriber pages: a link that is not one (404)
        "section": ["pages", "issues", "papers"],
    }
    public_routes = [route for route in _patterns() if not route.replace("^", "").startswith(PRIVATE_PREFIXES)]
    urls = set()
    for route in public_routes:
        filled = _fill(route, values)
        assert all("<" not in url and "(?P" not in url for url in filled), f"no values for {route}"
        urls.update(url + query for url in filled for query in QUERIES)
        urls.update(url.rstrip("/") + "%00/" for url in filled if url.endswith("/"))

    seen, queue = set(), sorted(urls)
    while queue:
        url = queue.pop()
        if url in seen or len(seen) > 3000:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, url
        if "%00" in url or len(url) > 2048:
            assert response.status_code in (400, 404), url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert SECRET.encode() not in body, url
        if response.get("Content-Type", "").startswith("text/html"):
            for href in re.findall(r'href="([^"#]+)', body.decode()):
                target = urlsplit(urljoin(url, href.replace("&amp;", "&")))
                if not target.netloc and target.path.startswith("/") and not target.path.startswith("/admin"):
                    queue.append(target.path + (f"?{target.query}" if target.query else ""))

    # the hidden weeks were asked for, and answered 404 (410 for the withdrawn one)
    for week in archive["hidden_weeks"]:
        assert client.get(f"/issues/{week}/").status_code in (404, 410)
        assert client.get(f"/api/v1/issues/{week}/").status_code == 404
    assert len(seen) > 200
