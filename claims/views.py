"""The public site: claims list, claim pages, sources, methodology, and the CSV download."""

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Count
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.generic import DetailView, ListView, TemplateView

from . import export, listing
from .filters import GRADE_CHOICES, VERDICT_CHOICES, ClaimFilter, parse_id, select_claims
from .models import Citation, Claim, Evidence, Source
from .scales import (
    RATING_BEST,
    RATING_WORST,
    ClaimType,
    Grade,
    Stance,
    Status,
    StudyDesign,
    Verdict,
)
from .search import clean_text, highlight_pattern
from .tables import ClaimTable, OrderedRows

PER_PAGE = listing.PER_PAGE


def home(request):
    return redirect("claims:claim-list")


def _querystring(params, **changes) -> str:
    """`params` (a QueryDict) with the given keys replaced (a list) or dropped (None)."""
    data = {key: params.getlist(key) for key in params}
    for position in ("page", "after", "before"):  # a changed selection starts at its top
        data.pop(position, None)
    for key, values in changes.items():
        if values:
            data[key] = values
        else:
            data.pop(key, None)
    encoded = urlencode(data, doseq=True)
    return f"?{encoded}" if encoded else "?"


def _toggled(params, name: str, value: str) -> str:
    values = [v for v in params.getlist(name) if v]
    values = [v for v in values if v != value] if value in values else [*values, value]
    return _querystring(params, **{name: values})


@dataclass
class Facet:
    name: str
    label: str
    items: list = field(default_factory=list)

    def items_html(self) -> SafeString:
        """The facet's <li> links, as the template's loop wrote them (a loop of eleven items
        with a dozen lookups each cost about a millisecond a page in the template engine)."""
        lines = []
        for item in self.items:
            selected = item["selected"]
            count = item["count"]
            if item["at_least"]:
                count = f'<span class="visually-hidden">at least </span>{count}+'
            lines.append(
                f'\n      <li><a href="{escape(item["url"])}"'
                + (' aria-current="true" class="selected"' if selected else "")
                + f'><span class="check" aria-hidden="true">{"☑" if selected else "☐"}</span> '
                + f'{escape(item["label"])} <span class="count">{count}</span>'
                + (
                    '<span class="visually-hidden"> (selected; follow to remove)</span>'
                    if selected
                    else ""
                )
                + "</a></li>\n    "
            )
        # The url and label went through escape(); the rest is fixed markup and numbers.
        return mark_safe("".join(lines))


def _facet(params, name: str, label: str, choices, counts: dict, exact: bool) -> Facet:
    """Counts per value of `name`, each computed with every filter except `name` itself."""
    selected = set(params.getlist(name))
    facet = Facet(name, label)
    for code, text in choices:
        facet.items.append(
            {
                "code": code,
                "label": text,
                "count": counts.get(code, 0),
                "at_least": not exact,
                "selected": code in selected,
                "url": _toggled(params, name, code),
            }
        )
    return facet


def _active_filters(filterset: ClaimFilter, params) -> list[dict]:
    """One removable chip per active filter value, labelled in words."""
    cleaned = filterset.form.cleaned_data
    chips = []
    labels = {
        "grade": dict(GRADE_CHOICES),
        "verdict": dict(VERDICT_CHOICES),
        "claim_type": dict(ClaimType.choices),
    }
    for name, names in labels.items():
        for code in cleaned.get(name) or []:
            chips.append(
                {
                    "label": f"{filterset.form.fields[name].label}: {names[code]}",
                    "url": _toggled(params, name, code),
                }
            )
    for subject in cleaned.get("subject") or []:
        remaining = [v for v in params.getlist("subject") if v.strip() != subject]
        chips.append(
            {"label": f"Subject: {subject}", "url": _querystring(params, subject=remaining)}
        )
    for source in filterset.form.sources:
        chips.append(
            {"label": f"Source: {source.title}", "url": _toggled(params, "source", str(source.pk))}
        )
    if cleaned.get("q"):
        chips.append({"label": f"Search: {cleaned['q']}", "url": _querystring(params, q=None)})
    return chips


