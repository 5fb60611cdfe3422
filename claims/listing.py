"""One /claims/ page: `claim_page(params)` returns everything the page shows.

`select_claims()` (filters.py) stays the exact, complete selection: the CSV holds every match,
fully ranked. A page needs 25 rows and some numbers, so it takes shortcuts, each visible to
the reader:

- Counts come from the side tables where they can answer (claims/sidetables.py).
- A search on PostgreSQL ranks at most `search_bound()` matches. Up to the bound everything
  is exact and ranked as select_claims() ranks; past it the page says "more than N match",
  ranks the best of the N it looked at, and shows each count as a lower bound.
- The default order (newest first) pages by keyset (`?after=<id>` / `?before=<id>`), which
  costs the same at any depth; `?page=N` works for every order (by OFFSET, or by picking the
  page's ids first when deep).

So a page is one of three kinds: a ranked search page (PostgreSQL), a page reached by cursor,
or a numbered page; `claim_page` picks one and each has its own function below.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.urls import reverse

from . import fasthtml, pictures, sidetables
from .columns import PAGE_COLUMNS
from .filters import (
    FILTERS,
    SCALE_SORTS,
    Selection,
    keep_scale_codes,
    known_params,
    parse_id,
    published_claims,
    querystring,
    select_claims,
    toggled,
)
from .models import Claim
from .pagers import (
    PER_PAGE,
    Pager,
    all_reached,
    bound_notes,
    fit_page,
    keyset_pager,
    num_pages,
    numbered_pager,
    parse_page,
)
from .scales import Status
from .search import highlight_pattern
from .sidetables import Counts, search_bound
from .tables import ClaimTable

# From this many rows deep, a numbered page first picks its ids alone, then loads them.
DEEP_OFFSET = 500
# What a table row reads: its columns, the links (slug, source id) and, on a search page, the
# quote it excerpts. Nothing else is loaded (five datetimes a row were parsed and never shown).
ROW_FIELDS = ("pk", "slug", *(column.field for column in PAGE_COLUMNS if column.field))


# --- what the page holds -----------------------------------------------------------------------


@dataclass
class FacetItem:
    code: str
    label: str
    count: int
    at_least: bool  # the count is a lower bound
    selected: bool
    url: str  # toggles this code


@dataclass
class Facet:
    name: str
    label: str
    items: list[FacetItem]

    @property
    def items_html(self):
        return fasthtml.facet_items(self.items)


@dataclass
class Chip:
    """One active filter value, removable."""

    label: str
    url: str


@dataclass
class ClaimPage:
    selection: Selection
    rows: list[Claim] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    pager: Pager = field(default_factory=Pager)
    notes: list[str] = field(default_factory=list)  # what the reader should know about it
    facets: list[Facet] = field(default_factory=list)
    chips: list[Chip] = field(default_factory=list)
    table: ClaimTable | None = None
    fields: tuple[str, ...] = ROW_FIELDS  # what each row loads

    @property
    def status(self) -> int:
        """400 for a query string we could not use (the page explains), else 200."""
        return 400 if self.selection.errors else 200

    @property
    def form(self):
        return self.selection.filterset.form

    @property
    def query(self) -> str:
        return self.selection.text[:MAX_TITLE]

    @property
    def csv_url(self) -> str:
        return reverse("claims:claim-export") + querystring(self.selection.params).rstrip("?")

    @property
    def search_bound(self) -> int:
        return search_bound()

    @property
    def hidden_for_search(self) -> list[tuple[str, str]]:
        """What the search form resubmits besides the search: the filters and the sort."""
        return self._pairs(exclude={"q"})

    @property
    def hidden_for_filters(self) -> list[tuple[str, str]]:
        """What the filter form resubmits besides its boxes: the search, the sort, the sources."""
        return self._pairs(include={"q", "sort", "source"})

    def _pairs(self, *, include=None, exclude=()) -> list[tuple[str, str]]:
        params = self.selection.usable_params
        return [
            (key, value)
            for key in known_params()
            if (include is None or key in include) and key not in exclude
            for value in dict.fromkeys(params.getlist(key))
            if value
        ]

    @property
    def matrix(self) -> pictures.Matrix:
        """The selection by grade and verdict, from the counts' grid (no query)."""
        counts, selection = self.counts, self.selection
        return pictures.grade_verdict_matrix(
            counts.grid, selection.values, selection.params, at_least=not counts.total_exact
        )

    @property
    def hidden_for_sort(self) -> list[tuple[str, str]]:
        """What the sort form resubmits besides the sort: the search and the filters."""
        return self._pairs(exclude={"sort"})

    @property
    def sort_options(self) -> list[tuple[str, str, bool]]:
        """(value, label, selected) of the sort control: the table's headers sort on a wide
        screen; on a phone the table is a list of cards and this is the only way."""
        current = self.selection.sort if "sort" in self.selection.usable_params else ""
        first = "Best match first" if self.selection.text else "Newest first"
        options = [("", first)]
        for column in PAGE_COLUMNS:
            up, down = SORT_WORDS.get(column.name, ("A to Z", "Z to A"))
            options += [
                (column.name, f"{column.label}, {up}"),
                (f"-{column.name}", f"{column.label}, {down}"),
            ]
        return [(value, label, value == current) for value, label in options]

    @property
    def checkboxes(self) -> dict:
        """The check boxes of each filter with codes, as HTML (see fasthtml)."""
        params = self.selection.params
        return {
            spec.param: fasthtml.checkboxes(spec.param, spec.choices, params.getlist(spec.param))
            for spec in FILTERS
            if spec.choices is not None
        }


