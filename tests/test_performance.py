"""The /claims/ shortcuts for speed (claims/listing.py) keep the page right.

Bounded search, keyset pages, counts from the facet tables and the triggers that keep those
tables exact, each checked against the straightforward query (select_claims / the ORM).
"""

import datetime
import re
from urllib.parse import quote, urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from claims import listing, pagers
from claims.filters import select_claims
from claims.models import Claim
from claims.scales import ClaimType, Grade, Status, Verdict
from claims.sidetables import counts_from_grid

from .factories import ClaimFactory, SourceFactory
from .plans import plan_without_sorting

pytestmark = pytest.mark.django_db

LIST = reverse("claims:claim-list")
NEXT_RE = re.compile(r'<a rel="next" href="([^"]+)"')
PREV_RE = re.compile(r'<a rel="prev" href="([^"]+)"')


def _ids(response) -> list[int]:
    return [row.record.pk for row in response.context["page"].table.rows]


def _selected(query: str) -> list[int]:
    queryset = select_claims(QueryDict(query)).queryset
    return [claim.pk for claim in queryset]


def _follow(client, url: str, pattern: re.Pattern) -> list[list[int]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(_ids(response))
        found = pattern.search(response.content.decode())
        url = LIST + found.group(1).replace("&amp;", "&") if found else ""
    return pages


def _search_claims():
    """Claims matching "kratom" with different weights, so relevance really orders them."""
    texts = [
        ("Kratom kratom eases pain", "pain"),
        ("Kratom eases withdrawal", "withdrawal"),
        ("Tea eases pain", "kratom"),
        ("Coffee helps focus", "focus"),
    ]
    claims = []
    for i in range(40):
        statement, subject = texts[i % len(texts)]
        claims.append(
            ClaimFactory(
                published=True,
                statement=f"{statement} ({i})",
                subject=subject,
                quote="Kratom may help hair regrow after detox." if i % 3 else "Nothing here.",
                grade=[Grade.LOW, Grade.VERY_LOW, Grade.MODERATE][i % 3],
                verdict=[Verdict.SUPPORTED, Verdict.UNSUPPORTED][i % 2],
            )
        )
    ClaimFactory(statement="Kratom draft (unpublished)")
    return claims


def test_counts_from_grid_leave_out_each_facets_own_filter():
    grid = [("low", "supported", 3), ("low", "unsupported", 2), ("high", "unsupported", 5)]

    counts = counts_from_grid(grid, {"grade": ["low"], "verdict": ["unsupported"]})

    assert (counts.total, counts.facets["grade"], counts.facets["verdict"]) == (
        2,
        {"low": 2, "high": 5},
        {"supported": 3, "unsupported": 2},
    )


def test_keyset_pages_list_every_claim_once_in_the_default_order(client):
    now = timezone.now()
    for i in range(57):
        # Three claims share each instant: the id breaks the tie.
        ClaimFactory(published=True, created_at=now - datetime.timedelta(minutes=i // 3))
    ClaimFactory(status=Status.IN_REVIEW)

    pages = _follow(client, LIST, NEXT_RE)

    assert [len(page) for page in pages] == [25, 25, 7]
    assert [pk for page in pages for pk in page] == _selected("")


def test_previous_links_walk_back_over_the_same_pages(client):
    ClaimFactory.create_batch(60, published=True)
    forward = _follow(client, LIST, NEXT_RE)
    last = client.get(LIST + NEXT_RE.findall(client.get(LIST).content.decode())[0])
    last_url = NEXT_RE.search(last.content.decode()).group(1).replace("&amp;", "&")

    backward = _follow(client, LIST + last_url, PREV_RE)

    assert backward == forward[::-1]


def _walk(client, url: str, pattern: re.Pattern) -> tuple[list[list[int]], list[QueryDict]]:
    """Follow one kind of link to its end: each page's ids, and the query of every Next and
    Previous link met on the way."""
    pages, links = [], []
    while url:
        response = client.get(url)
        html = response.content.decode()
        pages.append(_ids(response))
        for found in (NEXT_RE.search(html), PREV_RE.search(html)):
            if found:
                links.append(QueryDict(found.group(1).lstrip("?").replace("&amp;", "&")))
        found = pattern.search(html)
        url = LIST + found.group(1).replace("&amp;", "&") if found else ""
    return pages, links


def test_keyset_pages_keep_filters(client, monkeypatch):
    monkeypatch.setattr(listing, "PER_PAGE", 4)  # several pages from a few claims
    monkeypatch.setattr(pagers, "PER_PAGE", 4)  # (and as many page numbers)
    for i in range(40):
        ClaimFactory(
            published=True,
            grade=Grade.LOW if i % 2 else Grade.VERY_LOW,
            subject="Kratom" if i % 3 else "coffee",
        )
    query = "grade=low&subject=kratom"
    selected = _selected(query)

    forward, forward_links = _walk(client, f"{LIST}?{query}", NEXT_RE)
    last = forward_links[-1]  # the last page's Previous link leads back from it
    backward, backward_links = _walk(client, f"{LIST}?{last.urlencode()}", PREV_RE)

    assert len(selected) == 13
    assert [len(page) for page in forward] == [4, 4, 4, 1]
    assert [pk for page in forward for pk in page] == selected
    assert backward == forward[-2::-1]
    for link in forward_links + backward_links:
        assert (link.getlist("grade"), link.getlist("subject")) == (["low"], ["kratom"])


def test_page_numbers_and_keyset_agree(client):
    ClaimFactory.create_batch(60, published=True)

    by_number = [_ids(client.get(f"{LIST}?page={n}")) for n in (1, 2, 3)]

    assert by_number == _follow(client, LIST, NEXT_RE)


def test_a_cursor_to_a_missing_claim_says_so_and_starts_over(client):
    claims = ClaimFactory.create_batch(3, published=True)

    response = client.get(f"{LIST}?after=999999")

    assert response.status_code == 200
    assert "no longer listed, so this is the first page" in response.content.decode()
    assert _ids(response) == [c.pk for c in claims[::-1]]


@pytest.mark.parametrize("n_claims", [1, 30])
def test_keyset_page_query_count_is_flat(client, django_assert_num_queries, n_claims):
    claims = ClaimFactory.create_batch(n_claims + 1, published=True)

    # the counts, the page rows (the cursor is a subquery)
    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + 2):
        response = client.get(f"{LIST}?after={claims[-1].pk}")

    assert len(_ids(response)) == min(n_claims, 25)


@pytest.mark.parametrize(
    "sort", ["claim", "-claim", "subject", "-reviewed_at", "grade", "-verdict"]
)
def test_sorted_page_numbers_list_every_claim_once(client, sort):
    now = timezone.now()
    for i in range(55):
        ClaimFactory(
            published=True,
            statement=f"Claim {i % 7}",
            subject=f"subject {i % 4}",
            grade=[Grade.LOW, Grade.VERY_LOW, Grade.HIGH][i % 3],
            reviewed_at=None if i % 5 == 0 else now - datetime.timedelta(days=i % 6),
        )

    pages = _follow(client, f"{LIST}?sort={sort}", NEXT_RE)

    assert [pk for page in pages for pk in page] == _selected(f"sort={sort}")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "grade=low",
        "verdict=supported&grade=low",
        "claim_type=safety",
        "subject=Kratom",
        "q=pain",
    ],
)
def test_counts_are_exact(client, query):
    source = SourceFactory()
    for i in range(30):
        ClaimFactory(
            published=True,
            source=source if i % 4 == 0 else SourceFactory(),
            grade=[Grade.LOW, Grade.VERY_LOW, Grade.HIGH][i % 3],
            verdict=[Verdict.SUPPORTED, Verdict.UNSUPPORTED][i % 2],
            claim_type=ClaimType.SAFETY if i % 5 == 0 else ClaimType.EFFICACY,
            subject="kratom" if i % 2 else "coffee",
            statement=f"Kratom eases pain ({i})" if i % 3 == 0 else f"Claim {i}",
        )
    ClaimFactory(status=Status.CANDIDATE, grade=Grade.LOW)
    params = QueryDict(query)

    response = client.get(f"{LIST}?{query}")

    expected_total = len(_selected(query))
    expected_grades = {
        code: len(_selected(_with(params, "grade", code))) for code in ("low", "very_low", "high")
    }
    assert response.context["page"].counts.total == expected_total
    assert response.context["page"].counts.total_exact is True
    grade_facet = response.context["page"].facets[0]
    assert {i.code: i.count for i in grade_facet.items if i.code in expected_grades} == (
        expected_grades
    )
    assert f"{expected_total} claim" in response.content.decode()


