"""The claims' work queue and change page: grading, evidence, workflow buttons and actions.

Status changes go through the workflow services (actions and the buttons under the change
form), never through a form field; an edit is one call of `services.save_claim`.
"""

import dataclasses

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from simple_history.template_utils import HistoricalRecordContextHelper

from .. import export, revisions, services
from ..filters import MAX_QUERY_LENGTH, parse_id
from ..forms import ClaimAdminForm
from ..models import Claim, ClaimRevision, ErrorReport, Evidence, work_queue_rank
from ..scales import Grade, ReportStatus, RevisionStatus, Status
from ..search import clean_text, search_filter
from ..services import GRADING_FIELDS
from .common import HistoryAdmin, can_grade, quote_context_html
from .filters import (
    OpenReportFilter,
    OpenRevisionFilter,
    RetractedCitationFilter,
    ReviewerFilter,
    SourceFilter,
    SubjectFilter,
)
from .inlines import EvidenceInline, GradeAssessmentInline
from .merge import MergeAdminMixin
from .revision import claim_revision_diff, formset_kwargs, note_of, save_revision, sentence

OPEN = services.OPEN


class ReadableHistoryHelper(HistoricalRecordContextHelper):
    """History diffs in reviewers' words: labels instead of codes, no bookkeeping fields."""

    HIDDEN = {"version", "slug", "created_at"}

    def context_for_delta_changes(self, delta):
        changes = [c for c in delta.changes if c.field not in self.HIDDEN]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=changes))

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if value in (None, ""):
            return "—"
        return super().prepare_delta_change_value(change, value)


