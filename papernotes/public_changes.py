"""Which public keys a write changes: signals of the content models, and their querysets' update().

Every door writes through the models (the admin, the workflow, imports, the pipelines, the
API, the shell), so the decision is made here, once, for all of them: a saved or deleted
row bumps the stamps (``papernotes.stamps``) of the pages that show it, after commit, only
when readers see it:

* an issue: when it is public before or after the save (publication, correction,
  withdrawal, an edit of a published issue), and a field readers see changed;
* a note: when its issue is public and the note is approved before or after the save
  (approval or its withdrawal, an edit), and a field readers see changed;
* a Q&A pair: when its note is public, and a field readers see changed;
* a paper: when it has public notes that show its live metadata (not frozen at
  publication), or its categories changed (the category pages read them).

An unpublished issue, a note being drafted or reviewed, a machine draft kept beside an
editor's text, ingestion of a paper no public note shows: none of them touch a public
stamp. ``QuerySet.update()`` sends no save signal; the content models' querysets send
:data:`papernotes.signals.content_rows_updating` instead, and the public rows it is about
to change are bumped in the same way.
"""

from django.db import models
from django.db.models.signals import post_save, pre_delete, pre_save

from papernotes import stamps
from papernotes.models import PUBLIC_ISSUE_STATES, Note, NoteState, Paper, QuestionAnswer, WeeklyIssue
from papernotes.signals import content_rows_updating

# Fields no reader sees (pages, feed, sitemap, API): a change to them alone bumps nothing.
# Any other field counts, so a field added later is public until said otherwise.
HIDDEN_FIELDS = {
    WeeklyIssue: {"created_at", "updated_at"},
    Note: {
        "created_at",
        "updated_at",
        "summary_source",
        "summary_machine_draft",
        "abstract_ja_source",
        "abstract_ja_machine_draft",
    },
    QuestionAnswer: {
        "question_source",
        "question_machine_draft",
        "answer_source",
        "answer_machine_draft",
        "search_terms",
    },
    Paper: {"created_at", "updated_at", "abstract_en", "comment", "doi", "journal_ref"},
}
# A Q&A pair is not on the lists' pages (home, categories, sitemap show issues and notes).
QA_KEYS = (stamps.ARCHIVE, stamps.FEED, stamps.NOTES)


def _visible_fields(model) -> list[str]:
    hidden = HIDDEN_FIELDS[model]
    return [
        field.attname for field in model._meta.concrete_fields if field.name not in hidden and not field.primary_key
    ]


def _old_values(instance, *extra: str) -> dict | None:
    """The row as stored before this save (None for a new row), with ``extra`` lookups."""
    if instance._state.adding or instance.pk is None:
        return None
    model = type(instance)
    return model._default_manager.filter(pk=instance.pk).values(*_visible_fields(model), *extra).first()


def _visible_change(instance, old: dict | None) -> bool:
    if old is None:
        return True
    return any(getattr(instance, name) != old[name] for name in _visible_fields(type(instance)))


def _issue_state(instance: Note) -> tuple[str, object]:
    """(state, week_start) of a note's issue, without a query when the issue is loaded."""
    if Note.issue.is_cached(instance):
        return instance.issue.state, instance.issue.week_start
    state, week = WeeklyIssue.objects.filter(pk=instance.issue_id).values_list("state", "week_start").get()
    return state, week


def _arxiv_id(instance: Note) -> str:
    if Note.paper.is_cached(instance):
        return instance.paper.arxiv_id
    return Paper.objects.filter(pk=instance.paper_id).values_list("arxiv_id", flat=True).get()


# --- issues ---------------------------------------------------------------------------------


def issue_keys(issue_ids: list[int], *, membership: bool) -> set[str]:
    """Keys of whole issues: their pages, their papers' pages, every list."""
    if not issue_ids:
        return set()
    keys = {*stamps.LISTS, stamps.ISSUE_SET} if membership else set(stamps.LISTS)
    for week in WeeklyIssue.objects.filter(pk__in=issue_ids).values_list("week_start", flat=True):
        keys.add(stamps.issue_key(week))
    arxiv_ids = Note.objects.filter(issue_id__in=issue_ids, state=NoteState.APPROVED).values_list(
        "paper__arxiv_id", flat=True
    )
    keys.update(stamps.paper_key(arxiv_id) for arxiv_id in arxiv_ids)
    return keys


