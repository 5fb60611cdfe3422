import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims.grading import (
    DOWN_DOMAINS,
    RATING_UP_RULE,
    UP_DOMAINS,
    GradingRuleError,
    assess,
    compute_certainty,
    may_rate_up,
)
from claims.models import GradeAssessment
from claims.scales import EvidenceBase, Grade
from tests.factories import ClaimFactory

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
        evidence_base=OBS, large_effect=2, dose_response=1, plausible_confounding=1
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


# --- rating up: only evidence that started low, with nothing rated down ---------------------


@pytest.mark.parametrize("up", UP_DOMAINS)
def test_rating_up_randomised_evidence_is_refused_naming_the_rule(up):
    with pytest.raises(GradingRuleError) as refused:
        compute_certainty(evidence_base=RCT, risk_of_bias=-1, **{up: 1})

    assert str(refused.value) == RATING_UP_RULE


@pytest.mark.parametrize("down", DOWN_DOMAINS)
def test_rating_up_cannot_cancel_a_rating_down_of_observational_evidence(down):
    with pytest.raises(GradingRuleError, match="nothing was rated down"):
        compute_certainty(evidence_base=OBS, large_effect=1, **{down: -1})


def test_rating_up_observational_evidence_with_nothing_rated_down_is_allowed():
    assert may_rate_up(OBS, {"large_effect": 1})
    assert not may_rate_up(RCT, {})
    assert not may_rate_up(OBS, {"imprecision": -1})
    assert compute_certainty(evidence_base=OBS, large_effect=1, dose_response=1) == Grade.HIGH


def test_randomised_evidence_without_rating_up_is_unaffected_by_the_rule():
    assert compute_certainty(evidence_base=RCT, imprecision=-2) == Grade.LOW


def test_assess_lists_each_rating_with_its_note_in_grade_order():
    findings = assess(
        RCT,
        {"imprecision": -1, "risk_of_bias": -2, "inconsistency": 0},
        {"imprecision": " 40 participants ", "risk_of_bias": "unblinded"},
    )

    assert findings.start == Grade.HIGH
    assert [(r.domain, r.change, r.level, r.note) for r in findings.ratings] == [
        ("risk_of_bias", -2, "very serious", "unblinded"),
        ("imprecision", -1, "serious", "40 participants"),
    ]
    assert findings.certainty == Grade.VERY_LOW
    assert findings.clamped is False
    assert findings.ratings[0].steps == "down two levels"


def test_assess_says_when_the_ratings_go_past_the_scale():
    findings = assess(OBS, {"risk_of_bias": -2, "imprecision": -2})

    assert findings.certainty == Grade.VERY_LOW
    assert findings.clamped is True


@pytest.mark.django_db
def test_the_database_refuses_rating_up_randomised_evidence():
    claim = ClaimFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        GradeAssessment.objects.create(claim=claim, evidence_base=RCT, large_effect=1)


@pytest.mark.django_db
def test_model_validation_names_the_rule():
    assessment = GradeAssessment(
        claim=ClaimFactory(), evidence_base=OBS, imprecision=-1, dose_response=1
    )

    with pytest.raises(ValidationError) as refused:
        assessment.full_clean()

    assert RATING_UP_RULE in str(refused.value)