@dataclass
class Pager:
    """The page links under the table: numbered (by ?page=) or Newer/Older (by keyset)."""

    number: int | None = None  # None when reached by a keyset cursor: position unknown
    num_pages: int | None = None
    first_url: str = ""
    previous_url: str = ""
    next_url: str = ""
    links: list = field(default_factory=list)  # (page number or None for a gap, url)
    object_list: list = field(default_factory=list)  # the rows (tables2's page API)

    def has_next(self) -> bool:
        return bool(self.next_url)

    def has_previous(self) -> bool:
        return bool(self.previous_url)


def _page_url(params, number: int) -> str:
    query = _querystring(params, after=None, before=None)
    return f"{query}&page={number}" if query != "?" else f"?page={number}"


def _numbered_pager(params, number: int, num_pages: int) -> Pager:
    pager = Pager(number=number, num_pages=num_pages)
    if number > 1:
        pager.previous_url = _page_url(params, number - 1)
    if number < num_pages:
        pager.next_url = _page_url(params, number + 1)
    shown = sorted({1, 2, num_pages - 1, num_pages, *range(number - 2, number + 3)})
    previous = 0
    for p in shown:
        if not 1 <= p <= num_pages:
            continue
        if p > previous + 1:
            pager.links.append((None, ""))
        pager.links.append((p, _page_url(params, p)))
        previous = p
    return pager


def _checkboxes_html(boxes: list[dict]) -> SafeString:
    """The rows of check boxes, as the template's loop wrote them."""
    rows = []
    for box in boxes:
        value, box_id = escape(box["value"]), escape(box["id"])
        checked = " checked" if box["checked"] else ""
        rows.append(
            f'<div class="check-row"><input type="checkbox" name="{escape(box["name"])}" '
            f'value="{value}" id="{box_id}"{checked}> '
            f'<label for="{box_id}">{escape(box["label"])}</label></div>'
        )
    # Every value went through escape().
    return mark_safe("".join(rows))


def _checkboxes(filterset: ClaimFilter, params, name: str) -> list[dict]:
    """The boxes Django's CheckboxSelectMultiple would render (same ids), as plain data."""
    chosen = set(params.getlist(name))
    return [
        {
            "id": f"id_{name}_{i}",
            "name": name,
            "value": code,
            "label": text,
            "checked": code in chosen,
        }
        for i, (code, text) in enumerate(filterset.form.fields[name].choices)
    ]