def _issue_pre_save(sender, instance: WeeklyIssue, **kwargs) -> None:
    instance._public_before = _old_values(instance)


def _issue_post_save(sender, instance: WeeklyIssue, created: bool, **kwargs) -> None:
    old = getattr(instance, "_public_before", None)
    instance._public_before = None
    was_public = old is not None and old["state"] in PUBLIC_ISSUE_STATES
    is_public = instance.state in PUBLIC_ISSUE_STATES
    if not (was_public or is_public) or not _visible_change(instance, old):
        return
    keys = issue_keys([instance.pk], membership=was_public != is_public)
    if old is not None and old["week_start"] != instance.week_start:
        keys |= {stamps.issue_key(old["week_start"]), stamps.ISSUE_SET}
    stamps.changed(keys)


def _issue_pre_delete(sender, instance: WeeklyIssue, **kwargs) -> None:
    if instance.state in PUBLIC_ISSUE_STATES:
        stamps.changed(issue_keys([instance.pk], membership=True))


# --- notes ----------------------------------------------------------------------------------


def note_keys(week_start, arxiv_ids) -> set[str]:
    return {*stamps.LISTS, stamps.issue_key(week_start), *(stamps.paper_key(arxiv_id) for arxiv_id in arxiv_ids)}


def _note_pre_save(sender, instance: Note, **kwargs) -> None:
    instance._public_before = _old_values(instance, "state", "issue__state", "issue__week_start", "paper__arxiv_id")


def _note_post_save(sender, instance: Note, created: bool, **kwargs) -> None:
    old = getattr(instance, "_public_before", None)
    instance._public_before = None
    was_approved = old is not None and old["state"] == NoteState.APPROVED
    if not (was_approved or instance.state == NoteState.APPROVED) or not _visible_change(instance, old):
        return
    if old is not None and old["issue_id"] == instance.issue_id:
        state, week = old["issue__state"], old["issue__week_start"]
    else:
        state, week = _issue_state(instance)
    keys = set()
    if state in PUBLIC_ISSUE_STATES:
        keys |= note_keys(week, [_arxiv_id(instance)])
    if old is not None and old["issue__state"] in PUBLIC_ISSUE_STATES and was_approved:
        keys |= note_keys(old["issue__week_start"], [old["paper__arxiv_id"]])
    stamps.changed(keys)


def _note_pre_delete(sender, instance: Note, **kwargs) -> None:
    if instance.state != NoteState.APPROVED:
        return
    state, week = _issue_state(instance)
    if state in PUBLIC_ISSUE_STATES:
        stamps.changed(note_keys(week, [_arxiv_id(instance)]))


# --- Q&A ------------------------------------------------------------------------------------


def _public_note(note_id: int) -> tuple | None:
    """(week, arxiv id) of a public note, or None."""
    return (
        Note.objects.filter(pk=note_id, state=NoteState.APPROVED, issue__state__in=PUBLIC_ISSUE_STATES)
        .values_list("issue__week_start", "paper__arxiv_id")
        .first()
    )


def qa_keys(week, arxiv_id) -> set[str]:
    return {*QA_KEYS, stamps.issue_key(week), stamps.paper_key(arxiv_id)}


def _qa_pre_save(sender, instance: QuestionAnswer, **kwargs) -> None:
    instance._public_before = _old_values(instance)


def _qa_post_save(sender, instance: QuestionAnswer, created: bool, **kwargs) -> None:
    old = getattr(instance, "_public_before", None)
    instance._public_before = None
    if not _visible_change(instance, old):
        return
    keys = set()
    for note_id in {instance.note_id, old["note_id"] if old else instance.note_id}:
        public = _public_note(note_id)
        if public:
            keys |= qa_keys(*public)
    stamps.changed(keys)


def _qa_pre_delete(sender, instance: QuestionAnswer, **kwargs) -> None:
    public = _public_note(instance.note_id)
    if public:
        stamps.changed(qa_keys(*public))


