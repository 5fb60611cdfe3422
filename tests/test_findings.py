"""The claim page's summary of findings: GRADE's steps as readers see them, from the same rule
that computes the grade."""

import html
import re

import pytest

from claims import detail
from claims.grading import DOMAIN_LABELS, compute_certainty
from claims.scales import EvidenceBase, Grade, Stance, StudyDesign, Verdict

from .factories import CitationFactory, ClaimFactory, EvidenceFactory, GradeAssessmentFactory

pytestmark = pytest.mark.django_db

RCT, OBS = EvidenceBase.RANDOMISED, EvidenceBase.OBSERVATIONAL


def assessed_claim(evidence_base=RCT, designs=(StudyDesign.RCT,), **ratings):
    """A published claim whose grade is what its assessment computes."""
    domains = {k: v for k, v in ratings.items() if not k.endswith("_note")}
    grade = compute_certainty(evidence_base=evidence_base, **domains)
    claim = ClaimFactory(published=True, grade=grade, verdict=Verdict.PARTLY_SUPPORTED)
    for design in designs:
        EvidenceFactory(claim=claim, citation=CitationFactory(study_design=design))
    GradeAssessmentFactory(claim=claim, evidence_base=evidence_base, **ratings)
    return claim


def findings_text(client, claim) -> str:
    page = client.get(claim.get_absolute_url()).content.decode()
    block = re.search(r'<section class="findings".*?</section>', page, re.DOTALL)
    assert block, "no summary of findings on the page"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block.group(0))))


RATINGS = [
    (RCT, {}),
    (RCT, {"risk_of_bias": -1, "imprecision": -1}),
    (RCT, {"inconsistency": -2, "publication_bias": -2}),
    (OBS, {"indirectness": -1}),
    (OBS, {"large_effect": 2}),
    (OBS, {"dose_response": 1, "plausible_confounding": 1}),
]


@pytest.mark.parametrize(("base", "ratings"), RATINGS)
def test_summary_ends_at_what_compute_certainty_computes(client, base, ratings):
    claim = assessed_claim(base, **ratings)
    expected = compute_certainty(evidence_base=base, **ratings)

    text = findings_text(client, claim)

    assert f"Result: {expected.display}" in text
    assert expected.meaning.capitalize() in text
    for domain in ratings:
        assert DOMAIN_LABELS[domain] in text


def test_summary_walks_from_the_start_through_each_rating_with_its_note(client):
    claim = assessed_claim(
        RCT,
        risk_of_bias=-1,
        risk_of_bias_note="Neither patients nor assessors were blinded.",
        imprecision=-2,
        imprecision_note="One trial of 40 people.",
    )

    text = findings_text(client, claim)

    assert "Starting point: high certainty. The evidence comes from randomised trials" in text
    assert "Risk of bias: serious , rated down one level to moderate" in text
    assert "Reviewers’ note: Neither patients nor assessors were blinded." in text
    assert "Imprecision: very serious , rated down two levels to very low" in text
    assert "Reviewers’ note: One trial of 40 people." in text
    assert "Not rated down for inconsistency, indirectness, publication bias" in text
    assert f"Result: {Grade.VERY_LOW.display}" in text
    assert (
        'href="/methodology/#grading-heading"'
        in client.get(claim.get_absolute_url()).content.decode()
    )


def test_rating_up_is_shown_as_a_step_up(client):
    claim = assessed_claim(OBS, designs=(StudyDesign.COHORT,), large_effect=1)

    text = findings_text(client, claim)

    assert "The evidence comes from observational studies" in text
    assert "Large effect: large , rated up one level to moderate" in text


def test_animal_and_laboratory_evidence_is_said_to_be_not_in_people(client):
    claim = assessed_claim(OBS, designs=(StudyDesign.ANIMAL, StudyDesign.IN_VITRO), indirectness=-1)

    text = findings_text(client, claim)

    assert "animal or laboratory studies, not studies in people" in text


def test_background_works_do_not_decide_where_the_evidence_starts(client):
    claim = assessed_claim(OBS, designs=(StudyDesign.ANIMAL,))
    EvidenceFactory(
        claim=claim,
        stance=Stance.BACKGROUND,
        citation=CitationFactory(study_design=StudyDesign.COHORT),
    )

    assert "not studies in people" in findings_text(client, claim)


def test_a_grade_overridden_with_a_reason_says_so(client):
    claim = ClaimFactory(published=True, grade=Grade.MODERATE, verdict=Verdict.SUPPORTED)
    EvidenceFactory(claim=claim)
    GradeAssessmentFactory(
        claim=claim, evidence_base=OBS, override_reason="Three consistent cohorts."
    )

    text = findings_text(client, claim)

    assert f"Result: {Grade.LOW.display}" in text
    assert f"The claim’s grade is {Grade.MODERATE.display}, not the computed" in text
    assert "The reviewers’ reason: Three consistent cohorts." in text


def test_a_claim_without_an_assessment_has_no_summary(client):
    claim = ClaimFactory(published=True)

    page = client.get(claim.get_absolute_url()).content.decode()

    assert 'class="findings"' not in page


def test_reviewers_notes_are_escaped(client):
    claim = assessed_claim(RCT, imprecision=-1, imprecision_note="<script>alert(1)</script>")

    page = client.get(claim.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_page_with_an_assessment_is_still_one_query(client, django_assert_num_queries):
    claim = assessed_claim(RCT, imprecision=-1)

    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + 1):
        client.get(claim.get_absolute_url())


def test_a_changed_assessment_is_never_served_from_the_page_cache(client):
    claim = assessed_claim(RCT, imprecision=-1, imprecision_note="first note")
    assert "first note" in findings_text(client, claim)

    claim.assessment.imprecision_note = "second note"
    claim.assessment.save()

    assert "second note" in findings_text(client, claim)
    assert len(detail.PAGES._pages) == 2
