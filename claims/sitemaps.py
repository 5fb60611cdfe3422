"""/sitemap.xml: the list pages, published claims, the sources they quote and the works they
cite, with URLs on DJANGO_SITE_URL.

A claim's lastmod is its last approved change (else its first publication), read for the
page's 10,000 claims only, in the page's one query. The index gives each section the newest
lastmod among its URLs, from one aggregate that also counts its pages.
"""

import math
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, Exists, Max, OuterRef, QuerySet
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from .citation_page import published_links
from .models import Citation, Claim, PublicChange, Source, last_public_change_at
from .scales import Status


class SiteUrlSitemap(Sitemap):
    """Absolute URLs on settings.SITE_URL rather than on whatever host the request named."""

    limit = 10000
    changefreq = "monthly"

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        parts = urlsplit(settings.SITE_URL)
        return parts.netloc + parts.path

    def lastmod(self, item):
        return item.updated_at

    def summary(self) -> tuple[int, datetime | None]:
        """The number of URLs and the newest lastmod among them (one query)."""
        found = self.items().order_by().aggregate(n=Count("pk"), latest=Max("updated_at"))
        return found["n"], found["latest"]


def address(name: str, placeholder):
    """The URL named `name` for any one argument, built by concatenation: reverse() took
    half of a 10,000-URL page's time. The argument must need no escaping (a slug, an id)."""
    head, _, tail = reverse(name, args=[placeholder]).rpartition(str(placeholder))
    return lambda value: f"{head}{value}{tail}"


class PageRowsPaginator(Paginator):
    """Pages of a cheap queryset whose rows are read again, for the page's ids only, by
    `rows` (which adds the costly columns: OFFSET never computes them for skipped rows)."""

    def __init__(self, object_list, per_page, rows):
        super().__init__(object_list, per_page)
        self.rows = rows

    def _get_page(self, object_list, number, paginator):
        return super()._get_page(self.rows(object_list), number, paginator)


class PageSitemap(SiteUrlSitemap):
    """The list pages and the methodology; the claim list changes with any claim."""

    changefreq = "daily"

    def items(self):
        return ["claims:claim-list", "claims:source-list", "claims:methodology"]

    def location(self, name):
        return reverse(name)

    def lastmod(self, name):
        if name != "claims:claim-list":
            return None
        if not hasattr(self, "_claims_changed"):
            self._claims_changed = ClaimSitemap().summary()[1]
        return self._claims_changed

    def summary(self):
        return len(self.items()), self.lastmod("claims:claim-list")


class ClaimSitemap(SiteUrlSitemap):
    def __init__(self):
        self.claim_url = address("claims:claim-detail", "slug")

    def location(self, claim):
        return self.claim_url(claim.slug)

    def items(self):
        return Claim.objects.published().only("pk").order_by("pk")

    @property
    def paginator(self):
        return PageRowsPaginator(self.items(), self.limit, self.page_rows)

    @staticmethod
    def page_rows(page: QuerySet) -> QuerySet:
        return (
            Claim.objects.filter(pk__in=page.values("pk"))
            .annotate(last_change=last_public_change_at())
            .only("pk", "slug", "published_at")
            .order_by("pk")
        )

    def lastmod(self, claim):
        return claim.last_change

    def summary(self):
        found = self.items().order_by().aggregate(n=Count("pk"), latest=Max("published_at"))
        # The newest change to a claim that is public now (a change of a claim taken off
        # since is no change of this sitemap).
        changed = (
            PublicChange.objects.filter(claim__status=Status.PUBLISHED)
            .order_by("-approved_at")
            .values_list("approved_at", flat=True)
            .first()
        )
        dates = [date for date in (found["latest"], changed) if date is not None]
        return found["n"], max(dates, default=None)


class SourceSitemap(SiteUrlSitemap):
    def __init__(self):
        self.source_url = address("claims:source-detail", 0)

    def location(self, source):
        return self.source_url(source.pk)

    def items(self):
        return Source.objects.with_published_claims().only("pk", "updated_at").order_by("pk")


class CitationSitemap(SiteUrlSitemap):
    """The works at least one published claim cites (the rule of their pages)."""

    def items(self):
        return (
            Citation.objects.filter(Exists(published_links(OuterRef("pk"))))
            .only("pk", "updated_at")
            .order_by("pk")
        )

    def __init__(self):
        self.citation_url = address("claims:citation-detail", 0)

    def location(self, citation):
        return self.citation_url(citation.pk)


SITEMAPS = {
    "pages": PageSitemap,
    "claims": ClaimSitemap,
    "sources": SourceSitemap,
    "citations": CitationSitemap,
}


def sitemap_index(request):
    """/sitemap.xml: an index of the section sitemaps, each page on DJANGO_SITE_URL, each with
    its section's newest lastmod.

    Django's own index view names the request's host; search engines must see SITE_URL.
    """
    items = []
    for section, sitemap_class in SITEMAPS.items():
        location = settings.SITE_URL + reverse("sitemap-section", kwargs={"section": section})
        count, latest = sitemap_class().summary()
        for page in range(1, max(1, math.ceil(count / sitemap_class.limit)) + 1):
            items.append(
                {
                    "location": location if page == 1 else f"{location}?p={page}",
                    "last_mod": latest,
                }
            )
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": items}, content_type="application/xml"
    )


def w3c_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


@require_safe
def sitemap_section(request, section):
    """/sitemap-<section>.xml?p=N: what Django's sitemap view answers (404 for an unknown
    section or page, Last-Modified when every URL has a lastmod), written without the template
    engine, whose per-URL cost dominated a full section. Lastmods are full W3C datetimes."""
    if section not in SITEMAPS:
        raise Http404("No such sitemap.")
    sitemap = SITEMAPS[section]()
    try:
        urls = sitemap.get_urls(page=request.GET.get("p", 1))
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such sitemap page.") from None
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    ]
    for url in urls:
        lastmod = f"<lastmod>{w3c_datetime(url['lastmod'])}</lastmod>" if url["lastmod"] else ""
        parts.append(
            f"<url><loc>{escape(url['location'])}</loc>{lastmod}"
            f"<changefreq>{url['changefreq']}</changefreq></url>\n"
        )
    parts.append("</urlset>\n")
    response = HttpResponse("".join(parts), content_type="application/xml")
    if latest := getattr(sitemap, "latest_lastmod", None):
        response.headers["Last-Modified"] = http_date(latest.timestamp())
    return response
