"""The permission matrix: every admin and API URL pattern × objects in every state × role × method.

The URL patterns come from the resolver (``get_resolver()``), not from a list: a URL added
tomorrow is requested by the matrix without a new test. Each pattern's parameters are
filled with ids of the world's objects of the model the URL belongs to (every issue and
every note, since their states matter; one object of other models, or an id that does not
exist). Each URL is requested with GET, and with POST as the page's own form would send it
(read with ``html.parser``, its texts changed, each submit button of it, and for inline
formsets a deletion and a reorder), or with forged bodies where the page has no form. API
URLs also get PUT, PATCH and DELETE.

After each request, the invariants of the rules are checked on a snapshot of the world
(``violations``); the request's changes are then rolled back, so every request meets the
same world.
"""

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize

from editorial.actions import ISSUE_ACTIONS, NOTE_ACTIONS
from editorial.selectors import note_approval_blockers
from papernotes.models import Note, NoteState, WeeklyIssue

from .htmlforms import Form, Submit
from .world import (
    ContentSnapshot,
    World,
    is_public,
    note_content,
    public_content,
    withdrawn_content,
)

PREFIXES = ("admin/", "api/")
MISSING_ID = "999999"
# Texts the matrix changes in a form, wherever a form has them (by field name, prefix aside).
CONTENT_FIELDS = ("summary", "abstract_ja", "question", "answer", "intro")
CHANGED_SUFFIX = "(マトリクスで変更)"
CORRECTION_NOTE = "マトリクスの訂正: 誤字を直しました"
# Values tried in forged POSTs (no form on the page): every verb the workflow knows, for
# the issue panel (``action``), the issue's bulk note actions (``bulk_action``) and the
# review screen's buttons (``_workflow``), combined so that each verb is sent once.
ISSUE_VERBS = ("submit_for_review", "mark_ready", "return_to_review", "publish", "schedule", "correct", "withdraw")
BULK_VERBS = ("approve", "start_review", "assign")
NOTE_VERBS = ("approve", "request_changes", "reopen", "start_review")
API_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Pattern:
    route: str  # the pattern as the resolver prints it, e.g. "admin/papernotes/note/<path:object_id>/change/"
    name: str
    regex: str  # the full regex, for filling in the parameters

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def model(self):
        """The model of an admin URL ``admin/<app_label>/<model_name>/…``, if any."""
        match = re.match(r"admin/(\w+)/(\w+)/", self.route)
        if not match:
            return None
        try:
            return apps.get_model(match.group(1), match.group(2))
        except LookupError:
            return None


