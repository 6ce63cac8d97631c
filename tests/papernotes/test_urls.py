"""Endpoints behind the admin's editor widgets: preview for staff only, uploads switched off."""

import io

import pytest
from django.urls import reverse
from PIL import Image


@pytest.mark.django_db
def test_markdown_preview_refuses_anonymous_users(client):
    response = client.post(reverse("markdownx_markdownify"), {"content": "**x**"})
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.django_db
def test_markdown_preview_for_editors_is_sanitised(admin_client):
    response = admin_client.post(reverse("markdownx_markdownify"), {"content": "**太字** <script>alert(1)</script>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>太字</strong>" in html and "<script>" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "editor"])
def test_image_upload_is_switched_off_and_stores_nothing(client, admin_client, settings, who):
    # given a valid PNG, from an anonymous user or from an editor
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "figure.png"
    poster = admin_client if who == "editor" else client

    # when it is posted to markdownx's upload URL
    response = poster.post(reverse("markdownx_upload"), {"image": buffer})

    # then it is refused with a Japanese message and no file is written
    assert response.status_code == 403
    assert "画像のアップロードは無効になっています。" in response.json()["error"]
    assert not any(settings.MEDIA_ROOT.rglob("*")) if settings.MEDIA_ROOT.exists() else True
