"""Users in every role the rules talk about: anonymous, staff without a role, editor, chief editor.

The editor and chief editor are the editorial suite's own (``tests/editorial/conftest.py``).
"""

import pytest

from editorial.roles import CHIEF_EDITOR_GROUP, EDITOR_GROUP
from tests.editorial.conftest import chief_editor, editor, make_user, second_editor

__all__ = ["ROLES", "ROLE_GROUPS", "chief_editor", "editor", "make_user", "second_editor", "staff_without_role"]

ROLES = ("anonymous", "staff_without_role", "editor", "chief_editor")
ROLE_GROUPS = {"staff_without_role": None, "editor": EDITOR_GROUP, "chief_editor": CHIEF_EDITOR_GROUP}


@pytest.fixture
def staff_without_role(db):
    return make_user("rules-staff", None)