def test_counts_are_exact_with_a_source_filter(client):
    source = SourceFactory()
    ClaimFactory.create_batch(3, published=True, source=source, grade=Grade.LOW)
    ClaimFactory(published=True, source=source, grade=Grade.HIGH)
    ClaimFactory.create_batch(2, published=True, grade=Grade.LOW)

    response = client.get(f"{LIST}?source={source.pk}&grade=low")

    assert response.context["page"].counts.total == 3
    grade_counts = {i.code: i.count for i in response.context["page"].facets[0].items}
    assert (grade_counts["low"], grade_counts["high"]) == (3, 1)


def _with(params: QueryDict, name: str, value: str) -> str:
    changed = params.copy()
    changed.setlist(name, [value])
    return changed.urlencode()


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("query", ["q=kratom", "q=kratom&grade=low", 'q="eases pain"'])
def test_bounded_search_below_the_bound_is_select_claims(client, query):
    _search_claims()

    pages = _follow(client, f"{LIST}?{query}", NEXT_RE)

    assert [pk for page in pages for pk in page] == _selected(query)


@pytest.mark.usefixtures("postgres_only")
def test_bounded_search_pages_by_number_repeat_and_skip_nothing(client, settings):
    _search_claims()
    settings.CLAIMS_SEARCH_BOUND = 100
    expected = _selected("q=kratom")

    listed = []
    for number in (1, 2):
        response = client.get(LIST, {"q": "kratom", "page": number})
        listed += _ids(response)

    assert 25 < len(expected) <= 50
    assert listed == expected


