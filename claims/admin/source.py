from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from ..models import Source
from .common import URL_OVERRIDES


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ("title", "kind", "publisher", "published_on", "created_at")
    list_filter = ("kind",)
    search_fields = ("title", "publisher", "author", "url")
    readonly_fields = ("claims_taken",)
    fieldsets = [
        (None, {"fields": ("title", "kind", "url", "publisher", "author", "published_on")}),
        ("Text", {"fields": ("text", "note")}),
        ("Claims taken from it", {"fields": ("claims_taken",)}),
    ]

    @admin.display(description="claims")
    def claims_taken(self, obj):
        if obj is None or obj.pk is None:
            return "Import a text with `manage.py import_source` to propose candidate claims."
        claims = obj.claims.order_by("quote_start", "pk").only(
            "pk", "statement", "status", "grade", "quote_start"
        )
        if not claims:
            return "No claims yet."
        queue = reverse("admin:claims_claim_changelist") + f"?source__id__exact={obj.pk}"
        return format_html(
            '<p><a href="{}">These claims in the work queue</a> (to filter, sort and act on '
            "them).</p><ol>{}</ol>",
            queue,
            format_html_join(
                "",
                '<li><a href="{}">{}</a> — {}, {}</li>',
                (
                    (
                        reverse("admin:claims_claim_change", args=[claim.pk]),
                        Truncator(claim.statement).chars(90),
                        claim.get_status_display(),
                        claim.grade_choice.display,
                    )
                    for claim in claims
                ),
            ),
        )

    def view_on_site(self, obj):
        # A source's public page exists once a published claim quotes it (else a 404).
        if Source.objects.with_published_claims().filter(pk=obj.pk).exists():
            return obj.get_absolute_url()
        return None

    def has_delete_permission(self, request, obj=None):
        # Claims quote a source by offsets; only a superuser removes one (and PROTECT still
        # refuses while any claim quotes it).
        return request.user.is_superuser