MAX_TITLE = 300
# How each sort reads, ascending then descending (text columns: "A to Z", "Z to A").
SORT_WORDS = {
    "grade": ("high first", "very low first"),
    "verdict": ("supported first", "contradicted first"),
    "appearances": ("fewest first", "most first"),
    "reviewed_at": ("oldest first", "newest first"),
}


def claim_page(
    params: QueryDict, *, table: bool = True, fields: tuple[str, ...] = ROW_FIELDS
) -> ClaimPage:
    """Everything /claims/?<params> shows: rows, counts, pager, facets, chips and notes;
    `table` False leaves out what only the HTML page shows (the table, the facets' links, the
    chips), and `fields` are the ones each row loads (the
    JSON API's page loads its items' fields in the same query)."""
    selection = select_claims(params)
    page = ClaimPage(selection, fields=fields)
    if selection.errors:
        page.table = ClaimTable([], params=selection.usable_params) if table else None
        return page
    number, note = parse_page(params.get("page"))
    after, before = parse_id(params.get("after")), parse_id(params.get("before"))
    if sidetables.postgres() and selection.text and not selection.sort:
        _ranked_search_page(page, number, note)
    else:
        if sidetables.postgres() and selection.text:
            page.counts = sidetables.bounded_counts(selection)
        else:
            page.counts = sidetables.exact_counts(selection)
        _skip_empty_codes(selection, page.counts)
        cursor = after is not None or before is not None
        # (An empty selection has no cursor to continue from: its first page, with no query.)
        if selection.newest_first and cursor and "page" not in params and page.counts.total:
            _cursor_page(page, after=after, before=before, number=parse_id(params.get("n")))
        else:
            _numbered_page(page, number, note)
    page.notes = [note for note in page.notes if note]
    page.notes += bound_notes(page.counts, sort=bool(selection.sort))
    if not table:  # the API reads the counts themselves: no facet links, chips or table
        return page
    page.facets = _facets(selection, page.counts)
    page.chips = _chips(selection)
    highlight = highlight_pattern(selection.text) if selection.text else None
    page.table = ClaimTable(
        page.rows, highlight_pattern=highlight, params=params, order_by=selection.sort or None
    )
    return page


