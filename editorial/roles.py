"""The two editorial roles and what each may do.

Roles are Django groups (created by a migration, kept in step by later ones):
editors edit and review notes; chief editors also run issues (review, ready, schedule,
publish, correct after publication, withdraw) and may override failed checks with a
written reason. Every rule is enforced on the server: the workflow services check
these permissions whoever calls them (admin, command, API), and the admin's
``has_*_permission`` methods use the same ones.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

EDITOR_GROUP = "編集者"
CHIEF_EDITOR_GROUP = "編集長"

# Custom permissions (declared on ``WorkflowEvent.Meta``).
REVIEW_NOTE = "editorial.review_note"
MANAGE_ISSUE = "editorial.manage_issue"
PUBLISH_ISSUE = "editorial.publish_issue"
OVERRIDE_CHECKS = "editorial.override_checks"
# Email delivery (declared on ``papernotes.Mailing``): start, re-send a correction, resolve unknowns.
SEND_MAILING = "papernotes.send_mailing"

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
    "papernotes.view_llmcall",  # the review screen links a note's LLM calls and their cost
    "papernotes.view_glossaryentry",
    "papernotes.add_glossaryentry",
    "papernotes.change_glossaryentry",
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
    "papernotes.view_newsletterissue",
    "papernotes.view_mailing",
    "papernotes.view_sendlog",
    "papernotes.view_subscriber",
    "papernotes.view_deliveryevent",
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
    "papernotes.delete_glossaryentry",
    "editorial.delete_noteassignment",
    "editorial.view_scheduledpublication",
    "editorial.delete_findingdismissal",
    SEND_MAILING,
    MANAGE_ISSUE,
    PUBLISH_ISSUE,
    OVERRIDE_CHECKS,
)

ROLE_PERMISSIONS = {EDITOR_GROUP: EDITOR_PERMISSIONS, CHIEF_EDITOR_GROUP: CHIEF_EDITOR_PERMISSIONS}


def sync_role_groups(*, apps=None, using: str = "default", **kwargs) -> None:
    """Give each role group exactly the permissions listed here (idempotent).

    Run after every ``migrate`` (``post_migrate``, see ``EditorialConfig.ready``), so the
    groups always match this module, whatever order apps and migrations ran in. A
    permission granted to a group by hand is taken back: the roles are defined here.
    """
    apps = apps or global_apps
    # Permissions of every app first (post_migrate reaches the apps one by one); the
    # global configs say which apps have models, ``apps`` holds the models themselves.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, apps=apps, using=using)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, permissions in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.using(using).get_or_create(name=name)
        wanted = []
        for dotted in permissions:
            app_label, codename = dotted.split(".", 1)
            wanted.append(
                permission_model.objects.using(using).get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
