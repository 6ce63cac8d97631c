"""Users in every role the rules talk about: anonymous, staff without a role, editor, chief editor."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from editorial.roles import CHIEF_EDITOR_GROUP, EDITOR_GROUP, sync_role_groups

ROLES = ("anonymous", "staff_without_role", "editor", "chief_editor")
ROLE_GROUPS = {"staff_without_role": None, "editor": EDITOR_GROUP, "chief_editor": CHIEF_EDITOR_GROUP}


def make_user(username: str, group: str | None):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=True)
    if group:
        if not Group.objects.filter(name=group).exists():
            sync_role_groups()
        user.groups.add(Group.objects.get(name=group))
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached permissions


@pytest.fixture
def editor(db):
    return make_user("rules-editor", EDITOR_GROUP)


@pytest.fixture
def second_editor(db):
    return make_user("rules-editor-2", EDITOR_GROUP)


@pytest.fixture
def chief_editor(db):
    return make_user("rules-chief", CHIEF_EDITOR_GROUP)


@pytest.fixture
def staff_without_role(db):
    return make_user("rules-staff", None)
