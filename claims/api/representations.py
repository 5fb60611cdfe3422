"""What the JSON API (and the NDJSON dump) says about a claim, a text and a cited work.

Three layers of a claim, each the one before plus more:

- a **summary** (an item of `/api/v1/claims/`): the CSV report's columns, under the same names
  (claims/columns.py; `appearances` is `appearance_count` here, since a record lists the
  texts), with JSON types: numbers as numbers, codes as codes, `citations` as a list of the
  CSV's references, `reviewed_at` as RFC 3339 UTC; plus `slug`, `source_id` and `api_url`.
  Text is never made formula-safe: that is a spreadsheet's concern, not a program's.
- a **record** (a line of `claims.ndjson`): the summary with its first publication, its
  `evidence` (each link with its work, in the order they were attached, as the CSV lists
  citations) and its `appearances` (every text, oldest first) inline.
- a **document** (`/api/v1/claims/<slug>/`): the record with the first publication, the last
  approved change, the GRADE assessment and the corrections log.

Each function takes plain values, so the dump's writers and the views share them.
"""

from datetime import UTC, date, datetime
from functools import lru_cache

from django.conf import settings
from django.urls import reverse

from ..columns import CLAIM_COLUMNS
from ..grading import DOWN_DOMAINS, UP_DOMAINS
from ..models import Citation, citation_reference
from ..scales import Stance

# Texts and works a page of their lists (the claims list pages as /claims/ does: PER_PAGE).
LIST_PAGE_SIZE = 50

# The claim and source values a summary reads, by ORM path (a values() query's keys).
SUMMARY_FIELDS = (
    "pk",
    "slug",
    "source_id",
    *(column.field for column in CLAIM_COLUMNS if column.field and column.field != "pk"),
)
# A cited work as the API shows it beside a claim, by model field; its `reference` is the
# CSV's text for it. A work's own document adds the notice's details (NOTICE_FIELDS).
CITATION_FIELDS = ("id", "title", "authors", "year", "venue", "doi", "pmid", "url",
                   "study_design", "design_note", "is_retracted", "retraction_status",
                   "retraction_date")  # fmt: skip
NOTICE_FIELDS = ("retraction_notice_doi", "retraction_reasons")
ASSESSMENT_FIELDS = (
    "evidence_base",
    *(name for domain in (*DOWN_DOMAINS, *UP_DOMAINS) for name in (domain, f"{domain}_note")),
    "override_reason",
)
SOURCE_FIELDS = ("id", "title", "kind", "url", "publisher", "author", "published_on")


def timestamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC, whole seconds (as the CSV writes `reviewed_at`)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


_SLUG, _ID = "slug-goes-here", 987654321


@lru_cache
def _around(name: str, marker: str | int, site: str) -> tuple[str, str]:
    before, after = reverse(name, args=[marker]).split(str(marker))
    return site + before, after


def link(name: str, arg: str | int) -> str:
    """The absolute URL of route `name` for one slug or id: a URL is built for every item of
    every page, and reverse() per item was a large share of a list page's time."""
    before, after = _around(name, _SLUG if isinstance(arg, str) else _ID, settings.SITE_URL)
    return f"{before}{arg}{after}"


def claim_links(slug: str) -> dict:
    return {"url": link("claims:claim-detail", slug), "api_url": link("api:claim", slug)}


def _json_value(column, value):
    if column.value == "timestamp":
        return timestamp(value)
    if column.value == "text":
        return value or ""
    return value


