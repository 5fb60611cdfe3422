"""The OpenAPI 3.1 document of /api/v1/ (served at /api/v1/openapi.json), and what its readable
page (/api/v1/docs/) shows.

Written by hand, from the same definitions the API serves: the claims list's parameters come
from the filter registry (claims/filters.py), every code list from claims/scales.py, the
shapes from components.py. tests/test_api_schema.py runs schemathesis against the app with it,
so a view that answers something this document does not promise fails CI.
"""

from functools import cache

from django.conf import settings

from ..filters import FILTERS, MAX_QUERY_LENGTH, SORT_CHOICES
from ..forms import MAX_VALUES, SourceIdsField, SubjectField
from ..listing import PER_PAGE
from ..scales import Stance
from . import components
from .components import codes, integer, ref, text
from .representations import LIST_PAGE_SIZE

PROBLEM = "application/problem+json"
NDJSON = "application/x-ndjson"
# The demo data's (fixtures/kratom_article.json): examples that work on a fresh `make run`.
EXAMPLE_SLUG = "kratom-aids-hair-regrowth-after-opioid-withdrawal"
ID = integer("A database id.", minimum=0, maximum=10**18 - 1)

DESCRIPTION = """\
The claims, their evidence and the texts they are made in, as JSON: read-only and open to
everyone, without a key. Only published claims, and the texts and works they make public, are
ever served.

- **GET only** (and HEAD). Any other method answers 405 with an `Allow` header.
- **CORS**: every response allows GET from any origin (`Access-Control-Allow-Origin: *`), so a
  web page anywhere can read the API; no credentials are sent or needed.
- **Pages**: every list answers an object whose `results` holds the items, with `next` and
  `previous` links (null at an end). Follow `next` to page; do not build cursors yourself.
  The claims list is the /claims/ page itself: the same parameters, rows, order and counts.
- **Errors** are `application/problem+json` (RFC 9457): `type`, `title`, `status`, `detail`,
  and for a query that could not be used, `errors`, each problem on its own.
- **Everything at once**: `claims.ndjson` streams every claim of a selection as one JSON
  record per line.
"""


# --- parameters --------------------------------------------------------------------------------


def query(name: str, schema: dict, description: str, example=None, **extra) -> dict:
    parameter = {"name": name, "in": "query", "description": description, "schema": schema}
    if example is not None:
        parameter["example"] = example
    return {**parameter, **extra}


def path_parameter(name: str, schema: dict, description: str, example) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
        "example": example,
    }


# What one value of a filter without codes is, by the form field that parses it.
_FREE_VALUES = {
    SourceIdsField: (ID, 1),
    SubjectField: (text(minLength=1, maxLength=100, pattern="^[^\\x00]*$"), "kratom"),
}


def filter_parameter(spec) -> dict:
    """One registered filter: `?param=a&param=b` means any of a, b."""
    if spec.choices is not None:
        items = codes([code for code, _ in spec.choices])
        example = spec.choices[-1][0]
        meaning = "Any of these codes: " + "; ".join(f"{c} ({label})" for c, label in spec.choices)
    else:
        items, example = _FREE_VALUES[spec.form_field]
        meaning = spec.help_text
    return query(
        spec.param,
        {"type": "array", "items": items, "maxItems": MAX_VALUES},
        f"{spec.label}. {meaning}. Repeat the parameter for several (any of them matches).",
        [example],
        style="form",
        explode=True,
    )


def claim_list_parameters() -> list[dict]:
    return [
        query(
            "q",
            text(maxLength=MAX_QUERY_LENGTH),
            'Search the claims: words, "an exact phrase", -exclude, or. At most 16 words and '
            "phrases. Results come best first unless `sort` is given.",
            "hair",
        ),
        *(filter_parameter(spec) for spec in FILTERS),
        query(
            "sort",
            codes([value for value, _ in SORT_CHOICES]),
            "Sort by a column; a leading - sorts descending. Without it: newest first (or "
            "best first when searching).",
            "-reviewed_at",
        ),
        query(
            "page",
            integer(minimum=1),
            f"Page number ({PER_PAGE} claims a page). A number past the end gives the last "
            "page, with a note; a value that is not a number gives page 1, with a note.",
            2,
        ),
        *cursor_parameters("claim", "Only in the default order (newest first); "),
    ]


def cursor_parameters(thing: str, when: str = "") -> list[dict]:
    parameters = []
    for key, link in (("after", "next"), ("before", "previous")):
        words = (
            f"{when}the page {key} the {thing} with this id. Take it from a page's `{link}` "
            "link rather than building it."
        )
        parameters.append(query(key, ID, words[0].upper() + words[1:]))
    return parameters


# --- responses ---------------------------------------------------------------------------------


def ok(schema_name: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": ref(schema_name)}},
    }


def problem(description: str) -> dict:
    return {"description": description, "content": {PROBLEM: {"schema": ref("Problem")}}}


BAD_QUERY = problem("The query could not be used: `detail` and `errors` say why.")


def operation(operation_id, summary, description, responses, parameters=(), tag="") -> dict:
    body = {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "tags": [tag] if tag else [],
        "responses": responses,
    }
    if parameters:
        body["parameters"] = list(parameters)
    return {"get": body}


