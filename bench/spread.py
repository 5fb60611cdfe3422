"""The benchmark's pages about claims made in many texts (issue 17): the list sorted by the
number of texts, the list of one text's claims through their appearances, and the page of the
most widely copied published claim."""

from django.db.models import Count, F
from django.urls import reverse

from claims.models import Appearance, Claim
from claims.scales import Status


def spread_pages(claim_list: str) -> list[tuple]:
    """(name, url, target in ms or None, label) for each page, as benchmark._pages lists them."""
    widest = (
        Claim.objects.filter(status=Status.PUBLISHED)
        .order_by("-appearance_count", "pk")
        .values("slug", "appearance_count")
        .first()
    )
    if widest is None:
        return []
    # The text that makes the most published claims it copied from others.
    copier = (
        Appearance.objects.filter(claim__status=Status.PUBLISHED)
        .exclude(claim__source_id=F("source_id"))
        .values("source_id")
        .annotate(n=Count("claim_id"))
        .order_by("-n", "source_id")
        .first()
    )
    pages = [
        (
            "list_by_appearances",
            f"{claim_list}?sort=-appearances",
            50,
            "/claims/?sort=-appearances (most widely made first)",
        ),
        (
            "claim_widest",
            reverse("claims:claim-detail", args=[widest["slug"]]),
            5,
            f"claim page of a claim made in {widest['appearance_count']:,} texts",
        ),
    ]
    if copier is not None:
        pages.append(
            (
                "list_source_copies",
                f"{claim_list}?source={copier['source_id']}",
                50,
                f"/claims/?source=… (a text that makes {copier['n']} published claims, "
                "copied ones among them)",
            )
        )
    return pages
