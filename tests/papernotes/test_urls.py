"""Endpoints behind the admin's editor widgets are for staff only."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["markdownx_markdownify", "markdownx_upload"])
def test_markdownx_endpoints_refuse_anonymous_users(client, name):
    response = client.post(reverse(name), {"content": "**x**"})
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.django_db
def test_markdown_preview_for_editors_is_sanitised(admin_client):
    response = admin_client.post(reverse("markdownx_markdownify"), {"content": "**太字** <script>alert(1)</script>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>太字</strong>" in html and "<script>" not in html
