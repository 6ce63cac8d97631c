"""Errors as JSON with a Japanese ``detail``; the services' typed errors become 400."""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from papernotes.drafting.services import DraftingError
from papernotes.ingestion.services import IssueListError
from papernotes.search.query import InvalidQuery

BAD_REQUEST_ERRORS = (IssueListError, InvalidQuery, DraftingError)


def exception_handler(exc, context):
    if isinstance(exc, BAD_REQUEST_ERRORS):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
