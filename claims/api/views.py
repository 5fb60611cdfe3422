"""/api/v1/: the public, read-only JSON API (docs/api.md; the contract: claims/api/schema.py).

Every list answers an object whose `results` holds the items, with `next` and `previous`
links (null at an end); no page is unbounded. The claims list is /claims/ itself: the same
parameters, read by `claims.listing.claim_page` (and so by `select_claims`, the selection the
CSV and the dump use), the same rows in the same order, the same counts and notes. Errors are
`application/problem+json` (RFC 9457) with the messages the HTML pages give.

Only published claims, and the texts and works they make public, are ever read here.
"""

import json
from functools import wraps

from django.db.models import Exists, OuterRef
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from .. import citation_page, detail, listing, merging
from ..appearances import page_appearances
from ..export import evidence_by_claim
from ..filters import FILTERS, parse_id, select_claims
from ..models import Appearance, Citation, Source
from ..scales import Stance, Status
from . import representations as rep
from . import schema

JSON = "application/json"
PROBLEM = "application/problem+json"


# --- responses ---------------------------------------------------------------------------------


def json_response(data, status: int = 200, content_type: str = JSON) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, status=status, content_type=content_type)


def problem(status: int, title: str, detail: str, **extra) -> HttpResponse:
    """An RFC 9457 problem document; `errors` (when given) lists each message on its own."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return json_response(body, status=status, content_type=PROBLEM)


def not_found(detail: str) -> HttpResponse:
    return problem(404, "Not found", detail)


def api_view(view):
    """GET and HEAD only (405 otherwise, as a problem); never reads or sets a session.

    CSRF-exempt: nothing here writes, and without it a POST met the CSRF check's HTML 403
    before the view could answer 405."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = problem(
                405, "Method not allowed", "This API is read-only: use GET (or HEAD)."
            )
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return wrapped


def link(name: str, query: str = "", *args) -> str:
    """An absolute API URL; `query` a query string with its `?` (or "")."""
    return detail.absolute(reverse(f"api:{name}", args=args) + (query if query != "?" else ""))


# --- the index, the contract, its rendering -----------------------------------------------------


@api_view
def index(request):
    return json_response(
        {
            "claims": link("claims"),
            "sources": link("sources"),
            "citations": link("citations"),
            "claims_ndjson": link("claims-ndjson"),
            "openapi": link("openapi"),
            "docs": link("docs"),
        }
    )


@api_view
def openapi(request):
    return json_response(schema.document())


@api_view
def docs(request):
    return render(request, "api/docs.html", {"api": schema.reading(), "nav": "api"})


@api_view
def unknown(request, rest=""):
    return not_found(f"There is no /api/v1/{rest[:100]} here. The index is at {link('index')}.")


# --- claims ------------------------------------------------------------------------------------


# What each row of the claims page loads for its item: the summary's fields, in the page's
# own query (the source by its foreign key, which only() names without `_id`).
ROW_FIELDS = tuple("source" if name == "source_id" else name for name in rep.SUMMARY_FIELDS)


def claim_summaries(claims) -> list[dict]:
    """The summaries of these claims (loaded with ROW_FIELDS), in their order: one query for
    their evidence."""
    links = evidence_by_claim([claim.pk for claim in claims], "default")
    return [
        rep.claim_summary(
            {name: _path(claim, name) for name in rep.SUMMARY_FIELDS}, links.get(claim.pk, [])
        )
        for claim in claims
    ]


def _counts(page) -> dict:
    counts = page.counts
    return {
        "total": counts.total,
        # False: more than `total` match (the search bound); the page ranks the first ones.
        "total_exact": counts.total_exact,
        # False: the per-code counts are lower bounds.
        "exact": counts.exact,
        # Each faceted filter's codes, each counted without its own filter (as the page's).
        **{
            spec.param: {
                code: counts.facets.get(spec.param, {}).get(code, 0) for code, _ in spec.choices
            }
            for spec in FILTERS
            if spec.faceted
        },
    }


@api_view
def claims(request):
    """/api/v1/claims/?<the /claims/ query string>: the same page as /claims/, as JSON."""
    page = listing.claim_page(request.GET, table=False, fields=ROW_FIELDS)
    if page.selection.errors:
        return problem(
            400,
            "We could not use this query as it stands",
            " ".join(page.selection.errors),
            errors=page.selection.errors,
        )
    pager = page.pager
    return json_response(
        {
            "counts": _counts(page),
            "page": pager.number,
            "next": link("claims", pager.next_url) if pager.next_url else None,
            "previous": link("claims", pager.previous_url) if pager.previous_url else None,
            "notes": page.notes,
            "results": claim_summaries(page.rows),
        }
    )


