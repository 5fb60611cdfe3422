from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from django.utils.http import http_date

from claims.models import Claim, Source
from claims.scales import Status

from .factories import CitationFactory, ClaimFactory, EvidenceFactory, PublicChangeFactory

pytestmark = pytest.mark.django_db


def test_sitemap_index_lists_sections_on_site_url(client, settings):
    settings.SITE_URL = "https://claims.example.org"

    response = client.get("/sitemap.xml")
    xml = response.content.decode()

    assert response["Content-Type"] == "application/xml"
    assert "<loc>https://claims.example.org/sitemap-claims.xml</loc>" in xml
    assert "<loc>https://claims.example.org/sitemap-sources.xml</loc>" in xml


def test_claim_sitemap_lists_published_claims_only(client, settings):
    settings.SITE_URL = "https://claims.example.org"
    shown = ClaimFactory(published=True)
    hidden = ClaimFactory(status=Status.IN_REVIEW)

    xml = client.get("/sitemap-claims.xml").content.decode()

    assert f"<loc>https://claims.example.org/claims/{shown.slug}/</loc>" in xml
    assert hidden.slug not in xml


def test_source_sitemap_lists_sources_with_published_claims(client, settings):
    settings.SITE_URL = "https://claims.example.org"
    shown = ClaimFactory(published=True)
    hidden = ClaimFactory(status=Status.CANDIDATE)

    xml = client.get("/sitemap-sources.xml").content.decode()

    assert f"<loc>https://claims.example.org/sources/{shown.source_id}/</loc>" in xml
    assert f"/sources/{hidden.source_id}/<" not in xml


def test_citation_sitemap_lists_works_that_published_claims_cite(client, settings):
    settings.SITE_URL = "https://claims.example.org"
    shown = EvidenceFactory(claim=ClaimFactory(published=True)).citation
    hidden = EvidenceFactory(claim=ClaimFactory(status=Status.IN_REVIEW)).citation
    CitationFactory()  # cited by nothing

    index = client.get("/sitemap.xml").content.decode()
    xml = client.get("/sitemap-citations.xml").content.decode()

    assert "<loc>https://claims.example.org/sitemap-citations.xml</loc>" in index
    assert f"<loc>https://claims.example.org/citations/{shown.pk}/</loc>" in xml
    assert xml.count("<loc>") == 1
    assert f"/citations/{hidden.pk}/<" not in xml


SM = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def w3c(when):
    return f"{when.astimezone(UTC):%Y-%m-%dT%H:%M:%S}+00:00"


def urlset(client, url):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(client.get(url).content)
    return {
        entry.findtext("sm:loc", namespaces=SM): entry.findtext("sm:lastmod", namespaces=SM)
        for entry in root
    }


def test_page_sitemap_lists_the_list_pages_and_the_methodology(client, settings):
    settings.SITE_URL = "https://claims.example.org"
    claim = ClaimFactory(published=True)

    pages = urlset(client, "/sitemap-pages.xml")

    assert pages == {
        "https://claims.example.org/claims/": w3c(claim.published_at),
        "https://claims.example.org/sources/": None,
        "https://claims.example.org/methodology/": None,
    }
    assert (
        "<loc>https://claims.example.org/sitemap-pages.xml</loc>"
        in client.get("/sitemap.xml").content.decode()
    )


def test_claim_lastmod_is_the_first_publication_until_a_change_is_approved(client, settings):
    settings.SITE_URL = "https://claims.example.org"
    now = timezone.now()
    quiet = ClaimFactory(published=True, published_at=now - timedelta(days=40))
    changed = ClaimFactory(published=True, published_at=now - timedelta(days=30))
    PublicChangeFactory(claim=changed, approved_at=now - timedelta(days=20))
    PublicChangeFactory(claim=changed, approved_at=now - timedelta(days=3))
    Claim.objects.filter(pk=quiet.pk).update(updated_at=now)  # an edit the public never saw

    claims = urlset(client, "/sitemap-claims.xml")

    response = client.get("/sitemap-claims.xml")
    assert response["Last-Modified"] == http_date((now - timedelta(days=3)).timestamp())
    assert claims == {
        f"https://claims.example.org/claims/{quiet.slug}/": w3c(now - timedelta(days=40)),
        f"https://claims.example.org/claims/{changed.slug}/": w3c(now - timedelta(days=3)),
    }


def test_sitemap_index_gives_each_section_its_newest_lastmod(client, settings):
    now = timezone.now()
    claim = ClaimFactory(published=True, published_at=now - timedelta(days=30))
    PublicChangeFactory(claim=claim, approved_at=now - timedelta(days=2))
    hidden = PublicChangeFactory(approved_at=now).claim  # a change of a claim taken off since
    Claim.objects.filter(pk=hidden.pk).update(status=Status.IN_REVIEW)
    Source.objects.update(updated_at=now - timedelta(days=9))

    index = urlset(client, "/sitemap.xml")

    changed = (now - timedelta(days=2)).isoformat(timespec="seconds")[:16]
    assert {loc.rsplit("/", 1)[1]: (lastmod or "")[:16] for loc, lastmod in index.items()} == {
        "sitemap-pages.xml": changed,
        "sitemap-claims.xml": changed,
        "sitemap-sources.xml": (now - timedelta(days=9)).isoformat(timespec="seconds")[:16],
        "sitemap-citations.xml": "",  # no work is cited: an empty section
    }


@pytest.mark.parametrize("n_claims", [1, 3])
@pytest.mark.parametrize(
    ("section", "queries"),
    [("pages", 2), ("claims", 2), ("sources", 2), ("citations", 2), ("index", 6)],
)
def test_sitemap_query_count_is_flat(client, django_assert_num_queries, n_claims, section, queries):
    for _ in range(n_claims):
        EvidenceFactory(claim=PublicChangeFactory().claim)
    url = "/sitemap.xml" if section == "index" else f"/sitemap-{section}.xml"

    # A count and a page; the index: 2 + 2 + 1 + 1. 1 +: the data version the caching
    # middleware reads for the response's validator.
    with django_assert_num_queries(1 + queries):
        response = client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/sitemap-claims.xml?p=2",
        "/sitemap-claims.xml?p=0",
        "/sitemap-claims.xml?p=-1",
        "/sitemap-claims.xml?p=1.5",
        "/sitemap-claims.xml?p=x%00",
        "/sitemap-claims.xml?p=99999999999999999999999",
        "/sitemap-nothing.xml",
        "/sitemap-%C3%A9.xml",
    ],
)
def test_a_sitemap_that_does_not_exist_is_not_found(client, url):
    ClaimFactory(published=True)

    assert client.get(url).status_code == 404


def test_sitemap_escapes_its_urls_and_answers_head(client, settings):
    settings.SITE_URL = "https://claims.example.org/a&b"
    claim = ClaimFactory(published=True)

    xml = client.get("/sitemap-claims.xml").content.decode()

    assert f"<loc>https://claims.example.org/a&amp;b/claims/{claim.slug}/</loc>" in xml
    assert client.head("/sitemap-claims.xml").status_code == 200
    assert client.post("/sitemap-claims.xml").status_code == 405
