"""What a claim page shows besides the claim's own fields: its evidence, its corrections log
and its ClaimReview JSON-LD, all read in the page's one query (see `claim_page_queryset`).
"""

import json
from datetime import UTC, datetime
from functools import cache

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe

from .models import Citation, Claim, Evidence
from .scales import RATING_BEST, RATING_WORST, Grade, Stance, Status, Verdict


def claim_page_queryset() -> QuerySet:
    """Published claims with their source, evidence and published versions, in one query.

    Not loaded: what the page never shows (the search vector, the source's note, timestamps
    of edits); each would be parsed on every view.
    """
    return (
        Claim.objects.published()
        .select_related("source")
        .defer(
            "search_vector",
            "updated_at",
            "version",
            "reviewed_by",
            "source__note",
            "source__created_at",
            "source__updated_at",
        )
        .annotate(published_versions=published_versions_sql(), evidence_rows=evidence_sql())
    )


def evidence_groups(claim: Claim) -> list[dict]:
    """The claim's evidence links grouped by stance (in Stance order), newest work first."""
    by_stance = {stance: [] for stance in Stance}
    for link in evidence_links(claim):
        by_stance[Stance(link.stance)].append(link)
    return [{"stance": stance, "links": items} for stance, items in by_stance.items() if items]


def json_ld(data: dict) -> str:
    """JSON for a <script type="application/ld+json"> block; </script> cannot break out."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return mark_safe(text)  # nosec B308 B703 # <, > and & are escaped above


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def claim_review(claim: Claim, date_published) -> dict | None:
    """The schema.org ClaimReview for a published claim; None when its verdict is unrated."""
    verdict = claim.verdict_choice
    if verdict.rating_value is None:
        return None
    source = claim.source
    appearance = {"@type": "CreativeWork", "name": source.title}
    if source.url:
        appearance["url"] = source.url
    if source.author:
        appearance["author"] = {"@type": "Person", "name": source.author}
    if source.published_on:
        appearance["datePublished"] = source.published_on.isoformat()
    item = {"@type": "Claim", "appearance": appearance}
    if source.published_on:
        item["datePublished"] = source.published_on.isoformat()
    organisation = {"@type": "Organization", "name": settings.SITE_NAME, "url": settings.SITE_URL}
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": absolute(claim.get_absolute_url()),
        "claimReviewed": claim.statement,
        "datePublished": date_published.date().isoformat(),
        "author": organisation,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": verdict.rating_value,
            "bestRating": RATING_BEST,
            "worstRating": RATING_WORST,
            "alternateName": verdict.label,
        },
        "itemReviewed": item,
    }


@cache
def _published_versions_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    history = quote(Claim.history.model._meta.db_table)
    claim = quote(Claim._meta.db_table)
    if vendor == "postgresql":
        array = "json_agg(json_build_array(h.history_date, h.grade, h.verdict, h.history_id))"
    else:
        array = "json_group_array(json_array(h.history_date, h.grade, h.verdict, h.history_id))"
    return f"SELECT {array} FROM {history} h WHERE h.id = {claim}.id AND h.status = %s"  # nosec B608 # model names; values bound


def published_versions_sql() -> RawSQL:
    """A subquery for the claim page's one query: its published versions from the history
    table, as a JSON array of [history_date, grade, verdict, history_id].

    The corrections log then needs no query of its own (it was a third round trip and a
    queryset to build and compile on every claim page).
    """
    return RawSQL(_published_versions_sql(connection.vendor), [Status.PUBLISHED])  # nosec B611 # fixed SQL; values bound


# What the claim page shows of each evidence link and its citation (claim_detail.html).
EVIDENCE_FIELDS = ("id", "stance", "finding")
CITATION_FIELDS = ("id", "title", "authors", "year", "venue", "doi", "pmid", "url",
                   "study_design", "design_note", "is_retracted")  # fmt: skip


@cache
def _evidence_sql(vendor: str) -> str:
    quote = connection.ops.quote_name

    def columns(model, alias, names):
        return [f"{alias}.{quote(model._meta.get_field(name).column)}" for name in names]

    values = ", ".join(
        columns(Evidence, "e", EVIDENCE_FIELDS) + columns(Citation, "c", CITATION_FIELDS)
    )
    array = (
        f"json_agg(json_build_array({values}))"
        if vendor == "postgresql"
        else f"json_group_array(json_array({values}))"
    )
    return (
        f"SELECT {array} FROM {quote(Evidence._meta.db_table)} e "
        f"JOIN {quote(Citation._meta.db_table)} c ON c.{quote('id')} = e.{quote('citation_id')} "
        f"WHERE e.{quote('claim_id')} = {quote(Claim._meta.db_table)}.{quote('id')}"  # nosec B608 # model names; values bound
    )


def evidence_sql() -> RawSQL:
    """A subquery for the claim page's one query: the claim's evidence links with their
    citations, as a JSON array of rows (EVIDENCE_FIELDS then CITATION_FIELDS)."""
    return RawSQL(_evidence_sql(connection.vendor), [])  # nosec B611 # fixed SQL; values bound


def evidence_links(claim: Claim) -> list[Evidence]:
    """The claim's evidence links (each with its citation), newest work first, works without
    a year last, then by link id: from the claim's `evidence_rows` annotation."""
    raw = claim.evidence_rows
    if isinstance(raw, str | bytes):
        raw = json.loads(raw)
    links = []
    split = len(EVIDENCE_FIELDS)
    for row in raw or []:
        link = Evidence.from_db("default", EVIDENCE_FIELDS, row[:split])
        values = list(row[split:])
        values[-1] = bool(values[-1])  # SQLite's JSON writes a boolean as 0 or 1
        link.citation = Citation.from_db("default", CITATION_FIELDS, values)
        link.claim = claim
        links.append(link)
    links.sort(key=lambda link: (link.citation.year is None, -(link.citation.year or 0), link.pk))
    return links


