"""Text compared and sorted alike on SQLite and PostgreSQL: the subject filter ignores the case
of any letter, and claims sort by their statement without accents, by code point."""

import csv
import io

import pytest
from django.http import QueryDict

from claims.filters import select_claims
from claims.models import Claim
from claims.text import sort_key

from .factories import ClaimFactory

pytestmark = pytest.mark.django_db

ACCENTED = [
    "Zebra crossings calm traffic",
    "Éclair pastries contain kratom",
    "ábaco lessons improve sums",
    "eclipse glasses protect eyes",
    "Äpfel juice is sweet",
    "Œdema follows injury",
    "ﬁbre aids digestion",
]
# By the key: accents and case gone, the ligature "ﬁ" as "fi"; "œ" has no decomposition, so
# it sorts by its own code point, after "z" (on both databases).
ACCENTED_ORDER = [
    "ábaco lessons improve sums",
    "Äpfel juice is sweet",
    "Éclair pastries contain kratom",
    "eclipse glasses protect eyes",
    "ﬁbre aids digestion",
    "Zebra crossings calm traffic",
    "Œdema follows injury",
]


def test_sort_key_folds_case_and_drops_accents():
    assert [sort_key(s) for s in ("Éclair", "ÄRGER", "Straße", "ﬁbre", "Œdema")] == [
        "eclair",
        "arger",
        "strasse",
        "fibre",
        "œdema",
    ]


def _statements(query: str) -> list[str]:
    return [claim.statement for claim in select_claims(QueryDict(query)).queryset]


def test_claims_sort_by_statement_without_accents_on_both_databases(client):
    for statement in ACCENTED:
        ClaimFactory(published=True, statement=statement)

    body = b"".join(client.get("/claims/export.csv?sort=claim").streaming_content).decode()

    assert _statements("sort=claim") == ACCENTED_ORDER
    assert _statements("sort=-claim") == ACCENTED_ORDER[::-1]
    assert [row["claim"] for row in csv.DictReader(io.StringIO(body))] == ACCENTED_ORDER


def test_the_sort_key_follows_every_save_of_the_statement():
    claim = ClaimFactory(statement="Éclair pastries contain kratom")

    claim.statement = "Ábaco lessons improve sums"
    claim.save(update_fields=["statement"])
    claim.refresh_from_db()

    assert claim.statement_sort_key == "abaco lessons improve sums"


@pytest.mark.parametrize(
    ("stored", "asked"),
    [("ärger", "Ärger"), ("Ärger", "ärger"), ("ÄRGER", "ärger"), ("Ärger", "ÄRGER")],
)
def test_subject_filter_ignores_the_case_of_any_letter_on_both_databases(client, stored, asked):
    claim = ClaimFactory(published=True, subject=stored)
    ClaimFactory(published=True, subject="Arger")  # no accent: another subject

    response = client.get("/claims/", {"subject": asked})

    assert [row.pk for row in response.context["page"].rows] == [claim.pk]
    assert response.context["page"].counts.total == 1
    assert [c.pk for c in select_claims(QueryDict(f"subject={asked}")).queryset] == [claim.pk]


def test_claims_written_past_save_are_sorted_once_their_key_is_given():
    """bulk_create skips Claim.save(): bulk writers compute the key (bench.generate does)."""
    source = ClaimFactory().source
    Claim.objects.bulk_create(
        Claim(
            source=source,
            slug=f"bulk-{i}",
            statement=statement,
            statement_sort_key=sort_key(statement),
            quote=source.text[:40],
            quote_start=0,
            quote_end=40,
        )
        for i, statement in enumerate(ACCENTED)
    )

    keys = Claim.objects.filter(slug__startswith="bulk-").order_by("statement_sort_key")

    assert [claim.statement for claim in keys] == ACCENTED_ORDER
