"""GRADE rates up only evidence that started low with nothing rated down: a constraint.

Assessments saved before the rule rated up where GRADE does not. Their rating up is removed
(GRADE's own result), and the claim keeps the grade it shows today: where that now differs
from the computed certainty, the override reason says why, so no public grade changes
without an editor.
"""

from django.db import migrations, models

DOWN = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
UP = ("large_effect", "dose_response", "plausible_confounding")
LEVELS = {"high": 4, "moderate": 3, "low": 2, "very_low": 1}


def drop_disallowed_rating_up(apps, schema_editor):
    GradeAssessment = apps.get_model("claims", "GradeAssessment")
    breaking = GradeAssessment.objects.exclude(
        models.Q(large_effect=0, dose_response=0, plausible_confounding=0)
        | models.Q(evidence_base="observational", **dict.fromkeys(DOWN, 0))
    ).select_related("claim")
    for assessment in breaking.iterator(chunk_size=500):
        removed = [f"{d.replace('_', ' ')} +{getattr(assessment, d)}" for d in UP if getattr(assessment, d)]
        for domain in UP:
            setattr(assessment, domain, 0)
        start = 4 if assessment.evidence_base == "randomised" else 2
        level = max(1, min(4, start + sum(getattr(assessment, d) for d in DOWN)))
        grade = assessment.claim.grade
        if grade in LEVELS and LEVELS[grade] != level and not assessment.override_reason.strip():
            assessment.override_reason = (
                f"Grade kept as it was when GRADE's rating-up rule came into force; the rating "
                f"up it relied on ({', '.join(removed)}) was removed because the evidence did not "
                "start low with nothing rated down. A reviewer should look again."
            )
        assessment.save(update_fields=[*UP, "override_reason"])


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0010_public_profiles"),
    ]

    operations = [
        migrations.RunPython(drop_disallowed_rating_up, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="gradeassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("dose_response", 0), ("large_effect", 0), ("plausible_confounding", 0)),
                    models.Q(
                        ("evidence_base", "observational"),
                        ("imprecision", 0),
                        ("inconsistency", 0),
                        ("indirectness", 0),
                        ("publication_bias", 0),
                        ("risk_of_bias", 0),
                    ),
                    _connector="OR",
                ),
                name="assessment_rates_up_only_from_low",
                violation_error_message=(
                    "GRADE rates evidence up (large effect, dose-response, plausible confounding) "
                    "only when it started low (observational, animal or laboratory studies) and "
                    "nothing was rated down."
                ),
            ),
        ),
    ]
