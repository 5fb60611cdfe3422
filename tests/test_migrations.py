"""Data migrations keep what the database already knows."""

import datetime
from datetime import UTC

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from claims import appearances, fts

BEFORE = ("claims", "0007_work_queue_index")
AFTER = ("claims", "0008_editorial_record")
NOV_20 = datetime.datetime(2026, 11, 20, tzinfo=UTC)
NOV_27 = datetime.datetime(2026, 11, 27, tzinfo=UTC)
DEC_6 = datetime.datetime(2026, 12, 6, tzinfo=UTC)


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    # What `migrate` does next (post_migrate): SQLite's triggers back on rebuilt tables.
    fts.repair_after_migrate(sender=None)
    appearances.repair_after_migrate(sender=None)
    return executor.loader.project_state([target]).apps


def _claim(apps, source, slug, **fields):
    values = {
        "source": source,
        "slug": slug,
        "statement": f"Claim {slug}",
        "quote": "Kratom",
        "quote_start": 0,
        "quote_end": 6,
        "status": "published",
        "grade": "low",
        "verdict": "misleading",
        "rationale": "Why.",
        "created_at": NOV_20,
        **fields,
    }
    return apps.get_model("claims", "Claim").objects.create(**values)


def _history(apps, claim, when, **fields):
    history = apps.get_model("claims", "HistoricalClaim")
    copied = {
        f.attname: getattr(claim, f.attname)
        for f in claim._meta.concrete_fields
        if f.name not in ("search_vector", "updated_at")
    }
    history.objects.create(**copied | fields, history_date=when, history_type="~")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_published_claims_get_their_first_publication_and_their_past_corrections():
    apps = _migrate(BEFORE)
    try:
        source = apps.get_model("claims", "Source").objects.create(
            title="T", text="Kratom may help.", kind="web_article"
        )
        loaded = _claim(apps, source, "loaded", reviewed_at=NOV_27)  # as loaddata leaves it
        edited = _claim(apps, source, "edited", grade="low", reviewed_at=DEC_6)
        _history(apps, edited, NOV_20, grade="very_low", verdict="unsupported", reviewed_at=NOV_20)
        _history(apps, edited, DEC_6, grade="low", verdict="unsupported", reviewed_at=DEC_6)
        draft = _claim(apps, source, "draft", status="candidate", grade="ungraded")

        apps = _migrate(AFTER)

        claims = apps.get_model("claims", "Claim").objects.in_bulk()
        assert [claims[c.pk].published_at for c in (loaded, edited, draft)] == [
            NOV_27,
            NOV_20,
            None,
        ]
        changes = apps.get_model("claims", "PublicChange").objects.values_list(
            "claim_id", "kind", "approved_at", "old_grade", "new_grade"
        )
        assert list(changes) == [(edited.pk, "correction", DEC_6, "very_low", "low")]
    finally:
        _migrate(("claims", _leaf()))


def _leaf() -> str:
    executor = MigrationExecutor(connection)
    return next(name for app, name in executor.loader.graph.leaf_nodes() if app == "claims")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rating_up_that_grade_does_not_allow_is_removed_and_the_public_grade_kept():
    apps = _migrate(("claims", "0010_public_profiles"))
    try:
        source = apps.get_model("claims", "Source").objects.create(
            title="T", text="Kratom may help.", kind="web_article"
        )
        assessments = apps.get_model("claims", "GradeAssessment").objects
        # Randomised, rated up once: computed high, and high is what readers see.
        rct = assessments.create(
            claim=_claim(apps, source, "rct", grade="high", published_at=NOV_27),
            evidence_base="randomised",
            large_effect=1,
        )
        # Observational, rated down and up: the rating up cancelled the rating down.
        mixed = assessments.create(
            claim=_claim(apps, source, "mixed", grade="low", published_at=NOV_27),
            evidence_base="observational",
            imprecision=-1,
            dose_response=1,
        )
        allowed = assessments.create(
            claim=_claim(apps, source, "allowed", grade="moderate", published_at=NOV_27),
            evidence_base="observational",
            large_effect=1,
        )

        apps = _migrate(("claims", "0011_assessment_rates_up_only_from_low"))

        rows = apps.get_model("claims", "GradeAssessment").objects.in_bulk()
        assert (rows[rct.pk].large_effect, rows[rct.pk].override_reason) == (0, "")
        assert (rows[mixed.pk].dose_response, rows[allowed.pk].large_effect) == (0, 1)
        assert "dose response +1" in rows[mixed.pk].override_reason
        assert rows[allowed.pk].override_reason == ""
        grades = apps.get_model("claims", "Claim").objects.values_list("slug", "grade")
        assert dict(grades) == {"rct": "high", "mixed": "low", "allowed": "moderate"}
    finally:
        _migrate(("claims", _leaf()))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_claim_quote_becomes_its_first_appearance():
    apps = _migrate(("claims", "0016_sqlite_full_text_search"))
    try:
        text = "Kratom may help. Kratom may help hair regrow after detox."
        source = apps.get_model("claims", "Source").objects.create(
            title="T", text=text, kind="web_article"
        )
        quoted = {
            "first": (0, 16),
            "second": (17, len(text)),
            "draft": (0, 6),
        }
        for slug, (start, end) in quoted.items():
            _claim(
                apps,
                source,
                slug,
                quote=text[start:end],
                quote_start=start,
                quote_end=end,
                status="candidate" if slug == "draft" else "published",
                published_at=None if slug == "draft" else NOV_27,
            )

        apps = _migrate(("claims", "0017_appearances"))

        claims = apps.get_model("claims", "Claim").objects
        rows = apps.get_model("claims", "Appearance").objects.values_list(
            "claim__slug", "source_id", "quote", "quote_start", "quote_end", "found_at"
        )
        assert sorted(rows) == sorted(
            (slug, source.pk, text[start:end], start, end, NOV_20)
            for slug, (start, end) in quoted.items()
        )
        assert set(claims.values_list("appearance_count", flat=True)) == {1}
    finally:
        _migrate(("claims", _leaf()))
