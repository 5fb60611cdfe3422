"""A claim's GRADE assessment as a reader's summary of findings (the claim page's "How the
evidence was graded"): where the evidence started and why, each domain that moved it with the
reviewer's note, and the certainty that results.

The steps are `grading.assess()`'s, the rule compute_certainty() applies, so the page cannot
say something the grade was not computed from.
"""

from dataclasses import dataclass

from . import grading
from .models import Evidence, GradeAssessment
from .scales import EvidenceBase, Grade, Stance, StudyDesign, Verdict, grade_explanation

# Works that are not studies of the claim's question: they do not decide where evidence starts.
NOT_STUDIES = {StudyDesign.NARRATIVE_REVIEW, StudyDesign.REGULATOR_STATEMENT, StudyDesign.OTHER}
NON_HUMAN = {StudyDesign.ANIMAL, StudyDesign.IN_VITRO}


@dataclass(frozen=True)
class Step:
    """One domain rated down or up, and the certainty after it."""

    rating: grading.Rating
    after: Grade


@dataclass(frozen=True)
class Summary:
    start: Grade
    start_reason: str
    steps: list[Step]
    not_rated_down: list[str]  # domain labels, lower-case: "nothing serious" for these
    certainty: Grade  # what the assessment computes
    meaning: str  # what `certainty` means to a reader of this claim (grade_explanation)
    clamped: bool  # the ratings went past the end of the scale
    grade: Grade  # the claim's grade
    override_reason: str  # why the claim's grade differs from `certainty`, when it does

    @property
    def overridden(self) -> bool:
        return self.grade != self.certainty


def start_reason(evidence_base: EvidenceBase, links: list[Evidence]) -> str:
    """Why the evidence starts where it does, in the terms of the works it rests on."""
    if evidence_base == EvidenceBase.RANDOMISED:
        return "The evidence comes from randomised trials, which start at high certainty."
    designs = {
        link.citation.study_design
        for link in links
        if link.stance != Stance.BACKGROUND and link.citation.study_design not in NOT_STUDIES
    }
    if not designs:
        return (
            "No study that tests the claim was found; without a randomised comparison the "
            "grade starts at low certainty."
        )
    if designs <= NON_HUMAN:
        return (
            "The evidence comes from animal or laboratory studies, not studies in people: "
            "at best it starts at low certainty."
        )
    if designs & NON_HUMAN:
        return (
            "The evidence comes from observational studies and from animal or laboratory "
            "studies, which start at low certainty."
        )
    return (
        "The evidence comes from observational studies (no randomised comparison), "
        "which start at low certainty."
    )


def summary_of_findings(
    assessment: GradeAssessment | None, grade: Grade, verdict: Verdict, links: list[Evidence]
) -> Summary | None:
    """The summary for a claim whose grade is `grade`, verdict `verdict` and evidence `links`; None when the
    claim has no GRADE assessment (or one that breaks the rule, which the database refuses)."""
    if assessment is None:
        return None
    try:
        findings = assessment.findings
    except grading.GradingRuleError:
        return None
    level, steps = findings.start.level, []
    for rating in findings.ratings:
        level += rating.change
        steps.append(Step(rating, Grade.from_level(level)))
    moved = {rating.domain for rating in findings.ratings}
    return Summary(
        start=findings.start,
        start_reason=start_reason(findings.evidence_base, links),
        steps=steps,
        not_rated_down=[
            grading.DOMAIN_LABELS[d].lower() for d in grading.DOWN_DOMAINS if d not in moved
        ],
        certainty=findings.certainty,
        meaning=grade_explanation(findings.certainty, verdict),
        clamped=findings.clamped,
        grade=grade,
        override_reason=assessment.override_reason.strip(),
    )