def paths() -> dict:
    slug = path_parameter(
        "slug", text(pattern="^[-a-zA-Z0-9_]+$", maxLength=80), "The claim's slug.", EXAMPLE_SLUG
    )
    source_id = path_parameter("id", integer(minimum=0), "The text's id.", 1)
    citation_id = path_parameter("id", integer(minimum=0), "The work's id.", 1)
    return {
        "/": operation(
            "getIndex",
            "The index",
            "Links to every list, the dump, this document and its page.",
            {"200": ok("Index", "The links.")},
            tag="index",
        ),
        "/claims/": operation(
            "listClaims",
            "Search and filter the published claims",
            "The /claims/ page as JSON: the same query string, the same claims in the same "
            f"order, {PER_PAGE} a page, with the counts per grade and verdict and the page's "
            "notes. Follow `next` for the following page.",
            {"200": ok("ClaimList", "One page of claims."), "400": BAD_QUERY},
            claim_list_parameters(),
            tag="claims",
        ),
        "/claims.ndjson": operation(
            "dumpClaims",
            "Download every claim of a selection",
            "Every claim the same query selects (all of them, not a page), one ClaimRecord "
            "(#/components/schemas/ClaimRecord) per line, streamed. Paging parameters are "
            "ignored.",
            {
                "200": {
                    "description": "One JSON ClaimRecord per line (newline-delimited JSON).",
                    "content": {NDJSON: {"schema": text("Lines, each a ClaimRecord.")}},
                },
                "400": problem("The query could not be used: `detail` and `errors` say why."),
            },
            [p for p in claim_list_parameters() if p["name"] not in ("page", "after", "before")],
            tag="claims",
        ),
        "/claims/{slug}/": operation(
            "getClaim",
            "One claim, with everything its page shows",
            "The claim, its evidence (each work and its stance), the texts it is made in, its "
            "GRADE assessment and its corrections log. A claim merged into another answers "
            "301 to the claim it became part of.",
            {
                "200": ok("ClaimDocument", "The claim."),
                "301": {
                    "description": "The claim was merged: `Location` is the surviving claim.",
                    "headers": {"Location": {"required": True, "schema": text()}},
                },
                "404": problem("No published claim has this slug."),
            },
            [slug],
            tag="claims",
        ),
        "/sources/": operation(
            "listSources",
            "The texts that make published claims",
            f"By id, {LIST_PAGE_SIZE} a page. Follow `next` for the following page.",
            {"200": ok("SourceList", "One page of texts."), "400": BAD_QUERY},
            cursor_parameters("text"),
            tag="sources",
        ),
        "/sources/{id}/": operation(
            "getSource",
            "One text, with its claims marked",
            "The whole text and, for each published claim it makes, the passages (quote and "
            "offsets into `text`).",
            {
                "200": ok("SourceDocument", "The text."),
                "404": problem("No published claim is made in a text with this id."),
            },
            [source_id],
            tag="sources",
        ),
        "/citations/": operation(
            "listCitations",
            "The works that published claims cite",
            f"By id, {LIST_PAGE_SIZE} a page. Follow `next` for the following page.",
            {"200": ok("CitationList", "One page of works."), "400": BAD_QUERY},
            cursor_parameters("work"),
            tag="citations",
        ),
        "/citations/{id}/": operation(
            "getCitation",
            "One work, and the published claims it bears on",
            "The work and, per stance, the published claims it bears on: the first ten of each, "
            f"or with `stance`, that stance {PER_PAGE} a page (follow `next`).",
            {
                "200": ok("CitationDocument", "The work."),
                "400": problem("`stance` is not a stance code."),
                "404": problem("No published claim cites a work with this id."),
            },
            [
                citation_id,
                query(
                    "stance", codes(Stance.values), "Only this stance, page by page.", "supports"
                ),
                query("page", integer(minimum=1), "The stance's page (with `stance`).", 1),
            ],
            tag="citations",
        ),
        "/openapi.json": operation(
            "getOpenAPI",
            "This document",
            "The contract, as OpenAPI 3.1.",
            {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "required": ["openapi", "info", "paths"]}
                        }
                    },
                }
            },
            tag="about",
        ),
        "/docs/": operation(
            "getDocs",
            "This document, to read",
            "An HTML rendering of this document.",
            {"200": {"description": "The page.", "content": {"text/html": {"schema": text()}}}},
            tag="about",
        ),
    }


def document() -> dict:
    """The OpenAPI 3.1.0 document, built once (per site name and address)."""
    return _document(settings.SITE_NAME, settings.SITE_URL)


@cache
def _document(site_name: str, site_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{site_name} API",
            "version": "1",
            "summary": "Claims, the evidence behind them, and their grades: open and read-only.",
            "description": DESCRIPTION,
        },
        "servers": [{"url": f"{site_url}/api/v1"}],
        "tags": [{"name": name} for name in ("index", "claims", "sources", "citations", "about")],
        "paths": paths(),
        "components": {"schemas": components.schemas()},
    }


def reading() -> dict:
    """What /api/v1/docs/ shows: the document, arranged for reading (claims/api/reading.py)."""
    from .reading import arrange

    return arrange(document())
