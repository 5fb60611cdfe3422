"""The JSON shapes of /api/v1/ as JSON Schema (OpenAPI 3.1's dialect, draft 2020-12).

Each shape is written out flat (not as allOf), so that `additionalProperties: false` holds and
schemathesis, and any client's validator, rejects a key the contract does not name. Keys come
from the same definitions the API's writers read (claims/columns.py, representations.py) and
every code list from claims/scales.py, so the contract cannot drift from what is served.
"""

from .. import grading
from ..columns import CLAIM_COLUMNS
from ..filters import FILTERS, GRADE_CHOICES, VERDICT_CHOICES
from ..scales import (
    ChangeKind,
    ClaimType,
    EvidenceBase,
    LargeEffect,
    RateDown,
    RateUp,
    RetractionStatus,
    SourceKind,
    Stance,
    Status,
    StudyDesign,
)
from . import representations as rep

# --- building blocks -------------------------------------------------------------------------


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def text(description: str = "", **extra) -> dict:
    return _described({"type": "string", **extra}, description)


def integer(description: str = "", **extra) -> dict:
    return _described({"type": "integer", **extra}, description)


def nullable(schema: dict) -> dict:
    """`schema` or null, as OpenAPI 3.1 writes it (`type: [X, "null"]`)."""
    kind = schema["type"]
    out = {**schema, "type": [kind, "null"]}
    if "enum" in schema:
        out["enum"] = [*schema["enum"], None]
    return out


def codes(values, description: str = "") -> dict:
    values = list(values)
    kind = "integer" if all(isinstance(v, int) for v in values) else "string"
    return _described({"type": kind, "enum": values}, description)


def array(items: dict, description: str = "") -> dict:
    return _described({"type": "array", "items": items}, description)


def obj(properties: dict, description: str = "", optional=()) -> dict:
    """An object with exactly these keys (all required but `optional`)."""
    return _described(
        {
            "type": "object",
            "properties": properties,
            "required": [name for name in properties if name not in optional],
            "additionalProperties": False,
        },
        description,
    )


def _described(schema: dict, description: str) -> dict:
    return {**schema, "description": description} if description else schema


URL = text("An absolute URL.", format="uri")
TIMESTAMP = text("RFC 3339, UTC, whole seconds (2024-05-01T09:30:00Z).", format="date-time")
DAY = text("A calendar date (2024-05-01).", format="date")
LINK = nullable(text("The next (or previous) page, absolute; null at the end.", format="uri"))
NOTES = array(text(), "What the reader should know about this page (a page number clamped…).")
# Codes a published claim can have (the filters' choices leave out "ungraded", "unrated").
GRADE = codes([code for code, _ in GRADE_CHOICES], "Evidence grade (GRADE's certainty).")
VERDICT = codes([code for code, _ in VERDICT_CHOICES], "What the evidence says of the claim.")
STANCE = codes(Stance.values, "The work's stance on the claim.")

# --- claims ----------------------------------------------------------------------------------

# A column's JSON type by its kind (claims/columns.py `value`); computed columns by name.
_COLUMN_TYPES = {
    "text": text(),
    "number": integer(minimum=0),
    "timestamp": nullable(TIMESTAMP),
    "url": text("The claim's page.", format="uri"),
}
_CODE_TYPES = {
    "claim_type": codes(ClaimType.values),
    "grade": GRADE,
    "verdict": VERDICT,
    "status": codes([Status.PUBLISHED.value], "Always published: nothing else is public."),
}
_COMPUTED_TYPES = {
    "citations": array(text(), "Each cited work's reference, in the order they were attached."),
}


def _column_schema(column) -> dict:
    if column.name in _COMPUTED_TYPES:
        return _COMPUTED_TYPES[column.name]
    if column.value == "code":
        return _CODE_TYPES[column.name]
    return {**_COLUMN_TYPES[column.value], "description": column.label}


def summary_properties() -> dict:
    """A claims list item's keys in the order claim_summary() writes them."""
    properties = {"id": integer(minimum=1), "slug": text("The claim's permanent address.")}
    for column in CLAIM_COLUMNS[1:]:
        properties[column.key] = _column_schema(column)
        if column.name == "source_url":
            properties["source_id"] = integer("The text the claim was first found in.")
    properties["api_url"] = text("This claim's document in the API.", format="uri")
    return properties