@admin.register(Claim)
class ClaimAdmin(MergeAdminMixin, HistoryAdmin):
    form = ClaimAdminForm
    change_form_template = "admin/claims/claim/change_form.html"
    object_history_template = "admin/claims/claim/object_history.html"
    list_display = (
        "short_statement",
        "subject",
        "grade_display",
        "verdict",
        "status",
        "source_title",
        "supporting",
        "contradicting",
        "retraction_flag",
        "revision_flag",
        "open_reports",
        "reviewed_by",
        "reviewed_at",
    )
    list_select_related = ("source", "reviewed_by")
    list_filter = (
        "status",
        "grade",
        "verdict",
        SubjectFilter,
        "claim_type",
        "hedged",
        SourceFilter,
        ("reviewed_by", ReviewerFilter),
        RetractedCitationFilter,
        OpenRevisionFilter,
        OpenReportFilter,
    )
    # What the search box looks in; get_search_results searches them as the public site does.
    search_fields = ("statement", "quote", "subject", "outcome")
    search_help_text = (
        'Words as on the public site: all must match; use "quotes" for a phrase, OR, and '
        "-word to leave one out. A number finds the claim with that ID."
    )
    list_per_page = 50
    # The total of all claims is not shown beside a filtered count: one count per page, not two.
    show_full_result_count = False
    inlines = (EvidenceInline, GradeAssessmentInline)

    class Media:
        css = {"all": ("css/admin.css",)}
        js = ("js/grade-certainty.js", "js/inline-labels.js")

    actions = (
        "send_to_review_action",
        "publish_action",
        "unpublish_action",
        "reject_action",
        "export_csv_action",
    )

    def get_queryset(self, request):
        # Not super(): it orders before we can annotate the queue rank it orders by.
        return (
            Claim.objects.with_stance_counts()
            .annotate(
                queue_rank=work_queue_rank(),
                cites_retracted=Exists(
                    Evidence.objects.filter(claim=OuterRef("pk"), citation__is_retracted=True)
                ),
                reports_open=Coalesce(
                    Subquery(
                        ErrorReport.objects.filter(claim=OuterRef("pk"), status=ReportStatus.OPEN)
                        .order_by()
                        .values("claim")
                        .annotate(n=Count("pk"))
                        .values("n")
                    ),
                    0,
                ),
                revision_status=Subquery(
                    ClaimRevision.objects.filter(claim=OuterRef("pk"), status__in=OPEN).values(
                        "status"
                    )[:1]
                ),
            )
            .order_by(*self.get_ordering(request))
        )

    def get_ordering(self, request):
        return ["queue_rank", "created_at", "pk"]

    def get_search_results(self, request, queryset, search_term):
        """The public site's search (full text on PostgreSQL, through the claims' search
        vector index) instead of the admin's substring match on four columns, which read
        every claim; a number also finds the claim with that ID."""
        text = clean_text(search_term)[:MAX_QUERY_LENGTH]
        if not text:
            return queryset, False
        found = search_filter(queryset, text)
        if (pk := parse_id(text)) is not None:
            found = found | queryset.filter(pk=pk)
        return found, False

    def get_fieldsets(self, request, obj=None):
        review = []
        if obj is not None and obj.status == Status.PUBLISHED:
            review = [
                (
                    "Editorial review",
                    {"fields": ("pending_revision", "public_note", "readers_reports")},
                )
            ]
        elif obj is not None and obj.published_at is not None:  # published again: a note
            review = [("Editorial review", {"fields": ("public_note",)})]
        return [
            *review,
            (
                None,
                {
                    "fields": (
                        "seen_version",
                        "revision_version",
                        "statement",
                        "subject",
                        "outcome",
                        ("claim_type", "hedged", "check_worthiness"),
                    )
                },
            ),
            (
                "Quote",
                {"fields": ("source", "quote_in_context", "quote", ("quote_start", "quote_end"))},
            ),
            ("Workflow", {"fields": ("status", "public_link")}),
            ("Grading", {"fields": (*GRADING_FIELDS, "reviewed_by", "reviewed_at")}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = [
            "pending_revision",
            "readers_reports",
            "quote_in_context",
            "status",
            "public_link",
            "reviewed_by",
            "reviewed_at",
            "hedged",  # the extraction's reading of the quote, not an editorial choice
            "check_worthiness",
        ]
        if obj is not None:
            readonly.append("source")
        if not can_grade(request):
            readonly.extend(GRADING_FIELDS)
        return readonly

    # -- list columns ---------------------------------------------------------------------

    @admin.display(description="claim", ordering="statement")
    def short_statement(self, obj):
        return Truncator(obj.statement).chars(90)

    @admin.display(description="grade", ordering="grade")
    def grade_display(self, obj):
        return obj.grade_choice.display

    @admin.display(description="source", ordering="source__title")
    def source_title(self, obj):
        # Links to the queue narrowed to this source (SourceFilter then names it).
        return format_html(
            '<a href="?source__id__exact={}" title="Only claims from this source">{}</a>',
            obj.source_id,
            Truncator(obj.source.title).chars(40),
        )

    @admin.display(description="supporting", ordering="supporting")
    def supporting(self, obj):
        return obj.supporting

    @admin.display(description="contradicting", ordering="contradicting")
    def contradicting(self, obj):
        return obj.contradicting

    @admin.display(description="retraction", ordering="cites_retracted")
    def retraction_flag(self, obj):
        if obj.cites_retracted:
            return format_html("<strong>{}</strong>", "⚠ cites a retracted work")
        return ""

    @admin.display(description="reports", ordering="reports_open")
    def open_reports(self, obj):
        if not obj.reports_open:
            return ""
        url = reverse("admin:claims_errorreport_changelist") + f"?claim__id__exact={obj.pk}"
        return format_html('<a href="{}">{} open</a>', url, obj.reports_open)

    @admin.display(description="revision")
    def revision_flag(self, obj):
        if obj.revision_status == RevisionStatus.PENDING:
            return format_html("<strong>{}</strong>", "⏳ awaits an editor")
        if obj.revision_status == RevisionStatus.RETURNED:
            return "↩ sent back"
        return ""

    # -- change page: a published claim's form works on a proposal ---------------------------

    def get_object(self, request, object_id, from_field=None):
        """On a published claim's change page, the claim with its open revision's values (the
        form shows the proposal; the live row is not touched): see revisions.current_proposal."""
        claim = super().get_object(request, object_id, from_field)
        match = request.resolver_match
        change_page = match is not None and match.url_name == "claims_claim_change"
        if claim is not None and claim.status == Status.PUBLISHED and change_page:
            claim.open_revision = revisions.open_revision(claim)
            claim.proposal = revisions.current_proposal(claim)
            for name, value in claim.proposal.fields.items():
                setattr(claim, name, value)
        return claim

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if getattr(obj, "proposal", None) is not None:
            kwargs |= formset_kwargs(obj.proposal, inline.model)
        return kwargs

    @admin.display(description="pending revision")
    def pending_revision(self, obj):
        revision = getattr(obj, "open_revision", None)
        if revision is None:
            return (
                "None. This claim is public: saving this form stores your change as a revision, "
                "and the public page shows the live version until an editor approves it."
            )
        return claim_revision_diff(obj, revision)

    @admin.display(description="readers' reports")
    def readers_reports(self, obj):
        reports = obj.error_reports.filter(status=ReportStatus.OPEN).order_by("created_at")
        if not reports:
            return "No open report."
        return format_html_join(
            "",
            '<p><a href="{}">{}</a>: “{}”</p>',
            (
                (
                    reverse("admin:claims_errorreport_change", args=[report.pk]),
                    report.created_at.strftime("%Y-%m-%d"),
                    Truncator(report.text).chars(200),
                )
                for report in reports
            ),
        )

    # -- change page ------------------------------------------------------------------------

    @admin.display(description="quote in its context")
    def quote_in_context(self, obj):
        return quote_context_html(obj)

    @admin.display(description="public page")
    def public_link(self, obj):
        if obj is None or obj.status != Status.PUBLISHED:
            return "Not public (only published claims are)."
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.get_absolute_url())

    def view_on_site(self, obj):
        # Only a published claim has a public page; an unpublished one's slug stays here.
        return obj.get_absolute_url() if obj.status == Status.PUBLISHED else None

    def save_model(self, request, obj, form, change):
        """Nothing here: the claim is saved with its inlines, as one edit, in save_related."""

    def save_related(self, request, form, formsets, change):
        """The whole save: services.save_claim locks the claim, checks the version the
        reviewer started from, saves the inlines (evidence, assessment) and then the claim.
        A published claim's save proposes a revision instead (see save_revision)."""
        if getattr(form.instance, "proposal", None) is not None:
            request.revision_outcome = save_revision(request, form, formsets)
            for formset in formsets:  # nothing of theirs was saved (the admin's log asks)
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        services.save_claim(
            claim=form.instance,
            user=request.user,
            seen_version=form.cleaned_data.get("seen_version"),
            save_related=lambda claim: super(ClaimAdmin, self).save_related(
                request, form, formsets, change
            ),
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.StaleEdit as stale:
            # Someone saved between the form's version check and the save's (the form's own
            # check catches the usual case and keeps the input): nothing was saved.
            self.message_user(request, f"Not saved: {stale.message}", messages.ERROR)
            return HttpResponseRedirect(request.path)
        except (revisions.StaleRevision, services.WorkflowError, ValidationError) as refused:
            self.message_user(request, f"Not saved: {sentence(refused)}", messages.ERROR)
            return HttpResponseRedirect(request.path)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_publish": request.user.has_perm("claims.publish_claim"),
            "can_change_status": request.user.has_perm("claims.change_claim"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def response_change(self, request, obj):
        if outcome := getattr(request, "revision_outcome", None):
            level, message = outcome
            self.message_user(request, message, level)
            if "_unpublish" not in request.POST:
                return HttpResponseRedirect(request.path)
        workflow = {
            "_send_to_review": services.send_to_review,
            "_publish": services.publish_claim,
            "_unpublish": services.unpublish_claim,
            "_reject": services.reject_claim,
        }
        for button, service in workflow.items():
            if button in request.POST:
                try:
                    if service is services.publish_claim:
                        service(claim=obj, user=request.user, note=note_of(request))
                    else:
                        service(claim=obj, user=request.user)
                except services.WorkflowError as error:
                    self.message_user(
                        request, f"Saved, but the status did not change: {error}.", messages.ERROR
                    )
                else:
                    obj.refresh_from_db()
                    self.message_user(
                        request, f"Saved; the claim is now {obj.get_status_display().lower()}."
                    )
                return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableHistoryHelper(self.model, historical_record)

    def revert_disabled(self, request, obj=None):
        # Reverting through simple-history would bypass the version check and the workflow.
        return True

    def history_view(self, request, object_id, extra_context=None):
        if parse_id(object_id) is None:
            raise Http404("No such claim.")  # not a 500 from filtering by a non-number
        evidence_history = (
            Evidence.history.filter(claim_id=object_id)
            .select_related("citation", "history_user")
            .order_by("-history_date", "-history_id")[:200]
        )
        extra_context = {**(extra_context or {}), "evidence_history": evidence_history}
        return super().history_view(request, object_id, extra_context)

    # -- permissions ------------------------------------------------------------------------

    def has_publish_permission(self, request):
        return request.user.has_perm("claims.publish_claim")

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        # Nobody but a superuser deletes a graded claim, whatever permissions they hold.
        if obj is not None and obj.grade != Grade.UNGRADED:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        Claim.objects.filter(pk__in=list(queryset.values_list("pk", flat=True))).delete()

    # -- actions ----------------------------------------------------------------------------

    def _run_workflow(self, request, queryset, service, done: str):
        changed, refused = 0, []
        pks = list(queryset.values_list("pk", flat=True))
        for claim in Claim.objects.filter(pk__in=pks).only("pk", "statement").order_by("pk"):
            try:
                service(claim=claim, user=request.user)
                changed += 1
            except (services.WorkflowError, ValidationError) as error:
                refused.append(f"#{claim.pk} “{Truncator(claim.statement).chars(40)}”: {error}")
        if changed:
            self.message_user(request, f"{done} {changed} claim(s).", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"Refused {len(refused)} claim(s): " + "; ".join(refused) + ".",
                messages.WARNING,
            )

    @admin.action(description="Send to review (accept candidates)", permissions=["change"])
    def send_to_review_action(self, request, queryset):
        self._run_workflow(request, queryset, services.send_to_review, "Sent to review")

    @admin.action(description="Publish", permissions=["publish"])
    def publish_action(self, request, queryset):
        self._run_workflow(request, queryset, services.publish_claim, "Published")

    @admin.action(description="Unpublish (back to review)", permissions=["publish"])
    def unpublish_action(self, request, queryset):
        self._run_workflow(request, queryset, services.unpublish_claim, "Unpublished")

    @admin.action(description="Reject (not a checkable claim)", permissions=["change"])
    def reject_action(self, request, queryset):
        self._run_workflow(request, queryset, services.reject_claim, "Rejected")

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv_action(self, request, queryset):
        # Re-select by id: the changelist's queue annotations and grouping are not report
        # columns. Any status may be exported here; the status column says which.
        selected = Claim.objects.filter(pk__in=queryset.order_by().values("pk"))
        return export.admin_csv_response(selected)