# --- papers ---------------------------------------------------------------------------------


def _paper_pre_save(sender, instance: Paper, **kwargs) -> None:
    instance._public_before = _old_values(instance)


def paper_keys(paper_ids: list[int], *, shown_changed: bool, categories_changed: bool) -> set[str]:
    """Keys of the public notes of papers whose metadata changed (see the module docstring)."""
    keys = set()
    public = Note.objects.filter(
        paper_id__in=paper_ids, state=NoteState.APPROVED, issue__state__in=PUBLIC_ISSUE_STATES
    ).values_list("issue__week_start", "paper__arxiv_id", "paper_as_shown_data")
    for week, arxiv_id, frozen in public:
        if categories_changed or (shown_changed and not frozen):
            keys |= note_keys(week, [arxiv_id])
    return keys


def _paper_post_save(sender, instance: Paper, created: bool, **kwargs) -> None:
    old = getattr(instance, "_public_before", None)
    instance._public_before = None
    if old is None or not _visible_change(instance, old):
        return  # a new paper has no notes yet
    stamps.changed(
        paper_keys([instance.pk], shown_changed=True, categories_changed=instance.categories != old["categories"])
    )


# --- QuerySet.update() ------------------------------------------------------------------------


def _rows_updating(sender, queryset: models.QuerySet, values: dict, **kwargs):
    """Before a content model's ``QuerySet.update()``: the keys of the public rows it changes,
    bumped once it has run (after commit, like a save)."""
    written = {sender._meta.get_field(name).name: value for name, value in values.items()}
    if not set(written) - HIDDEN_FIELDS[sender]:
        return None
    keys = _update_keys(queryset, written)
    if not keys:
        return None
    using = queryset.db

    def after(count: int) -> None:
        if count:
            stamps.changed(keys, using=using)

    return after


def _update_keys(queryset: models.QuerySet, written: dict) -> set[str]:
    model = queryset.model
    ids = list(queryset.values_list("pk", flat=True))
    if not ids:
        return set()
    state = written.get("state")
    if model is WeeklyIssue:
        rows = WeeklyIssue.objects.filter(pk__in=ids)
        if state not in PUBLIC_ISSUE_STATES:
            rows = rows.filter(state__in=PUBLIC_ISSUE_STATES)  # public before, or not at all
        return issue_keys(list(rows.values_list("pk", flat=True)), membership="state" in written)
    if model is Note:
        rows = Note.objects.filter(pk__in=ids, issue__state__in=PUBLIC_ISSUE_STATES)
        if state != NoteState.APPROVED:
            rows = rows.filter(state=NoteState.APPROVED)
        keys = set()
        for week, arxiv_id in rows.values_list("issue__week_start", "paper__arxiv_id"):
            keys |= note_keys(week, [arxiv_id])
        return keys
    if model is QuestionAnswer:
        keys = set()
        public = Note.objects.filter(
            qas__in=ids, state=NoteState.APPROVED, issue__state__in=PUBLIC_ISSUE_STATES
        ).values_list("issue__week_start", "paper__arxiv_id")
        for week, arxiv_id in public.distinct():
            keys |= qa_keys(week, arxiv_id)
        return keys
    return paper_keys(ids, shown_changed=True, categories_changed="categories" in written)


def connect() -> None:
    """Called once from ``PapernotesConfig.ready``."""
    for model, pre, post, delete in (
        (WeeklyIssue, _issue_pre_save, _issue_post_save, _issue_pre_delete),
        (Note, _note_pre_save, _note_post_save, _note_pre_delete),
        (QuestionAnswer, _qa_pre_save, _qa_post_save, _qa_pre_delete),
        (Paper, _paper_pre_save, _paper_post_save, None),
    ):
        uid = f"public-changes-{model._meta.model_name}"
        pre_save.connect(pre, sender=model, dispatch_uid=f"{uid}-pre-save")
        post_save.connect(post, sender=model, dispatch_uid=f"{uid}-post-save")
        if delete is not None:
            pre_delete.connect(delete, sender=model, dispatch_uid=f"{uid}-pre-delete")
        content_rows_updating.connect(_rows_updating, sender=model, dispatch_uid=f"{uid}-update")
