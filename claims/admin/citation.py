from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from .. import retractions, revisions
from ..forms import CitationForm
from ..models import Citation, normalize_doi
from .citation_import import import_view
from .common import RETRACTED_BADGE, URL_OVERRIDES, HistoryAdmin
from .revision import REFUSALS, citation_revision_diff, save_citation_revision, sentence


@admin.register(Citation)
class CitationAdmin(HistoryAdmin):
    form = CitationForm
    formfield_overrides = URL_OVERRIDES
    list_display = ("retraction", "title", "authors", "year", "study_design", "doi", "pmid")
    list_display_links = ("title",)
    list_filter = ("is_retracted", "retraction_status", "study_design", "year")
    search_fields = ("title", "authors", "doi", "pmid")
    readonly_fields = ("pending_revision", "retraction_warning", "claims_citing")
    change_form_template = "admin/claims/citation/change_form.html"
    change_list_template = "admin/claims/citation/change_list.html"

    def get_urls(self):
        page = self.admin_site.admin_view(lambda request: import_view(self, request))
        return [path("import/", page, name="claims_citation_import"), *super().get_urls()]

    def get_fieldsets(self, request, obj=None):
        review = []
        if obj is not None and hasattr(obj, "open_revision"):
            review = [("Editorial review", {"fields": ("pending_revision", "public_note")})]
        return [
            *review,
            (
                None,
                {
                    "fields": (
                        "revision_version",
                        "retraction_warning",
                        "title",
                        "authors",
                        "year",
                        "venue",
                    )
                },
            ),
            ("Identifiers", {"fields": ("doi", "pmid", "url")}),
            ("Design", {"fields": ("study_design", "design_note", "is_retracted")}),
            ("Used by", {"fields": ("claims_citing",)}),
        ]

    # -- a work that published claims cite changes through an editor --------------------------

    def get_object(self, request, object_id, from_field=None):
        """On the change page of a work a published claim cites, the work with its open
        revision's reference (the live row is not touched)."""
        citation = super().get_object(request, object_id, from_field)
        match = request.resolver_match
        change_page = match is not None and match.url_name == "claims_citation_change"
        if citation is not None and change_page and revisions.cited_by_published(citation):
            citation.open_revision = revisions.open_citation_revision(citation)
            if citation.open_revision is not None:
                for name, value in citation.open_revision.fields.items():
                    setattr(citation, name, value)
        return citation

    @admin.display(description="pending revision")
    def pending_revision(self, obj):
        revision = getattr(obj, "open_revision", None)
        if revision is None:
            return (
                "None. Published claims cite this work: saving this form stores your change "
                "as a revision, and their pages show the live reference until an editor "
                "approves it."
            )
        return citation_revision_diff(revision)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["editorial_review"] = hasattr(obj, "open_revision")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        if change and hasattr(obj, "open_revision"):
            request.revision_outcome = save_citation_revision(request, obj, form)
            return
        super().save_model(request, obj, form, change)

    def response_change(self, request, obj):
        if outcome := getattr(request, "revision_outcome", None):
            self.message_user(request, outcome[1], outcome[0])
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_publish": request.user.has_perm("claims.publish_claim"),
        }
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except REFUSALS as refused:
            self.message_user(request, f"Not saved: {sentence(refused)}", messages.ERROR)
            return HttpResponseRedirect(request.path)

    def get_search_results(self, request, queryset, search_term):
        # A DOI pasted as a doi.org link finds the work stored under its bare DOI.
        if search_term.lower().startswith(("http://", "https://", "doi:")) and "doi" in (
            search_term.lower()
        ):
            search_term = normalize_doi(search_term)
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="retracted", ordering="is_retracted")
    def retraction(self, obj):
        return format_html("<strong>{}</strong>", RETRACTED_BADGE) if obj.is_retracted else ""

    @admin.display(description="status")
    def retraction_warning(self, obj):
        if obj is not None and obj.retraction_status:
            # Set by import_retractions (Retraction Watch, Crossref), not by this form.
            return format_html(
                "<strong>{}</strong> — {}. Notice: {}. Reasons: {}.",
                obj.get_retraction_status_display(),
                retractions.describe(obj),
                obj.retraction_notice_doi or "no DOI",
                obj.retraction_reasons or "none given",
            )
        if obj is not None and obj.is_retracted:
            return format_html(
                "<strong>{}</strong> — this work has been retracted; claims citing it are "
                "flagged in the queue.",
                RETRACTED_BADGE,
            )
        return "Not retracted."

    @admin.display(description="claims citing this work")
    def claims_citing(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        links = obj.evidence.select_related("claim").order_by("claim__statement")[:100]
        if not links:
            return "None yet."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({})</li>',
                (
                    (
                        reverse("admin:claims_claim_change", args=[link.claim_id]),
                        Truncator(link.claim.statement).chars(80),
                        link.get_stance_display(),
                    )
                    for link in links
                ),
            ),
        )