class ClaimListView(TemplateView):
    """/claims/: the same selection as select_claims() (and so the CSV), paged fast.

    See claims/listing.py for what a page computes and the shortcuts it takes past
    listing.search_bound() matches.
    """

    template_name = "claims/claim_list.html"

    def get(self, request, *args, **kwargs):
        params = request.GET
        queryset, filterset = select_claims(params)
        context = {"filter": filterset, "nav": "claims", "errors": filterset.error_messages}
        context.update(self._page(params, queryset, filterset))
        table = ClaimTable(
            OrderedRows(context.pop("rows")),
            highlight_pattern=context.pop("highlight"),
            params=params,
            order_by=(filterset.form.cleaned_data.get("sort") or None)
            if not filterset.errors
            else None,
        )
        # The table is one page already: its page is the Pager ({% render_table %} passes
        # only the table on to the template).
        table.page = table.pager = context["pager"]
        table.pager.object_list = list(table.rows)
        context["table"] = table
        context["query"] = clean_text(params.get("q", ""))[:300]
        query = _querystring(params, after=None, before=None).rstrip("?")
        context["csv_url"] = reverse("claims:claim-export") + query
        context["clear_url"] = reverse("claims:claim-list")
        context["search_bound"] = listing.search_bound()
        context["sorted"] = bool(not filterset.errors and filterset.form.cleaned_data.get("sort"))
        # The filter checkboxes, written out in the template: Django's widget templates
        # cost a few milliseconds per page for these fourteen boxes.
        context["checkboxes"] = {
            name: _checkboxes(filterset, params, name)
            for name in ("grade", "verdict", "claim_type")
        }
        context["checkboxes_html"] = {
            name: _checkboxes_html(boxes) for name, boxes in context["checkboxes"].items()
        }
        # Each form resubmits the parameters it does not show, so nothing is lost on submit.
        pairs = [(key, value) for key in params for value in params.getlist(key) if value]
        paging = {"page", "after", "before"}
        context["search_hidden"] = [(k, v) for k, v in pairs if k not in {"q", *paging}]
        context["filters_hidden"] = [(k, v) for k, v in pairs if k in {"q", "sort", "source"}]
        # An unusable query string is the client's mistake: say so with 400, and explain.
        status = 400 if filterset.errors else 200
        return self.render_to_response(context, status=status)

    def _page(self, params, queryset, filterset) -> dict:
        page = {"highlight": None, "page_message": "", "facets": [], "active_filters": []}
        if filterset.errors:
            return page | {"rows": [], "total": 0, "total_exact": True, "pager": Pager()}
        cleaned = filterset.form.cleaned_data
        text = clean_text(cleaned.get("q") or "")
        number, message = listing.parse_page(params.get("page"))
        after = parse_id(params.get("after"))
        before = parse_id(params.get("before"))
        keyset = not text and not cleaned.get("sort")
        queryset = listing.page_rows(queryset, searching=bool(text))
        if listing.uses_bounded_search(filterset):
            # No page lies past the bound: a huge number must not reach OFFSET (bigint).
            first_try = min(max(number, 1), listing.search_bound() // PER_PAGE + 1)
            found = listing.bounded_search(filterset, PER_PAGE * (first_try - 1))
            counts = found.counts
            fitted, message = listing.fit_page(
                number, counts.total, message, exact=counts.total_exact
            )
            if fitted != number:
                found = listing.bounded_search(filterset, PER_PAGE * (fitted - 1))
            rows = listing.rows_in_order(found.ids)
            pager = _numbered_pager(params, fitted, max(1, math.ceil(counts.total / PER_PAGE)))
        else:
            if listing.uses_bounded_counts(filterset):
                counts = listing.bounded_search_counts(filterset)
            else:
                counts = listing.exact_counts(filterset, text)
            if keyset and (after is not None or before is not None) and "page" not in params:
                rows, more, found = listing.keyset_rows(queryset, after=after, before=before)
                if not found or (before is not None and not rows):
                    if not found:
                        message = "The claim this page continued from is no longer listed, "
                        message += "so this is the first page."
                    rows, more, after, before = list(queryset[: PER_PAGE + 1]), None, None, None
                pager = self._keyset_pager(params, rows, more, after, before)
                rows = rows[:PER_PAGE]
            else:
                number, message = listing.fit_page(
                    number, counts.total, message, exact=counts.total_exact
                )
                offset = PER_PAGE * (number - 1)
                limit = PER_PAGE + (1 if keyset else 0)
                total = counts.total if counts.total_exact else None
                rows = listing.slice_rows(queryset, offset, limit, total)
                num_pages = max(1, math.ceil(counts.total / PER_PAGE))
                pager = _numbered_pager(params, number, num_pages)
                if keyset and len(rows) > PER_PAGE:
                    # Onward from here by keyset: as fast at page 20,000 as at page 2.
                    pager.next_url = self._cursor_url(params, "after", rows[PER_PAGE - 1].pk)
                rows = rows[:PER_PAGE]
        page["rows"] = rows
        page["pager"] = pager
        page["page_message"] = message
        page["total"] = counts.total
        page["total_exact"] = counts.total_exact
        page["counts_exact"] = counts.exact
        page["facets"] = [
            _facet(params, "grade", "Evidence grade", GRADE_CHOICES, counts.grade, counts.exact),
            _facet(params, "verdict", "Verdict", VERDICT_CHOICES, counts.verdict, counts.exact),
        ]
        page["active_filters"] = _active_filters(filterset, params)
        page["highlight"] = highlight_pattern(text) if text else None
        return page

    @staticmethod
    def _cursor_url(params, key: str, pk: int) -> str:
        return _querystring(params, **{key: [str(pk)]})

    def _keyset_pager(self, params, rows, more, after, before) -> Pager:
        """Newer/Older links around a page reached by cursor; `more` is None on the first page."""
        pager = Pager(first_url=_querystring(params, after=None, before=None))
        if more is None:  # fell back to the first page
            pager.number = 1
            if len(rows) > PER_PAGE:
                pager.next_url = self._cursor_url(params, "after", rows[PER_PAGE - 1].pk)
            return pager
        shown = rows[:PER_PAGE]
        if not shown:
            pager.previous_url = self._cursor_url(params, "before", after)
            return pager
        if after is not None:
            pager.previous_url = self._cursor_url(params, "before", shown[0].pk)
            if more:
                pager.next_url = self._cursor_url(params, "after", shown[-1].pk)
        else:
            pager.next_url = self._cursor_url(params, "after", shown[-1].pk)
            if more:
                pager.previous_url = self._cursor_url(params, "before", shown[0].pk)
        return pager


def _page_message(raw: str | None, paginator: Paginator) -> str:
    """Explain a page number we could not honour (Django then shows the first or last page)."""
    if raw is None or raw == "":
        return ""
    number, message = listing.parse_page(raw)
    if message or number <= paginator.num_pages:
        return message
    pages = f"{paginator.num_pages} page" + ("s" if paginator.num_pages != 1 else "")
    return f"There is no page {number}: this selection has {pages}. This is the last one."


def claim_export(request):
    """/claims/export.csv: the same claims as /claims/ for this query string, all pages."""
    queryset, filterset = select_claims(request.GET)
    if filterset.errors:
        message = "This download cannot be made:\n" + "\n".join(filterset.error_messages)
        return HttpResponse(message + "\n", status=400, content_type="text/plain; charset=utf-8")
    return export.csv_response(queryset, excel=request.GET.get("excel") == "1")


def json_ld(data: dict) -> str:
    """JSON for a <script type="application/ld+json"> block; </script> cannot break out."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return mark_safe(text)  # <, > and & are escaped above


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
    return f"SELECT {array} FROM {history} h WHERE h.id = {claim}.id AND h.status = %s"


def published_versions_sql() -> RawSQL:
    """A subquery for the claim page's one query: its published versions from the history
    table, as a JSON array of [history_date, grade, verdict, history_id].

    The corrections log then needs no query of its own (it was a third round trip and a
    queryset to build and compile on every claim page).
    """
    return RawSQL(_published_versions_sql(connection.vendor), [Status.PUBLISHED])


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
        f"WHERE e.{quote('claim_id')} = {quote(Claim._meta.db_table)}.{quote('id')}"
    )


def evidence_sql() -> RawSQL:
    """A subquery for the claim page's one query: the claim's evidence links with their
    citations, as a JSON array of rows (EVIDENCE_FIELDS then CITATION_FIELDS)."""
    return RawSQL(_evidence_sql(connection.vendor), [])


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


def quote_context(claim: Claim, width: int = 400) -> dict:
    """The paragraph around the quote, cut to `width` characters on each side."""
    text = claim.source.text
    start, end = claim.quote_start, claim.quote_end
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end == -1 else para_end
    before_start = max(para_start, start - width)
    after_end = min(para_end, end + width)
    return {
        "before": ("…" if before_start > para_start else "") + text[before_start:start],
        "quote": text[start:end],
        "after": text[end:after_end] + ("…" if after_end < para_end else ""),
    }


class ClaimDetailView(DetailView):
    # Not loaded: what the page never shows (the search vector, the long note, timestamps of
    # edits); each would be parsed on every view.
    queryset = (
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
    )
    template_name = "claims/claim_detail.html"
    context_object_name = "claim"
    extra_context = {"nav": "claims"}

    def get_queryset(self):
        # The evidence and the corrections log come with the claim: one query for the page.
        return self.queryset.annotate(
            published_versions=published_versions_sql(), evidence_rows=evidence_sql()
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        claim = self.object
        # Newest work first within each stance; works without a year last.
        by_stance = {stance: [] for stance in Stance}
        for link in evidence_links(claim):
            by_stance[Stance(link.stance)].append(link)
        context["evidence_groups"] = [
            {"stance": stance, "links": items} for stance, items in by_stance.items() if items
        ]
        context["evidence_total"] = sum(len(items) for items in by_stance.values())
        log = corrections(claim)
        context["corrections"] = log
        published_at = log[0]["date"] if log else (claim.reviewed_at or claim.created_at)
        review = claim_review(claim, published_at)
        context["json_ld"] = json_ld(review) if review else ""
        context["context"] = quote_context(claim)
        context["grade"] = claim.grade_choice
        context["verdict"] = claim.verdict_choice
        context["source_quote_url"] = f"{claim.source.get_absolute_url()}#quote-{claim.pk}"
        return context


class SourceListView(ListView):
    template_name = "claims/source_list.html"
    context_object_name = "sources"
    extra_context = {"nav": "sources"}
    paginate_by = 50

    def get_queryset(self):
        # No count per source here: counted in the same query, it would be computed for
        # every source before the page's fifty (0.8 s at 50,000 sources).
        return (
            Source.objects.with_published_claims()
            .only("title", "kind", "publisher", "published_on")
            .order_by(Lower("title"), "pk")
        )

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        raw = self.request.GET.get("page") or "1"
        page = paginator.get_page(raw)
        self.page_message = _page_message(raw if raw != "1" else None, paginator)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_message"] = self.page_message
        sources = context["sources"] = list(context["sources"])
        counts = dict(
            Claim.objects.published()
            .filter(source__in=[source.pk for source in sources])
            .order_by()
            .values_list("source")
            .annotate(n=Count("pk"))
        )
        for source in sources:
            source.published_count = counts.get(source.pk, 0)
        return context


@dataclass
class Segment:
    text: str
    claim: Claim | None = None  # the claim this piece links to (the innermost one)
    mark_id: str = ""
    anchors: list = field(default_factory=list)  # ids of other quotes that start here
    overlap: bool = False
    ends: list = field(default_factory=list)  # claims whose quote ends here (numbered links)


def mark_quotes(text: str, claims: list[Claim]) -> list[list[Segment]]:
    """Split `text` into paragraphs of segments, cut at every quote boundary.

    Overlapping quotes are handled by cutting at every start and end: each segment knows
    every quote covering it and links to the innermost (latest-starting, then shortest).
    Each quote's first segment carries its anchor (id="quote-<pk>"), and its last one a
    numbered link to the claim, so that every claim stays reachable even when covered.
    Reads `claim.number` (its 1-based place in the page's list of claims).
    """
    paragraphs = []
    offset = 0
    for line in text.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        if line.strip():
            paragraphs.append((start, end))
    started = set()
    result = []
    for para_start, para_end in paragraphs:
        cuts = {para_start, para_end}
        for claim in claims:
            for point in (claim.quote_start, claim.quote_end):
                if para_start < point < para_end:
                    cuts.add(point)
        cuts = sorted(cuts)
        segments = []
        for seg_start, seg_end in zip(cuts, cuts[1:], strict=False):
            covering = [c for c in claims if c.quote_start <= seg_start and seg_end <= c.quote_end]
            segment = Segment(text[seg_start:seg_end])
            if covering:
                owner = max(covering, key=lambda c: (c.quote_start, -c.quote_end, c.pk))
                segment.claim = owner
                segment.overlap = len(covering) > 1
                for claim in sorted(covering, key=lambda c: c.pk):
                    if claim.pk in started:
                        continue
                    started.add(claim.pk)
                    if claim is owner:
                        segment.mark_id = f"quote-{claim.pk}"
                    else:
                        segment.anchors.append(f"quote-{claim.pk}")
                segment.ends = [c for c in covering if c.quote_end == seg_end]
            segments.append(segment)
        result.append(segments)
    return result


class SourceDetailView(DetailView):
    queryset = Source.objects.with_published_claims()
    template_name = "claims/source_detail.html"
    context_object_name = "source"
    extra_context = {"nav": "sources"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        source = self.object
        claims = list(
            source.claims.published()
            .only(
                "pk",
                "slug",
                "statement",
                "grade",
                "verdict",
                "quote_start",
                "quote_end",
                "source_id",
            )
            .order_by("quote_start", "pk")
        )
        for number, claim in enumerate(claims, start=1):
            claim.number = number
        context["claims"] = claims
        context["paragraphs"] = mark_quotes(source.text, claims)
        present = {claim.verdict for claim in claims}
        context["legend"] = [verdict for verdict in Verdict if verdict in present]
        context["list_url"] = reverse("claims:claim-list") + f"?source={source.pk}"
        return context


class MethodologyView(TemplateView):
    template_name = "claims/methodology.html"
    extra_context = {"nav": "methodology"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["grades"] = list(Grade)
        context["verdicts"] = list(Verdict)
        context["designs"] = list(StudyDesign)
        context["stances"] = list(Stance)
        context["best"], context["worst"] = RATING_BEST, RATING_WORST
        return context