def claim_document(claim) -> dict:
    """/api/v1/claims/<slug>/ for a claim as claims.detail.claim_for_page loads it."""
    values = {name: _path(claim, name) for name in rep.SUMMARY_FIELDS}
    links = sorted(detail.evidence_links(claim), key=lambda link: link.pk)
    summary = rep.claim_summary(values, [(link.stance, link.citation.reference) for link in links])
    evidence = [
        rep.evidence_item(
            link.pk,
            link.stance,
            link.finding,
            rep.citation_item(rep.citation_values(link.citation)),
        )
        for link in links
    ]
    texts = [
        rep.appearance_item(
            {
                "id": shown.pk,
                "source_id": shown.source_id,
                "source_title": shown.title,
                "source_url": shown.url,
                "quote": shown.quote,
                "quote_start": shown.quote_start,
                "quote_end": shown.quote_start + len(shown.quote),
                "found_at": shown.found_at,
            }
        )
        for shown in page_appearances(claim)
    ]
    log = detail.corrections(claim)
    assessment = detail.loaded_assessment(claim)
    return {
        **rep.claim_record(summary, claim.published_at, evidence, texts),
        "modified_at": rep.timestamp(detail.date_modified(log)),
        "assessment": rep.assessment_item(
            {name: getattr(assessment, name) for name in rep.ASSESSMENT_FIELDS}
            if assessment
            else None
        ),
        "corrections": [rep.correction_item(entry) for entry in log],
    }


def _path(obj, path: str):
    for name in path.split("__"):
        obj = getattr(obj, name)
    return obj


@api_view
def claim(request, slug):
    found = detail.claim_for_page(slug)
    if found is None:
        survivor = merging.survivor_slug(slug)
        if survivor is None:
            return not_found("No published claim has this slug.")
        # A merged claim's address leads to the claim it became part of, as its page does.
        return HttpResponsePermanentRedirect(reverse("api:claim", args=[survivor]))
    return json_response(claim_document(found))


@api_view
def claims_ndjson(request):
    """/api/v1/claims.ndjson?<the /claims/ query string>: every claim of the selection as a
    record, one per line (claims.dump), the bytes `export_claims_report --format ndjson`
    writes."""
    from .. import dump

    selection = select_claims(request.GET)
    if selection.errors:
        return problem(
            400,
            "This download cannot be made",
            " ".join(selection.errors),
            errors=selection.errors,
        )
    return dump.ndjson_response(selection.queryset)


# --- texts and works: pages by id --------------------------------------------------------------


def keyset(queryset, params, name: str):
    """A page of `queryset` by id (ascending), after or before the id a cursor gives, with its
    links; or a problem for a cursor that is not an id. Ids only are compared, so a cursor
    tells nothing about the row it names."""
    raw_after, raw_before = params.get("after"), params.get("before")
    after, before = parse_id(raw_after), parse_id(raw_before)
    for key, raw, value in (("after", raw_after, after), ("before", raw_before, before)):
        if raw is not None and value is None:
            return None, problem(
                400,
                "We could not use this query as it stands",
                f"“{raw[:40]}” is not an id: {key} takes the id of the last (or first) item of "
                "a page, as the page's next (or previous) link gives it.",
            )
    if after is not None and before is not None:
        return None, problem(
            400, "We could not use this query as it stands", "Give after or before, not both."
        )
    if before is not None:
        rows = list(queryset.filter(pk__lt=before).order_by("-pk")[: rep.LIST_PAGE_SIZE + 1])
        more = len(rows) > rep.LIST_PAGE_SIZE
        rows = rows[: rep.LIST_PAGE_SIZE][::-1]
        previous = more
        following = True
    else:
        rows = list(queryset.filter(pk__gt=after or 0).order_by("pk")[: rep.LIST_PAGE_SIZE + 1])
        following = len(rows) > rep.LIST_PAGE_SIZE
        rows = rows[: rep.LIST_PAGE_SIZE]
        previous = after is not None
    body = {
        "next": link(name, f"?after={rows[-1].pk}") if following and rows else None,
        "previous": link(name, f"?before={rows[0].pk}") if previous and rows else None,
    }
    if not rows and after is not None:
        body["previous"] = link(name, f"?before={after + 1}")
    return (rows, body), None