def url_patterns() -> list[Pattern]:
    """Every admin and API URL pattern of the project, from the resolver."""
    found = []

    def walk(resolver: URLResolver, route: str, regex: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            piece_route = str(entry.pattern)
            piece_regex = entry.pattern.regex.pattern.lstrip("^").removesuffix("$").removesuffix(r"\Z")
            if isinstance(entry, URLResolver):
                inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
                walk(entry, route + piece_route, regex + piece_regex, inner.strip(":"))
            elif isinstance(entry, URLPattern):
                full_route = route + piece_route
                if full_route.startswith(PREFIXES):
                    found.append(Pattern(full_route, f"{namespace}:{entry.name or '?'}", regex + piece_regex))

    walk(get_resolver(), "", "", "")
    return found


class UrlFiller:
    """Values for a pattern's parameters, from the world."""

    def __init__(self, world: World):
        self.world = world
        self.objects: dict[str, tuple] = {}  # url → (model, object id) of URLs about one object

    def ids(self, model) -> list[str]:
        if model is WeeklyIssue:
            return [str(issue.pk) for issue in self.world.issues.values()]
        if model is Note:
            return [str(note.pk) for note in self.world.notes]
        if model is not None and model._meta.model_name == "questionanswer":
            # The first pair of every note: one in every note and issue state.
            first = {}
            for qa in self.world.qas:
                first.setdefault(qa.note_id, qa)
            return [str(qa.pk) for qa in first.values()]
        if model is not None:
            pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            return [str(pk) if pk is not None else MISSING_ID]
        return [MISSING_ID]

    def history_id(self, model, object_id: str) -> str:
        """The object's oldest revision (the one most unlike the current row)."""
        history = getattr(model, "history", None)
        if history is None or object_id == MISSING_ID:
            return MISSING_ID
        first = history.model.objects.filter(id=object_id).order_by("history_id").first()
        return str(first.history_id) if first else MISSING_ID

    def urls(self, pattern: Pattern) -> list[str]:
        candidates = normalize(pattern.regex)
        if not candidates:
            return []
        template, params = candidates[0]
        if not params:
            return ["/" + template]
        model = pattern.model
        if "app_label" in params:
            return ["/" + template % {"app_label": label} for label in ("papernotes", "editorial", "auth", "api")]
        if "url" in params:
            return ["/" + template % {"url": "papernotes/nothing-here/"}]
        if "action" in params:
            # The API's workflow actions: every action of the table, on every issue or note.
            if "week" in params:
                return [
                    "/" + template % {"week": issue.week_start.isoformat(), "action": name}
                    for issue in self.world.issues.values()
                    for name in ISSUE_ACTIONS
                ]
            urls = []
            for object_id in self.ids(Note):
                for name in NOTE_ACTIONS:
                    url = "/" + template % {"note_id": object_id, "action": name}
                    self.objects[url] = (Note, object_id)
                    urls.append(url)
            return urls
        if "week" in params:
            return ["/" + template % {"week": issue.week_start.isoformat()} for issue in self.world.issues.values()]
        if "arxiv_id" in params:
            return ["/" + template % {"arxiv_id": self.world.notes[0].paper.arxiv_id}]
        if "content_type_id" in params:
            content_type = ContentType.objects.get_for_model(WeeklyIssue)
            issue = self.world.issues["published"]
            return ["/" + template % {"content_type_id": content_type.pk, "object_id": issue.pk}]
        # One object parameter (object_id, note_id, issue_id, paper_id, id, _0), maybe a revision (_1).
        object_param = next(name for name in params if name != "_1")
        if object_param == "issue_id":
            model = WeeklyIssue
        elif object_param == "note_id":
            model = Note
        urls = []
        for object_id in self.ids(model):
            values = {name: MISSING_ID for name in params}
            values[object_param] = object_id
            if "_1" in params:
                values["_1"] = self.history_id(model, object_id)
            url = "/" + template % values
            self.objects[url] = (model, object_id)
            urls.append(url)
        return urls

    def note_of(self, url: str) -> Note | None:
        model, object_id = self.objects.get(url, (None, None))
        if model is not Note:
            return None
        return next((note for note in self.world.notes if str(note.pk) == object_id), None)


# -- the requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    data: object = None
    label: str = ""
    json: bool = False


def _with_changed_texts(form: Form, *, rows_only: bool = False) -> dict[str, list[str]]:
    """The form's data with every content text changed (``rows_only``: only those of inline rows)."""
    body = form.data()
    for name, values in body.items():
        field = name.rsplit("-", 1)[-1]
        if name.startswith("initial-") or "__prefix__" in name or field not in CONTENT_FIELDS:
            continue
        if rows_only and not re.match(r"^\w+-\d+-", name):
            continue
        body[name] = [value + CHANGED_SUFFIX for value in values]
    return body


def form_requests(url: str, form: Form, *, inlines: bool = True) -> Iterator[Request]:
    """The page's own form, submitted as a browser would, with the matrix's changes
    (``inlines``: also change only the inline rows, delete one, reorder two)."""
    action_select = form.select_options.get("action")
    if action_select is not None:
        # A change list: every bulk action on every object listed (its checkboxes), confirmed.
        selected = form.checkbox_values.get("_selected_action", [])
        base = {name: values for name, values in form.data().items() if name not in ("action", "_selected_action")}
        for action in action_select:
            if action:
                body = {**base, "action": [action], "_selected_action": selected, "post": ["yes"], "index": ["0"]}
                yield Request("post", url, body, f"action={action}")
        return
    changed = _with_changed_texts(form)
    names = form.names()
    corrected = dict(changed)
    if "correction_note" in names:
        corrected["correction_note"] = [CORRECTION_NOTE]
    if "comment" in names:
        corrected["comment"] = ["マトリクスのコメント"]
    plain = next((submit for submit in form.submits if submit.name in ("_continue", "_save")), None)
    yield Request("post", url, {**changed, **_submit(plain)}, "form, texts changed")
    if "correction_note" in names:
        yield Request("post", url, {**corrected, **_submit(plain)}, "form, texts changed, with 訂正の内容")
    pressed = set()
    for submit in form.submits:
        if not submit.name or submit.name in ("_continue", "_save", "_addanother", "_saveasnew"):
            continue
        # Every workflow button; of other repeated buttons (one 却下 per finding), the first.
        if submit.name != "_workflow" and submit.name in pressed:
            continue
        pressed.add(submit.name)
        yield Request("post", url, {**corrected, **_submit(submit)}, f"form, {submit.name}={submit.value}")
    # Inline formsets: only the rows' texts changed; the first row deleted, the first two rows
    # swapped (those two with nothing else changed, no 訂正の内容).
    as_rendered = form.data()
    prefixes = sorted({name.split("-", 1)[0] for name in names if re.match(r"^\w+-0-id$", name)}) if inlines else []
    for prefix in prefixes:
        rows_changed = _with_changed_texts(form, rows_only=True)
        yield Request("post", url, {**rows_changed, **_submit(plain)}, f"{prefix}: only the rows' texts changed")
        if f"{prefix}-0-DELETE" in names or f"{prefix}-TOTAL_FORMS" in names:
            deleted = {**as_rendered, f"{prefix}-0-DELETE": ["on"], **_submit(plain)}
            yield Request("post", url, deleted, f"{prefix}: delete first")
        if f"{prefix}-0-position" in names and f"{prefix}-1-position" in names:
            first, second = form.value(f"{prefix}-0-position"), form.value(f"{prefix}-1-position")
            swapped = {**as_rendered, f"{prefix}-0-position": [second], f"{prefix}-1-position": [first]}
            yield Request("post", url, {**swapped, **_submit(plain)}, f"{prefix}: reorder")


def _submit(submit: Submit | None) -> dict[str, list[str]]:
    return {submit.name: [submit.value]} if submit is not None and submit.name else {}


def forged_requests(url: str, *, all_note_ids: list[str], thorough: bool) -> Iterator[Request]:
    """No form on the page (or not allowed to see it): bodies a forger would try."""
    future = (datetime.datetime.now() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT09:00")
    common = {
        "post": ["yes"],
        "comment": ["偽造した POST"],
        "correction_note": [CORRECTION_NOTE],
        "override_reason": ["偽造した理由です"],
        "publish_at": [future],
        "note_ids": all_note_ids,
        "_selected_action": all_note_ids,
        "text": ["2405.01535"],
        "summary": ["偽造した要約"],
        "question": ["偽造した質問?"],
        "answer": ["偽造した回答."],
        "position": ["1"],
    }
    for index in range(len(ISSUE_VERBS) if thorough else 1):
        verbs = {
            "action": [ISSUE_VERBS[index]],
            "bulk_action": [BULK_VERBS[index % len(BULK_VERBS)]],
            "_workflow": [NOTE_VERBS[index % len(NOTE_VERBS)]],
        }
        label = "forged " + "/".join(value[0] for value in verbs.values())
        yield Request("post", url, {**common, **verbs}, label)


def api_requests(url: str) -> Iterator[Request]:
    body = {
        "text": "2405.01535",
        "week_start": "2024-07-01",
        "summary": "偽造した要約",
        "state": "published",
        "intro": "偽造",
        "batch": False,
    }
    for method in API_METHODS:
        yield Request(method, url, None if method == "get" else body, f"api {method}", json=method != "get")


# -- the invariants ------------------------------------------------------------------------


def new_events(before: ContentSnapshot, after: ContentSnapshot) -> list[dict]:
    return [event for pk, event in after.events.items() if pk not in before.events]


def violations(role: str, before: ContentSnapshot, after: ContentSnapshot) -> list[str]:
    """What the request did that the rules forbid (empty when it kept them)."""
    found = []
    events = new_events(before, after)
    for issue_id, old in before.issues.items():
        new = after.issues.get(issue_id)
        if new is None:
            if old["state"] != "collecting":
                found.append(f"issue {issue_id} ({old['state']}) was deleted")
            continue
        state_changed = (old["state"], old["published_at"]) != (new["state"], new["published_at"])
        if state_changed and not any(e["issue_id"] == issue_id for e in events):
            found.append(
                f"issue {issue_id}: {old['state']}→{new['state']} (published_at {old['published_at']}→"
                f"{new['published_at']}) without a workflow record"
            )
        if role == "editor" and state_changed:
            found.append(f"issue {issue_id}: an editor changed its state {old['state']}→{new['state']}")
        if role == "editor" and old["corrected_at"] != new["corrected_at"]:
            found.append(f"issue {issue_id}: an editor changed corrected_at")
        if (
            is_public(old["state"])
            and is_public(new["state"])
            and public_content(before, issue_id) != public_content(after, issue_id)
        ):
            if role == "editor":
                found.append(f"issue {issue_id} ({old['state']}): an editor changed its public content")
            corrections = [
                e for e in events if e["issue_id"] == issue_id and e["action"] == "issue_correct" and e["comment"]
            ]
            if not corrections or new["corrected_at"] in (None, old["corrected_at"]):
                found.append(
                    f"issue {issue_id} ({old['state']}): public content changed without a correction "
                    f"(events {[e['action'] for e in events]}, "
                    f"corrected_at {old['corrected_at']}→{new['corrected_at']})"
                )
        if old["state"] == "withdrawn" and withdrawn_content(before, issue_id) != withdrawn_content(after, issue_id):
            found.append(f"issue {issue_id} (withdrawn): its notes or Q&A changed")
    for note_id, old in before.notes.items():
        new = after.notes.get(note_id)
        issue_state = before.issues[old["issue_id"]]["state"]
        if new is None:
            if issue_state in ("published", "corrected", "withdrawn"):
                found.append(f"note {note_id} of a {issue_state} issue was deleted")
            continue
        note_events = [e for e in events if e["note_id"] == note_id]
        if old["state"] != new["state"] and not note_events:
            found.append(f"note {note_id}: {old['state']}→{new['state']} without a workflow record")
        if (
            old["state"] == new["state"] == NoteState.APPROVED
            and issue_state not in ("published", "corrected", "withdrawn")
            and note_content(before, note_id) != note_content(after, note_id)
            and not any(e["action"] == "note_approve" for e in note_events)
        ):
            found.append(f"note {note_id} ({issue_state} issue): texts or Q&A changed, still 承認済み")
        if new["state"] == NoteState.APPROVED and old["state"] != NoteState.APPROVED:
            blockers = note_approval_blockers(note=Note.objects.get(pk=note_id))
            if blockers:
                found.append(f"note {note_id}: became 承認済み with blockers {blockers}")
        if role == "editor" and old["position"] != new["position"] and issue_state in ("published", "corrected"):
            found.append(f"note {note_id}: an editor moved a published note")
    for qa_id, old in before.qas.items():
        new = after.qas.get(qa_id)
        if new is not None and new["note_id"] != old["note_id"]:
            found.append(f"Q&A {qa_id} moved from note {old['note_id']} to note {new['note_id']}")
    return found
