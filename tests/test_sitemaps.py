import pytest

from claims.scales import Status

from .factories import CitationFactory, ClaimFactory, EvidenceFactory

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
