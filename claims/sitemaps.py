"""/sitemap.xml: published claims, the sources they quote and the works they cite, with URLs
on DJANGO_SITE_URL."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import reverse

from .citation_page import published_links
from .models import Citation, Claim, Source


class SiteUrlSitemap(Sitemap):
    """Absolute URLs on settings.SITE_URL rather than on whatever host the request named."""

    limit = 10000

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        parts = urlsplit(settings.SITE_URL)
        return parts.netloc + parts.path


class ClaimSitemap(SiteUrlSitemap):
    changefreq = "monthly"

    def items(self):
        return Claim.objects.published().only("pk", "slug", "updated_at").order_by("pk")

    def lastmod(self, claim):
        return claim.updated_at


class SourceSitemap(SiteUrlSitemap):
    changefreq = "monthly"

    def items(self):
        return Source.objects.with_published_claims().only("pk", "updated_at").order_by("pk")

    def lastmod(self, source):
        return source.updated_at


class CitationSitemap(SiteUrlSitemap):
    """The works at least one published claim cites (the rule of their pages)."""

    changefreq = "monthly"

    def items(self):
        return (
            Citation.objects.filter(Exists(published_links(OuterRef("pk"))))
            .only("pk", "updated_at")
            .order_by("pk")
        )

    def location(self, citation):
        return reverse("claims:citation-detail", args=[citation.pk])

    def lastmod(self, citation):
        return citation.updated_at


SITEMAPS = {"claims": ClaimSitemap, "sources": SourceSitemap, "citations": CitationSitemap}


def sitemap_index(request):
    """/sitemap.xml: an index of the section sitemaps, each page on DJANGO_SITE_URL.

    Django's own index view names the request's host; search engines must see SITE_URL.
    """
    items = []
    for section, sitemap_class in SITEMAPS.items():
        location = settings.SITE_URL + reverse("sitemap-section", kwargs={"section": section})
        for page in sitemap_class().paginator.page_range:
            items.append({"location": location if page == 1 else f"{location}?p={page}"})
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": items}, content_type="application/xml"
    )