def record_properties() -> dict:
    return {
        **summary_properties(),
        "published_at": text("When it was first published (never moves).", format="date-time"),
        "evidence": array(ref("Evidence"), "Each evidence link, in the order attached."),
        "appearances": array(ref("Appearance"), "Every text the claim is made in, oldest first."),
    }


def _cited_claim(extra: dict) -> dict:
    return obj(
        {
            "id": integer(minimum=1),
            "slug": text(),
            "claim": text("The claim's statement."),
            "grade": GRADE,
            "verdict": VERDICT,
            **extra,
            "url": text("The claim's page.", format="uri"),
            "api_url": text("The claim's document in the API.", format="uri"),
        }
    )


# --- works and texts -------------------------------------------------------------------------


def citation_properties() -> dict:
    return {
        "id": integer(minimum=1),
        "reference": text("The work as the CSV cites it: authors, title, year, DOI or URL."),
        "title": text(),
        "authors": text(),
        "year": nullable(integer()),
        "venue": text("Journal, publisher or agency; may be empty."),
        "doi": text("Bare and lowercase (10.1000/xyz); empty when none."),
        "pmid": text("PubMed id; empty when none."),
        "url": text("Empty when none."),
        "study_design": codes(StudyDesign.values),
        "design_note": text(),
        "is_retracted": {"type": "boolean"},
        "retraction_status": codes(RetractionStatus.values, "A publisher's notice; empty: none."),
        "retraction_date": nullable(DAY),
        "page_url": text("The work's page on the site.", format="uri"),
        "api_url": text("The work's document in the API.", format="uri"),
    }


def source_properties() -> dict:
    properties = {
        "id": integer(minimum=1),
        "title": text(),
        "kind": codes(SourceKind.values),
        "url": text("Where the text was published; empty when unknown."),
        "publisher": text(),
        "author": text(),
        "published_on": nullable(DAY),
        "page_url": text("The text's page on the site, its claims marked.", format="uri"),
        "api_url": text("The text's document in the API.", format="uri"),
    }
    assert list(properties)[: len(rep.SOURCE_FIELDS)] == list(rep.SOURCE_FIELDS)
    return properties


def _domain_scale(domain: str):
    if domain in grading.DOWN_DOMAINS:
        return RateDown
    return LargeEffect if domain == "large_effect" else RateUp


def assessment_properties() -> dict:
    properties = {"evidence_base": codes(EvidenceBase.values, "Where the grade started.")}
    for domain in (*grading.DOWN_DOMAINS, *grading.UP_DOMAINS):
        properties[domain] = codes(_domain_scale(domain).values, grading.DOMAIN_LABELS[domain])
        properties[f"{domain}_note"] = text()
    properties["override_reason"] = text("Why the grade differs from the computed one, if so.")
    assert list(properties) == list(rep.ASSESSMENT_FIELDS)
    return properties


def _counts() -> dict:
    facets = {
        spec.param: obj(
            {code: integer(minimum=0) for code, _ in spec.choices},
            f"Claims per {spec.kind} code, each counted without the {spec.param} filter.",
        )
        for spec in FILTERS
        if spec.faceted
    }
    return obj(
        {
            "total": integer("Claims that match (the bound when total_exact is false).", minimum=0),
            "total_exact": {"type": "boolean", "description": "False: more than total match."},
            "exact": {
                "type": "boolean",
                "description": "False: the facet counts are lower bounds.",
            },
            **facets,
        },
        "How many claims match, and how many per grade and verdict.",
    )


def keyset_page(item: str, description: str) -> dict:
    return obj({"next": LINK, "previous": LINK, "results": array(ref(item))}, description)