@api_view
def sources(request):
    """/api/v1/sources/: the texts that make at least one published claim, by id."""
    queryset = Source.objects.with_published_claims().only(*rep.SOURCE_FIELDS)
    found, error = keyset(queryset, request.GET, "sources")
    if error:
        return error
    rows, body = found
    items = [rep.source_item({n: getattr(s, n) for n in rep.SOURCE_FIELDS}) for s in rows]
    return json_response({**body, "results": items})


@api_view
def source(request, pk):
    text = Source.objects.with_published_claims().filter(pk=pk).defer("note").first()
    if text is None:
        return not_found("No published claim is made in a text with this id.")
    passages = (
        Appearance.objects.filter(source=text, claim__status=Status.PUBLISHED)
        .order_by("quote_start", "pk")
        .values(
            "pk",
            "quote",
            "quote_start",
            "quote_end",
            "claim_id",
            "claim__slug",
            "claim__statement",
            "claim__grade",
            "claim__verdict",
        )  # fmt: skip
    )
    claims_made = {}
    for passage in passages:
        made = claims_made.setdefault(
            passage["claim_id"],
            {
                "id": passage["claim_id"],
                "slug": passage["claim__slug"],
                "claim": passage["claim__statement"],
                "grade": passage["claim__grade"],
                "verdict": passage["claim__verdict"],
                **rep.claim_links(passage["claim__slug"]),
                "passages": [],
            },
        )
        made["passages"].append(
            {key: passage[key] for key in ("quote", "quote_start", "quote_end")}
            | {"id": passage["pk"]}
        )
    item = rep.source_item({n: getattr(text, n) for n in rep.SOURCE_FIELDS})
    # As its page: the text with every passage that makes a published claim (the editors'
    # note about the text is theirs, not public).
    return json_response({**item, "text": text.text, "claims": list(claims_made.values())})


def published_citations():
    return Citation.objects.filter(Exists(citation_page.published_links(OuterRef("pk"))))


@api_view
def citations(request):
    """/api/v1/citations/: the works at least one published claim cites, by id."""
    queryset = published_citations().only(*rep.CITATION_FIELDS)
    found, error = keyset(queryset, request.GET, "citations")
    if error:
        return error
    rows, body = found
    items = [rep.citation_item(rep.citation_values(work)) for work in rows]
    return json_response({**body, "results": items})


@api_view
def citation(request, pk):
    """/api/v1/citations/<id>/: the work, and the published claims it bears on by stance, as
    its page shows them (`?stance=<code>&page=N` pages through one stance)."""
    work = citation_page.published_citation(pk)
    if work is None:
        return not_found("No published claim cites a work with this id.")
    raw_stance = request.GET.get("stance")
    if raw_stance is not None and raw_stance not in Stance.values:
        codes = ", ".join(Stance.values)
        return problem(
            400,
            "We could not use this query as it stands",
            f"“{raw_stance[:40]}” is not a stance. Use one of: {codes}.",
        )
    page = citation_page.citation_page(work, raw_stance, request.GET.get("page"))
    values = rep.citation_values(work) | {name: getattr(work, name) for name in rep.NOTICE_FIELDS}
    stances = [
        {
            "stance": group.stance.value,
            "count": min(group.count, citation_page.COUNT_BOUND),
            "count_exact": not group.over_bound,
            "claims": [
                {
                    "id": evidence.claim_id,
                    "slug": evidence.claim.slug,
                    "claim": evidence.claim.statement,
                    "grade": evidence.claim.grade,
                    "verdict": evidence.claim.verdict,
                    "finding": evidence.finding or "",
                    **rep.claim_links(evidence.claim.slug),
                }
                for evidence in group.links
            ],
        }
        for group in page.groups
    ]
    here = f"?stance={page.stance.value}&page=" if page.stance else ""
    return json_response(
        {
            **rep.citation_item(values),
            "stances": stances,
            "page": page.number if page.stance else None,
            "next": link("citation", f"{here}{page.number + 1}", pk) if page.has_next else None,
            "previous": (
                link("citation", f"{here}{page.number - 1}", pk) if page.has_previous else None
            ),
            "notes": [page.message] if page.message else [],
        }
    )
