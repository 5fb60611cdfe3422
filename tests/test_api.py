"""The JSON API (/api/v1/): the same selection as /claims/ and the CSV, documents, cursors,
errors, CORS and query counts. The contract itself is checked by tests/test_api_schema.py."""

import csv
import io
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from claims.models import Appearance, PublicChange
from claims.scales import ChangeKind, Grade, Stance, Status, Verdict
from tests.factories import (
    CitationFactory,
    ClaimFactory,
    EvidenceFactory,
    GradeAssessmentFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/"


@pytest.fixture
def demo(db):
    call_command("loaddata", "kratom_article", verbosity=0)


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.json()


def path(url: str) -> str:
    """An absolute API link as the test client's path and query."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def walk(client, url):
    """Every item of a list, following `next` links."""
    items, seen = [], set()
    while url:
        assert url not in seen, "a next link loops"
        seen.add(url)
        page = get_json(client, url)
        items += page["results"]
        url = path(page["next"]) if page["next"] else None
    return items


def csv_ids(client, query):
    response = client.get(reverse("claims:claim-export") + query)
    text = b"".join(response.streaming_content).decode()
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(text, newline=""))]


def page_ids(client, query):
    """Every claim /claims/ lists for `query`, page after page."""
    ids, url = [], reverse("claims:claim-list") + query
    while url:
        page = client.get(url).context["page"]
        ids += [claim.pk for claim in page.rows]
        url = reverse("claims:claim-list") + page.pager.next_url if page.pager.next_url else None
    return ids


QUERIES = [
    "?",
    "?q=kratom",
    "?q=hair OR withdrawal",
    "?grade=very_low&grade=low",
    "?verdict=supported",
    "?sort=-grade",
    "?sort=claim",
    "?subject=KRATOM&sort=-reviewed_at",
    "?q=kratom&sort=appearances",
    "?rated_down=risk_of_bias",
    "?rated_down=risk_of_bias&sort=-grade",  # reads only the grades the counts found
    "?rated_down=risk_of_bias&sort=verdict&verdict=unsupported",
]


@pytest.mark.parametrize("query", QUERIES)
def test_claims_select_what_the_page_and_the_csv_select_in_their_order(client, demo, query):
    ClaimFactory.create_batch(30, published=True)  # more than a page
    for claim in ClaimFactory.create_batch(3, published=True):
        GradeAssessmentFactory(claim=claim, risk_of_bias=-1)

    api = [item["id"] for item in walk(client, API + "claims/" + query)]

    assert api == page_ids(client, query) == csv_ids(client, query)
    assert api  # each query selects something


def test_claims_page_carries_the_pages_counts_and_notes(client, demo):
    html = client.get("/claims/?q=kratom&grade=very_low&page=99").context["page"]
    body = get_json(client, API + "claims/?q=kratom&grade=very_low&page=99")

    assert body["counts"]["total"] == html.counts.total
    assert body["counts"]["grade"] == {i.code: i.count for i in html.facets[0].items}
    assert body["counts"]["verdict"] == {i.code: i.count for i in html.facets[1].items}
    assert body["counts"]["exact"] is body["counts"]["total_exact"] is True
    assert body["notes"] == html.notes
    assert "There is no page 99" in body["notes"][0]
    assert body["page"] == html.pager.number


def test_a_summary_holds_the_csv_columns_as_json(client, demo):
    item = get_json(client, API + "claims/?q=hair+regrowth")["results"][0]
    text = b"".join(client.get("/claims/export.csv?q=hair+regrowth").streaming_content).decode()
    row = next(csv.DictReader(io.StringIO(text, newline="")))

    assert item["id"] == int(row["id"])
    for name in ("claim", "subject", "outcome", "claim_type", "grade", "verdict", "status",
                 "source_title", "source_url", "quote", "rationale", "reviewed_at", "url"):  # fmt: skip
        assert item[name] == row[name], name
    assert item["supporting"] == int(row["supporting"])
    assert item["contradicting"] == int(row["contradicting"])
    assert " | ".join(item["citations"]) == row["citations"]
    assert item["appearance_count"] == int(row["appearances"])
    assert item["api_url"].endswith(f"/api/v1/claims/{item['slug']}/")


def test_text_is_not_made_formula_safe_in_json(client):
    ClaimFactory(published=True, statement="=HYPERLINK(1) is a claim", rationale="-1 works")

    item = get_json(client, API + "claims/")["results"][0]

    assert item["claim"] == "=HYPERLINK(1) is a claim"
    assert item["rationale"] == "-1 works"


def test_newest_first_pages_by_keyset_both_ways(client):
    claims = ClaimFactory.create_batch(60, published=True)
    newest_first = sorted(claims, key=lambda c: (c.created_at, c.pk), reverse=True)

    first = get_json(client, API + "claims/")
    second = get_json(client, path(first["next"]))
    third = get_json(client, path(second["next"]))
    back = get_json(client, path(third["previous"]))

    assert "after=" in first["next"]
    assert first["previous"] is None
    assert [i["id"] for i in second["results"]] == [c.pk for c in newest_first[25:50]]
    assert [i["id"] for i in third["results"]] == [c.pk for c in newest_first[50:]]
    assert third["next"] is None
    assert (first["page"], second["page"], third["page"]) == (1, 2, 3)  # Next carries n=
    assert back["results"] == second["results"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?grade=bogus", "“bogus” is not a grade. Use one of: high, moderate, low, very_low."),
        ("?sort=nope", "“nope” is not a column to sort by."),
        ("?source=abc", "source"),
        ("?q=" + "x" * 400, "Your search is too long"),
    ],
)
def test_a_bad_query_is_a_problem_with_the_html_pages_message(client, query, message):
    response = client.get(API + "claims/" + query)
    html = client.get("/claims/" + query)

    assert response.status_code == 400 == html.status_code
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400
    assert problem["title"]
    assert problem["errors"] == html.context["page"].selection.errors
    assert any(message in error for error in problem["errors"])


def test_claim_document_holds_evidence_texts_assessment_and_corrections(client):
    first = SourceFactory(title="First text")
    claim = ClaimFactory(
        published=True, source=first, published_at=timezone.now() - timedelta(days=9)
    )
    work = CitationFactory(title="A trial", authors="", year=None, doi="", url="https://t.org")
    EvidenceFactory(claim=claim, citation=work, stance=Stance.CONTRADICTS, finding="No effect.")
    EvidenceFactory(claim=claim, stance=Stance.SUPPORTS)
    GradeAssessmentFactory(claim=claim, risk_of_bias=-1, risk_of_bias_note="Unblinded.")
    second = SourceFactory(title="Second text")
    Appearance.objects.create(
        claim=claim, source=second, quote="Users report it is well tolerated.",
        quote_start=88, quote_end=122, found_at=timezone.now(),
    )  # fmt: skip
    PublicChange.objects.create(
        claim=claim, kind=ChangeKind.CORRECTION, approved_at=timezone.now() - timedelta(days=1),
        old_grade=Grade.LOW, new_grade=Grade.VERY_LOW, old_verdict=Verdict.SUPPORTED,
        new_verdict=Verdict.UNSUPPORTED, summary="Grade lowered", note="A new trial.",
    )  # fmt: skip

    doc = get_json(client, f"{API}claims/{claim.slug}/")

    assert doc["id"] == claim.pk
    assert doc["status"] == "published"
    assert [e["stance"] for e in doc["evidence"]] == ["contradicts", "supports"]  # as attached
    assert doc["evidence"][0]["finding"] == "No effect."
    assert doc["evidence"][0]["citation"]["reference"] == "A trial (n.d.) https://t.org"
    assert doc["evidence"][0]["citation"]["api_url"].endswith(f"/api/v1/citations/{work.pk}/")
    assert doc["supporting"] == 1
    assert doc["contradicting"] == 1
    assert [a["source_title"] for a in doc["appearances"]] == ["First text", "Second text"]
    assert doc["appearance_count"] == 2
    assert doc["appearances"][1]["quote_end"] == 122
    assert f"/sources/{second.pk}/#appearance-" in doc["appearances"][1]["page_url"]
    assert doc["assessment"]["risk_of_bias"] == -1
    assert doc["assessment"]["risk_of_bias_note"] == "Unblinded."
    log = doc["corrections"]
    assert [entry["kind"] for entry in log] == ["published", "correction"]
    assert (log[0]["grade"], log[0]["verdict"]) == ("low", "supported")  # as first published
    assert (log[1]["old_grade"], log[1]["grade"], log[1]["note"]) == (
        "low",
        "very_low",
        "A new trial.",
    )
    assert doc["published_at"] == log[0]["date"]
    assert doc["modified_at"] == log[1]["date"]


def test_a_claim_without_assessment_or_changes(client):
    claim = ClaimFactory(published=True)

    doc = get_json(client, f"{API}claims/{claim.slug}/")

    assert doc["assessment"] is None
    assert doc["evidence"] == []
    assert doc["citations"] == []
    assert [entry["kind"] for entry in doc["corrections"]] == ["published"]
    assert doc["modified_at"] == doc["published_at"]


def test_a_merged_claims_address_moves_to_its_survivor(client):
    survivor = ClaimFactory(published=True)
    merged = ClaimFactory(  # public once, then merged
        status=Status.MERGED, merged_into=survivor, published_at=timezone.now()
    )

    response = client.get(f"{API}claims/{merged.slug}/")

    assert response.status_code == 301
    assert response["Location"] == f"{API}claims/{survivor.slug}/"


@pytest.mark.parametrize("status", [Status.CANDIDATE, Status.IN_REVIEW, Status.REJECTED])
def test_an_unpublished_claim_is_not_found(client, status):
    claim = ClaimFactory(status=status)

    response = client.get(f"{API}claims/{claim.slug}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert claim.statement not in response.content.decode()


def test_sources_and_citations_page_by_id_in_both_directions(client, settings):
    settings.DEBUG = False
    claims = [ClaimFactory(published=True) for _ in range(55)]
    for claim in claims:
        EvidenceFactory(claim=claim)
    source_ids = sorted(c.source_id for c in claims)

    for name, ids in (("sources", source_ids), ("citations", sorted(
        e.citation_id for c in claims for e in c.evidence.all()
    ))):  # fmt: skip
        items = walk(client, f"{API}{name}/")
        assert [item["id"] for item in items] == ids
        second = get_json(client, path(get_json(client, f"{API}{name}/")["next"]))
        back = get_json(client, path(second["previous"]))
        assert [item["id"] for item in back["results"]] == ids[:50]
        assert back["previous"] is None


@pytest.mark.parametrize("query", ["?after=abc", "?before=1e3", "?after=1&before=9", "?after=-1"])
@pytest.mark.parametrize("name", ["sources", "citations"])
def test_a_bad_cursor_is_a_problem(client, name, query):
    response = client.get(f"{API}{name}/{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]


def test_a_cursor_past_the_end_is_an_empty_page_that_links_back(client):
    claim = ClaimFactory(published=True)

    page = get_json(client, f"{API}sources/?after={claim.source_id + 100}")

    assert page["results"] == []
    assert page["next"] is None
    assert [i["id"] for i in get_json(client, path(page["previous"]))["results"]] == [
        claim.source_id
    ]


def test_source_document_lists_each_published_claims_passages(client):
    claim = ClaimFactory(published=True)
    Appearance.objects.create(
        claim=claim, source=claim.source, quote="Users report it is well tolerated.",
        quote_start=88, quote_end=122, found_at=timezone.now(),
    )  # fmt: skip

    doc = get_json(client, f"{API}sources/{claim.source_id}/")

    assert doc["text"] == claim.source.text
    assert "note" not in doc
    [made] = doc["claims"]
    assert made["id"] == claim.pk
    assert [(p["quote_start"], p["quote_end"]) for p in made["passages"]] == [(0, 40), (88, 122)]


def test_citation_document_pages_through_a_stance(client):
    work = CitationFactory()
    for _ in range(30):
        EvidenceFactory(claim=ClaimFactory(published=True), citation=work)

    doc = get_json(client, f"{API}citations/{work.pk}/")
    stance = get_json(client, f"{API}citations/{work.pk}/?stance=supports")
    following = get_json(client, path(stance["next"]))

    assert doc["stances"][0]["count"] == 30
    assert doc["stances"][0]["count_exact"] is True
    assert len(doc["stances"][0]["claims"]) == 10
    assert doc["next"] is None
    assert len(stance["stances"][0]["claims"]) == 25
    assert stance["page"] == 1
    assert len(following["stances"][0]["claims"]) == 5
    assert following["next"] is None
    bad = client.get(f"{API}citations/{work.pk}/?stance=nope")
    assert bad.status_code == 400
    assert "is not a stance" in bad.json()["detail"]


@pytest.mark.parametrize(
    "url", ["", "claims/", "sources/", "citations/", "claims/x/", "sources/1/", "nope/", "docs/"]
)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_only_reads(client, url, method):
    response = getattr(client, method)(API + url)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Content-Type"] == "application/problem+json"


def test_an_unknown_api_address_is_a_problem_not_the_html_404(client):
    response = client.get(API + "claimz/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "/api/v1/claimz/" in response.json()["detail"]


def test_any_origin_may_read_the_api_without_credentials(client):
    ClaimFactory(published=True)

    response = client.get(API + "claims/", HTTP_ORIGIN="https://news.example")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert "Set-Cookie" not in response
    assert not response.cookies


def test_a_preflight_allows_get_and_nothing_else(client):
    response = client.options(
        API + "claims/",
        HTTP_ORIGIN="https://news.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="DELETE",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Methods"] == "GET"


def test_pages_outside_the_api_share_nothing_across_origins(client):
    response = client.get("/claims/", HTTP_ORIGIN="https://news.example")

    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("n_claims", [1, 3])
def test_claims_list_query_count_is_flat(client, django_assert_num_queries, n_claims):
    for claim in ClaimFactory.create_batch(n_claims, published=True):
        EvidenceFactory.create_batch(2, claim=claim)

    # The page's queries (tests/test_views.py), then the rows' evidence. On PostgreSQL a one
    # word search is counted by the word counts in the query that ranks it.
    page = 2
    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + (page + 1)):
        body = get_json(client, API + "claims/?q=kratom&grade=very_low")

    assert len(body["results"]) == n_claims


@pytest.mark.parametrize("n", [1, 3])
def test_sources_and_citations_lists_query_counts_are_flat(client, django_assert_num_queries, n):
    for claim in ClaimFactory.create_batch(n, published=True):
        EvidenceFactory(claim=claim)

    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + 1):
        assert len(get_json(client, API + "sources/")["results"]) == n
    # 1 +: the data version, read before the view (claims.caching)
    with django_assert_num_queries(1 + 1):
        assert len(get_json(client, API + "citations/")["results"]) == n


def test_claim_document_is_one_query(client, django_assert_max_num_queries):
    claim = ClaimFactory(published=True)
    EvidenceFactory.create_batch(3, claim=claim)

    with django_assert_max_num_queries(2):  # the page's query (prepared on PostgreSQL)
        get_json(client, f"{API}claims/{claim.slug}/")
