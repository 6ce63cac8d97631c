"""Template helpers of the editors' screens."""

import pytest
from django.urls import reverse

from editorial.templatetags.editorial_tags import keep_dates
from tests.factories import NoteFactory


def test_keep_dates_escapes_and_keeps_each_iso_date_on_one_line():
    assert keep_dates("<b>【2024-04-29~ 2024-05-05】</b>") == (
        '&lt;b&gt;【<span class="nowrap">2024-04-29</span>~ <span class="nowrap">2024-05-05</span>】&lt;/b&gt;'
    )


@pytest.mark.django_db
def test_change_form_subtitles_keep_their_dates_whole(admin_client):
    # given a note of the week of 2024-04-29
    note = NoteFactory(issue__week_start="2024-04-29", paper__title="A <Study>")

    # when its review screen and its issue's page are opened
    pages = [
        admin_client.get(reverse("admin:papernotes_note_change", args=[note.pk])).content.decode(),
        admin_client.get(reverse("admin:papernotes_weeklyissue_change", args=[note.issue.pk])).content.decode(),
    ]

    # then each subtitle holds the date unbreakable, and the title escaped
    assert '<h2><span class="nowrap">2024-04-29</span> #' in pages[0]
    assert "A &lt;Study&gt;</h2>" in pages[0]
    assert '【<span class="nowrap">2024-04-29</span>' in pages[1]
