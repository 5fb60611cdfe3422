"""Readers' error reports: the editors' list, and closing one with a note."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from .. import reports
from ..models import ErrorReport
from ..scales import ReportStatus
from ..services import WorkflowError


@admin.register(ErrorReport)
class ErrorReportAdmin(admin.ModelAdmin):
    """Open reports first, oldest first. An editor closes one by writing what was done."""

    list_display = ("excerpt", "claim_link", "status", "created_at", "closed_by")
    list_filter = ("status",)
    list_select_related = ("claim", "closed_by")
    fields = ("claim_link", "text", "email", "created_at", "status", "closing_note")
    readonly_fields = ("claim_link", "text", "email", "created_at", "status")

    def get_ordering(self, request):
        return ["-status", "created_at", "pk"]  # "open" before "closed"

    def has_add_permission(self, request):
        return False  # readers file them, on the public site

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # a report is part of the record

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != ReportStatus.OPEN:
            return (*self.readonly_fields, "closing_note")
        return self.readonly_fields

    @admin.display(description="report")
    def excerpt(self, obj):
        return Truncator(obj.text).chars(80)

    @admin.display(description="claim")
    def claim_link(self, obj):
        url = reverse("admin:claims_claim_change", args=[obj.claim_id])
        return format_html('<a href="{}">{}</a>', url, Truncator(obj.claim.statement).chars(80))

    def save_model(self, request, obj, form, change):
        """Saving an open report with a closing note closes it (editors only)."""
        if not change or obj.status != ReportStatus.OPEN:
            return
        note = form.cleaned_data.get("closing_note", "")
        if not note.strip():
            self.message_user(request, "Still open: write what was done to close it.")
            return
        try:
            reports.close_report(report=obj, editor=request.user, note=note)
        except WorkflowError as refused:
            self.message_user(request, f"Not closed: {refused}.", messages.ERROR)
        else:
            self.message_user(request, "Closed with your note.", messages.SUCCESS)
