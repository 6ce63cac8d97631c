"""The two editorial roles and what each may do.

Roles are Django groups (created by a migration, kept in step by later ones):
editors edit and review notes; chief editors also run issues (review, ready, schedule,
publish, correct after publication, withdraw) and may override failed checks with a
written reason. Every rule is enforced on the server: the workflow services check
these permissions whoever calls them (admin, command, API), and the admin's
``has_*_permission`` methods use the same ones.
"""

EDITOR_GROUP = "編集者"
CHIEF_EDITOR_GROUP = "編集長"

# Custom permissions (declared on ``WorkflowEvent.Meta``).
REVIEW_NOTE = "editorial.review_note"
MANAGE_ISSUE = "editorial.manage_issue"
PUBLISH_ISSUE = "editorial.publish_issue"
OVERRIDE_CHECKS = "editorial.override_checks"

EDITOR_PERMISSIONS = (
    "papernotes.view_paper",
    "papernotes.view_weeklyissue",
    "papernotes.view_note",
    "papernotes.change_note",
    "papernotes.view_questionanswer",
    "papernotes.add_questionanswer",
    "papernotes.change_questionanswer",
    "papernotes.delete_questionanswer",
    "papernotes.view_passage",
    "papernotes.view_paperingestion",
    "papernotes.view_issuesourcelist",
    "editorial.view_glossaryentry",
    "editorial.add_glossaryentry",
    "editorial.change_glossaryentry",
    "editorial.view_workflowevent",
    "editorial.view_reviewcomment",
    "editorial.add_reviewcomment",
    "editorial.change_reviewcomment",
    "editorial.view_noteassignment",
    "editorial.add_noteassignment",
    "editorial.change_noteassignment",
    "editorial.view_qualityfinding",
    "editorial.view_findingdismissal",
    "editorial.add_findingdismissal",
    REVIEW_NOTE,
)

CHIEF_EDITOR_PERMISSIONS = (
    *EDITOR_PERMISSIONS,
    "papernotes.add_weeklyissue",
    "papernotes.change_weeklyissue",
    "papernotes.add_paper",
    "papernotes.change_paper",
    "papernotes.add_note",
    "papernotes.delete_note",
    "papernotes.view_paperpdf",
    "editorial.delete_glossaryentry",
    "editorial.delete_noteassignment",
    "editorial.view_scheduledpublication",
    "editorial.delete_findingdismissal",
    MANAGE_ISSUE,
    PUBLISH_ISSUE,
    OVERRIDE_CHECKS,
)

ROLE_PERMISSIONS = {EDITOR_GROUP: EDITOR_PERMISSIONS, CHIEF_EDITOR_GROUP: CHIEF_EDITOR_PERMISSIONS}


def sync_role_groups(apps, role_permissions: dict[str, tuple[str, ...]] = ROLE_PERMISSIONS) -> None:
    """Create the role groups and give each its permissions (idempotent; used by migrations).

    ``apps`` is the migration's app registry. Permissions of models are normally created
    after all migrations ran; they are created here first so a fresh database gets
    complete groups.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, permissions in role_permissions.items():
        group, _created = group_model.objects.get_or_create(name=name)
        for dotted in permissions:
            app_label, codename = dotted.split(".", 1)
            permission = permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            group.permissions.add(permission)
