"""claims_claimsummary (migration 0005): the export's per-claim evidence columns, kept on write.

After every kind of write the stored rows equal a recount from the evidence, and the COPY
writer (which reads them) gives the same bytes as the generic writer (which counts itself).
"""

import io
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from claims import export
from claims.models import Citation, Claim, Evidence
from claims.scales import Stance
from tests.factories import CitationFactory, ClaimFactory, EvidenceFactory

pytestmark = pytest.mark.django_db


def stored() -> dict[int, tuple[int, int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT claim_id, supporting, contradicting, citations FROM {export.SUMMARY_TABLE}"
        )
        return {claim_id: tuple(rest) for claim_id, *rest in cursor.fetchall()}


def recount() -> dict[int, tuple[int, int, str]]:
    """The summary computed in Python from the evidence: claims with at least one link."""
    links: dict[int, list[Evidence]] = {}
    for evidence in Evidence.objects.select_related("citation").order_by("claim_id", "pk"):
        links.setdefault(evidence.claim_id, []).append(evidence)
    return {
        claim_id: (
            sum(e.stance == Stance.SUPPORTS for e in found),
            sum(e.stance == Stance.CONTRADICTS for e in found),
            export.CITATION_SEPARATOR.join(
                export.citation_reference(
                    authors=e.citation.authors,
                    title=e.citation.title,
                    year=e.citation.year,
                    doi=e.citation.doi,
                    url=e.citation.url,
                )
                for e in found
            ),
        )
        for claim_id, found in links.items()
    }


def both_writers() -> tuple[bytes, bytes]:
    queryset = Claim.objects.order_by("pk")
    return (
        b"".join(export.iter_csv(queryset, use_copy=True)),
        b"".join(export.iter_csv(queryset, use_copy=False)),
    )


@pytest.fixture
def sample(postgres_only):
    """Three claims: two with mixed evidence sharing a citation, one without evidence."""
    first, second, bare = ClaimFactory.create_batch(3, published=True)
    shared = CitationFactory(authors="Lee A", year=2019, doi="10.1000/shared")
    links = [
        EvidenceFactory(claim=first, citation=shared, stance=Stance.SUPPORTS),
        EvidenceFactory(claim=first, stance=Stance.CONTRADICTS, citation__doi=""),
        EvidenceFactory(claim=first, stance=Stance.MIXED, citation__authors=""),
        EvidenceFactory(claim=second, citation=shared, stance=Stance.CONTRADICTS),
        EvidenceFactory(claim=second, stance=Stance.BACKGROUND, citation__year=None),
    ]
    return {"claims": (first, second, bare), "shared": shared, "links": links}


def _add_link(sample):
    EvidenceFactory(claim=sample["claims"][2], stance=Stance.SUPPORTS)


def _change_stance(sample):
    link = sample["links"][2]
    link.stance = Stance.SUPPORTS
    link.save()


def _move_link(sample):
    link = sample["links"][1]
    link.claim = sample["claims"][2]
    link.save()


def _delete_link(sample):
    sample["links"][0].delete()


def _delete_all_links_of_a_claim(sample):
    Evidence.objects.filter(claim=sample["claims"][1]).delete()


def _edit_authors(sample):
    Citation.objects.filter(pk=sample["shared"].pk).update(authors="Park B, Kim C")


def _clear_authors_then_edit_title(sample):
    citation = sample["shared"]
    citation.authors = ""
    citation.save()
    citation.title = "=A title that looks like a formula"
    citation.save()


def _edit_title_of_authorless_citation(sample):
    citation = sample["links"][2].citation
    citation.title = "Renamed study"
    citation.save()


def _remove_year(sample):
    Citation.objects.filter(pk=sample["shared"].pk).update(year=None)


def _edit_doi(sample):
    Citation.objects.filter(pk=sample["shared"].pk).update(doi="10.1000/changed")


def _edit_url_of_doi_less_citation(sample):
    Citation.objects.filter(pk=sample["links"][1].citation_id).update(
        url="https://example.org/study"
    )


def _delete_claim(sample):
    sample["claims"][0].delete()


def _bulk_update_stances(sample):
    Evidence.objects.update(stance=Stance.CONTRADICTS)


def _bulk_update_citations(sample):
    Citation.objects.update(authors="", title="-Starts with a dash")


def _edit_finding_only(sample):
    Evidence.objects.update(finding="Reworded finding.")


def _delete_citation(sample):
    # A citation in use is protected: its links go first, then the citation.
    sample["shared"].evidence.all().delete()
    sample["shared"].delete()


EDITS = [
    _add_link,
    _change_stance,
    _move_link,
    _delete_link,
    _delete_all_links_of_a_claim,
    _edit_authors,
    _clear_authors_then_edit_title,
    _edit_title_of_authorless_citation,
    _remove_year,
    _edit_doi,
    _edit_url_of_doi_less_citation,
    _delete_claim,
    _bulk_update_stances,
    _bulk_update_citations,
    _edit_finding_only,
    _delete_citation,
]


def test_summary_starts_equal_to_a_recount(sample):
    first, second, bare = sample["claims"]

    summary = stored()

    assert summary == recount()
    assert set(summary) == {first.pk, second.pk}  # a claim without evidence has no row
    assert summary[first.pk][:2] == (1, 1)
    assert summary[first.pk][2].startswith("Lee A (2019) 10.1000/shared | ")


@pytest.mark.parametrize("edit", EDITS, ids=[edit.__name__.strip("_") for edit in EDITS])
def test_summary_stays_equal_to_a_recount_after_each_edit(sample, edit):
    before = stored()

    edit(sample)

    assert stored() == recount()
    copy_bytes, generic_bytes = both_writers()
    assert copy_bytes == generic_bytes
    if edit is not _edit_finding_only:
        assert stored() != before


def test_finding_edit_recounts_nothing(sample):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text FROM {export.SUMMARY_TABLE} ORDER BY claim_id")
        before = cursor.fetchall()

    _edit_finding_only(sample)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text FROM {export.SUMMARY_TABLE} ORDER BY claim_id")
        assert cursor.fetchall() == before  # no row rewritten


def test_evidence_loaded_before_its_citation_is_counted(sample):
    # loaddata may insert evidence before the citation it names (foreign keys are deferred
    # until commit); the citation's insert then recounts the claims that link to it.
    claim = sample["claims"][2]
    next_id = Citation.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO claims_evidence (created_at, updated_at, stance, finding, claim_id,"
            " citation_id) VALUES (now(), now(), %s, '', %s, %s)",
            [Stance.SUPPORTS, claim.pk, next_id],
        )
        assert claim.pk not in stored()
        CitationFactory(pk=next_id, authors="Late L", year=2001, doi="10.1000/late")

    assert stored()[claim.pk] == (1, 0, "Late L (2001) 10.1000/late")
    assert stored() == recount()


def test_truncating_the_evidence_empties_the_summary(sample):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check
        cursor.execute("TRUNCATE claims_evidence")

    assert stored() == {} == recount()


def test_bulk_insert_of_many_links_in_one_statement(sample):
    claims = ClaimFactory.create_batch(50, published=True)
    citations = CitationFactory.create_batch(4)
    stances = (Stance.SUPPORTS, Stance.CONTRADICTS, Stance.SUPPORTS, Stance.MIXED)

    Evidence.objects.bulk_create(
        Evidence(claim=claim, citation=citation, stance=stance)
        for claim in claims
        for citation, stance in zip(citations, stances, strict=True)
    )

    assert stored() == recount()
    assert len(stored()) == 52
    copy_bytes, generic_bytes = both_writers()
    assert copy_bytes == generic_bytes


def test_loaddata_fills_the_summary(postgres_only):
    call_command("loaddata", "kratom_article", verbosity=0)

    summary = stored()

    assert summary == recount()
    assert sum(supporting + contradicting for supporting, contradicting, _ in summary.values())
    copy_bytes, generic_bytes = both_writers()
    assert copy_bytes == generic_bytes


def test_generated_data_has_an_exact_summary(postgres_only):
    # generate_claims loads with the insert trigger off and recounts the new links once.
    real = EvidenceFactory(claim=ClaimFactory(published=True), stance=Stance.CONTRADICTS)
    call_command("generate_claims", "--count", 300, "--seed", 3, "--force", stdout=io.StringIO())
    assert stored() == recount()

    call_command("generate_claims", "--count", 200, "--seed", 4, "--force", stdout=io.StringIO())

    summary = stored()
    assert summary == recount()
    assert summary[real.claim_id] == (0, 1, real.citation.reference)  # the real row is kept
    assert len(summary) > 150
    copy_bytes, generic_bytes = both_writers()
    assert copy_bytes == generic_bytes


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_to_one_claim_both_count(postgres_only):
    # Each writer recounts its claim; the claim's row lock makes the second wait for the
    # first to commit, so its recount sees both links (without it, each counted only its own).
    claim = ClaimFactory(published=True)
    first_citation, second_citation = CitationFactory.create_batch(2)
    second_started = threading.Event()

    def second_writer():
        try:
            with transaction.atomic():
                second_started.set()
                Evidence.objects.create(
                    claim_id=claim.pk, citation=second_citation, stance=Stance.CONTRADICTS
                )
        finally:
            connections.close_all()

    with transaction.atomic():
        Evidence.objects.create(claim=claim, citation=first_citation, stance=Stance.SUPPORTS)
        thread = threading.Thread(target=second_writer)
        thread.start()
        second_started.wait(5)
        time.sleep(0.5)  # the second writer's recount is now waiting for this transaction
    thread.join(10)

    assert not thread.is_alive()
    assert stored()[claim.pk][:2] == (1, 1)
    assert stored() == recount()