def claim_summary(values: dict, links: list[tuple[str, str]]) -> dict:
    """A claim as an item of the claims list: `values` by SUMMARY_FIELDS, `links` its
    (stance, reference) pairs in attachment order."""
    stances = [stance for stance, _ in links]
    computed = {
        "supporting": stances.count(Stance.SUPPORTS.value),
        "contradicting": stances.count(Stance.CONTRADICTS.value),
        "citations": [reference for _, reference in links],
    }
    urls = claim_links(values["slug"])
    item = {"id": values["pk"], "slug": values["slug"]}
    for column in CLAIM_COLUMNS[1:]:
        if column.field is not None:
            item[column.key] = _json_value(column, values[column.field])
        elif column.name == "url":
            item["url"] = urls["url"]
        else:
            item[column.key] = computed[column.name]
        if column.name == "source_url":
            item["source_id"] = values["source_id"]
    item["api_url"] = urls["api_url"]
    return item


def citation_item(values: dict) -> dict:
    """A cited work: `values` by CITATION_FIELDS (and NOTICE_FIELDS when given)."""
    item = {"id": values["id"], "reference": citation_reference(
        authors=values["authors"], title=values["title"], year=values["year"],
        doi=values["doi"], url=values["url"],
    )}  # fmt: skip
    for name in (*CITATION_FIELDS[1:], *(n for n in NOTICE_FIELDS if n in values)):
        value = values[name]
        if name == "retraction_date":
            value = day(value)
        elif name == "is_retracted":
            value = bool(value)
        elif name != "year":
            value = value or ""
        item[name] = value
    item["page_url"] = link("claims:citation-detail", values["id"])
    item["api_url"] = link("api:citation", values["id"])
    return item


def citation_values(work: Citation) -> dict:
    return {name: getattr(work, name) for name in CITATION_FIELDS}


def evidence_item(link_id: int, stance: str, finding: str, citation: dict) -> dict:
    """One evidence link: its stance, what the work found, and the work (citation_item)."""
    return {"id": link_id, "stance": stance, "finding": finding or "", "citation": citation}


def appearance_item(values: dict) -> dict:
    """One text a claim is made in: `values` holds id, source_id, source_title, source_url,
    quote, quote_start, quote_end, found_at."""
    return {
        "id": values["id"],
        "source_id": values["source_id"],
        "source_title": values["source_title"],
        "source_url": values["source_url"] or "",
        "quote": values["quote"],
        "quote_start": values["quote_start"],
        "quote_end": values["quote_end"],
        "found_at": timestamp(values["found_at"]),
        # The source page, at this passage (claims/marks.py anchors every passage).
        "page_url": f"{link('claims:source-detail', values['source_id'])}#appearance-{values['id']}",
    }


def claim_record(
    summary: dict, published_at: datetime | None, evidence: list[dict], appearances: list[dict]
) -> dict:
    """A line of the dump: the summary, when it was first published (never moves), and its
    evidence links (by link id) and its texts (oldest first) inline."""
    return {
        **summary,
        "published_at": timestamp(published_at),
        "evidence": evidence,
        "appearances": appearances,
    }


def assessment_item(values: dict | None) -> dict | None:
    """The GRADE assessment (domains as their ratings: 0, -1, -2 down; 0, 1, 2 up)."""
    if values is None:
        return None
    return {name: values[name] for name in ASSESSMENT_FIELDS}


def correction_item(entry) -> dict:
    """One line of the public log (claims.detail.LogEntry): the first publication or an
    approved change, with the grade and verdict after it."""
    return {
        "date": timestamp(entry.date),
        "kind": str(entry.kind),
        "grade": entry.grade.value,
        "verdict": entry.verdict.value,
        "old_grade": entry.old_grade.value if entry.old_grade is not None else None,
        "old_verdict": entry.old_verdict.value if entry.old_verdict is not None else None,
        "summary": entry.summary or "",
        "note": entry.note or "",
    }


def source_item(values: dict) -> dict:
    """A text: `values` by SOURCE_FIELDS."""
    item = {name: values[name] for name in SOURCE_FIELDS}
    item["url"] = item["url"] or ""
    item["publisher"] = item["publisher"] or ""
    item["author"] = item["author"] or ""
    item["published_on"] = day(values["published_on"])
    item["page_url"] = link("claims:source-detail", values["id"])
    item["api_url"] = link("api:source", values["id"])
    return item
