"""Editors' endpoints (token authentication): create a week's issue from a list, start
drafting it, read its pipeline status. Thin: each calls the service or selector that the
admin uses."""

import datetime

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import EditorPermission
from api.serializers import (
    DraftInputSerializer,
    DraftResultSerializer,
    ErrorSerializer,
    IssueFromListInputSerializer,
    IssueFromListResultSerializer,
    PipelineSerializer,
)
from papernotes.drafting.services import issue_draft_start
from papernotes.ingestion.selectors import issue_pipeline
from papernotes.ingestion.services import issue_create_from_list
from papernotes.models import WeeklyIssue

WEEK_PARAMETER = OpenApiParameter("week", OpenApiTypes.DATE, OpenApiParameter.PATH, description="週の開始日(月曜日)")


class EditorialView(APIView):
    permission_classes = [EditorPermission]
    throttle_classes = []


class IssueFromListView(EditorialView):
    required_permission = "papernotes.add_weeklyissue"

    @extend_schema(
        summary="論文の一覧から週刊号を作成(または追加)し、取り込みを開始する",
        request=IssueFromListInputSerializer,
        responses={
            201: IssueFromListResultSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="リストまたは週が正しくありません"),
            401: ErrorSerializer,
            403: ErrorSerializer,
        },
    )
    def post(self, request):
        payload = IssueFromListInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = issue_create_from_list(
            text=payload.validated_data["text"], week_start=payload.validated_data.get("week_start"), user=request.user
        )
        return Response(IssueFromListResultSerializer(result).data, status=status.HTTP_201_CREATED)


class IssuePipelineView(EditorialView):
    required_permission = "papernotes.view_weeklyissue"

    @extend_schema(
        summary="週刊号の論文ごとの取り込み状況",
        parameters=[WEEK_PARAMETER],
        responses={200: PipelineSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request, week: str):
        try:
            pipeline = issue_pipeline(week_start=datetime.date.fromisoformat(week))
        except ValueError as error:
            raise Http404 from error
        if pipeline is None:
            raise Http404
        return Response(PipelineSerializer(pipeline).data)


class IssueDraftView(EditorialView):
    required_permission = "papernotes.change_note"

    @extend_schema(
        summary="週刊号の論文ノートの下書きを LLM で作成する(作業は Celery で進む)",
        parameters=[WEEK_PARAMETER],
        request=DraftInputSerializer,
        responses={
            202: DraftResultSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def post(self, request, week: str):
        try:
            issue = WeeklyIssue.objects.get(week_start=datetime.date.fromisoformat(week))
        except (ValueError, WeeklyIssue.DoesNotExist) as error:
            raise Http404 from error
        payload = DraftInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        started = issue_draft_start(issue_id=issue.pk, force=payload.validated_data["force"], user=request.user)
        result = {"week_start": issue.week_start, "started": len(started)}
        return Response(DraftResultSerializer(result).data, status=status.HTTP_202_ACCEPTED)
