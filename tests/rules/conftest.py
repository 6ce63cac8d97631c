"""Users in every role the rules talk about: anonymous, staff without a role, editor, chief editor.

The editor and chief editor are the shared ones of ``tests.support.users``.
"""

import pytest

from editorial.roles import CHIEF_EDITOR_GROUP, EDITOR_GROUP
from tests.support.users import make_user

ROLES = ("anonymous", "staff_without_role", "editor", "chief_editor")
ROLE_GROUPS = {"staff_without_role": None, "editor": EDITOR_GROUP, "chief_editor": CHIEF_EDITOR_GROUP}


@pytest.fixture
def staff_without_role(db):
    return make_user("rules-staff", None)
