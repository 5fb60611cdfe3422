"""check_listing_tables finds side tables that drifted from their triggers, and repairs them."""

from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from claims.models import Claim
from claims.scales import Grade, Status, Verdict

from .factories import ClaimFactory, EvidenceFactory, GradeAssessmentFactory

pytestmark = pytest.mark.django_db

TABLES = [
    "claims_claim",
    "claims_searchdoc",
    "claims_facetcount",
    "claims_facettotal",
    "claims_claimsummary",
    "claims_claimrecord",
    "claims_rateddowncount",
    "claims_wordcount",
    "claims_paircount",
]


def check(*args) -> str:
    out = StringIO()
    call_command("check_listing_tables", *args, stdout=out)
    return out.getvalue()


def drifted(*args) -> tuple[int, str]:
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("check_listing_tables", *args, stdout=out)
    return error.value.returncode, out.getvalue()


@contextmanager
def triggers_off():
    """Writes as a restore with disabled triggers makes them (until the test's rollback)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = origin")


def some_claims():
    claims = ClaimFactory.create_batch(4, published=True, subject="Kratom", grade=Grade.LOW)
    ClaimFactory(status=Status.IN_REVIEW)
    for claim in claims[:2]:
        EvidenceFactory(claim=claim)
    return claims


def test_check_listing_tables_on_sqlite_says_there_is_nothing_to_check():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite message; PostgreSQL has side tables to check")

    assert check() == "No side tables on this database (SQLite): nothing to check.\n"


def test_check_listing_tables_reports_a_clean_database_clean(postgres_only):
    some_claims()

    lines = check().splitlines()

    assert [line.split(":")[0] for line in lines[:-1]] == TABLES
    assert all(": clean (" in line for line in lines[:-1])
    assert lines[-1].startswith("Side tables match their triggers")


def test_writes_with_triggers_off_are_found_repaired_and_then_clean(postgres_only):
    kept, regraded, deleted, other = some_claims()
    with triggers_off():
        added = ClaimFactory(
            published=True,
            statement="Kratom restores zygomorphic eyebrows",
            subject="kratom",
            grade=Grade.LOW,
        )
        Claim.objects.filter(pk=regraded.pk).update(grade=Grade.HIGH)
        Claim.objects.filter(pk=deleted.pk).delete()
        EvidenceFactory(claim=kept)
        GradeAssessmentFactory(claim=kept, imprecision=-1)

    returncode, report = drifted()

    assert returncode == 1
    assert [line.split(":")[0] for line in report.splitlines()] == TABLES
    assert "clean" not in report
    assert f"claims_claim: 1 wrong (e.g. {added.pk})\n" in report  # its search vector
    assert (
        f"claims_searchdoc: 1 missing (e.g. {added.pk}), 1 extra (e.g. {deleted.pk}), "
        f"2 wrong (e.g. {kept.pk}, {regraded.pk})\n"  # a grade; an assessment's tag
    ) in report
    assert f"claims_claimsummary: 1 wrong (e.g. {kept.pk})\n" in report
    assert "claims_rateddowncount: 1 missing (e.g. (8,kratom,low,unsupported,efficacy))" in report

    returncode, report = drifted("--repair")

    assert returncode == 1, report
    assert "Repaired" in report
    assert check().count(": clean (") == len(TABLES)
    assert list(Claim.objects.filter(search_vector="zygomorphic").values_list("pk", flat=True)) == [
        added.pk
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT grade, sum(n)::int FROM claims_facettotal GROUP BY 1 ORDER BY 1")
        assert cursor.fetchall() == [("high", 1), ("low", 3)]
        cursor.execute("SELECT claim_id FROM claims_searchdoc ORDER BY 1")
        assert [pk for (pk,) in cursor.fetchall()] == [kept.pk, regraded.pk, other.pk, added.pk]


def test_a_tag_added_to_the_trigger_later_is_checked_without_editing_the_checker(
    postgres_only,
):
    claims = some_claims()
    with connection.cursor() as cursor:
        # As a later migration would: every search row gains an outcome tag.
        cursor.execute(
            """CREATE OR REPLACE FUNCTION claims_searchdoc_tags(grade text, verdict text,
                   claim_type text, subject text, source_id bigint)
               RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
                   SELECT array_to_tsvector(ARRAY['g:' || grade, 'v:' || verdict,
                       't:' || claim_type, 's:' || lower(subject), 'src:' || source_id,
                       'new:tag'])
               $$"""
        )

    returncode, report = drifted("--repair")

    assert returncode == 1
    assert f"claims_searchdoc: {len(claims)} wrong" in report
    assert check().count(": clean (") == len(TABLES)


def rated_down_counts() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rated_down, subject_lower, grade, n::int FROM claims_rateddowncount "
            "WHERE n <> 0 ORDER BY 1, 2, 3"
        )
        return cursor.fetchall()


def test_rated_down_counts_follow_every_write_to_claims_and_assessments(postgres_only):
    """Migration 0020's triggers: each write moves the counts it should, and no more."""
    first, second = ClaimFactory.create_batch(2, published=True, subject="Kratom")
    draft = ClaimFactory(status=Status.IN_REVIEW)
    GradeAssessmentFactory(claim=draft, risk_of_bias=-1)  # not published: not counted
    assessment = GradeAssessmentFactory(claim=first, risk_of_bias=-1, imprecision=-2)
    GradeAssessmentFactory(claim=second)  # nothing rated down: not counted
    assert rated_down_counts() == [(9, "kratom", "very_low", 1)]

    assessment.imprecision = 0
    assessment.risk_of_bias_note = "Unblinded."
    assessment.save()
    assert rated_down_counts() == [(1, "kratom", "very_low", 1)]

    Claim.objects.filter(pk=first.pk).update(grade=Grade.LOW, subject="KRATOM tea")
    assert rated_down_counts() == [(1, "kratom tea", "low", 1)]

    Claim.objects.filter(pk__in=[first.pk, draft.pk]).update(status=Status.REJECTED)
    assert rated_down_counts() == []
    Claim.objects.filter(pk=first.pk).update(status=Status.PUBLISHED)
    assert rated_down_counts() == [(1, "kratom tea", "low", 1)]

    draft.assessment.delete()
    first.delete()  # its assessment first, as Django deletes
    assert rated_down_counts() == []
    assert check().count(": clean (") == len(TABLES)


