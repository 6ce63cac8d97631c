"""The review workflow of notes and issues, in one place.

Each transition is one service call, used alike by the admin, management commands,
tasks and the API: it locks the row, checks the actor's permission, checks the guard,
moves the state through the model's django-fsm-2 transition (the state field refuses
direct assignment), writes a :class:`~editorial.models.WorkflowEvent` (who, when, from,
to, comment, override reason) and schedules side effects after commit.

``actor=None`` is the system (a Celery task, ``import_issue``): it needs no permission
but leaves the same audit row.

Notes: 下書き待ち → 下書き済み → レビュー中 → 修正依頼 → 承認済み.
Issues: 収集中 → レビュー中 → 公開準備完了 → 公開予約済み → 公開済み → 訂正あり / 取り下げ.
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed

from editorial import roles
from editorial.choices import WorkflowAction
from editorial.models import NoteAssignment, ScheduledPublication, WorkflowEvent
from editorial.selectors import issue_publication_blocker_keys, issue_publication_blockers, note_approval_blockers
from papernotes.models import IssueState, Note, NoteState, PaperAsShown, WeeklyIssue
from papernotes.signals import issue_published


class WorkflowError(Exception):
    """A workflow call was refused; ``message`` says why, in Japanese. Nothing changed."""

    def __init__(self, message: str, *, reasons: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.reasons = reasons or []

    def __str__(self) -> str:
        return self.message if not self.reasons else f"{self.message}: {' / '.join(self.reasons)}"


class ActionNotPermitted(WorkflowError):
    """The actor's role does not allow this action."""


class InvalidTransition(WorkflowError):
    """The object is not in a state this action starts from."""


class PublicationBlocked(WorkflowError):
    """Notes are not approved or blocking findings remain, and no override was given."""


User = AbstractBaseUser | None


def _require(actor: User, permission: str, message: str) -> None:
    if actor is None:
        return  # the system: tasks and commands
    if not (actor.is_active and actor.has_perm(permission)):
        raise ActionNotPermitted(message)


def _record(
    *,
    issue: WeeklyIssue,
    note: Note | None,
    action: str,
    source: str,
    target: str,
    actor: User,
    comment: str = "",
    override_reason: str = "",
) -> WorkflowEvent:
    return WorkflowEvent.objects.create(
        issue=issue,
        note=note,
        action=action,
        source_state=source,
        target_state=target,
        actor=actor,
        comment=comment.strip(),
        override_reason=override_reason.strip(),
    )


def _check_can(obj, method: str) -> None:
    """Refuse early, before guards run, when the state does not allow ``method``."""
    if not can_proceed(getattr(obj, method), check_conditions=False):
        raise InvalidTransition(
            _("現在の状態({state})ではこの操作はできません。").format(state=obj.get_state_display())
        )


def _move(obj, method: str, actor: User, **kwargs) -> tuple[str, str]:
    """Run the model's transition and save; returns (source, target)."""
    source = obj.state
    try:
        getattr(obj, method)(**kwargs)
    except TransitionNotAllowed as error:
        raise InvalidTransition(
            _("現在の状態({state})ではこの操作はできません。").format(state=obj.get_state_display())
        ) from error
    if actor is not None:
        obj._history_user = actor  # django-simple-history: who made this revision
    obj.save()
    return source, obj.state


# -- notes ------------------------------------------------------------------------------


def _locked_note(note_id: int) -> Note:
    return Note.objects.select_for_update().select_related("issue").get(pk=note_id)


def note_review_refusal(*, note: Note, actor: User) -> str | None:
    """Why ``actor`` may not change ``note``'s review state, or None if they may."""
    if note.issue.state == IssueState.WITHDRAWN:
        return _("取り下げた号のノートは変更できません。")
    if actor is None:
        return None
    if not (actor.is_active and actor.has_perm(roles.REVIEW_NOTE)):
        return _("論文ノートをレビューする権限がありません。")
    if note.issue.was_published and not actor.has_perm(roles.PUBLISH_ISSUE):
        # Changing the review state of a published note is a correction: chief editors only.
        return _("公開済みの号のノートは編集長だけが変更できます。")
    return None


