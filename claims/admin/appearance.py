"""Appearances in the admin: the texts that make each claim, and linking another one.

A reviewer who finds a stored text making a claim links it here (the claim's change page links
to this form with the claim filled in); the quote is located in the text when no offsets are
given. An appearance is a record: it is never edited, only removed when it was linked by
mistake (by an editor when the claim is public: readers see its texts) and never the claim's
last one.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from ..appearances import add_appearance
from ..models import Appearance
from ..scales import Status
from ..services import WorkflowError


class AppearanceForm(forms.ModelForm):
    class Meta:
        model = Appearance
        fields = ("claim", "source", "quote", "quote_start", "quote_end")
        help_texts = {
            "quote_start": "Leave both offsets empty to have the quote located in the text "
            "(it must occur exactly once).",
        }

    def clean(self):
        cleaned = super().clean()
        claim = cleaned.get("claim")
        if claim is not None and claim.status == Status.MERGED:
            raise ValidationError(
                f"Claim #{claim.pk} was merged into claim #{claim.merged_into_id}: link the "
                "text to that claim."
            )
        return cleaned


@admin.register(Appearance)
class AppearanceAdmin(admin.ModelAdmin):
    form = AppearanceForm
    list_display = ("claim_link", "source", "excerpt", "found_at", "added_by")
    list_select_related = ("claim", "source", "added_by")
    raw_id_fields = ("claim", "source")
    search_fields = ("claim__statement", "source__title", "quote")
    ordering = ("-found_at", "-pk")
    list_per_page = 50
    show_full_result_count = False  # a count of every appearance is a scan of the table

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The claims admin orders by its queue's annotation; a plain lookup by id is all this
        # field needs (and Source's default order would sort every source for nothing).
        kwargs["queryset"] = db_field.related_model._default_manager.order_by()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("source__text", "source__note")

    @admin.display(description="claim", ordering="claim__statement")
    def claim_link(self, obj):
        url = reverse("admin:claims_claim_change", args=[obj.claim_id])
        return format_html('<a href="{}">{}</a>', url, Truncator(obj.claim.statement).chars(60))

    @admin.display(description="quote")
    def excerpt(self, obj):
        return Truncator(obj.quote).chars(80)

    def has_change_permission(self, request, obj=None):
        return False  # a record: remove a wrong link and add the right one

    def delete_view(self, request, object_id, extra_context=None):
        # Checked here, not in has_delete_permission: deleting a claim removes its appearances
        # with it, and the admin asks that method about each of them.
        appearance = self.get_object(request, object_id)
        if appearance is not None:
            if appearance.claim.status == Status.PUBLISHED and not request.user.has_perm(
                "claims.publish_claim"
            ):
                raise PermissionDenied("Readers see a public claim's texts: an editor removes one.")
            if (
                not Appearance.objects.filter(claim_id=appearance.claim_id)
                .exclude(pk=appearance.pk)
                .exists()
            ):
                raise PermissionDenied("A claim's last text cannot be removed.")
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # each removal is checked on its own
        return actions

    def save_model(self, request, obj, form, change):
        try:
            saved = add_appearance(
                claim=obj.claim,
                source=obj.source,
                quote=obj.quote,
                quote_start=obj.quote_start,
                quote_end=obj.quote_end,
                user=request.user,
            )
        except (ValidationError, WorkflowError) as error:
            # Checked by the form first; a concurrent change can still refuse it here.
            raise ValidationError(str(error)) from error
        obj.pk, obj.found_at = saved.pk, saved.found_at
