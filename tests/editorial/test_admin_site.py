"""What the editors' admin leaves out."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_admin_shows_no_english_scheduler_screens(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()

    assert "Periodic tasks" not in page and "Crontabs" not in page
    assert admin_client.get("/admin/django_celery_beat/periodictask/").status_code == 404