def _require_note_review(actor: User, note: Note) -> None:
    refusal = note_review_refusal(note=note, actor=actor)
    if refusal:
        raise ActionNotPermitted(refusal)


def _move_note(note: Note, method: str, actor: User, action: str, *, comment: str) -> None:
    """Run a note's transition and write its audit row.

    On a published issue, readers see exactly the approved notes: a transition into or out
    of 承認済み adds a paper to the page or takes one away, so it is a correction, with the
    comment as its note (required), recorded in the same transaction.
    """
    target = _target_of(note, method)
    changes_public_page = (
        note.issue.was_published
        and target is not None
        and (note.state == NoteState.APPROVED) != (target == NoteState.APPROVED)
    )
    if changes_public_page and not comment.strip():
        raise WorkflowError(
            _(
                "公開済みの号に載る論文が変わります。訂正の内容をコメントに書いてください(読者に「更新」と表示されます)。"
            )
        )
    source, target = _move(note, method, actor)
    _record(issue=note.issue, note=note, action=action, source=source, target=target, actor=actor, comment=comment)
    if changes_public_page:
        issue_record_correction(issue=note.issue, actor=actor, comment=comment, note=note)


def _target_of(note: Note, method: str) -> str | None:
    for transition in note.get_available_state_transitions():
        if transition.name == method:
            return transition.target
    return None


@transaction.atomic
def note_start_review(*, note: Note, actor: User, comment: str = "") -> Note:
    """An editor takes up a note (also one still waiting for its draft: drafts can be written by hand)."""
    note = _locked_note(note.pk)
    _require_note_review(actor, note)
    _move_note(note, "start_review", actor, WorkflowAction.NOTE_START_REVIEW, comment=comment)
    return note


@transaction.atomic
def note_request_changes(*, note: Note, actor: User, comment: str) -> Note:
    """Send a note back with a comment that says what to change (the comment is required)."""
    if not comment.strip():
        raise WorkflowError(_("修正依頼には、何を直すかのコメントを書いてください。"))
    note = _locked_note(note.pk)
    _require_note_review(actor, note)
    _move_note(note, "request_changes", actor, WorkflowAction.NOTE_REQUEST_CHANGES, comment=comment)
    return note


@transaction.atomic
def note_approve(*, note: Note, actor: User, comment: str = "") -> Note:
    """Approve a note: its texts are ready for readers once the issue is published.

    Guard: no required text is empty and no blocking finding of the quality checks is
    left undismissed (see ``editorial.checks``).
    """
    note = _locked_note(note.pk)
    _require_note_review(actor, note)
    _check_can(note, "approve")
    blockers = note_approval_blockers(note=note)
    if blockers:
        raise PublicationBlocked(_("このノートはまだ承認できません"), reasons=blockers)
    _move_note(note, "approve", actor, WorkflowAction.NOTE_APPROVE, comment=comment)
    return note


@transaction.atomic
def note_reopen(*, note: Note, actor: User, comment: str = "") -> Note:
    """Take an approval back (承認済み → レビュー中), e.g. to fix something found later."""
    note = _locked_note(note.pk)
    _require_note_review(actor, note)
    _move_note(note, "reopen", actor, WorkflowAction.NOTE_REOPEN, comment=comment)
    return note


@transaction.atomic
def note_take_back_approval(*, note: Note, actor: User, comment: str) -> bool:
    """The content of an approved note of an unpublished issue changed: the approval covered
    it as it was, so the note goes back to review (承認済み → レビュー中) and must be approved
    again before the issue can be published. After publication a change is a correction
    instead (``issue_record_correction``), and the note stays approved.

    No permission of its own: the edit was allowed (``editorial.editing``), and this is its
    consequence. Returns whether the approval was taken back.
    """
    note = _locked_note(note.pk)
    if note.state != NoteState.APPROVED or note.issue.was_published:
        return False
    _move_note(note, "reopen", actor, WorkflowAction.NOTE_REOPEN, comment=comment)
    return True