# Two terms: the word counts (migration 0024) serve one word only, so this search is counted
# over the first matches the bound lets it look at; a one word search is counted exactly.
CAPPED = "kratom -coffee"


@pytest.mark.usefixtures("postgres_only")
def test_bounded_search_over_the_bound_says_so_and_shows_no_wrong_number(client, settings):
    _search_claims()
    settings.CLAIMS_SEARCH_BOUND = 4
    matches = _selected(f"q={CAPPED}")

    response = client.get(LIST, {"q": CAPPED})
    html = response.content.decode()

    assert response.context["page"].counts.total_exact is False
    assert f"More than 4 claims matching “{CAPPED}”" in html
    assert "shows the best of those" in html
    assert f"{len(matches)} claim" not in html
    # Every facet count is a lower bound and says so.
    items = [item for facet in response.context["page"].facets for item in facet.items]
    assert all(item.at_least for item in items)
    assert '<span class="visually-hidden">at least </span>' in html
    # The rows are real matches, ranked among themselves as select_claims ranks them.
    rows = _ids(response)
    assert len(rows) == 4
    assert rows == [pk for pk in matches if pk in rows]


@pytest.mark.usefixtures("postgres_only")
def test_bounded_search_over_the_bound_with_a_grade_filter(client, settings):
    _search_claims()
    settings.CLAIMS_SEARCH_BOUND = 2

    response = client.get(LIST, {"q": CAPPED, "grade": "low"})

    matches = _selected(f"q={CAPPED}&grade=low")
    assert len(matches) > 2
    assert response.context["page"].counts.total_exact is False
    assert set(_ids(response)) <= set(matches)


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("query", ["sort=grade", "sort=-reviewed_at&verdict=supported"])
def test_sorted_search_over_the_bound_keeps_exact_rows_and_caps_the_counts(client, settings, query):
    _search_claims()
    settings.CLAIMS_SEARCH_BOUND = 8
    expected = _selected(f"q={CAPPED}&{query}")
    assert len(expected) > 8

    response = client.get(f"{LIST}?q={CAPPED}&{query}")
    html = response.content.decode()

    assert _ids(response) == expected[:25]  # exact rows, in order
    assert response.context["page"].counts.total_exact is False
    assert f"More than 8 claims matching “{CAPPED}”" in html
    assert "it stops counting at 8 matches: the rows are in order" in html
    assert "shows the best of those" not in html
    assert f"{len(expected)} claim" not in html
    items = [item for facet in response.context["page"].facets for item in facet.items]
    assert all(item.at_least for item in items)


