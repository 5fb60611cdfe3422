from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from ..forms import CitationForm
from ..models import Citation, normalize_doi
from .common import RETRACTED_BADGE, URL_OVERRIDES, HistoryAdmin


@admin.register(Citation)
class CitationAdmin(HistoryAdmin):
    form = CitationForm
    formfield_overrides = URL_OVERRIDES
    list_display = ("retraction", "title", "authors", "year", "study_design", "doi", "pmid")
    list_display_links = ("title",)
    list_filter = ("is_retracted", "study_design", "year")
    search_fields = ("title", "authors", "doi", "pmid")
    readonly_fields = ("retraction_warning", "claims_citing")
    fieldsets = [
        (None, {"fields": ("retraction_warning", "title", "authors", "year", "venue")}),
        ("Identifiers", {"fields": ("doi", "pmid", "url")}),
        ("Design", {"fields": ("study_design", "design_note", "is_retracted")}),
        ("Used by", {"fields": ("claims_citing",)}),
    ]

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
