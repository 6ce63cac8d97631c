"""Drafting in the review screen: the draft's state, its calls and cost, evidence per answer,
and regenerating one field or one Q&A answer.

Regeneration runs through the drafting task (``papernotes.drafting.services.note_regenerate``)
and is asked for and followed with ``fetch`` from the page, so what the editor is typing is
never submitted or lost. Its result replaces a text only while that text is still the
machine's; over an editor's text it becomes the suggestion shown under the field.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext

from editorial.admin.ingestion import ReadOnlyAdmin
from papernotes.drafting.llm import llm_configured
from papernotes.drafting.selectors import note_call_totals
from papernotes.drafting.services import DraftingError, note_regenerate, notes_draft_start
from papernotes.models import DraftingBatch, LlmCall, Note, NoteDrafting, QuestionAnswer


class NoteDraftingAdminMixin:
    """Added to the note admin: drafting panel, evidence, regeneration endpoints."""

    def get_urls(self):
        own = [
            path(
                "<int:note_id>/regenerate/",
                self.admin_site.admin_view(self.regenerate_view),
                name="papernotes_note_regenerate",
            ),
            path(
                "<int:note_id>/regenerate/status/",
                self.admin_site.admin_view(self.regeneration_status_view),
                name="papernotes_note_regeneration_status",
            ),
            path(
                "<int:note_id>/draft/",
                self.admin_site.admin_view(self.draft_note_view),
                name="papernotes_note_draft",
            ),
        ]
        return own + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self._drafting_context(request, obj))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _drafting_context(self, request, note: Note) -> dict:
        drafting = NoteDrafting.objects.filter(note=note).first()
        may_regenerate = (
            llm_configured() and self.has_change_permission(request, note) and not (note.issue.was_published)
        )
        return {
            "drafting": drafting,
            "drafting_totals": note_call_totals(note_id=note.pk),
            "llm_on": llm_configured(),
            "may_regenerate": may_regenerate,
            "regenerate_url": reverse("admin:papernotes_note_regenerate", args=[note.pk]),
            "regeneration_status_url": reverse("admin:papernotes_note_regeneration_status", args=[note.pk]),
            "draft_note_url": reverse("admin:papernotes_note_draft", args=[note.pk]),
            "llm_calls_url": reverse("admin:papernotes_llmcall_changelist") + f"?note__id__exact={note.pk}",
        }

    def _note_for_change(self, request, note_id: int) -> Note:
        note = get_object_or_404(Note.objects.select_related("issue"), pk=note_id)
        if not self.has_change_permission(request, note):
            raise PermissionDenied
        return note

    def regenerate_view(self, request, note_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        note = self._note_for_change(request, note_id)
        target = request.POST.get("target", "")
        try:
            note_regenerate(note_id=note.pk, target=target, user=request.user)
        except DraftingError as error:
            return JsonResponse({"status": "refused", "message": str(error)}, status=400)
        return JsonResponse({"status": "queued", "message": gettext("再生成を開始しました…")})

    def regeneration_status_view(self, request, note_id: int):
        note = get_object_or_404(Note, pk=note_id)
        if not self.has_view_permission(request, note):
            raise PermissionDenied
        target = request.GET.get("target", "")
        drafting = NoteDrafting.objects.filter(note=note).first()
        state = dict((drafting.regenerations if drafting else {}).get(target, {}))
        if state.get("status") == "done":
            # What the page needs to show the result without reloading.
            if target.startswith("qa:"):
                qa = QuestionAnswer.objects.filter(pk=target.removeprefix("qa:"), note=note).first()
                if qa is not None:
                    state.update(text=qa.answer, machine_draft=qa.answer_machine_draft)
            elif target in ("summary", "abstract_ja"):
                state.update(text=getattr(note, target), machine_draft=getattr(note, f"{target}_machine_draft"))
            if state.get("changed"):
                state["message"] = gettext("新しい機械下書きを反映しました。")
        return JsonResponse(state or {"status": "none"})

    def draft_note_view(self, request, note_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        note = self._note_for_change(request, note_id)
        if not llm_configured():
            return JsonResponse({"message": gettext("LLM が設定されていません。")}, status=400)
        started = notes_draft_start(note_ids=[note.pk], force=request.POST.get("force") == "1", user=request.user)
        message = gettext("下書きの作成を開始しました。") if started else gettext("このノートは作成中か作成済みです。")
        return JsonResponse({"message": message})


class RecordAdmin(ReadOnlyAdmin):
    """What the machines recorded: to read, never to edit or delete."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LlmCall)
class LlmCallAdmin(RecordAdmin):
    """Every LLM call, read only: what it used, what it cost, how it ended."""

    list_display = (
        "created_at",
        "note",
        "step",
        "target",
        "model",
        "attempt",
        "outcome",
        "input_tokens",
        "cached_input_tokens",
        "output_tokens",
        "latency_ms",
        "cost_usd",
        "batch_id",
    )
    list_filter = ("step", "outcome", "model", "note__issue")
    list_select_related = ("note__issue", "note__paper")
    search_fields = ("note__paper__arxiv_id", "note__paper__title", "error", "batch_id")
    date_hierarchy = "created_at"


@admin.register(DraftingBatch)
class DraftingBatchAdmin(RecordAdmin):
    """Batches of the Batch API (batch mode), read only: where each is, and why one failed."""

    list_display = (
        "created_at",
        "step",
        "status",
        "provider_status",
        "provider_batch_id",
        "request_counts",
        "submitted_at",
        "deadline_at",
        "finished_at",
        "error",
    )
    list_filter = ("step", "status", "provider_status")
    search_fields = ("provider_batch_id", "items__custom_id", "error")


@admin.register(NoteDrafting)
class NoteDraftingAdmin(RecordAdmin):
    list_display = ("note", "status", "step", "run", "attempts", "error_code", "updated_at")
    list_filter = ("status", "error_code", "note__issue")
    list_select_related = ("note__issue", "note__paper")
    search_fields = ("note__paper__arxiv_id", "last_error")
