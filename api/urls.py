"""API URLs: ``/api/v1/`` (public reads and editorial endpoints) and the OpenAPI schema."""

from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.views import delivery, editorial, public, workflow

# Loose on purpose: the views validate, so that a bad value is a JSON 404, not an HTML page.
WEEK = r"(?P<week>[^/]+)"
ARXIV_ID = r"(?P<arxiv_id>[^/]+(?:/[^/]+)?)"
NOTE_ID = r"(?P<note_id>[^/]+)"
ACTION = r"(?P<action>[^/]+)"

v1 = [
    path("issues/", public.issue_list, name="issue-list"),
    re_path(rf"^issues/{WEEK}/$", public.issue_detail, name="issue-detail"),
    path("notes/", public.note_list, name="note-list"),
    re_path(rf"^papers/{ARXIV_ID}/$", public.paper_detail, name="paper-detail"),
    path("editorial/issues/", editorial.IssueFromListView.as_view(), name="editorial-issue-create"),
    re_path(rf"^editorial/issues/{WEEK}/pipeline/$", editorial.IssuePipelineView.as_view(), name="editorial-pipeline"),
    re_path(rf"^editorial/issues/{WEEK}/draft/$", editorial.IssueDraftView.as_view(), name="editorial-draft"),
    re_path(
        rf"^editorial/issues/{WEEK}/actions/$", workflow.IssueActionListView.as_view(), name="editorial-issue-actions"
    ),
    re_path(
        rf"^editorial/issues/{WEEK}/actions/{ACTION}/$",
        workflow.IssueActionView.as_view(),
        name="editorial-issue-action",
    ),
    re_path(rf"^editorial/notes/{NOTE_ID}/$", workflow.NoteEditView.as_view(), name="editorial-note"),
    re_path(
        rf"^editorial/notes/{NOTE_ID}/actions/$", workflow.NoteActionListView.as_view(), name="editorial-note-actions"
    ),
    re_path(
        rf"^editorial/notes/{NOTE_ID}/actions/{ACTION}/$",
        workflow.NoteActionView.as_view(),
        name="editorial-note-action",
    ),
    path("delivery/events/", delivery.delivery_events, name="delivery-events"),
]

app_name = "api"
urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the sidecar's static files; its start-up script is served from this
    # URL (?script), not inline, so the policy's script-src 'self' lets it run. The page has
    # one inline <style> element; nothing else is relaxed.
    path(
        "schema/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
]
