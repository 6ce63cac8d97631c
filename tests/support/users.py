"""Users in the two editorial roles, as the role migration sets them up (a pytest plugin,
``tests/conftest.py``: every test package can ask for ``editor``, ``chief_editor``…)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from editorial.roles import CHIEF_EDITOR_GROUP, EDITOR_GROUP, sync_role_groups

PASSWORD = "correct-horse-battery"


def make_user(username: str, group: str | None) -> object:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    if group:
        if not Group.objects.filter(name=group).exists():
            # A transactional test (live_server) flushed the groups the migration made.
            sync_role_groups()
        user.groups.add(Group.objects.get(name=group))
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached permissions


@pytest.fixture
def editor(db):
    return make_user("hanako", EDITOR_GROUP)


@pytest.fixture
def second_editor(db):
    return make_user("taro", EDITOR_GROUP)


@pytest.fixture
def chief_editor(db):
    return make_user("chief", CHIEF_EDITOR_GROUP)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def chief_client(client, chief_editor):
    client.force_login(chief_editor)
    return client
