"""The claim change page's inlines: its evidence links and its GRADE assessment."""

import json

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.html import format_html

from ..forms import AssessmentFormSet, ProposalFormSet
from ..grading import DOWN_DOMAINS, RATING_UP_RULE, UP_DOMAINS, GradingRuleError
from ..models import Evidence, GradeAssessment
from ..scales import EvidenceBase, Grade
from .common import RETRACTED_BADGE, can_grade


class EvidenceInline(admin.TabularInline):
    model = Evidence
    formset = ProposalFormSet
    fields = ("citation", "stance", "finding", "study_design", "retracted")
    readonly_fields = ("study_design", "retracted")
    autocomplete_fields = ("citation",)
    extra = 1
    # The admin's default 40-column textarea made this table 1,635 px wide: a narrow box that
    # grows with the text keeps the page inside a 1280 px window.
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})}
    }

    template = "admin/claims/evidence/tabular.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("citation")

    def get_formset(self, request, obj=None, **kwargs):
        """Name every field of a row (a table's column header does not label its inputs):
        "Stance", "Delete this link", and the cited-work search."""
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                for name, field in form.fields.items():
                    label = "Delete this link" if name == "DELETE" else field.label
                    field.widget.attrs.setdefault("aria-label", str(label).capitalize())
                if "citation" in form.fields:
                    form.fields["citation"].widget.attrs["data-placeholder"] = "Find a cited work"

        return LabelledFormSet

    def get_extra(self, request, obj=None, **kwargs):
        proposal = getattr(obj, "proposal", None)
        return self.extra if proposal is None else len(proposal.evidence) + 1

    @admin.display(description="study design")
    def study_design(self, obj):
        return obj.citation.get_study_design_display() if obj.citation_id else "—"

    @admin.display(description="retracted")
    def retracted(self, obj):
        if obj.citation_id and obj.citation.is_retracted:
            return format_html("<strong>{}</strong>", RETRACTED_BADGE)
        return "—"


class GradeAssessmentInline(admin.StackedInline):
    model = GradeAssessment
    formset = AssessmentFormSet
    max_num = 1
    extra = 0
    verbose_name = "GRADE assessment"
    verbose_name_plural = "GRADE assessment (optional: when filled, it decides the grade)"
    readonly_fields = ("computed_certainty",)
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 40})}
    }
    fields = (
        "computed_certainty",
        "evidence_base",
        ("risk_of_bias", "risk_of_bias_note"),
        ("inconsistency", "inconsistency_note"),
        ("indirectness", "indirectness_note"),
        ("imprecision", "imprecision_note"),
        ("publication_bias", "publication_bias_note"),
        ("large_effect", "large_effect_note"),
        ("dose_response", "dose_response_note"),
        ("plausible_confounding", "plausible_confounding_note"),
        "override_reason",
    )

    def get_extra(self, request, obj=None, **kwargs):
        proposal = getattr(obj, "proposal", None)
        return self.extra if proposal is None else int(proposal.assessment is not None)

    @admin.display(description="computed certainty")
    def computed_certainty(self, obj):
        """The certainty the domains give, updated as they change (static/js/grade-certainty.js
        mirrors grading.compute_certainty); the saved value is always computed on the server."""
        saved, meaning = None, "choose the evidence base and rate each domain"
        if obj is not None and obj.pk is not None:
            try:
                saved = obj.computed_grade
                meaning = saved.meaning
            except GradingRuleError as broken:  # a revision proposed before the rule
                meaning = str(broken)
        return format_html(
            '<output class="live-certainty" aria-live="polite" data-grades="{}" data-start="{}" '
            'data-down="{}" data-up="{}" data-rule="{}"><strong>{}</strong> — {}</output>'
            '<span class="help"> Updates as you change the domains; saving computes it again.'
            "</span>",
            json.dumps({grade.level: grade.display for grade in Grade if grade.level}),
            json.dumps({base.value: base.start.level for base in EvidenceBase}),
            json.dumps(DOWN_DOMAINS),
            json.dumps(UP_DOMAINS),
            RATING_UP_RULE,
            saved.display if saved else "—",
            meaning,
        )

    # Field-level permission: only graders change the assessment.
    def has_add_permission(self, request, obj=None):
        return can_grade(request) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return can_grade(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return can_grade(request) and super().has_delete_permission(request, obj)