def schemas() -> dict:
    """components.schemas."""
    citation = citation_properties()
    return {
        "Index": obj(
            dict.fromkeys(
                ("claims", "sources", "citations", "claims_ndjson", "openapi", "docs"), URL
            ),
            "Where everything is.",
        ),
        "ClaimSummary": obj(summary_properties(), "A published claim, as a list item."),
        "ClaimRecord": obj(record_properties(), "A claim with its evidence and texts inline."),
        "ClaimDocument": obj(
            {
                **record_properties(),
                "modified_at": text(
                    "The last approved change, else the first publication.", format="date-time"
                ),
                "assessment": {
                    "oneOf": [ref("Assessment"), {"type": "null"}],
                    "description": "The GRADE assessment, when reviewers recorded one.",
                },
                "corrections": array(ref("Correction"), "The public log, oldest first."),
            },
            "A published claim with everything its page shows.",
        ),
        "Evidence": obj(
            {
                "id": integer(minimum=1),
                "stance": STANCE,
                "finding": text("What the work found, in the reviewers' words."),
                "citation": ref("Citation"),
            },
            "One evidence link: a work and its stance on the claim.",
        ),
        "Citation": obj(citation, "A cited work."),
        "CitationDocument": obj(
            {
                **citation,
                "retraction_notice_doi": text("The notice's DOI; empty when none."),
                "retraction_reasons": text(),
                "stances": array(ref("StanceGroup"), "Per stance, the published claims."),
                "page": nullable(integer("The page of the one stance asked for.", minimum=1)),
                "next": LINK,
                "previous": LINK,
                "notes": NOTES,
            },
            "A cited work and the published claims it bears on, by stance.",
        ),
        "StanceGroup": obj(
            {
                "stance": STANCE,
                "count": integer("Exact up to 1,000.", minimum=0, maximum=1000),
                "count_exact": {"type": "boolean", "description": "False: over 1,000."},
                "claims": array(_cited_claim({"finding": text()})),
            }
        ),
        "Appearance": obj(
            {
                "id": integer(minimum=1),
                "source_id": integer(minimum=1),
                "source_title": text(),
                "source_url": text("Empty when unknown."),
                "quote": text("The claim's words in this text."),
                "quote_start": integer("Offset of its first character (Unicode).", minimum=0),
                "quote_end": integer("Offset just past its last character.", minimum=0),
                "found_at": TIMESTAMP,
                "page_url": text("The text's page, at this passage.", format="uri"),
            },
            "A text the claim is made in, and where.",
        ),
        "Correction": obj(
            {
                "date": TIMESTAMP,
                "kind": codes(
                    ["published", *ChangeKind.values],
                    "The first publication, or an approved change.",
                ),
                "grade": GRADE,
                "verdict": VERDICT,
                "old_grade": nullable(GRADE),
                "old_verdict": nullable(VERDICT),
                "summary": text("What changed."),
                "note": text("The editor's note (always given for a correction)."),
            },
            "One entry of a claim's public corrections log.",
        ),
        "Assessment": obj(assessment_properties(), "A GRADE assessment: each domain's rating."),
        "Source": obj(source_properties(), "A text that makes published claims."),
        "SourceDocument": obj(
            {
                **source_properties(),
                "text": text("The whole text; quote offsets count its characters."),
                "claims": array(
                    _cited_claim(
                        {
                            "passages": array(
                                obj(
                                    {
                                        "quote": text(),
                                        "quote_start": integer(minimum=0),
                                        "quote_end": integer(minimum=0),
                                        "id": integer("The appearance's id.", minimum=1),
                                    }
                                )
                            )
                        }
                    ),
                    "Each published claim the text makes, with its passages.",
                ),
            },
            "A text with every passage that makes a published claim.",
        ),
        "Counts": _counts(),
        "ClaimList": obj(
            {
                "counts": ref("Counts"),
                "page": nullable(integer("null when reached by a cursor.", minimum=1)),
                "next": LINK,
                "previous": LINK,
                "notes": NOTES,
                "results": array(ref("ClaimSummary"), "At most 25 claims."),
            },
            "One page of the claims list: the /claims/ page as JSON.",
        ),
        "SourceList": keyset_page("Source", "One page of texts, by id (at most 50)."),
        "CitationList": keyset_page("Citation", "One page of cited works, by id (at most 50)."),
        "Problem": obj(
            {
                "type": text("Always about:blank: the status says what kind."),
                "title": text(),
                "status": integer(minimum=400, maximum=599),
                "detail": text("What went wrong and how to fix the request."),
                "errors": array(text(), "Each problem with the query on its own."),
            },
            "An error (RFC 9457).",
            optional=("errors",),
        ),
    }
