from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.utils import timezone

from bench.assessments import add_assessments
from bench.generate import SYNTHETIC_DOI_PREFIX
from bench.revisions import add_editorial_record
from claims import revisions, upkeep
from claims.filters import select_claims
from claims.models import Appearance, Citation, Claim, ClaimRevision, PublicChange, Source
from claims.revisions import Proposal
from claims.scales import ChangeKind, Grade, RevisionStatus, SourceKind, Status, Verdict
from claims.text import sort_key
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def generate(count=200, seed=7, *args):
    call_command("generate_claims", "--count", count, "--seed", seed, *args, stdout=StringIO())


def claim_rows():
    return list(
        Claim.objects.order_by("pk").values_list("statement", "quote", "quote_start", "slug")
    )


def test_generate_claims_same_seed_gives_same_data():
    generate(seed=7)
    first = claim_rows()

    generate(seed=7)

    assert claim_rows() == first


def test_generate_claims_other_seed_gives_other_data():
    generate(seed=7)
    first = claim_rows()

    generate(seed=8)

    assert claim_rows() != first


def test_generate_claims_makes_the_requested_number_of_synthetic_claims():
    generate(count=200)

    assert Claim.objects.count() == 200
    assert set(Source.objects.values_list("kind", flat=True)) == {SourceKind.SYNTHETIC}


def test_generate_claims_quotes_match_their_source_at_their_offsets():
    generate()

    mismatches = [
        claim.pk
        for claim in Claim.objects.select_related("source")
        if claim.source.text[claim.quote_start : claim.quote_end] != claim.quote
    ]

    assert mismatches == []


def test_generate_claims_published_claims_are_complete_and_valid():
    generate()
    published = list(Claim.objects.filter(status=Status.PUBLISHED).select_related("source"))

    for claim in published:
        claim.full_clean()

    assert len(published) > 100
    assert [c.pk for c in published if c.grade == Grade.UNGRADED] == []
    assert [c.pk for c in published if c.verdict == Verdict.UNRATED] == []
    assert [c.pk for c in published if not c.rationale] == []


def test_generate_claims_copies_some_claims_into_later_texts_at_their_offsets():
    generate(count=600)

    appearances = list(Appearance.objects.select_related("source", "claim"))
    mismatches = [
        a.pk for a in appearances if a.source.text[a.quote_start : a.quote_end] != a.quote
    ]
    texts = {}
    for a in appearances:
        texts.setdefault(a.claim_id, set()).add(a.source_id)
    counts = dict(Claim.objects.values_list("pk", "appearance_count"))
    first = {a.claim_id: a for a in sorted(appearances, key=lambda a: (a.found_at, a.pk))[::-1]}

    assert mismatches == []
    assert counts == {pk: len(sources) for pk, sources in texts.items()}
    assert max(counts.values()) > 1
    # Each claim's own quote is its oldest appearance.
    assert all(
        (c.source_id, c.quote_start) == (first[c.pk].source_id, first[c.pk].quote_start)
        for c in Claim.objects.all()
    )


def test_generate_claims_mixes_statuses():
    generate()

    statuses = set(Claim.objects.values_list("status", flat=True))

    # Merged claims are made by reviewers (claims/merging.py), never generated.
    assert statuses == set(Status.values) - {Status.MERGED}


def test_generate_claims_links_zero_to_six_citations_per_claim():
    generate()

    counts = list(Claim.objects.annotate(n=Count("evidence")).values_list("n", flat=True))

    assert min(counts) >= 0
    assert max(counts) <= 6
    assert 2.5 <= sum(counts) / len(counts) <= 3.5


def test_generate_claims_citations_have_unique_synthetic_dois():
    generate()

    dois = list(Citation.objects.values_list("doi", flat=True))

    assert len(set(dois)) == len(dois)
    assert all(doi.startswith(SYNTHETIC_DOI_PREFIX) for doi in dois)


def test_generate_claims_replaces_earlier_synthetic_data():
    generate(count=200)

    generate(count=50)

    assert Claim.objects.count() == 50
    assert Source.objects.filter(claims__isnull=True).count() == 0