@transaction.atomic
def note_assign(*, note: Note, assignee: AbstractBaseUser | None, actor: User) -> Note:
    """Assign a note to an editor (``assignee=None`` unassigns). The assignee must be able to review."""
    note = _locked_note(note.pk)
    _require(actor, roles.REVIEW_NOTE, _("担当者を決める権限がありません。"))
    if assignee is not None and not (assignee.is_active and assignee.has_perm(roles.REVIEW_NOTE)):
        raise WorkflowError(_("{user} は論文ノートをレビューできないため、担当者にできません。").format(user=assignee))
    current = NoteAssignment.objects.filter(note=note).select_related("assignee").first()
    before = str(current.assignee) if current else ""
    if assignee is None:
        NoteAssignment.objects.filter(note=note).delete()
    else:
        NoteAssignment.objects.update_or_create(note=note, defaults={"assignee": assignee, "assigned_by": actor})
    _record(
        issue=note.issue,
        note=note,
        action=WorkflowAction.NOTE_ASSIGN,
        source=note.state,
        target=note.state,
        actor=actor,
        comment=_("担当: {before} → {after}").format(before=before or "—", after=str(assignee) if assignee else "—"),
    )
    return note


def reviewers():
    """Active users who may be assigned notes (editors and chief editors)."""
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    return [user for user in users.prefetch_related("groups") if user.has_perm(roles.REVIEW_NOTE)]


# -- issues -----------------------------------------------------------------------------


def _locked_issue(issue_id: int) -> WeeklyIssue:
    return WeeklyIssue.objects.select_for_update().get(pk=issue_id)


def _guard_publication(*, issue: WeeklyIssue, actor: User, override_reason: str) -> str:
    """Refuse while notes are unapproved or blocking findings remain, unless overridden.

    An override needs a written reason and, for a person, the override permission.
    Returns the reason to log (empty when nothing had to be overridden).
    """
    blockers = issue_publication_blockers(issue=issue)
    if not blockers:
        return ""
    if not override_reason.strip():
        raise PublicationBlocked(_("この号はまだ公開できません"), reasons=blockers)
    _require(actor, roles.OVERRIDE_CHECKS, _("チェックを無視して進める権限がありません。"))
    return override_reason.strip() + "\n" + "\n".join(blockers)


def _issue_step(
    *,
    issue: WeeklyIssue,
    actor: User,
    method: str,
    action: str,
    permission: str,
    comment: str = "",
    note: Note | None = None,
    **kwargs,
) -> WeeklyIssue:
    issue = _locked_issue(issue.pk)
    _require(actor, permission, _("この号を操作する権限がありません(編集長の操作です)。"))
    source, target = _move(issue, method, actor, **kwargs)
    _record(issue=issue, note=note, action=action, source=source, target=target, actor=actor, comment=comment)
    return issue


@transaction.atomic
def issue_submit_for_review(*, issue: WeeklyIssue, actor: User, comment: str = "") -> WeeklyIssue:
    """収集中 → レビュー中: the papers are in; editors review the notes."""
    return _issue_step(
        issue=issue,
        actor=actor,
        method="submit_for_review",
        action=WorkflowAction.ISSUE_SUBMIT_FOR_REVIEW,
        permission=roles.MANAGE_ISSUE,
        comment=comment,
    )


@transaction.atomic
def issue_return_to_review(*, issue: WeeklyIssue, actor: User, comment: str = "") -> WeeklyIssue:
    """公開準備完了 / 公開予約済み → レビュー中 (a schedule is cancelled)."""
    issue = _issue_step(
        issue=issue,
        actor=actor,
        method="return_to_review",
        action=WorkflowAction.ISSUE_RETURN_TO_REVIEW,
        permission=roles.MANAGE_ISSUE,
        comment=comment,
    )
    ScheduledPublication.objects.filter(issue=issue).delete()
    return issue