def _grade_counts(page) -> dict[str, int]:
    return {item.code: item.count for item in page.facets[0].items}


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("query", ["", "&grade=low", "&grade=low&verdict=supported"])
@pytest.mark.parametrize(
    ("words", "shown"), [("kratom", "kratom"), ('"eases pain"', '"eases pain"')]
)
def test_one_word_or_a_phrase_over_the_bound_is_counted_exactly_and_ranked_among_the_first(
    client, settings, django_assert_num_queries, query, words, shown
):
    """One word from the word counts (migration 0024), two side by side from the pair counts
    (0025), in the query that ranks the page."""
    _search_claims()
    settings.CLAIMS_SEARCH_BOUND = 4
    matches = _selected(f"q={quote(words)}{query}")
    assert len(matches) > 4

    # the data version; candidates, ranked page and the word counts in one; the rows
    with django_assert_num_queries(1 + 2):
        response = client.get(f"{LIST}?q={quote(words)}{query}")
    page, html = response.context["page"], response.content.decode()

    assert (page.counts.total, page.counts.total_exact, page.counts.exact) == (
        len(matches), True, True,
    )  # fmt: skip
    assert f"{len(matches)} claims matching “{escape(shown)}”" in html
    assert f"it looks at the first 4 of the {len(matches)} matches it finds" in html
    assert "at least" not in html
    assert not page.matrix.at_least
    for grade in (Grade.LOW, Grade.VERY_LOW, Grade.MODERATE):  # each without its own filter
        verdicts = "&verdict=supported" if "verdict" in query else ""
        expected = _selected(f"q={quote(words)}&grade={grade}{verdicts}")
        assert _grade_counts(page)[grade] == len(expected)
    rows = _ids(response)
    assert len(rows) == 4  # the pages reach the first four found, ranked among themselves
    assert rows == [pk for pk in matches if pk in rows]
    assert page.pager.num_pages == 1


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("words", ['"pain eases"', '"kratom eases pain"', "eases pain"])
def test_other_phrases_and_two_words_are_counted_over_the_bound(client, settings, words):
    """The pair counts serve exactly two words side by side in that order: a phrase the
    other way round finds nothing, and a longer phrase or two words apart are counted
    over the first matches, as before."""
    _search_claims()
    settings.CLAIMS_SEARCH_BOUND = 4
    matches = _selected(f"q={quote(words)}")

    page = client.get(LIST, {"q": words}).context["page"]

    if not matches:
        assert (page.counts.total, page.counts.total_exact) == (0, True)
        return
    assert len(matches) > 4
    assert page.counts.total_exact is False
    assert page.matrix.at_least


@pytest.mark.usefixtures("postgres_only")
def test_a_sorted_one_word_search_counts_exactly_and_pages_to_the_bound(client, settings):
    _search_claims()
    settings.CLAIMS_SEARCH_BOUND = 8
    expected = _selected("q=kratom&sort=grade")

    response = client.get(f"{LIST}?q=kratom&sort=grade&page=9")
    page, html = response.context["page"], response.content.decode()

    assert (page.counts.total, page.counts.total_exact) == (len(expected), True)
    assert _ids(response) == expected[:25]  # page 9 lies past the bound: the last one, page 1
    assert "pages stop at 1, the first 8 matches" in html
    assert f"its pages go no further than the first 8 of the {len(expected)} matches" in html


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("text", ["kratom eases", '"kratom eases"', "the", "kratom-tea", "KRATOM!"])
def test_only_a_one_lexeme_search_reads_the_word_counts(client, text):
    _search_claims()
    expected = _selected(urlencode({"q": text}))

    response = client.get(LIST, {"q": text})

    assert response.context["page"].counts.total == len(expected)
    assert set(_ids(response)) == set(expected[:25])


@pytest.mark.usefixtures("postgres_only")
def test_sorted_search_under_the_bound_counts_exactly(client):
    _search_claims()
    expected = _selected("q=kratom&sort=-grade&grade=low")

    response = client.get(f"{LIST}?q=kratom&sort=-grade&grade=low")

    assert response.context["page"].counts.total == len(expected)
    assert response.context["page"].counts.total_exact is True
    assert response.context["page"].counts.exact is True
    assert _ids(response) == expected[:25]
    grade_counts = {item.code: item.count for item in response.context["page"].facets[0].items}
    for grade in (Grade.LOW, Grade.MODERATE):
        assert grade_counts[grade] == len(_selected(f"q=kratom&grade={grade}"))


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("n_claims", [1, 3])
def test_bounded_search_query_count_is_flat(client, django_assert_num_queries, n_claims):
    ClaimFactory.create_batch(n_claims, published=True)

    # the bounded search (candidates, counts and ranked page in one), the page rows
    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + 2):
        response = client.get(LIST, {"q": "kratom"})

    assert len(_ids(response)) == n_claims


# The triggers of migration 0004 keep claims_searchdoc, claims_facetcount and
# claims_facettotal equal to what they summarise.