def test_rated_down_bits_follow_the_filters_codes():
    """The count table's bit i is the rated_down filter's i-th code (migration 0020)."""
    from importlib import import_module

    from claims.filters import filters_by_param

    migration = import_module("claims.migrations.0020_rated_down_counts")
    codes = [code for code, _ in filters_by_param()["rated_down"].choices]

    assert list(migration.DOMAINS) == codes


def counts(table: str, **key: str) -> dict[tuple[str, str], int]:
    """A count table's published claims per (grade, verdict) for one key (column = value)."""
    where = " AND ".join(f"{column} = %s" for column in key)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT grade, verdict, n::int FROM {table} WHERE {where} AND n <> 0",
            list(key.values()),
        )
        return {(grade, verdict): n for grade, verdict, n in cursor.fetchall()}


def word_counts(lexeme: str) -> dict[tuple[str, str], int]:
    return counts("claims_wordcount", lexeme=lexeme)


def pair_counts(first: str, second: str) -> dict[tuple[str, str], int]:
    return counts("claims_paircount", first=first, second=second)


def test_the_word_counts_follow_publication_edits_and_deletes(postgres_only):
    claim = ClaimFactory(
        published=True, statement="Zygomorphic eyebrows regrow", subject="brows",
        grade=Grade.LOW, verdict=Verdict.SUPPORTED,
    )  # fmt: skip
    ClaimFactory(statement="Zygomorphic draft", subject="brows")  # not public: not counted
    assert word_counts("zygomorph") == {("low", "supported"): 1}

    Claim.objects.filter(pk=claim.pk).update(grade=Grade.HIGH)
    assert word_counts("zygomorph") == {("high", "supported"): 1}

    claim.refresh_from_db()
    claim.statement = "Eyebrows regrow"
    claim.save()  # a new search vector: the word goes
    assert word_counts("zygomorph") == {}
    assert word_counts("eyebrow") == {("high", "supported"): 1}

    Claim.objects.filter(pk=claim.pk).update(status=Status.IN_REVIEW)
    assert word_counts("eyebrow") == {}
    Claim.objects.filter(pk=claim.pk).update(status=Status.PUBLISHED)
    claim.delete()
    assert word_counts("eyebrow") == {}
    assert check().count(": clean (") == len(TABLES)


def test_the_pair_counts_follow_publication_edits_and_deletes(postgres_only):
    claim = ClaimFactory(
        published=True, statement="Zygomorphic eyebrows regrow, eyebrows regrow", subject="brows",
        grade=Grade.LOW, verdict=Verdict.SUPPORTED,
    )  # fmt: skip
    ClaimFactory(statement="Zygomorphic eyebrows draft", subject="brows")  # not public
    # Side by side once a claim, however often; not the other way round, nor apart.
    assert pair_counts("zygomorph", "eyebrow") == {("low", "supported"): 1}
    assert pair_counts("eyebrow", "regrow") == {("low", "supported"): 1}
    assert pair_counts("eyebrow", "zygomorph") == {}
    assert pair_counts("zygomorph", "regrow") == {}

    Claim.objects.filter(pk=claim.pk).update(verdict=Verdict.MISLEADING)
    assert pair_counts("zygomorph", "eyebrow") == {("low", "misleading"): 1}

    claim.refresh_from_db()
    claim.statement = "Eyebrows of zygomorphic flowers"
    claim.save()  # a new search vector: "of" is a stop word, so the pair is gone
    assert pair_counts("zygomorph", "eyebrow") == {}
    assert pair_counts("eyebrow", "zygomorph") == {}

    Claim.objects.filter(pk=claim.pk).update(status=Status.IN_REVIEW)
    assert pair_counts("zygomorph", "flower") == {}
    Claim.objects.filter(pk=claim.pk).update(status=Status.PUBLISHED)
    assert pair_counts("zygomorph", "flower") == {("low", "misleading"): 1}
    claim.delete()
    assert pair_counts("zygomorph", "flower") == {}
    assert check().count(": clean (") == len(TABLES)