@transaction.atomic
def issue_mark_ready(*, issue: WeeklyIssue, actor: User, override_reason: str = "") -> WeeklyIssue:
    """レビュー中 → 公開準備完了, once every note is approved and no blocking finding is left."""
    issue = _locked_issue(issue.pk)
    _require(actor, roles.MANAGE_ISSUE, _("この号を公開準備完了にする権限がありません(編集長の操作です)。"))
    _check_can(issue, "mark_ready")
    logged_reason = _guard_publication(issue=issue, actor=actor, override_reason=override_reason)
    source, target = _move(issue, "mark_ready", actor)
    _record(
        issue=issue,
        note=None,
        action=WorkflowAction.ISSUE_MARK_READY,
        source=source,
        target=target,
        actor=actor,
        override_reason=logged_reason,
    )
    return issue


@transaction.atomic
def issue_schedule(
    *, issue: WeeklyIssue, actor: User, publish_at: datetime.datetime, override_reason: str = ""
) -> WeeklyIssue:
    """Schedule publication; Celery beat publishes it when due (``publish_due_issues_task``).

    The guard is checked now and again at publication time.
    """
    if publish_at <= timezone.now():
        raise WorkflowError(_("公開予定日時は未来の日時にしてください。"))
    issue = _locked_issue(issue.pk)
    _require(actor, roles.PUBLISH_ISSUE, _("この号を公開する権限がありません(編集長の操作です)。"))
    _check_can(issue, "schedule")
    logged_reason = _guard_publication(issue=issue, actor=actor, override_reason=override_reason)
    source, target = _move(issue, "schedule", actor)
    ScheduledPublication.objects.update_or_create(
        issue=issue,
        defaults={
            "publish_at": publish_at,
            "scheduled_by": actor,
            "override_reason": override_reason.strip() if logged_reason else "",
            # What the chief's reason was about: at the due time, anything else blocks.
            "overridden_blockers": issue_publication_blocker_keys(issue=issue) if logged_reason else [],
            "last_error": "",
        },
    )
    _record(
        issue=issue,
        note=None,
        action=WorkflowAction.ISSUE_SCHEDULE,
        source=source,
        target=target,
        actor=actor,
        comment=_("公開予定: {at}").format(at=timezone.localtime(publish_at).strftime("%Y-%m-%d %H:%M")),
        override_reason=logged_reason,
    )
    return issue


def freeze_paper_metadata(issue: WeeklyIssue) -> None:
    """Keep what each note shows of its paper as it is now, whatever arXiv does later."""
    for note in issue.notes.select_related("paper"):
        if not note.paper_as_shown_data:
            note.paper_as_shown_data = PaperAsShown.of_paper(note.paper).to_json()
            note.save(update_fields=["paper_as_shown_data", "updated_at"])


@transaction.atomic
def issue_publish(
    *,
    issue: WeeklyIssue,
    actor: User,
    override_reason: str = "",
    comment: str = "",
    published_at: datetime.datetime | None = None,
    announce: bool = True,
) -> WeeklyIssue:
    """Publish now: readers see the issue. Freezes each note's paper metadata, sets the time.

    ``announce`` sends ``issue_published`` (subscribers are emailed); an imported back issue is not announced.
    """
    issue = _locked_issue(issue.pk)
    _require(actor, roles.PUBLISH_ISSUE, _("この号を公開する権限がありません(編集長の操作です)。"))
    _check_can(issue, "publish")
    logged_reason = _guard_publication(issue=issue, actor=actor, override_reason=override_reason)
    freeze_paper_metadata(issue)
    source, target = _move(issue, "publish", actor, at=published_at or timezone.now())
    ScheduledPublication.objects.filter(issue=issue).delete()
    _record(
        issue=issue,
        note=None,
        action=WorkflowAction.ISSUE_PUBLISH,
        source=source,
        target=target,
        actor=actor,
        comment=comment,
        override_reason=logged_reason,
    )
    if announce:
        issue_published.send(sender=WeeklyIssue, issue=issue)
    return issue


