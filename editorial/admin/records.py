"""Read-only views of what the workflow records: transitions, dismissals, comments."""

from django.contrib import admin

from editorial.admin.ingestion import ReadOnlyAdmin
from editorial.models import FindingDismissal, ReviewComment, WorkflowEvent


@admin.register(WorkflowEvent)
class WorkflowEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "issue", "note", "action", "source_state", "target_state", "actor", "comment")
    list_filter = ("action", "actor")
    list_select_related = ("issue", "note__paper", "actor")
    search_fields = ("comment", "override_reason", "note__paper__title")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the audit trail is never edited


@admin.register(FindingDismissal)
class FindingDismissalAdmin(ReadOnlyAdmin):
    list_display = ("dismissed_at", "note", "code", "excerpt", "reason", "dismissed_by")
    list_filter = ("code",)
    list_select_related = ("note__paper", "dismissed_by")


@admin.register(ReviewComment)
class ReviewCommentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "note", "author", "text", "resolved")
    list_filter = ("resolved",)
    list_select_related = ("note__paper", "author")