def _side_tables():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT claim_id, grade, verdict, claim_type, subject_lower, source_id, created_at "
            "FROM claims_searchdoc ORDER BY claim_id"
        )
        docs = cursor.fetchall()
        cursor.execute(
            "SELECT count(*) FROM claims_searchdoc d JOIN claims_claim c ON c.id = d.claim_id "
            "WHERE d.vector IS DISTINCT FROM c.search_vector"
        )
        (stale_vectors,) = cursor.fetchone()
        cursor.execute(
            "SELECT subject_lower, grade, verdict, claim_type, n FROM claims_facetcount "
            "WHERE n <> 0 ORDER BY 1, 2, 3, 4"
        )
        facets = cursor.fetchall()
        cursor.execute(
            "SELECT grade, verdict, claim_type, n FROM claims_facettotal WHERE n <> 0 "
            "ORDER BY 1, 2, 3"
        )
        totals = cursor.fetchall()
    return docs, stale_vectors, facets, totals


def _expected():
    published = Claim.objects.published().order_by("pk")
    docs = [
        (c.pk, c.grade, c.verdict, c.claim_type, c.subject.lower(), c.source_id, c.created_at)
        for c in published
    ]
    facets, totals = {}, {}
    for c in published:
        key = (c.subject.lower(), c.grade, c.verdict, c.claim_type)
        facets[key] = facets.get(key, 0) + 1
        totals[key[1:]] = totals.get(key[1:], 0) + 1
    return (
        docs,
        0,
        [(*key, n) for key, n in sorted(facets.items())],
        [(*key, n) for key, n in sorted(totals.items())],
    )


@pytest.mark.usefixtures("postgres_only")
def test_triggers_keep_side_tables_exact_through_every_kind_of_write():
    claims = [ClaimFactory(published=True, subject=f"Subject {i % 2}") for i in range(6)]
    ClaimFactory.create_batch(2)  # candidates
    assert _side_tables() == _expected()

    claims[0].grade = Grade.HIGH  # a grade change
    claims[0].save()
    claims[1].status = Status.REJECTED  # unpublished
    claims[1].save()
    claims[2].statement = "Coffee cures everything"  # a new search vector
    claims[2].save()
    assert _side_tables() == _expected()

    Claim.objects.filter(status=Status.CANDIDATE).update(  # published in bulk
        status=Status.PUBLISHED,
        grade=Grade.LOW,
        verdict=Verdict.SUPPORTED,
        rationale="Why.",
        published_at=timezone.now(),
    )
    Claim.objects.filter(subject="Subject 1").update(subject="SUBJECT 0", claim_type="safety")
    assert _side_tables() == _expected()

    claims[3].delete()
    Claim.objects.filter(grade=Grade.LOW).delete()
    Claim.objects.filter(pk=claims[4].pk).update(updated_at=timezone.now())  # nothing public
    assert _side_tables() == _expected()


@pytest.mark.usefixtures("postgres_only")
def test_side_tables_follow_generate_claims():
    from bench.generate import generate_claims

    generate_claims(count=40, seed=3)

    assert _side_tables() == _expected()


def test_facet_links_from_a_keyset_page_start_the_new_selection_at_its_top(client):
    claims = ClaimFactory.create_batch(30, published=True)

    response = client.get(f"{LIST}?after={claims[-1].pk}")

    grade = {i.code: i.url for i in response.context["page"].facets[0].items}
    assert grade["low"] == "?grade=low"


@pytest.mark.usefixtures("postgres_only")
def test_bounded_search_filters_take_any_subject_text(client):
    odd = "O'Brien's \\ tea: a | b"
    wanted = ClaimFactory(published=True, statement="Kratom tea helps", subject=odd)
    ClaimFactory(published=True, statement="Kratom tea helps too", subject="tea")

    response = client.get(LIST, {"q": "kratom", "subject": odd.upper()})

    assert response.status_code == 200
    assert _ids(response) == [wanted.pk]
    assert response.context["page"].counts.total == 1


def _varied_claims(n: int = 80):
    now = timezone.now()
    sources = [SourceFactory(title=title) for title in ("beta", "Alpha", "alpha", "Gamma")]
    for i in range(n):
        ClaimFactory(
            published=True,
            source=sources[i % len(sources)],
            statement=f"Claim {i % 7}",
            subject=f"subject {i % 4}",
            grade=[Grade.LOW, Grade.VERY_LOW, Grade.HIGH, Grade.MODERATE][i % 4],
            verdict=[Verdict.SUPPORTED, Verdict.MISLEADING, Verdict.UNSUPPORTED][i % 3],
            reviewed_at=None if i % 5 == 0 else now - datetime.timedelta(days=i % 6),
        )
    ClaimFactory(statement="Claim 1 draft")  # never listed


