"""GRADE assessments for the synthetic claims, so the claim page's summary of findings and the
`rated_down` filter are measured at scale.

One set-based INSERT: every fifth graded synthetic claim gets an assessment that computes its
grade (randomised evidence for high and moderate, observational for low and very low, rated
down for imprecision or risk of bias to get there), with a reviewer's note per domain.
Claims that already have one keep it, so running it twice adds nothing.
"""

from django.db import connection

from claims.models import Claim, GradeAssessment, Source
from claims.scales import SourceKind

SHARE = 5  # one claim in SHARE

NOTE = "Synthetic note: the reason a reviewer gives for this rating."


def add_assessments() -> int:
    """Add the missing synthetic assessments; returns how many were added."""
    claim, source = Claim._meta.db_table, Source._meta.db_table
    table = GradeAssessment._meta.db_table
    ratings = {  # grade → (evidence base, imprecision, risk of bias)
        "high": ("randomised", 0, 0),
        "moderate": ("randomised", -1, 0),
        "low": ("observational", 0, 0),
        "very_low": ("observational", 0, -1),
    }

    def case(position: int) -> str:
        whens = " ".join(
            f"WHEN '{grade}' THEN {values[position]!r}" for grade, values in ratings.items()
        )
        return f"CASE c.grade {whens} END"

    sql = f"""
        INSERT INTO {table} (claim_id, created_at, updated_at, evidence_base,
            risk_of_bias, risk_of_bias_note, inconsistency, inconsistency_note,
            indirectness, indirectness_note, imprecision, imprecision_note,
            publication_bias, publication_bias_note, large_effect, large_effect_note,
            dose_response, dose_response_note, plausible_confounding, plausible_confounding_note,
            override_reason)
        SELECT c.id, c.created_at, c.created_at, {case(0)},
            {case(2)}, CASE WHEN {case(2)} < 0 THEN %(note)s ELSE '' END, 0, '',
            0, '', {case(1)}, CASE WHEN {case(1)} < 0 THEN %(note)s ELSE '' END,
            0, '', 0, '', 0, '', 0, '', ''
        FROM {claim} c JOIN {source} s ON s.id = c.source_id
        WHERE s.kind = %(kind)s AND c.grade IN ('high', 'moderate', 'low', 'very_low')
          AND c.id %% {SHARE} = 0
          AND NOT EXISTS (SELECT 1 FROM {table} a WHERE a.claim_id = c.id)
    """  # nosec B608 # model names and fixed values; the rest bound
    with connection.cursor() as cursor:
        cursor.execute(sql, {"note": NOTE, "kind": SourceKind.SYNTHETIC})
        return cursor.rowcount
