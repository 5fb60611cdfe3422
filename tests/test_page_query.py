"""The claim page's query as a statement prepared once per PostgreSQL session."""

import pytest
from django.db import connection

from claims import detail

from .factories import ClaimFactory, EvidenceFactory, GradeAssessmentFactory


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'claims_page_%%'")
        return [name for (name,) in cursor.fetchall()]


def page_fields(claim) -> tuple:
    return (
        claim.statement,
        claim.source.title,
        detail.loaded_assessment(claim).imprecision,
        [link.citation.title for link in detail.evidence_links(claim)],
        detail.page_quote_context(claim),
        [entry.kind for entry in detail.corrections(claim)],
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_prepared_statement_reads_what_the_plain_query_reads(postgres_only, client):
    claim = ClaimFactory(published=True)
    EvidenceFactory.create_batch(2, claim=claim)
    GradeAssessmentFactory(claim=claim, evidence_base="randomised", imprecision=-1)
    plain = detail.claim_page_queryset().get(pk=claim.pk)

    assert client.get(claim.get_absolute_url()).status_code == 200
    assert len(prepared()) == 1
    loaded = detail.claim_for_page(claim.slug)

    assert page_fields(loaded) == page_fields(plain)
    assert detail.claim_for_page("no-such-claim") is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_statement_gone_from_the_session_is_prepared_again(postgres_only, client):
    """A connection pooler that does not keep sessions, or DEALLOCATE ALL: the page still
    answers, and the next request prepares the statement again."""
    claim = ClaimFactory(published=True)
    client.get(claim.get_absolute_url())
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")

    detail.PAGES.clear()
    assert client.get(claim.get_absolute_url()).status_code == 200
    assert client.get(claim.get_absolute_url()).status_code == 200
    assert len(prepared()) == 1


@pytest.mark.django_db
def test_inside_a_transaction_the_plain_query_is_used(client):
    """A failed EXECUTE would abort the caller's transaction: there, no prepared statement."""
    claim = ClaimFactory(published=True)

    assert client.get(claim.get_absolute_url()).status_code == 200
    if connection.vendor == "postgresql":
        assert prepared() == []
