"""API permissions: nothing is open unless a view says so; editorial endpoints need editors.

There are no editor groups on main yet, so an editor is an active staff user with the
model permission the endpoint names (the admin's rule); switch to the groups of the
editorial workflow when they land.
"""

from rest_framework.permissions import BasePermission


class DenyAll(BasePermission):
    """The default (``REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES']``): a view that forgets
    to declare who may use it is closed, not open."""

    def has_permission(self, request, view) -> bool:
        return False


class EditorPermission(BasePermission):
    """An authenticated, active staff user holding ``view.required_permission``."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        return user.has_perm(view.required_permission)
