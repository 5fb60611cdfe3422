"""The "Same claim already checked?" panel of a candidate's (or in-review claim's) change
form: the existing claims it may repeat, each with a one-click link as an appearance.

The change form includes templates/admin/claims/claim/_matches.html with `matches_context`.
"""

from django.urls import NoReverseMatch, reverse

from ..matching import suggest_matches
from ..models import Claim
from ..scales import Status

# A claim past review has been checked itself; a merged one lives on in another claim.
SHOWN_FOR = (Status.CANDIDATE, Status.IN_REVIEW)


def matches_context(claim: Claim, limit: int = 5) -> dict:
    """What the panel shows: for each suggestion its statement, status, score (a whole
    percentage), number of texts, admin address and reason; the address its link form posts
    to (None until the link view is installed); and whether the panel applies at all.

    One query for the suggestions, none per row.
    """
    if claim.pk is None or claim.status not in SHOWN_FOR:
        return {"matches_shown": False, "matches": [], "link_url": None}
    try:
        link_url = reverse("admin:claims_claim_link", args=[claim.pk])
    except NoReverseMatch:
        link_url = None
    rows = [
        {
            "id": match.claim.pk,
            "statement": match.claim.statement,
            "status": Status(match.claim.status).label,
            "percent": round(match.score * 100),
            "appearances": match.claim.appearance_count,
            "reason": match.reason,
            "change_url": reverse("admin:claims_claim_change", args=[match.claim.pk]),
        }
        for match in suggest_matches(claim, limit=limit)
    ]
    return {"matches_shown": True, "matches": rows, "link_url": link_url}
