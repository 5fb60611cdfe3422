import re
from itertools import product

import pytest
from django.http import QueryDict

from claims.appearances import add_appearance
from claims.filters import select_claims
from claims.pictures import _units
from claims.scales import ClaimType, Grade, Status, Verdict

from .factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db

LIST = "/claims/"


@pytest.fixture
def mixed_claims():
    """Claims of several grades, verdicts, types and subjects (and an unpublished one)."""
    grades = [Grade.HIGH, Grade.LOW, Grade.VERY_LOW]
    verdicts = [Verdict.SUPPORTED, Verdict.MISLEADING, Verdict.UNSUPPORTED]
    for i, (grade, verdict) in enumerate(product(grades, verdicts)):
        for j in range(i % 3 + 1):
            ClaimFactory(
                published=True,
                grade=grade,
                verdict=verdict,
                subject="kratom" if j % 2 == 0 else "mitragynine",
                claim_type=ClaimType.SAFETY if i % 2 else ClaimType.EFFICACY,
                statement=f"Kratom claim {i}-{j} about hair" if j else f"Claim {i}-{j}",
            )
    ClaimFactory(status=Status.CANDIDATE, grade=Grade.HIGH, verdict=Verdict.SUPPORTED)


def _listed(query: str) -> int:
    return select_claims(QueryDict(query.lstrip("?"))).queryset.count()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "grade=low",
        "grade=low&grade=very_low&verdict=supported&sort=-reviewed_at",
        "claim_type=safety",
        "q=kratom",
        "subject=kratom&verdict=misleading&verdict=unsupported",
    ],
)
def test_each_matrix_cell_is_the_number_of_claims_its_link_lists(client, mixed_claims, query):
    page = client.get(f"{LIST}?{query}").context["page"]

    matrix = page.matrix

    for row in matrix.rows:
        for (verdict, _), cell in zip(matrix.columns, row.cells, strict=True):
            combination = QueryDict(query, mutable=True)
            combination.setlist("grade", [row.code])
            combination.setlist("verdict", [verdict])
            assert cell.count == _listed(combination.urlencode())
            assert cell.url == ("" if cell.count == 0 else cell.url)
            if cell.url:
                assert _listed(cell.url) == cell.count
    assert matrix.total == page.counts.total == _listed(query)
    assert [r.total for r in matrix.rows] == [sum(c.count for c in r.cells) for r in matrix.rows]


def test_the_matrix_shows_only_the_chosen_grades_and_verdicts(client, mixed_claims):
    page = client.get(LIST + "?grade=low&grade=high&verdict=misleading").context["page"]

    matrix = page.matrix

    assert [row.code for row in matrix.rows] == ["high", "low"]
    assert matrix.columns == [("misleading", "Misleading")]


def test_a_cell_link_selects_exactly_its_combination_and_keeps_the_rest(client, mixed_claims):
    query = "q=kratom&grade=low&claim_type=safety&sort=claim&page=2"
    page = client.get(f"{LIST}?{query}").context["page"]

    cell = next(c for row in page.matrix.rows for c in row.cells if c.url)
    linked = QueryDict(cell.url.lstrip("?"))

    assert dict(linked.lists()) == {
        "q": ["kratom"],
        "grade": ["low"],
        "verdict": [linked["verdict"]],
        "claim_type": ["safety"],
        "sort": ["claim"],
    }


def test_the_matrix_is_on_the_page_as_a_table_of_links(client, mixed_claims):
    html = client.get(LIST + "?grade=high").content.decode()

    start = html.index('<section class="matrix"')
    matrix = html[start : html.index("</section>", start)]

    assert '<th scope="row">High</th>' in matrix
    assert re.findall(r'<th scope="col">([^<]+)</th>', matrix) == [
        "Grade",
        "Supported",
        "Partly supported",
        "Unsupported",
        "Misleading",
        "Contradicted by evidence",
        "Total",
    ]
    assert (
        '<a href="?grade=high&amp;verdict=supported">1<span class="visually-hidden"> claims '
        "graded high, supported</span></a>" in matrix
    )


def test_an_empty_selection_and_the_400_page_have_no_matrix(client, mixed_claims):
    empty = client.get(LIST + "?q=nothingmatchesthis").content.decode()
    bad = client.get(LIST + "?grade=best").content.decode()

    assert 'class="matrix"' not in empty
    assert 'class="matrix"' not in bad


def test_past_the_search_bound_the_matrix_says_at_least(client, settings, postgres_only):
    settings.CLAIMS_SEARCH_BOUND = 2
    ClaimFactory.create_batch(4, published=True, statement="Kratom eases pain")

    response = client.get(LIST + "?q=kratom+eases")  # two words: counted up to the bound
    html = response.content.decode()

    assert response.context["page"].matrix.at_least is True
    assert '<span class="visually-hidden">at least </span>3+' in html


def test_a_one_word_search_past_the_bound_has_an_exact_matrix(client, settings, postgres_only):
    settings.CLAIMS_SEARCH_BOUND = 2
    for grade, verdict in [("low", "supported")] * 3 + [("high", "misleading")] * 2:
        ClaimFactory(published=True, statement="Kratom eases pain", grade=grade, verdict=verdict)

    response = client.get(LIST + "?q=kratom&grade=low&grade=high")
    matrix = response.context["page"].matrix

    assert matrix.at_least is False
    assert matrix.total == 5
    counts = {(row.code, col): cell.count for row in matrix.rows
              for (col, _), cell in zip(matrix.columns, row.cells, strict=True)}  # fmt: skip
    assert counts[("low", "supported")] == 3
    assert counts[("high", "misleading")] == 2
    assert "at least" not in response.content.decode()


# --- a source's scorecard --------------------------------------------------------------------


def test_the_scorecard_counts_the_texts_published_claims_by_verdict(client):
    source = SourceFactory(text="Kratom helps. Kratom heals. Kratom soothes.")
    for verdict in [Verdict.SUPPORTED, Verdict.SUPPORTED, Verdict.MISLEADING]:
        ClaimFactory(published=True, source=source, verdict=verdict)
    ClaimFactory(source=source)  # a candidate: not public
    elsewhere = ClaimFactory(published=True, verdict=Verdict.CONTRADICTED)
    add_appearance(claim=elsewhere, source=source, quote="Kratom heals.")

    response = client.get(source.get_absolute_url())
    card = response.context["scorecard"]
    html = response.content.decode()

    assert [(s.verdict, s.count, s.percent) for s in card.shares] == [
        (Verdict.SUPPORTED, 2, 50),
        (Verdict.MISLEADING, 1, 25),
        (Verdict.CONTRADICTED, 1, 25),
    ]
    assert (
        "Of 4 claims in this text: 2 supported, 1 misleading, 1 contradicted by evidence." in html
    )
    assert html.count('<span class="verdict-supported') == 2
    assert f'href="/claims/?source={source.pk}&amp;verdict=misleading">1<' in html
    assert _listed(f"source={source.pk}&verdict=supported") == 2


def test_the_bar_has_one_piece_a_claim_up_to_a_hundred():
    assert _units([6, 7, 4, 2, 1], 20) == [6, 7, 4, 2, 1]


@pytest.mark.parametrize(
    ("counts", "expected"), [([500, 300, 200], [50, 30, 20]), ([998, 1, 1], [98, 1, 1])]
)
def test_past_a_hundred_claims_the_bar_shares_a_hundred_pieces_each_verdict_at_least_one(
    counts, expected
):
    assert _units(counts, 100) == expected