def _aware(value) -> datetime:
    when = parse_datetime(value) if isinstance(value, str) else value
    # SQLite keeps UTC without an offset (USE_TZ); PostgreSQL's JSON carries "+00:00".
    return timezone.make_aware(when, UTC) if timezone.is_naive(when) else when


def _history_versions(claim: Claim) -> list[tuple]:
    """(history_date, grade, verdict) of each published version of `claim`, oldest first
    (by date, then history id): from its `published_versions` annotation when the claim was
    read with one, else in one query."""
    raw = getattr(claim, "published_versions", None)
    if raw is None and not hasattr(claim, "published_versions"):
        raw = (
            Claim.objects.filter(pk=claim.pk)
            .annotate(published_versions=published_versions_sql())
            .values_list("published_versions", flat=True)
            .get()
        )
    if isinstance(raw, str | bytes):
        raw = json.loads(raw)
    rows = sorted((_aware(when), history_id, grade, verdict)
                  for when, grade, verdict, history_id in raw or [])  # fmt: skip
    return [(when, grade, verdict) for when, _, grade, verdict in rows]


def corrections(claim: Claim) -> list[dict]:
    """Each published change of grade or verdict, oldest first, from the claim's history.

    The first entry is the first publication; later entries compare each published version
    with the previous published one, so edits made while unpublished count once, when they
    reach the public.
    """
    entries = []
    previous = None
    for when, grade, verdict in _history_versions(claim):
        grade, verdict = Grade(grade), Verdict(verdict)
        if previous is None:
            entries.append({"date": when, "kind": "published", "grade": grade, "verdict": verdict})
        else:
            if grade != previous[0]:
                entries.append({"date": when, "kind": "grade", "old": previous[0], "new": grade})
            if verdict != previous[1]:
                entries.append(
                    {"date": when, "kind": "verdict", "old": previous[1], "new": verdict}
                )
        previous = (grade, verdict)
    return entries
