"""A claim that is not published is invisible everywhere the public can look."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, PublicChange
from claims.scales import ChangeKind, Grade, Status, Verdict
from tests import payloads
from tests.factories import (
    CitationFactory,
    ClaimFactory,
    EvidenceFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HIDDEN_STATUSES = [Status.CANDIDATE, Status.IN_REVIEW, Status.REJECTED, Status.MERGED]
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# The second sentence of factories.SOURCE_TEXT.
HIDDEN_QUOTE = "It is said to ease opioid withdrawal symptoms."


@pytest.fixture(params=["anonymous", "member"])
def reader(request, client):
    if request.param == "member":
        client.force_login(UserFactory())  # logged in, not staff
    return client


@pytest.fixture(params=HIDDEN_STATUSES)
def world(request):
    """A published claim, and a claim in a hidden status quoting the same source.

    The hidden claim is graded `high`/`supported` (the published one `very_low`/`unsupported`)
    so that a leak into the counts shows; a second source is quoted only by a hidden claim.
    """
    status = request.param
    source = SourceFactory(title="Shared source")
    public = ClaimFactory(published=True, source=source, statement="Kratom aids hair regrowth")
    EvidenceFactory(claim=public)
    merged = {"merged_into": public} if status == Status.MERGED else {}
    hidden = ClaimFactory(
        **merged,
        source=source,
        status=status,
        statement="Zorblax secret claim about kratom",
        quote=HIDDEN_QUOTE,
        quote_start=41,
        quote_end=41 + len(HIDDEN_QUOTE),
        grade=Grade.HIGH,
        verdict=Verdict.SUPPORTED,
        rationale="Zorblax rationale",
    )
    EvidenceFactory(claim=hidden, citation=CitationFactory(title="Zorblax citation"))
    lonely_source = SourceFactory(title="Zorblax only source")
    lonely = ClaimFactory(
        **merged,
        source=lonely_source,
        status=status,
        statement="Zorblax lonely claim",
        grade=Grade.HIGH,
    )
    return {"public": public, "hidden": hidden, "lonely": lonely, "status": status}


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def assert_nothing_hidden(text, world):
    secrets = [
        "Zorblax",
        world["hidden"].slug,
        world["lonely"].slug,
        f"/sources/{world['lonely'].source_id}/",
    ]
    assert [secret for secret in secrets if secret in text] == []


def facet_counts(response):
    return {
        facet.name: {item.code: item.count for item in facet.items if item.count}
        for facet in response.context["page"].facets
    }


@pytest.mark.parametrize(
    "query", ["", "?q=zorblax", "?q=kratom", "?grade=high", "?subject=kratom", "?sort=-grade"]
)
def test_hidden_claim_is_absent_from_the_list_search_and_counts(reader, world, query):
    response = reader.get(reverse("claims:claim-list") + query)

    assert response.status_code == 200
    assert_nothing_hidden(body(response), world)
    expected_total = 0 if query in {"?q=zorblax", "?grade=high"} else 1
    assert response.context["page"].counts.total == expected_total
    if query in {"", "?q=kratom", "?subject=kratom", "?sort=-grade"}:
        assert facet_counts(response) == {
            "grade": {"very_low": 1},
            "verdict": {"unsupported": 1},
        }


def test_hidden_claim_is_absent_from_the_list_filtered_by_its_source(reader, world):
    response = reader.get(f"{reverse('claims:claim-list')}?source={world['lonely'].source_id}")

    assert response.status_code in {200, 400}
    assert "Zorblax lonely" not in body(response)
    assert response.context["page"].counts.total == 0


@pytest.mark.parametrize("which", ["hidden", "lonely"])
def test_hidden_claim_page_is_not_found(reader, world, which):
    response = reader.get(reverse("claims:claim-detail", args=[world[which].slug]))

    assert response.status_code == 404
    assert "Zorblax" not in body(response)


@pytest.mark.parametrize("key", ["after", "before"])
def test_a_cursor_at_a_hidden_claim_reads_as_one_that_never_existed(reader, world, key):
    # By creation time: the public claim, then the hidden one, then a newer public claim.
    newer = ClaimFactory(published=True, source=world["public"].source, statement="Newer")
    start = timezone.now() - timedelta(days=3)
    for days, claim in enumerate([world["public"], world["hidden"], newer]):
        Claim.objects.filter(pk=claim.pk).update(created_at=start + timedelta(days=days))
    never = Claim.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000

    at_hidden = reader.get(f"{reverse('claims:claim-list')}?{key}={world['hidden'].pk}")
    at_never = reader.get(f"{reverse('claims:claim-list')}?{key}={never}")

    assert body(at_hidden) == body(at_never)
    page = at_hidden.context["page"]
    assert [claim.pk for claim in page.rows] == [newer.pk, world["public"].pk]
    assert page.notes == [
        "The claim this page continued from is no longer listed, so this is the first page."
    ]


def test_source_page_marks_only_published_claims(reader, world):
    response = reader.get(world["public"].source.get_absolute_url())

    html = body(response)
    assert response.status_code == 200
    assert_nothing_hidden(html, world)
    marked = [
        dict(attrs).get("href")
        for tag, attrs in _tags(html)
        if tag == "a" and re.fullmatch(r"/claims/[-\w]+/", dict(attrs).get("href", ""))
    ]
    assert set(marked) == {world["public"].get_absolute_url()}


def test_source_quoted_only_by_hidden_claims_is_not_found_and_not_listed(reader, world):
    detail = reader.get(world["lonely"].source.get_absolute_url())
    listing = reader.get(reverse("claims:source-list"))

    assert detail.status_code == 404
    assert listing.status_code == 200
    assert_nothing_hidden(body(listing), world)
    assert "Shared source" in body(listing)


def test_json_ld_names_only_the_published_claim(reader, world):
    response = reader.get(world["public"].get_absolute_url())

    html = body(response)
    assert_nothing_hidden(html, world)
    assert [block["claimReviewed"] for block in payloads.json_ld_blocks(html)] == [
        world["public"].statement
    ]


@pytest.mark.parametrize(
    "query",
    ["", "?q=zorblax", f"?status={Status.CANDIDATE}", "?grade=high", "?status=in_review"],
)
def test_csv_lists_only_the_published_claim(reader, world, query):
    response = reader.get(reverse("claims:claim-export") + query)

    text = body(response)
    assert_nothing_hidden(text, world)
    if response.status_code == 200:
        rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
        expected = [] if query in {"?q=zorblax", "?grade=high"} else [str(world["public"].pk)]
        assert [row["id"] for row in rows] == expected
    else:
        assert response.status_code == 400


def test_sitemap_lists_only_public_pages(reader, world):
    index = ET.fromstring(body(reader.get("/sitemap.xml")))
    locations = []
    for loc in index.findall(".//sm:loc", SITEMAP_NS):
        section = ET.fromstring(body(reader.get(urlsplit(loc.text).path)))
        locations += [urlsplit(u.text).path for u in section.findall(".//sm:loc", SITEMAP_NS)]

    public = world["public"]
    cited = [f"/citations/{link.citation_id}/" for link in public.evidence.all()]
    assert cited  # the hidden claims' works (the Zorblax citation) are not among them
    pages = ["/claims/", "/sources/", "/methodology/"]
    assert sorted(locations) == sorted(
        [*pages, public.get_absolute_url(), public.source.get_absolute_url(), *cited]
    )


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/claims.atom",
        "/feeds/claims.atom?subject=kratom",
        "/feeds/corrections.atom",
        "/feeds/corrections.atom?subject=kratom",
        "/robots.txt",
    ],
)
def test_feeds_and_robots_name_only_the_published_claim(reader, world, url):
    # Each claim has an approved change: the hidden one's was public once, or never was.
    for claim in (world["public"], world["hidden"], world["lonely"]):
        secret = "Public" if claim == world["public"] else "Zorblax"
        PublicChange.objects.create(
            claim=claim, kind=ChangeKind.UPDATE, approved_at=timezone.now(),
            old_grade=claim.grade, new_grade=claim.grade, old_verdict=claim.verdict,
            new_verdict=claim.verdict, summary=f"{secret} summary", note=f"{secret} note",
        )  # fmt: skip
    Claim.objects.filter(pk=world["hidden"].pk).update(published_at=timezone.now())

    text = body(reader.get(url))

    assert_nothing_hidden(text, world)
    if "feeds/" in url:
        statements = re.findall(r"<entry><title>(?:\w+: )?([^<]*)</title>", text)
        assert statements == [world["public"].statement]


def test_a_feed_for_a_subject_only_hidden_claims_have_is_not_found(reader, world):
    Claim.objects.filter(pk=world["hidden"].pk).update(subject="zorblax")

    for url in ("/feeds/claims.atom", "/feeds/corrections.atom"):
        response = reader.get(url, {"subject": "zorblax"})
        assert response.status_code == 404
        assert_nothing_hidden(body(response), world)


def test_hidden_claim_statuses_cover_every_non_published_status():
    assert sorted(HIDDEN_STATUSES) == sorted(s for s in Status.values if s != Status.PUBLISHED)


def _tags(html):
    from html.parser import HTMLParser

    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


@pytest.mark.parametrize("suffix", ["/", ".bib", ".ris", ".json"])
def test_a_work_only_hidden_claims_cite_has_no_public_page_or_download(reader, world, suffix):
    work = world["hidden"].evidence.get().citation
    response = reader.get(f"/citations/{work.pk}{suffix}")

    assert response.status_code == 404
    assert "Zorblax" not in body(response)


@pytest.mark.parametrize("stance", ["", "?stance=supports", "?stance=mixed"])
def test_a_shared_work_lists_only_its_published_claims(reader, world, stance):
    shared = world["public"].evidence.get().citation
    EvidenceFactory(claim=world["hidden"], citation=shared, finding="Zorblax finding")
    response = reader.get(f"/citations/{shared.pk}/{stance}")

    assert response.status_code == 200
    assert_nothing_hidden(body(response), world)


@pytest.mark.parametrize("fmt", ["bib", "ris", "json"])
def test_a_hidden_claims_reference_list_is_not_found(reader, world, fmt):
    response = reader.get(f"/claims/{world['hidden'].slug}/references.{fmt}")

    assert response.status_code == 404
    assert "Zorblax" not in body(response)


# --- the JSON API: every URL ---------------------------------------------------------------


def _api(reader, url):
    response = reader.get(f"/api/v1/{url}")
    return response, body(response)


@pytest.mark.parametrize(
    "query", ["", "?q=zorblax", "?q=kratom", "?grade=high", "?sort=-grade", "?verdict=supported"]
)
def test_api_claims_list_only_the_published_claim_and_count_only_it(reader, world, query):
    response, text = _api(reader, f"claims/{query}")

    assert response.status_code == 200
    assert_nothing_hidden(text, world)
    page = response.json()
    expected = (
        [] if query in {"?q=zorblax", "?grade=high", "?verdict=supported"} else [world["public"].pk]
    )
    assert [item["id"] for item in page["results"]] == expected
    assert page["counts"]["total"] == len(expected)
    assert page["counts"]["grade"]["high"] == 0
    assert page["counts"]["verdict"]["supported"] == 0


def test_api_claims_filtered_by_the_hidden_claims_own_source_are_absent(reader, world):
    response, text = _api(reader, f"claims/?source={world['lonely'].source_id}")

    assert response.status_code == 400  # a text no published claim makes is not a choice
    assert_nothing_hidden(text, world)


@pytest.mark.parametrize("which", ["hidden", "lonely"])
def test_api_hidden_claim_document_is_not_found(reader, world, which):
    # Never public (a merged claim that was public once answers 301: tests/test_api.py).
    response, text = _api(reader, f"claims/{world[which].slug}/")

    assert response.status_code == 404
    assert "Zorblax" not in text


def test_api_published_claim_document_shows_nothing_of_the_hidden_one(reader, world):
    shared = world["public"].evidence.get().citation
    EvidenceFactory(claim=world["hidden"], citation=shared, finding="Zorblax finding")
    response, text = _api(reader, f"claims/{world['public'].slug}/")

    assert response.status_code == 200
    assert_nothing_hidden(text, world)
    assert [a["quote"] for a in response.json()["appearances"]] == [world["public"].quote]


def test_api_sources_list_and_documents_show_only_public_texts(reader, world):
    response, text = _api(reader, "sources/")
    shared, text_of = world["public"].source, world["lonely"].source

    assert [item["id"] for item in response.json()["results"]] == [shared.pk]
    assert_nothing_hidden(text, world)
    response, text = _api(reader, f"sources/{shared.pk}/")
    assert [claim["id"] for claim in response.json()["claims"]] == [world["public"].pk]
    assert_nothing_hidden(text, world)
    assert _api(reader, f"sources/{text_of.pk}/")[0].status_code == 404


@pytest.mark.parametrize("stance", ["", "?stance=supports"])
def test_api_citations_show_only_works_published_claims_cite(reader, world, stance):
    shared = world["public"].evidence.get().citation
    EvidenceFactory(claim=world["hidden"], citation=shared, finding="Zorblax finding")
    hidden_work = world["hidden"].evidence.exclude(citation=shared).get().citation

    response, text = _api(reader, "citations/")
    assert [item["id"] for item in response.json()["results"]] == [shared.pk]
    assert_nothing_hidden(text, world)
    response, text = _api(reader, f"citations/{shared.pk}/{stance}")
    assert response.status_code == 200
    assert_nothing_hidden(text, world)
    assert [c["id"] for g in response.json()["stances"] for c in g["claims"]] == [
        world["public"].pk
    ]
    response, text = _api(reader, f"citations/{hidden_work.pk}/")
    assert response.status_code == 404
    assert "Zorblax" not in text


@pytest.mark.parametrize("key", ["after", "before"])
def test_api_a_cursor_at_a_hidden_claim_reads_as_one_that_never_existed(reader, world, key):
    missing = Claim.objects.order_by("-pk").first().pk + 1000
    hidden, hidden_text = _api(reader, f"claims/?{key}={world['hidden'].pk}")
    absent, absent_text = _api(reader, f"claims/?{key}={missing}")

    assert hidden.status_code == absent.status_code == 200
    assert hidden.json()["results"] == absent.json()["results"]
    assert hidden.json()["notes"] == absent.json()["notes"]
    assert_nothing_hidden(hidden_text, world)


# --- the NDJSON dump: the web and the command --------------------------------------------------


@pytest.mark.parametrize(
    "query", ["", "?q=zorblax", "?q=kratom", f"?status={Status.CANDIDATE}", "?grade=high"]
)
def test_ndjson_dump_holds_only_the_published_claim(reader, world, query):
    response, text = _api(reader, f"claims.ndjson{query}")

    assert_nothing_hidden(text, world)
    if response.status_code == 200:
        expected = [] if query in {"?q=zorblax", "?grade=high"} else [world["public"].pk]
        assert [json.loads(line)["id"] for line in text.splitlines()] == expected
    else:
        assert response.status_code == 400


def test_ndjson_dump_of_the_command_holds_only_the_published_claim(world, tmp_path):
    shared = world["public"].evidence.get().citation
    EvidenceFactory(claim=world["hidden"], citation=shared, finding="Zorblax finding")
    target = tmp_path / "claims.ndjson"

    call_command("export_claims_report", "--format", "ndjson", "-o", str(target), verbosity=0)

    text = target.read_text()
    assert_nothing_hidden(text, world)
    assert [json.loads(line)["id"] for line in text.splitlines()] == [world["public"].pk]
