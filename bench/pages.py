"""Helpers that pick the benchmark's pages: the deep keyset link, the landmark work's page."""

from django.urls import reverse

from bench.generate import LANDMARK_DOI
from claims.models import Citation, Claim, Evidence
from claims.pagers import PER_PAGE
from claims.scales import Status


def keyset_query(page: int) -> str:
    """The query string /claims/ links to for page `page` of the default order: its Next
    link on page `page - 1` is `?after=<id of that page's last claim>` (keyset paging)."""
    if page <= 1:
        return "page=1"
    last_of_previous = (
        Claim.objects.filter(status=Status.PUBLISHED)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[(page - 1) * PER_PAGE - 1]
    )
    return f"after={last_of_previous}"


def citation_page() -> tuple:
    """The public page of the generator's landmark work (cited by ≥ 10,000 claims at 1M)."""
    work = Citation.objects.filter(doi=LANDMARK_DOI).values_list("pk", flat=True).first()
    citing = Evidence.objects.filter(citation=work, claim__status=Status.PUBLISHED).count()
    url = reverse("claims:citation-detail", args=[work or 0])
    return ("citation", url, 50, f"citation page (a work cited by {citing:,} published claims)")
