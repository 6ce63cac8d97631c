"""The actions an issue and a note offer, defined once: label, permission, transition, service.

The admin's buttons (the note's save bar, the issue's workflow panel, bulk actions) and
the API's action endpoints are built from these tables: what a user is offered is what
:func:`available_actions` returns, and what runs is :func:`perform_action`, which calls the service of
``editorial.workflow`` (where the permission, guard and audit row are checked again,
whoever calls).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from editorial import roles, workflow
from papernotes.models import Note, WeeklyIssue


@dataclass(frozen=True)
class Action:
    """One workflow action: ``name`` is its POST value and API path segment.

    ``inputs`` are the keyword arguments the service takes besides the object and actor
    (``comment``, ``override_reason``, ``publish_at``); ``comment_required`` says whether an
    empty comment is refused by the service (the screens mark the field required).
    """

    name: str
    label: str | Promise
    permission: str
    transition: str
    service: Callable[..., Any]
    inputs: tuple[str, ...] = ("comment",)
    comment_required: bool = False
    bulk_label: str | Promise = ""
    # The note's save bar: the button saves the form first, and says so.
    save_label: str | Promise = ""
    # Inputs without which the action cannot run (said in Japanese, not a crash).
    required: tuple[str, ...] = ()

    @property
    def button_label(self) -> str | Promise:
        return self.save_label or self.label


INPUT_LABELS = {
    "publish_at": _("公開予定日時"),
    "comment": _("コメント"),
    "override_reason": _("チェックを無視する理由"),
}

NOTE_ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "start_review",
            _("レビューを開始"),
            roles.REVIEW_NOTE,
            "start_review",
            workflow.note_start_review,
            bulk_label=_("選択したノートのレビューを開始"),
        ),
        Action(
            "approve",
            _("承認"),
            roles.REVIEW_NOTE,
            "approve",
            workflow.note_approve,
            bulk_label=_("選択したノートを承認"),
            save_label=_("保存して承認"),
        ),
        Action(
            "request_changes",
            _("修正依頼"),
            roles.REVIEW_NOTE,
            "request_changes",
            workflow.note_request_changes,
            comment_required=True,
            save_label=_("保存して修正依頼"),
        ),
        Action("reopen", _("承認を取り消す"), roles.REVIEW_NOTE, "reopen", workflow.note_reopen),
    )
}

ISSUE_ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "submit_for_review",
            _("レビューに回す"),
            roles.MANAGE_ISSUE,
            "submit_for_review",
            workflow.issue_submit_for_review,
        ),
        Action(
            "mark_ready",
            _("公開準備完了にする"),
            roles.MANAGE_ISSUE,
            "mark_ready",
            workflow.issue_mark_ready,
            inputs=("override_reason",),
        ),
        Action(
            "return_to_review",
            _("レビューに戻す"),
            roles.MANAGE_ISSUE,
            "return_to_review",
            workflow.issue_return_to_review,
        ),
        Action(
            "publish",
            _("今すぐ公開"),
            roles.PUBLISH_ISSUE,
            "publish",
            workflow.issue_publish,
            inputs=("override_reason", "comment"),
        ),
        Action(
            "schedule",
            _("公開を予約"),
            roles.PUBLISH_ISSUE,
            "schedule",
            workflow.issue_schedule,
            inputs=("publish_at", "override_reason"),
            required=("publish_at",),
        ),
        Action(
            "correct",
            _("訂正を記録"),
            roles.PUBLISH_ISSUE,
            "correct",
            workflow.issue_record_correction,
            comment_required=True,
        ),
        Action(
            "withdraw",
            _("取り下げる"),
            roles.PUBLISH_ISSUE,
            "withdraw",
            workflow.issue_withdraw,
            comment_required=True,
        ),
    )
}


def _table(obj: Note | WeeklyIssue) -> dict[str, Action]:
    return NOTE_ACTIONS if isinstance(obj, Note) else ISSUE_ACTIONS


def available_actions(obj: Note | WeeklyIssue, user) -> list[Action]:
    """The actions ``user`` may take on ``obj`` now (role and state); the service checks again."""
    if not (user and user.is_active):
        return []
    if isinstance(obj, Note) and workflow.note_review_refusal(note=obj, actor=user):
        return []
    return [
        action
        for action in _table(obj).values()
        if user.has_perm(action.permission) and can_proceed(getattr(obj, action.transition), check_conditions=False)
    ]


def perform_action(obj: Note | WeeklyIssue, name: str, *, actor, **inputs) -> Note | WeeklyIssue:
    """Run the action called ``name`` on ``obj``; raises ``WorkflowError`` when refused."""
    action = _table(obj).get(name)
    if action is None:
        raise workflow.WorkflowError(gettext("不明な操作です。"))
    kwargs = {key: value for key, value in inputs.items() if key in action.inputs and value is not None}
    missing = [INPUT_LABELS.get(key, key) for key in action.required if key not in kwargs]
    if missing:
        raise workflow.WorkflowError(
            gettext("{inputs}を指定してください。").format(inputs="、".join(map(str, missing)))
        )
    if isinstance(obj, Note):
        return action.service(note=obj, actor=actor, **kwargs)
    return action.service(issue=obj, actor=actor, **kwargs)
