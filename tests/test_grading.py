import pytest

from claims.grading import DOWN_DOMAINS, compute_certainty
from claims.models import GradeAssessment
from claims.scales import EvidenceBase, Grade

RCT, OBS = EvidenceBase.RANDOMISED, EvidenceBase.OBSERVATIONAL


def test_randomised_evidence_starts_high_and_observational_low():
    assert compute_certainty(evidence_base=RCT) == Grade.HIGH
    assert compute_certainty(evidence_base=OBS) == Grade.LOW


@pytest.mark.parametrize("domain", DOWN_DOMAINS)
@pytest.mark.parametrize(("rating", "expected"), [(-1, Grade.MODERATE), (-2, Grade.LOW)])
def test_each_rate_down_domain_lowers_randomised_evidence(domain, rating, expected):
    assert compute_certainty(evidence_base=RCT, **{domain: rating}) == expected


@pytest.mark.parametrize(
    ("domain", "rating", "expected"),
    [
        ("large_effect", 1, Grade.MODERATE),
        ("large_effect", 2, Grade.HIGH),
        ("dose_response", 1, Grade.MODERATE),
        ("plausible_confounding", 1, Grade.MODERATE),
    ],
)
def test_each_rate_up_domain_raises_observational_evidence(domain, rating, expected):
    assert compute_certainty(evidence_base=OBS, **{domain: rating}) == expected


def test_result_is_clamped_at_very_low():
    grade = compute_certainty(evidence_base=OBS, risk_of_bias=-2, inconsistency=-2, imprecision=-2)

    assert grade == Grade.VERY_LOW


def test_result_is_clamped_at_high():
    grade = compute_certainty(
        evidence_base=RCT, large_effect=2, dose_response=1, plausible_confounding=1
    )

    assert grade == Grade.HIGH


def test_worked_check_rct_with_serious_bias_and_imprecision_is_low():
    assert compute_certainty(evidence_base=RCT, risk_of_bias=-1, imprecision=-1) == Grade.LOW


def test_worked_check_observational_with_large_effect_is_moderate():
    assert compute_certainty(evidence_base=OBS, large_effect=1) == Grade.MODERATE


def test_worked_check_case_reports_alone_are_very_low():
    # Case reports: observational (low), with serious risk of bias from having no comparison.
    assert compute_certainty(evidence_base=OBS, risk_of_bias=-1) == Grade.VERY_LOW


@pytest.mark.parametrize(
    "ratings", [{"risk_of_bias": -3}, {"imprecision": 1}, {"large_effect": 3}, {"dose_response": 2}]
)
def test_out_of_range_ratings_are_refused(ratings):
    with pytest.raises(ValueError, match="rating"):
        compute_certainty(evidence_base=RCT, **ratings)


def test_assessment_model_uses_the_rule():
    assessment = GradeAssessment(evidence_base=RCT, risk_of_bias=-1, imprecision=-1)

    assert assessment.computed_grade == Grade.LOW
