"""Editors' workflow and editing endpoints, built from the same tables and services as the admin.

``/editorial/issues/<week>/actions/`` and ``/editorial/notes/<id>/actions/`` list and run
the actions of ``editorial.actions`` (what the caller may do now; the service checks
again). ``/editorial/notes/<id>/`` reads a note as editors see it and PATCHes its content
through ``editorial.editing.note_edit``: the same rules as the review screen (approval
taken back, correction after publication, stale Q&A set refused), with no rule here.
"""

import datetime

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from api.serializers import (
    ActionErrorSerializer,
    ActionInputSerializer,
    ActionListSerializer,
    EditorialNoteSerializer,
    ErrorSerializer,
    NoteEditResultSerializer,
    NoteEditSerializer,
)
from api.views.editorial import WEEK_PARAMETER, EditorialView
from editorial.actions import ISSUE_ACTIONS, NOTE_ACTIONS, available_actions, perform_action
from editorial.editing import EditNotPermitted, EditRefused, QAEdit, StaleQASet, note_edit
from editorial.workflow import ActionNotPermitted, WorkflowError
from papernotes.models import Note, WeeklyIssue

ACTION_PARAMETER = OpenApiParameter("action", OpenApiTypes.STR, OpenApiParameter.PATH, description="操作の名前")
NOTE_PARAMETER = OpenApiParameter("note_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="論文ノートの id")
ACTION_RESPONSES = {
    200: ActionListSerializer,
    400: ActionErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
}


def _issue(week: str) -> WeeklyIssue:
    try:
        return WeeklyIssue.objects.get(week_start=datetime.date.fromisoformat(week))
    except (ValueError, WeeklyIssue.DoesNotExist) as error:
        raise Http404 from error


def _note(note_id: str) -> Note:
    try:
        return Note.objects.select_related("issue", "paper").get(pk=int(note_id))
    except (ValueError, OverflowError, Note.DoesNotExist) as error:
        raise Http404 from error


def _listing(obj, user) -> dict:
    return {
        "state": obj.state,
        "state_label": obj.get_state_display(),
        "actions": [
            {
                "name": action.name,
                "label": str(action.label),
                "inputs": list(action.inputs),
                "comment_required": action.comment_required,
            }
            for action in available_actions(obj, user)
        ],
    }


def _run(request, obj, name: str, table) -> Response:
    if name not in table:
        raise Http404
    payload = ActionInputSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    try:
        obj = perform_action(obj, name, actor=request.user, **payload.validated_data)
    except ActionNotPermitted as error:
        raise PermissionDenied(error.message) from error
    except WorkflowError as error:
        return Response({"detail": error.message, "reasons": error.reasons}, status=status.HTTP_400_BAD_REQUEST)
    obj.refresh_from_db()
    return Response(_listing(obj, request.user))


class IssueActionListView(EditorialView):
    required_permission = "editorial.review_note"

    @extend_schema(summary="週刊号の状態と、今行える操作", parameters=[WEEK_PARAMETER], responses=ACTION_RESPONSES)
    def get(self, request, week: str):
        return Response(_listing(_issue(week), request.user))


class IssueActionView(EditorialView):
    required_permission = "editorial.review_note"

    @extend_schema(
        summary="週刊号の操作(レビューに回す・公開・予約・訂正・取り下げなど)を行う",
        parameters=[WEEK_PARAMETER, ACTION_PARAMETER],
        request=ActionInputSerializer,
        responses=ACTION_RESPONSES,
    )
    def post(self, request, week: str, action: str):
        return _run(request, _issue(week), action, ISSUE_ACTIONS)


class NoteActionListView(EditorialView):
    required_permission = "editorial.review_note"

    @extend_schema(summary="論文ノートの状態と、今行える操作", parameters=[NOTE_PARAMETER], responses=ACTION_RESPONSES)
    def get(self, request, note_id: str):
        return Response(_listing(_note(note_id), request.user))


class NoteActionView(EditorialView):
    required_permission = "editorial.review_note"

    @extend_schema(
        summary="論文ノートの操作(レビュー開始・承認・修正依頼・承認の取り消し)を行う",
        parameters=[NOTE_PARAMETER, ACTION_PARAMETER],
        request=ActionInputSerializer,
        responses=ACTION_RESPONSES,
    )
    def post(self, request, note_id: str, action: str):
        return _run(request, _note(note_id), action, NOTE_ACTIONS)


class NoteEditView(EditorialView):
    required_permission = "papernotes.change_note"

    @extend_schema(
        summary="論文ノートを編集者として読む(未公開の状態も)",
        parameters=[NOTE_PARAMETER],
        responses={200: EditorialNoteSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request, note_id: str):
        note = _note(note_id)
        return Response(EditorialNoteSerializer(Note.objects.prefetch_related("qas").get(pk=note.pk)).data)

    @extend_schema(
        summary="論文ノートの文章・Q&A・順番を変更する(レビュー画面と同じ規則)",
        parameters=[NOTE_PARAMETER],
        request=NoteEditSerializer,
        responses={
            200: NoteEditResultSerializer,
            400: OpenApiResponse(ErrorSerializer, description="規則により変更できません(何も変わっていません)"),
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: OpenApiResponse(ErrorSerializer, description="読み込んだ後に他の人が Q&A を変更しました"),
        },
    )
    def patch(self, request, note_id: str):
        note = _note(note_id)
        payload = NoteEditSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        qas = [
            QAEdit(
                qa_id=row.get("id"),
                position=row.get("position"),
                texts={name: row[name] for name in ("question", "answer") if name in row},
                delete=row.get("delete", False),
            )
            for row in data.get("qas", [])
        ]
        try:
            result = note_edit(
                note_id=note.pk,
                actor=request.user,
                texts={name: data[name] for name in Note.provenanced_fields if name in data},
                qas=qas,
                position=data.get("position"),
                correction_note=data.get("correction_note", ""),
                qa_set_seen=data.get("qa_set_seen"),
            )
        except EditNotPermitted as error:
            raise PermissionDenied(error.message) from error
        except StaleQASet as error:
            return Response({"detail": error.message}, status=status.HTTP_409_CONFLICT)
        except EditRefused as error:
            return Response({"detail": error.message}, status=status.HTTP_400_BAD_REQUEST)
        body = {
            "note": Note.objects.prefetch_related("qas").select_related("issue", "paper").get(pk=note.pk),
            "changed_texts": result.changed_texts,
            "qa_set_changed": result.qa_set_changed,
            "position_changed": result.position_changed,
            "approval_taken_back": result.approval_taken_back,
            "corrected": result.corrected,
        }
        return Response(NoteEditResultSerializer(body).data)
