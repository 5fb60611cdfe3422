import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from claims import services
from claims.models import Claim, Evidence
from claims.scales import Grade, Stance, Status, Verdict
from tests.factories import (
    CitationFactory,
    ClaimFactory,
    EvidenceFactory,
    staff_in,
)
from tests.test_permissions import new_evidence_data

pytestmark = pytest.mark.django_db


def ready_claim(**kwargs):
    """A claim in review with everything publishing needs."""
    claim = ClaimFactory(
        status=Status.IN_REVIEW,
        grade=Grade.LOW,
        verdict=Verdict.PARTLY_SUPPORTED,
        rationale="Surveys only.",
        **kwargs,
    )
    EvidenceFactory(claim=claim)
    return claim


def test_grade_claim_sets_reviewer_time_version_and_history_user():
    reviewer = staff_in("Reviewers")
    claim = ClaimFactory(status=Status.IN_REVIEW)

    graded = services.grade_claim(
        claim=claim,
        reviewer=reviewer,
        grade=Grade.LOW,
        verdict=Verdict.UNSUPPORTED,
        rationale="No trial.",
        seen_version=1,
    )

    graded.refresh_from_db()
    assert (graded.grade, graded.verdict, graded.reviewed_by, graded.version) == (
        Grade.LOW,
        Verdict.UNSUPPORTED,
        reviewer,
        2,
    )
    assert graded.reviewed_at is not None
    assert graded.history.first().history_user == reviewer


def test_stale_second_save_is_refused_naming_who_when_and_what():
    first, second = staff_in("Reviewers", username="ana"), staff_in("Reviewers", username="ben")
    claim = ClaimFactory(status=Status.IN_REVIEW)
    services.grade_claim(
        claim=claim,
        reviewer=first,
        grade=Grade.LOW,
        verdict=Verdict.UNSUPPORTED,
        rationale="Ana's reasons.",
        seen_version=1,
    )

    with pytest.raises(services.StaleEdit) as refused:
        services.grade_claim(
            claim=claim,
            reviewer=second,
            grade=Grade.HIGH,
            verdict=Verdict.SUPPORTED,
            rationale="Ben's reasons.",
            seen_version=1,
        )

    message = str(refused.value)
    assert "ana changed this claim at" in message
    assert "grade: “Not yet graded” → “Low”" in message
    assert "rationale: “—” → “Ana's reasons.”" in message
    claim.refresh_from_db()
    assert (claim.grade, claim.rationale, claim.version) == (Grade.LOW, "Ana's reasons.", 2)


def test_stale_edit_lists_evidence_added_since(client):
    client.force_login(staff_in("Reviewers", username="ana"))
    claim = ClaimFactory(status=Status.IN_REVIEW)
    client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        new_evidence_data(claim, CitationFactory(title="A trial"), Stance.CONTRADICTS),
    )

    with pytest.raises(services.StaleEdit) as refused:
        services.lock_claim(claim=claim, seen_version=1)

    assert refused.value.changed_by == "ana"
    assert any(c.startswith("evidence added: Contradicts") for c in refused.value.changes)


def test_grade_claim_requires_the_grade_permission():
    claim = ClaimFactory()

    with pytest.raises(services.WorkflowError, match="permission to grade"):
        services.grade_claim(
            claim=claim,
            reviewer=staff_in(None),
            grade=Grade.LOW,
            verdict=Verdict.UNSUPPORTED,
            rationale="x",
            seen_version=1,
        )


def test_grade_claim_with_assessment_stores_the_computed_grade():
    reviewer = staff_in("Reviewers")
    claim = ClaimFactory(status=Status.IN_REVIEW)

    graded = services.grade_claim(
        claim=claim,
        reviewer=reviewer,
        grade=Grade.UNGRADED,
        verdict=Verdict.PARTLY_SUPPORTED,
        rationale="One RCT with problems.",
        seen_version=1,
        assessment={"evidence_base": "randomised", "risk_of_bias": -1, "imprecision": -1},
    )

    assert graded.grade == Grade.LOW
    assert graded.assessment.computed_grade == Grade.LOW


def test_overriding_the_computed_grade_needs_a_reason():
    with pytest.raises(ValidationError, match="Give an override reason"):
        services.resolve_grade(
            chosen=Grade.MODERATE,
            computed=Grade.LOW,
            override_reason="",
            chosen_explicitly=True,
        )


def test_override_with_a_reason_keeps_the_chosen_grade():
    grade = services.resolve_grade(
        chosen=Grade.MODERATE,
        computed=Grade.LOW,
        override_reason="Dose-response seen across three cohorts.",
        chosen_explicitly=True,
    )

    assert grade == Grade.MODERATE


def test_unchanged_grade_follows_the_computed_certainty():
    grade = services.resolve_grade(
        chosen=Grade.HIGH, computed=Grade.LOW, override_reason="", chosen_explicitly=False
    )

    assert grade == Grade.LOW


def test_publish_claim_publishes_a_complete_claim():
    editor = staff_in("Editors")
    claim = ready_claim()

    services.publish_claim(claim=claim, user=editor)

    claim.refresh_from_db()
    assert (claim.status, claim.version) == (Status.PUBLISHED, 2)
    assert claim.history.first().history_user == editor


def test_publish_claim_names_everything_missing():
    claim = ClaimFactory(status=Status.IN_REVIEW)

    with pytest.raises(services.WorkflowError) as refused:
        services.publish_claim(claim=claim, user=staff_in("Editors"))

    assert str(refused.value) == (
        "missing a grade, a verdict, a rationale, at least one evidence link"
    )
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW


def test_publish_claim_needs_evidence():
    claim = ready_claim()
    Evidence.objects.filter(claim=claim).delete()

    with pytest.raises(services.WorkflowError, match="^missing at least one evidence link$"):
        services.publish_claim(claim=claim, user=staff_in("Editors"))


def test_reviewer_cannot_publish():
    claim = ready_claim()

    with pytest.raises(services.WorkflowError, match="permission to publish"):
        services.publish_claim(claim=claim, user=staff_in("Reviewers"))


def test_unpublish_returns_the_claim_to_review():
    claim = ClaimFactory(published=True)

    services.unpublish_claim(claim=claim, user=staff_in("Editors"))

    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW


def test_reject_is_refused_for_a_published_claim():
    claim = ClaimFactory(published=True)

    with pytest.raises(services.WorkflowError, match="cannot reject a claim that is published"):
        services.reject_claim(claim=claim, user=staff_in("Editors"))


def test_create_claim_locates_the_quote():
    source = ClaimFactory().source

    claim = services.create_claim(
        source=source, statement="Kratom is well tolerated", quote="it is well tolerated"
    )

    assert (claim.quote_start, claim.quote_end) == (101, 121)
    assert Claim.objects.count() == 2