@pytest.mark.parametrize(
    "query",
    [
        "",
        "sort=claim",
        "sort=-grade",
        "sort=verdict",
        "sort=source_title",
        "sort=-reviewed_at",
        "grade=low&grade=high",
        "sort=grade&grade=low&grade=moderate",
        "q=claim&sort=-subject",
    ],
)
def test_deep_numbered_pages_are_the_selections_rows(client, monkeypatch, query):
    """Every numbered page (from the start, and counted back from the end past the middle)
    shows exactly the rows select_claims has there, whichever way listing picks them."""
    monkeypatch.setattr("claims.listing.DEEP_OFFSET", 0)  # the deep path from page 2 on
    _varied_claims()
    expected = _selected(query)
    pages = -(-len(expected) // 25)
    assert pages >= 2

    for number in range(1, pages + 1):
        response = client.get(f"{LIST}?{query}&page={number}")
        assert _ids(response) == expected[25 * (number - 1) : 25 * number], number


@pytest.mark.usefixtures("postgres_only")
def test_deep_pages_of_a_sorted_search_over_the_bound_are_the_selections_rows(
    client, monkeypatch, settings
):
    """Past the bound the total is a lower bound: a deep page must not count back from it."""
    monkeypatch.setattr("claims.listing.DEEP_OFFSET", 0)
    settings.CLAIMS_SEARCH_BOUND = 60
    _varied_claims()
    expected = _selected("q=claim&sort=-reviewed_at")
    assert len(expected) > 60

    for number in (1, 2, 3):
        response = client.get(f"{LIST}?q=claim&sort=-reviewed_at&page={number}")
        assert response.context["page"].counts.reachable == 60
        assert _ids(response) == expected[25 * (number - 1) : 25 * number], number


@pytest.mark.parametrize("sort", ["grade", "-grade", "verdict", "-verdict"])
def test_sorting_by_a_scale_filtered_on_it_keeps_the_rows_and_order(sort):
    _varied_claims()
    name = sort.lstrip("-")
    scale = Grade if name == "grade" else Verdict
    chosen = [member.value for member in scale][:3:2]  # two values with a gap between
    published = Claim.objects.filter(status=Status.PUBLISHED, **{f"{name}__in": chosen})
    position = {member.value: i for i, member in enumerate(scale)}
    expected = sorted(published, key=lambda c: (position[getattr(c, name)], c.pk))
    if sort.startswith("-"):
        expected.reverse()

    query = f"sort={sort}&" + "&".join(f"{name}={value}" for value in chosen)

    assert _selected(query) == [claim.pk for claim in expected]


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("sort=grade", "claim_pub_grade_sort_idx"),
        ("sort=-verdict", "claim_pub_verdict_sort_idx"),
        # Filtered on its own scale the sort key is a constant: any index in id order serves it.
        ("sort=grade&grade=low", None),
        ("sort=claim", "claim_pub_statement_key_idx"),
        ("sort=-claim", "claim_pub_statement_key_idx"),
        ("sort=-subject", "claim_pub_subject_sort_idx"),
        ("", "claim_status_created_idx"),
    ],
)
def test_sorted_pages_read_their_index(query, index):
    """The ORDER BY select_claims writes is the expression its index holds (a change to one
    without the other would quietly sort every published claim on each page)."""
    _varied_claims(10)
    queryset = select_claims(QueryDict(query)).queryset

    plan = plan_without_sorting(queryset[:26])

    if index is None:
        assert "Sort Key" not in plan, plan
        return
    assert index in plan
    assert "Sort Key" not in plan.split(index)[0]


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("sort", ["", "-reviewed_at"])
def test_a_page_past_the_search_bound_says_pages_stop_there(client, settings, sort):
    _search_claims()
    settings.CLAIMS_SEARCH_BOUND = 8

    response = client.get(LIST, {"q": "kratom", "sort": sort, "page": 300})
    html = response.content.decode()

    assert response.status_code == 200
    assert "There is no page 300 here: pages stop at 1, the first 8 matches." in html
    assert "this selection has" not in html
