"""The fixed vocabularies of the tracker: every scale lives here, once.

Models, forms, filters, tables, the CSV, the methodology page and the JSON-LD all read these
classes; the database backs each with a check constraint (see models.py). Codes are what the
database, CSV and URLs use; labels are what people read.
"""

from django.db import models


class Grade(models.TextChoices):
    """Certainty of evidence, after GRADE."""

    HIGH = "high", "High"
    MODERATE = "moderate", "Moderate"
    LOW = "low", "Low"
    VERY_LOW = "very_low", "Very low"
    UNGRADED = "ungraded", "Not yet graded"

    @property
    def symbols(self) -> str:
        return _GRADE_SYMBOLS[self]

    @property
    def display(self) -> str:
        """The label with GRADE's ⊕ symbols, as GRADE prints them ("Low ⊕⊕◯◯")."""
        return f"{self.label} {self.symbols}".strip()

    @property
    def meaning(self) -> str:
        return _GRADE_MEANINGS[self]

    @property
    def level(self) -> int | None:
        """4 for high … 1 for very low; None when ungraded (used by the GRADE rule)."""
        return _GRADE_LEVELS.get(self)

    @classmethod
    def from_level(cls, level: int) -> "Grade":
        clamped = max(1, min(4, level))
        return next(grade for grade, value in _GRADE_LEVELS.items() if value == clamped)


_GRADE_SYMBOLS = {
    Grade.HIGH: "⊕⊕⊕⊕",
    Grade.MODERATE: "⊕⊕⊕◯",
    Grade.LOW: "⊕⊕◯◯",
    Grade.VERY_LOW: "⊕◯◯◯",
    Grade.UNGRADED: "",
}
_GRADE_MEANINGS = {
    Grade.HIGH: "We are very confident that the true effect is close to what the evidence shows.",
    Grade.MODERATE: "The true effect is probably close to what the evidence shows, "
    "but it could be substantially different.",
    Grade.LOW: "The true effect may be substantially different from what the evidence shows.",
    Grade.VERY_LOW: "The true effect is likely to be substantially different "
    "from what the evidence shows.",
    Grade.UNGRADED: "No reviewer has graded this claim yet.",
}
_GRADE_LEVELS = {Grade.HIGH: 4, Grade.MODERATE: 3, Grade.LOW: 2, Grade.VERY_LOW: 1}


class Verdict(models.TextChoices):
    """What the evidence says about the claim."""

    SUPPORTED = "supported", "Supported"
    PARTLY_SUPPORTED = "partly_supported", "Partly supported"
    UNSUPPORTED = "unsupported", "Unsupported: no evidence found"
    MISLEADING = "misleading", "Misleading"
    CONTRADICTED = "contradicted", "Contradicted by evidence"
    UNRATED = "unrated", "Not yet rated"

    @property
    def rating_value(self) -> int | None:
        """ClaimReview ratingValue (worst 1, best 5); None means no ClaimReview is published."""
        return _VERDICT_RATINGS[self]

    @property
    def meaning(self) -> str:
        return _VERDICT_MEANINGS[self]


_VERDICT_RATINGS = {
    Verdict.SUPPORTED: 5,
    Verdict.PARTLY_SUPPORTED: 4,
    Verdict.UNSUPPORTED: 2,
    Verdict.MISLEADING: 2,
    Verdict.CONTRADICTED: 1,
    Verdict.UNRATED: None,
}
_VERDICT_MEANINGS = {
    Verdict.SUPPORTED: "The evidence backs the claim as stated.",
    Verdict.PARTLY_SUPPORTED: "Some of the claim is backed by evidence, but it overstates, "
    "generalises or leaves out important limits.",
    Verdict.UNSUPPORTED: "We found no evidence for the claim. That is not proof it is false, "
    "but it should not be stated as fact.",
    Verdict.MISLEADING: "Parts may be literally true, but the claim as presented gives a wrong "
    "impression.",
    Verdict.CONTRADICTED: "The best available evidence points the other way.",
    Verdict.UNRATED: "No reviewer has rated this claim yet.",
}
RATING_BEST = 5
RATING_WORST = 1


def grade_explanation(grade: Grade, verdict: Verdict) -> str:
    """What a claim's grade means to a reader: GRADE's words about the evidence, except where
    no evidence was found, when there is no effect "the evidence shows" to speak of."""
    if verdict == Verdict.UNSUPPORTED and grade != Grade.UNGRADED:
        return (
            "We found no study that tests this claim, so there is no evidence behind it to be "
            "confident in; the grade records that."
        )
    return grade.meaning