def test_generate_claims_refuses_when_real_claims_exist():
    real = ClaimFactory()

    with pytest.raises(CommandError, match="1 non-synthetic claim"):
        generate()

    assert list(Claim.objects.all()) == [real]


def test_generate_claims_with_force_keeps_real_claims():
    real = ClaimFactory()

    generate(50, 7, "--force")

    assert Claim.objects.count() == 51
    assert Claim.objects.get(pk=real.pk).statement == real.statement


def test_generate_claims_refuses_a_count_below_one():
    with pytest.raises(CommandError, match="at least 1"):
        generate(count=0)


def test_generate_claims_fills_the_search_vector_on_postgresql(postgres_only):
    generate()

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claim WHERE search_vector IS NULL")
        (missing,) = cursor.fetchone()

    assert missing == 0
    assert Claim.objects.filter(search_vector="kratom").exists()


def test_generate_claims_leaves_every_side_table_exact_on_postgresql(postgres_only):
    """The loader fills some side tables once at the end instead of by their triggers: what
    it leaves must be what the triggers would have made, also when replacing earlier data."""
    generate(count=150, seed=3)
    generate(count=120, seed=4)

    drift = upkeep.check_side_tables()

    assert [d.describe() for d in drift if not d.clean] == []
    assert all(d.rows for d in drift if d.table != "claims_rateddowncount")


def test_generate_claims_assesses_a_share_of_graded_claims_consistently():
    generate(count=300)

    assessed = Claim.objects.filter(assessment__isnull=False).select_related("assessment")

    assert assessed.count() >= 20
    for claim in assessed:
        assert claim.assessment.computed_grade == claim.grade, claim.pk
    rated_down = assessed.filter(grade__in=[Grade.MODERATE, Grade.VERY_LOW])
    assert rated_down.exists()
    assert all(
        claim.assessment.imprecision + claim.assessment.risk_of_bias == -1 for claim in rated_down
    )
    assert add_assessments() == 0  # idempotent


def test_generated_claims_are_searchable_and_carry_their_sort_key():
    generate()

    published = Claim.objects.filter(status=Status.PUBLISHED)
    found = select_claims(QueryDict("q=kratom")).queryset

    assert {c.statement_sort_key for c in Claim.objects.all()} == {
        sort_key(c.statement) for c in Claim.objects.all()
    }
    assert {c.pk for c in found} == {
        c.pk for c in published if "kratom" in f"{c.statement} {c.subject} {c.quote}".lower()
    }


def test_generate_claims_never_gives_a_new_claim_the_id_of_a_deleted_one():
    generate(count=50)
    kept = ClaimFactory()
    deleted = ClaimFactory()
    highest_used = deleted.pk
    deleted.delete()

    generate(50, 7, "--force")

    new_ids = list(Claim.objects.exclude(pk=kept.pk).values_list("pk", flat=True))
    assert len(new_ids) == 50
    assert min(new_ids) > highest_used
    assert ClaimFactory().pk > max(new_ids)  # the sequence was moved past them too


def test_generate_claims_again_takes_ids_above_the_replaced_ones():
    generate(count=50)
    first = max(Claim.objects.values_list("pk", flat=True))

    generate(count=20)

    assert min(Claim.objects.values_list("pk", flat=True)) > first
    assert ClaimFactory().pk > first + 20


def test_generate_claims_gives_a_share_of_published_claims_an_editorial_record():
    generate(count=1_000)

    published = Claim.objects.filter(status=Status.PUBLISHED)
    changes = PublicChange.objects.select_related("claim")
    assert changes.filter(kind=ChangeKind.CORRECTION).count() >= 20
    assert changes.filter(kind=ChangeKind.UPDATE).exists()
    for change in changes:
        change.full_clean()  # a correction changes the grade and says why
        assert change.claim.status == Status.PUBLISHED
        assert change.claim.published_at < change.approved_at <= timezone.now()
    pending = list(ClaimRevision.objects.select_related("claim"))  # one claim in 500
    assert pending
    for revision in pending:
        assert revision.claim in published
        assert revision.status == RevisionStatus.PENDING
        live = Proposal.live(revision.claim)
        assert revisions.describe_claim_change(live, Proposal.of(revision)) == "Changed: rationale."
    assert add_editorial_record() == (0, 0)  # idempotent