def _ranked_search_page(page: ClaimPage, number: int, note: str) -> None:
    """A search on PostgreSQL, best first, among at most `search_bound()` matches."""
    selection = page.selection
    # No page lies past the bound: a huge number must not reach OFFSET (bigint).
    first_try = min(max(number, 1), search_bound() // PER_PAGE + 1)
    found = sidetables.bounded_search(selection, offset=PER_PAGE * (first_try - 1), limit=PER_PAGE)
    counts = found.counts
    fitted, note = fit_page(number, counts.reachable, note, exact=all_reached(counts))
    if fitted != number:
        found = sidetables.bounded_search(selection, offset=PER_PAGE * (fitted - 1), limit=PER_PAGE)
    page.counts = counts
    page.rows = rows_in_order(found.ids, page.fields)
    page.pager = numbered_pager(selection.params, fitted, num_pages(counts.reachable))
    page.notes.append(note)


def _skip_empty_codes(selection: Selection, counts: Counts) -> None:
    """Sorted by grade or verdict: read only the codes the exact counts found claims of.

    A filter that picks claims of a few grades (rated down for imprecision: moderate ones, at
    1M) sorted by grade would otherwise walk the sort index through every claim of the other
    grades first, where the counts already say which grades hold matches.
    """
    name = selection.sort.lstrip("-")
    if name not in SCALE_SORTS or not counts.exact:
        return
    present = [code for code, n in counts.facets.get(name, {}).items() if n]
    if chosen := selection.values.get(name):
        present = [code for code in present if code in chosen]
    selection.queryset = keep_scale_codes(selection.queryset, name, present)


def _cursor_page(
    page: ClaimPage, *, after: int | None, before: int | None, number: int | None = None
) -> None:
    """Newest first, the page after or before the claim a cursor names; numbered when the
    page number the link carried (`n`) proves true."""
    if after is not None and number and _carried_page(page, after, number):
        return
    selection = page.selection
    queryset = page_rows(selection.queryset, page.fields)
    rows, more, found = keyset_rows(queryset, after=after, before=before)
    if not found or (before is not None and not rows):
        if not found:
            page.notes.append(
                "The claim this page continued from is no longer listed, so this is the first page."
            )
        rows, more, after, before = list(queryset[: PER_PAGE + 1]), None, None, None
    page.pager = keyset_pager(selection.params, rows, more, after, before)
    page.rows = rows[:PER_PAGE]


# How deep (from either end) a carried page number is checked; deeper, the page shows none.
CHECKED_DEPTH = 5000


def _carried_page(page: ClaimPage, after: int, number: int) -> bool:
    """Page `number`, if the cursor claim `after` is the last row of page `number - 1` now.

    A Next link carries the number of the page it leads to (`?after=<id>&n=<number>`). It
    is shown only if true: the page is read by position with the row before it, in the one
    query the cursor page would have made, and that row must be the cursor's claim (a claim
    published or withdrawn since, or a number typed in, fails this). Reading by position
    costs the depth, so only the first and last CHECKED_DEPTH rows are checked.
    """
    selection, total = page.selection, page.counts.total
    offset = PER_PAGE * (number - 1)
    if not 0 < offset < total or min(offset, total - offset) > CHECKED_DEPTH:
        return False
    rows = slice_rows(page_rows(selection.queryset, page.fields), offset - 1, PER_PAGE + 2, total)
    if not rows or rows[0].pk != after:
        return False
    page.rows = rows[1 : PER_PAGE + 1]
    page.pager = numbered_pager(selection.params, number, num_pages(total))
    if len(rows) > PER_PAGE + 1:
        page.pager.next_url = _next_by_cursor(selection.params, page.rows[-1].pk, number + 1)
    return True


def _next_by_cursor(params: QueryDict, last: int, number: int) -> str:
    return querystring(params, after=[str(last)], n=[str(number)])


def _numbered_page(page: ClaimPage, number: int, note: str) -> None:
    """Page `number` of the selection in its order; newest-first pages link onward by keyset."""
    selection, counts = page.selection, page.counts
    number, note = fit_page(number, counts.reachable, note, exact=all_reached(counts))
    keyset = selection.newest_first
    offset = PER_PAGE * (number - 1)
    limit = PER_PAGE + (1 if keyset else 0)
    total = counts.total if counts.total_exact else None
    queryset = page_rows(selection.queryset, page.fields, searching=bool(selection.text))
    # Nothing matches (the exact count says so): no query that would look for it everywhere.
    rows = [] if total == 0 else slice_rows(queryset, offset, limit, total)
    page.pager = numbered_pager(selection.params, number, num_pages(counts.reachable))
    if keyset and len(rows) > PER_PAGE:
        # Onward from here by keyset: as fast at page 20,000 as at page 2.
        page.pager.next_url = _next_by_cursor(selection.params, rows[PER_PAGE - 1].pk, number + 1)
    page.rows = rows[:PER_PAGE]
    page.notes.append(note)


def _facets(selection: Selection, counts: Counts) -> list[Facet]:
    """A count per code of each faceted filter, each computed without its own filter."""
    params = selection.params
    facets = []
    for spec in FILTERS:
        if not spec.faceted:
            continue
        chosen = set(params.getlist(spec.param))
        numbers = counts.facets.get(spec.param, {})
        items = [
            FacetItem(
                code=code,
                label=label,
                count=numbers.get(code, 0),
                at_least=not counts.exact,
                selected=code in chosen,
                url=toggled(params, spec.param, code),
            )
            for code, label in spec.choices
        ]
        facets.append(Facet(spec.param, spec.label, items))
    return facets


def _chips(selection: Selection) -> list[Chip]:
    """One removable chip per distinct active filter value (and the search), in words."""
    params = selection.params
    chips = []
    for spec in selection.active:
        if spec.choices is not None:
            labels = dict(spec.choices)
            for code in dict.fromkeys(selection.values[spec.param]):
                chips.append(
                    Chip(f"{spec.label}: {labels[code]}", toggled(params, spec.param, code))
                )
        elif spec.param == "source":
            for source in {source.pk: source for source in selection.sources}.values():
                chips.append(
                    Chip(f"Source: {source.title}", toggled(params, "source", str(source.pk)))
                )
        else:
            for value in dict.fromkeys(selection.values[spec.param]):
                remaining = [v for v in params.getlist(spec.param) if v.strip() != value]
                chips.append(
                    Chip(f"{spec.label}: {value}", querystring(params, **{spec.param: remaining}))
                )
    if selection.text:
        chips.append(Chip(f"Search: {selection.text}", querystring(params, q=None)))
    return chips


# --- rows ------------------------------------------------------------------------------------


def page_rows(queryset: QuerySet, fields=ROW_FIELDS, *, searching: bool = False) -> QuerySet:
    """`queryset` loading only `fields` (and the quote when `searching`)."""
    return queryset.only(*fields, *(("quote",) if searching else ()))


def rows_in_order(ids: list[int], fields=ROW_FIELDS) -> list[Claim]:
    """The page's claims (with their source) in the order of `ids`."""
    rows = page_rows(published_claims(), fields, searching=True).filter(pk__in=ids)
    by_pk = {claim.pk: claim for claim in rows}
    return [by_pk[pk] for pk in ids if pk in by_pk]


def slice_rows(queryset: QuerySet, offset: int, limit: int, total: int | None) -> list[Claim]:
    """Rows `offset` to `offset + limit` of `queryset`, at any depth; `total` is its exact
    number of rows, or None when only a lower bound is known.

    OFFSET reads and throws away every row before the page. Deep down on PostgreSQL, the
    page's ids are picked first by a query on the claims table alone (an index-only scan of
    the sort's index: no source join, no row fetched), from whichever end of the selection
    is nearer (the far end only when `total` is exact), and only those rows are then loaded.
    """
    if not sidetables.postgres() or offset < DEEP_OFFSET:
        return list(queryset[offset : offset + limit])
    remaining = max(0, total - offset) if total is not None else offset
    if remaining < offset:  # nearer the end: count back from there in the reverse order
        start = max(0, remaining - limit)
        ids = queryset.reverse().values("pk")[start:remaining]
    else:
        ids = queryset.values("pk")[offset : offset + limit]
    # The outer query has no LIMIT, so the planner probes these ids by primary key.
    return list(queryset.filter(pk__in=Subquery(ids)))


def _beyond_cursor(cursor_id: int, op: str) -> RawSQL:
    """The keyset condition as one piece of SQL: created_at `op` the cursor claim's, or the
    same created_at and id `op` its id, and (redundant, so that the index scan starts at the
    cursor) created_at `op`= the cursor's. The cursor's created_at is a subquery in the same
    statement (no extra round trip); written as SQL because the same Q objects and Subquery
    cost more to build and compile than the query takes to run.

    Only a published claim places the page: an unpublished one's created_at is NULL here, as
    for an id that never existed, so the page cannot tell the two apart (nor date it).
    """
    quote = connection.ops.quote_name
    table = quote(Claim._meta.db_table)
    created, pk = f"{table}.{quote('created_at')}", f"{table}.{quote('id')}"
    at = (
        f"(SELECT c.{quote('created_at')} FROM {table} c "  # nosec B608 # model names; values bound
        f"WHERE c.{quote('id')} = %s AND c.{quote('status')} = %s LIMIT 1)"
    )
    cursor = [cursor_id, Status.PUBLISHED.value]
    return RawSQL(  # nosec B611 # fixed SQL; values bound
        f"({created} {op} {at} OR ({created} = {at} AND {pk} {op} %s)) AND {created} {op}= {at}",
        [*cursor, *cursor, cursor_id, *cursor],
        output_field=BooleanField(),
    )


def keyset_rows(queryset: QuerySet, *, after: int | None, before: int | None):
    """Rows of the default order (newest first) after or before the claim with id `after` /
    `before`; returns (rows, has_more_in_that_direction, cursor_found).

    Only when no row comes back does a second query tell a vanished cursor (missing or not
    published) from the end of the list.
    """
    cursor_id = after if after is not None else before
    if after is not None:
        rows = queryset.filter(_beyond_cursor(cursor_id, "<")).order_by("-created_at", "-pk")
    else:
        rows = queryset.filter(_beyond_cursor(cursor_id, ">")).order_by("created_at", "pk")
    rows = list(rows[: PER_PAGE + 1])
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    if before is not None:
        rows.reverse()
    found = bool(rows) or Claim.objects.published().filter(pk=cursor_id).exists()
    return rows, more, found
