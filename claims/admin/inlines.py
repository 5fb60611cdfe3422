"""The claim change page's inlines: its evidence links and its GRADE assessment."""

from django.contrib import admin
from django.utils.html import format_html

from ..forms import AssessmentFormSet, ProposalFormSet
from ..grading import GradingRuleError
from ..models import Evidence, GradeAssessment
from .common import RETRACTED_BADGE, can_grade


class EvidenceInline(admin.TabularInline):
    model = Evidence
    formset = ProposalFormSet
    fields = ("citation", "stance", "finding", "study_design", "retracted")
    readonly_fields = ("study_design", "retracted")
    autocomplete_fields = ("citation",)
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("citation")

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
        if obj is None or obj.pk is None:
            return "Shown after saving; the claim's grade follows it unless you give a reason."
        try:
            computed = obj.computed_grade
        except GradingRuleError as broken:  # a revision proposed before the rule: say why
            return str(broken)
        return format_html("<strong>{}</strong> — {}", computed.display, computed.meaning)

    # Field-level permission: only graders change the assessment.
    def has_add_permission(self, request, obj=None):
        return can_grade(request) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return can_grade(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return can_grade(request) and super().has_delete_permission(request, obj)
