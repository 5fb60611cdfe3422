from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from ..models import Source
from .common import URL_OVERRIDES
from .take import take_claim_panel, take_claim_view


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ("title", "kind", "publisher", "published_on", "created_at")
    list_filter = ("kind",)
    search_fields = ("title", "publisher", "author", "url")
    readonly_fields = ("claims_taken", "take_claims")

    class Media:
        css = {"all": ("css/admin.css",)}
        js = ("js/take-claim.js",)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ("title", "kind", "url", "publisher", "author", "published_on")}),
            ("Text", {"fields": ("text", "note")}),
            ("Claims taken from it", {"fields": ("claims_taken",)}),
        ]
        if obj is not None and request.user.has_perm("claims.add_claim"):
            fieldsets.append(("Take a claim from the text", {"fields": ("take_claims",)}))
        return fieldsets

    def get_urls(self):
        take = self.admin_site.admin_view(
            lambda request, object_id: take_claim_view(self, request, object_id)
        )
        return [
            path("<path:object_id>/take-claim/", take, name="claims_source_take_claim"),
            *super().get_urls(),
        ]

    @admin.display(description="text")
    def take_claims(self, obj):
        return take_claim_panel(obj)

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