@transaction.atomic
def issue_record_correction(*, issue: WeeklyIssue, actor: User, comment: str, note: Note | None = None) -> WeeklyIssue:
    """A published issue was corrected: readers see 「更新」 with the time (``corrected_at``).

    Called in the same transaction as the change itself (``editorial.editing``, a note's
    transition), so the change and its record happen together or not at all. The texts'
    revisions stay in the history, so the published version can always be compared.
    """
    if not comment.strip():
        raise WorkflowError(_("訂正の内容を書いてください。"))
    return _issue_step(
        issue=issue,
        actor=actor,
        method="correct",
        action=WorkflowAction.ISSUE_CORRECT,
        permission=roles.PUBLISH_ISSUE,
        comment=comment,
        note=note,
        at=timezone.now(),
    )


@transaction.atomic
def issue_withdraw(*, issue: WeeklyIssue, actor: User, comment: str) -> WeeklyIssue:
    """Take a published issue off the site (the reason is required and logged)."""
    if not comment.strip():
        raise WorkflowError(_("取り下げの理由を書いてください。"))
    return _issue_step(
        issue=issue,
        actor=actor,
        method="withdraw",
        action=WorkflowAction.ISSUE_WITHDRAW,
        permission=roles.PUBLISH_ISSUE,
        comment=comment,
    )


def publish_due_issues(*, now: datetime.datetime | None = None) -> list[int]:
    """Publish every scheduled issue whose time has come (run by Celery beat).

    The chief's override covers only the blockers it was written for
    (``ScheduledPublication.overridden_blockers``). If at the due time anything else blocks
    (a note was un-approved, a new 要修正 finding), the issue is not published: it goes back
    to レビュー中 with the reason in the workflow log, and waits for a chief editor again, so
    clearing the blocker later never publishes it without one.
    """
    now = now or timezone.now()
    published = []
    due = ScheduledPublication.objects.filter(publish_at__lte=now, issue__state=IssueState.SCHEDULED)
    for schedule in due.select_related("issue", "scheduled_by"):
        try:
            with transaction.atomic():
                _publish_scheduled(schedule=schedule, now=now)
        except WorkflowError as error:
            _stop_schedule(schedule=schedule, reason=str(error))
            continue
        published.append(schedule.issue_id)
    return published


def _publish_scheduled(*, schedule: ScheduledPublication, now: datetime.datetime) -> None:
    issue = _locked_issue(schedule.issue_id)
    blockers = issue_publication_blocker_keys(issue=issue)
    if set(blockers) - set(schedule.overridden_blockers):
        raise PublicationBlocked(
            _("予約の後に、予約のときに無視した以外の問題が見つかったため、公開しませんでした"),
            reasons=issue_publication_blockers(issue=issue),
        )
    issue_publish(
        issue=issue,
        actor=None,
        override_reason=schedule.override_reason if blockers else "",
        comment=_("予約による公開({user} が予約)").format(user=schedule.scheduled_by or "—"),
        published_at=now,
    )


@transaction.atomic
def _stop_schedule(*, schedule: ScheduledPublication, reason: str) -> None:
    issue = _locked_issue(schedule.issue_id)
    if issue.state != IssueState.SCHEDULED:
        return
    source, target = _move(issue, "return_to_review", None)
    _record(
        issue=issue,
        note=None,
        action=WorkflowAction.ISSUE_RETURN_TO_REVIEW,
        source=source,
        target=target,
        actor=None,
        comment=_("予約した公開を止めました(編集長がもう一度公開してください): {reason}").format(reason=reason),
    )
    ScheduledPublication.objects.filter(pk=schedule.pk).delete()
