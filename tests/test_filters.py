import pytest
from django.http import QueryDict
from django.urls import reverse

from claims.filters import select_claims
from claims.scales import ClaimType, Grade, Status, Verdict
from claims.tables import ClaimTable

from .factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def _select(query: str) -> list:
    return list(select_claims(QueryDict(query)).queryset)


def _claims():
    low = ClaimFactory(published=True, grade=Grade.LOW, verdict=Verdict.SUPPORTED)
    very_low = ClaimFactory(published=True, grade=Grade.VERY_LOW, verdict=Verdict.UNSUPPORTED)
    moderate = ClaimFactory(
        published=True,
        grade=Grade.MODERATE,
        verdict=Verdict.CONTRADICTED,
        claim_type=ClaimType.SAFETY,
        subject="Mitragynine",
    )
    return low, very_low, moderate


def test_select_claims_default_order_is_newest_first():
    low, very_low, moderate = _claims()

    assert _select("") == [moderate, very_low, low]


def test_select_claims_leaves_out_unpublished_claims():
    published = ClaimFactory(published=True)
    ClaimFactory(status=Status.CANDIDATE)
    ClaimFactory(status=Status.IN_REVIEW, grade=Grade.LOW, verdict=Verdict.SUPPORTED)

    assert _select("") == [published]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("grade=low", ["low"]),
        ("grade=low&grade=very_low", ["very_low", "low"]),
        ("verdict=contradicted", ["moderate"]),
        ("verdict=supported&verdict=unsupported", ["very_low", "low"]),
        ("claim_type=safety", ["moderate"]),
        ("claim_type=efficacy&claim_type=safety", ["moderate", "very_low", "low"]),
        ("subject=mitragynine", ["moderate"]),
        ("subject=KRATOM", ["very_low", "low"]),
        ("subject=kratom&subject=Mitragynine", ["moderate", "very_low", "low"]),
        ("grade=low&verdict=supported", ["low"]),
        ("grade=low&verdict=unsupported", []),
        ("grade=very_low&grade=moderate&claim_type=efficacy", ["very_low"]),
    ],
)
def test_select_claims_filters_and_combinations(query, expected):
    low, very_low, moderate = _claims()
    names = {"low": low, "very_low": very_low, "moderate": moderate}

    assert _select(query) == [names[n] for n in expected]


def test_select_claims_filters_by_source_ids():
    first, second = SourceFactory(), SourceFactory()
    a = ClaimFactory(published=True, source=first)
    b = ClaimFactory(published=True, source=second)
    ClaimFactory(published=True)

    assert _select(f"source={first.pk}") == [a]
    assert _select(f"source={first.pk}&source={second.pk}") == [b, a]


def test_select_claims_subject_is_exact_not_partial():
    ClaimFactory(published=True, subject="kratom tea")

    assert _select("subject=kratom") == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "grade=excellent",
            "“excellent” is not a grade. Use one of: high, moderate, low, very_low.",
        ),
        ("grade=ungraded", "“ungraded” is not a grade. Use one of: high, moderate, low, very_low."),
        ("verdict=true", "“true” is not a verdict."),
        ("claim_type=rumour", "“rumour” is not a claim type."),
        ("source=abc", "“abc” is not a source number"),
        ("source=999999", "There is no published source with id 999999."),
        ("source=99999999999999999999999", "is not a source number"),
        ("sort=colour", "“colour” is not a column to sort by."),
        ("q=" + "x" * 10_000, "Your search is too long (10000 characters)."),
    ],
)
def test_select_claims_reports_bad_values_and_selects_nothing(query, message):
    ClaimFactory(published=True)

    selection = select_claims(QueryDict(query))

    assert list(selection.queryset) == []
    assert len(selection.errors) == 1
    assert message in selection.errors[0]


def test_select_claims_unpublished_source_is_unknown():
    hidden = ClaimFactory(status=Status.CANDIDATE)

    selection = select_claims(QueryDict(f"source={hidden.source_id}"))

    assert selection.errors == [
        f"Source: There is no published source with id {hidden.source_id}. "
        "See /sources/ for the sources we cover."
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("grade", ["moderate", "low", "very_low"]),
        ("-grade", ["very_low", "low", "moderate"]),
        ("verdict", ["low", "very_low", "moderate"]),
        ("-verdict", ["moderate", "very_low", "low"]),
        ("subject", ["low", "very_low", "moderate"]),
    ],
)
def test_select_claims_sorts_by_column_with_pk_tiebreak(sort, expected):
    low, very_low, moderate = _claims()
    names = {"low": low, "very_low": very_low, "moderate": moderate}

    assert _select(f"sort={sort}") == [names[n] for n in expected]


def test_sort_names_are_the_table_columns():
    names = [name for name, column in ClaimTable.base_columns.items()]

    for name in names:
        selection = select_claims(QueryDict(f"sort=-{name}"))
        assert selection.errors == []


def test_select_claims_sorted_ties_follow_the_sort_direction():
    claims = ClaimFactory.create_batch(3, published=True)

    assert _select("sort=grade") == claims
    assert _select("sort=-grade") == claims[::-1]


def test_list_page_and_select_claims_agree(client):
    _claims()
    query = "grade=low&grade=very_low&sort=-grade"

    response = client.get(reverse("claims:claim-list") + "?" + query)

    assert [row.record for row in response.context["page"].table.rows] == _select(query)
