from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .. import grading
from ..scales import EvidenceBase, Grade, LargeEffect, RateDown, RateUp
from .base import TimeStamped, validate_no_nul


class GradeAssessment(TimeStamped):
    """A structured GRADE assessment of the body of evidence for one claim.

    When a claim has one, its computed certainty decides the claim's grade, unless the reviewer
    overrides it and says why.
    """

    claim = models.OneToOneField("Claim", models.CASCADE, related_name="assessment")
    evidence_base = models.CharField(
        "starting level", max_length=16, choices=EvidenceBase, default=EvidenceBase.OBSERVATIONAL
    )
    risk_of_bias = models.SmallIntegerField(choices=RateDown, default=RateDown.NOT_SERIOUS)
    risk_of_bias_note = models.TextField(blank=True, validators=[validate_no_nul])
    inconsistency = models.SmallIntegerField(choices=RateDown, default=RateDown.NOT_SERIOUS)
    inconsistency_note = models.TextField(blank=True, validators=[validate_no_nul])
    indirectness = models.SmallIntegerField(choices=RateDown, default=RateDown.NOT_SERIOUS)
    indirectness_note = models.TextField(blank=True, validators=[validate_no_nul])
    imprecision = models.SmallIntegerField(choices=RateDown, default=RateDown.NOT_SERIOUS)
    imprecision_note = models.TextField(blank=True, validators=[validate_no_nul])
    publication_bias = models.SmallIntegerField(choices=RateDown, default=RateDown.NOT_SERIOUS)
    publication_bias_note = models.TextField(blank=True, validators=[validate_no_nul])
    large_effect = models.SmallIntegerField(choices=LargeEffect, default=LargeEffect.NONE)
    large_effect_note = models.TextField(blank=True, validators=[validate_no_nul])
    dose_response = models.SmallIntegerField(choices=RateUp, default=RateUp.NO)
    dose_response_note = models.TextField(blank=True, validators=[validate_no_nul])
    plausible_confounding = models.SmallIntegerField(choices=RateUp, default=RateUp.NO)
    plausible_confounding_note = models.TextField(blank=True, validators=[validate_no_nul])
    override_reason = models.TextField(
        blank=True,
        help_text="Required when the claim's grade differs from the computed certainty.",
        validators=[validate_no_nul],
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["claim", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(evidence_base__in=EvidenceBase.values),
                name="assessment_base_valid",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{domain}__in": RateDown.values}),
                    name=f"assessment_{domain}_valid",
                )
                for domain in grading.DOWN_DOMAINS
            ],
            models.CheckConstraint(
                condition=Q(large_effect__in=LargeEffect.values),
                name="assessment_large_effect_valid",
            ),
            models.CheckConstraint(
                condition=Q(dose_response__in=RateUp.values),
                name="assessment_dose_response_valid",
            ),
            models.CheckConstraint(
                condition=Q(plausible_confounding__in=RateUp.values),
                name="assessment_confounding_valid",
            ),
            models.CheckConstraint(
                condition=Q(large_effect=0, dose_response=0, plausible_confounding=0)
                | Q(
                    evidence_base=EvidenceBase.OBSERVATIONAL,
                    **dict.fromkeys(grading.DOWN_DOMAINS, 0),
                ),
                name="assessment_rates_up_only_from_low",
                violation_error_message=grading.RATING_UP_RULE,
            ),
        ]

    def __str__(self):
        return f"GRADE assessment: {self.claim}"

    @property
    def findings(self) -> grading.Assessment:
        """The GRADE rule applied to this assessment, with the reviewer's notes."""
        domains = (*grading.DOWN_DOMAINS, *grading.UP_DOMAINS)
        return grading.assess(
            self.evidence_base,
            {domain: getattr(self, domain) for domain in domains},
            {domain: getattr(self, f"{domain}_note") for domain in domains},
        )

    @property
    def computed_grade(self) -> Grade:
        return self.findings.certainty