class Status(models.TextChoices):
    """Editorial workflow. Only published claims are public."""

    CANDIDATE = "candidate", "Candidate"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    # Merged into another claim (Claim.merged_into), which holds its appearances and evidence;
    # its address redirects there.
    MERGED = "merged", "Merged"


class ClaimType(models.TextChoices):
    EFFICACY = "efficacy", "Efficacy"
    SAFETY = "safety", "Safety"
    MECHANISM = "mechanism", "Mechanism"
    PREVALENCE = "prevalence", "Prevalence"
    OTHER = "other", "Other"


class StudyDesign(models.TextChoices):
    SYSTEMATIC_REVIEW = "systematic_review", "Systematic review / meta-analysis"
    RCT = "rct", "Randomised controlled trial"
    COHORT = "cohort", "Cohort study"
    CASE_CONTROL = "case_control", "Case-control study"
    CROSS_SECTIONAL = "cross_sectional", "Cross-sectional study (survey)"
    CASE_REPORT = "case_report", "Case report or series"
    ANIMAL = "animal", "Animal study"
    IN_VITRO = "in_vitro", "In-vitro study"
    NARRATIVE_REVIEW = "narrative_review", "Narrative review"
    REGULATOR_STATEMENT = "regulator_statement", "Regulator or agency statement"
    OTHER = "other", "Other"


class Stance(models.TextChoices):
    """A citation's stance on one claim; the order is the order of the claim page's groups."""

    SUPPORTS = "supports", "Supports"
    CONTRADICTS = "contradicts", "Contradicts"
    MIXED = "mixed", "Mixed"
    BACKGROUND = "background", "Background"


class SourceKind(models.TextChoices):
    WEB_ARTICLE = "web_article", "Web article"
    NEWS = "news", "News"
    SOCIAL_POST = "social_post", "Social media post"
    LEAFLET = "leaflet", "Leaflet"
    OTHER = "other", "Other"
    SYNTHETIC = "synthetic", "Synthetic (benchmark data)"


class EvidenceBase(models.TextChoices):
    """Where a GRADE assessment starts: randomised evidence at high, anything else at low."""

    RANDOMISED = "randomised", "Randomised trials (start at high)"
    OBSERVATIONAL = "observational", "Observational, animal or laboratory studies (start at low)"

    @property
    def start(self) -> Grade:
        return Grade.HIGH if self == EvidenceBase.RANDOMISED else Grade.LOW


class RateDown(models.IntegerChoices):
    NOT_SERIOUS = 0, "Not serious (0)"
    SERIOUS = -1, "Serious (−1)"
    VERY_SERIOUS = -2, "Very serious (−2)"


class LargeEffect(models.IntegerChoices):
    NONE = 0, "No (0)"
    LARGE = 1, "Large (+1)"
    VERY_LARGE = 2, "Very large (+2)"


class RateUp(models.IntegerChoices):
    NO = 0, "No (0)"
    YES = 1, "Yes (+1)"


def scale_order(field_name: str, scale) -> models.Case:
    """A scale column's position in its scale (high before low), for ordering by it.

    The public list sorts by it and Claim.Meta indexes the same expression, so the sort reads
    an index instead of sorting every published claim.
    """
    return models.Case(
        *[
            models.When(**{field_name: member.value}, then=models.Value(i))
            for i, member in enumerate(scale)
        ],
        output_field=models.IntegerField(),
    )


class RevisionStatus(models.TextChoices):
    """A proposed change to a published claim or a cited work, on its way to an editor."""

    PENDING = "pending", "Awaiting an editor"
    RETURNED = "returned", "Sent back to the reviewer"
    APPROVED = "approved", "Approved (public)"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ChangeKind(models.TextChoices):
    """What an approved change to a published claim is, for its public log."""

    CORRECTION = "correction", "Correction"  # its grade or verdict changed: always with a note
    UPDATE = "update", "Update"  # anything else readers see changed
    MERGE = "merge", "Merge"  # another claim was merged into it (claims/merging.py)


class ReportStatus(models.TextChoices):
    """A reader's error report, as the editors work on it."""

    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class RetractionStatus(models.TextChoices):
    """What a publisher's notice says of a cited work (Retraction Watch's RetractionNature)."""

    NONE = "", "No notice"
    RETRACTED = "retracted", "Retracted"
    CONCERN = "concern", "Expression of concern"
    CORRECTED = "corrected", "Corrected"
