"""The rows, counts and pages of one /claims/ page, fast at a million claims.

`select_claims()` (filters.py) stays the exact, complete selection: the CSV holds every match,
fully ranked. A page needs 25 rows and some numbers, so it takes shortcuts, each visible:

- Counts (total, per grade, per verdict) come from one grid of counts per (grade, verdict),
  computed with every filter except grade and verdict; each number is then a sum over the
  grid. On PostgreSQL the grid is read from claims_facetcount (exact, kept by triggers), or
  counted directly when a source filter makes the selection small.
- A search on PostgreSQL looks at no more than SEARCH_BOUND + 1 matches, in the narrow
  claims_searchdoc table. Up to the bound everything is exact and ranked exactly as
  select_claims() ranks; past it the page says "more than N match", ranks the best among
  the N it looked at, and shows each count as a lower bound ("at least").
- The default order (newest first) pages by keyset (`?after=<id>` / `?before=<id>`), which
  costs the same at any depth; `?page=N` still works (by OFFSET, slower when deep).
"""

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Count, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from .columns import PAGE_COLUMNS
from .filters import ClaimFilter, published_claims
from .models import Claim
from .search import clean_text, search_filter

PER_PAGE = 25


# What a table row reads (claims/tables.py): its columns, the links (slug, source id) and, on a
# search page, the quote it excerpts. Loading only these halves the cost of a page's rows (the
# other columns' values, five datetimes a row among them, were parsed and never shown).
ROW_FIELDS = ("pk", "slug", *(column.field for column in PAGE_COLUMNS if column.field))


def page_rows(queryset: QuerySet, *, searching: bool = False) -> QuerySet:
    """`queryset` loading only what a table row shows (and the quote when `searching`)."""
    return queryset.only(*ROW_FIELDS, *(("quote",) if searching else ()))


def search_bound() -> int:
    """How many matches a search page looks at (setting CLAIMS_SEARCH_BOUND)."""
    return settings.CLAIMS_SEARCH_BOUND


@dataclass
class Counts:
    """The total and the grade/verdict counts of a selection.

    `exact` False means the numbers are lower bounds: more than `bound` claims match and only
    that many were counted.
    """

    total: int = 0
    exact: bool = True
    total_exact: bool = True
    grade: dict[str, int] = field(default_factory=dict)
    verdict: dict[str, int] = field(default_factory=dict)


def counts_from_grid(grid, grades: list[str], verdicts: list[str]) -> Counts:
    """Sum a grid of (grade, verdict, n): the total with both filters, each facet without its own."""
    counts = Counts()
    for grade, verdict, n in grid:
        grade_ok = not grades or grade in grades
        verdict_ok = not verdicts or verdict in verdicts
        if grade_ok and verdict_ok:
            counts.total += n
        if verdict_ok:
            counts.grade[grade] = counts.grade.get(grade, 0) + n
        if grade_ok:
            counts.verdict[verdict] = counts.verdict.get(verdict, 0) + n
    return counts


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _grid_queryset(filterset: ClaimFilter, text: str) -> QuerySet:
    queryset = filterset.filter_queryset(
        Claim.objects.published(), exclude={"grade", "verdict", "q", "sort"}
    )
    if text:
        queryset = search_filter(queryset, text)
    return queryset.order_by().values_list("grade", "verdict").annotate(n=Count("pk"))


def exact_counts(filterset: ClaimFilter, text: str = "") -> Counts:
    """Exact counts in one query: from claims_facettotal / claims_facetcount (PostgreSQL)
    when they can answer, else counted."""
    cleaned = filterset.form.cleaned_data
    grades, verdicts = cleaned.get("grade") or [], cleaned.get("verdict") or []
    if _postgres() and not text and not cleaned.get("source"):
        where, args = [], []
        if cleaned.get("claim_type"):
            where.append("claim_type = ANY(%s)")
            args.append(list(cleaned["claim_type"]))
        if cleaned.get("subject"):
            where.append("subject_lower = ANY(%s)")
            args.append([s.lower() for s in cleaned["subject"]])
        table = "claims_facetcount" if cleaned.get("subject") else "claims_facettotal"
        sql = f"SELECT grade, verdict, sum(n)::bigint FROM {table}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with connection.cursor() as cursor:
            cursor.execute(sql + " GROUP BY grade, verdict", args)
            grid = cursor.fetchall()
    else:
        grid = list(_grid_queryset(filterset, text))
    return counts_from_grid(grid, grades, verdicts)


def _lexeme(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _searchdoc_where(cleaned, *, with_scales: bool) -> tuple[list[str], list]:
    """The search condition, and the filters as one condition on the tags column (in the
    same GIN index as the vector, so the index finds rows that pass every filter)."""
    where = ["d.vector @@ websearch_to_tsquery('english', %s)"]
    args = [clean_text(cleaned.get("q") or "")]
    prefixes = {"claim_type": "t:", "source": "src:", "subject": "s:"}
    if with_scales:
        prefixes |= {"grade": "g:", "verdict": "v:"}
    groups = []
    for name, prefix in prefixes.items():
        values = cleaned.get(name) or []
        if name == "subject":
            values = [value.lower() for value in values]
        if values:
            groups.append("(" + " | ".join(_lexeme(f"{prefix}{v}") for v in values) + ")")
    if groups:
        where.append("d.tags @@ %s::tsquery")
        args.append(" & ".join(groups))
    return where, args


@dataclass
class SearchPage:
    counts: Counts
    ids: list[int]  # the requested page's claims, best first


def bounded_search(filterset: ClaimFilter, offset: int) -> SearchPage:
    """Rank and count a search among at most SEARCH_BOUND + 1 matches (PostgreSQL).

    One query finds the candidates (every filter applied), counts them per grade and verdict,
    and ranks them with the same ts_rank over the same vector as select_claims(), ties by
    newest id. With a grade or verdict filter, a second capped query counts the matches
    without those two filters, for the facets. Every count past the bound is a lower bound.
    """
    cleaned = filterset.form.cleaned_data
    bound = search_bound()
    where, args = _searchdoc_where(cleaned, with_scales=True)
    rank = "ts_rank(d.vector, websearch_to_tsquery('english', %s))"
    sql = f"""
        WITH cand AS MATERIALIZED (
            SELECT d.claim_id, d.grade, d.verdict, {rank} AS rank, row_number() OVER () AS found
            FROM claims_searchdoc d WHERE {" AND ".join(where)} LIMIT %s
        )
        SELECT
            (SELECT coalesce(json_agg(json_build_array(grade, verdict, n)), '[]')
             FROM (SELECT grade, verdict, count(*) AS n FROM cand GROUP BY 1, 2) grid),
            (SELECT coalesce(array_agg(claim_id ORDER BY rank DESC, claim_id DESC), '{{}}')
             FROM (SELECT claim_id, rank FROM cand WHERE found <= %s
                   ORDER BY rank DESC, claim_id DESC LIMIT %s OFFSET %s) page)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [args[0], *args, bound + 1, bound, PER_PAGE, offset])
        grid, ids = cursor.fetchone()
    return SearchPage(_bounded_counts(cleaned, grid), list(ids))


def _capped_grid(cleaned, *, with_scales: bool) -> list:
    """(grade, verdict, n) over at most SEARCH_BOUND + 1 matches of the search and filters."""
    where, args = _searchdoc_where(cleaned, with_scales=with_scales)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT grade, verdict, count(*) FROM (
                    SELECT d.grade, d.verdict FROM claims_searchdoc d
                    WHERE {" AND ".join(where)} LIMIT %s) sample
                GROUP BY 1, 2""",
            [*args, search_bound() + 1],
        )
        return cursor.fetchall()


def _bounded_counts(cleaned, grid) -> Counts:
    """Counts from a capped grid (every filter applied); past the bound they are lower
    bounds. With a grade or verdict filter, the facets come from a second capped grid
    without those two filters."""
    bound = search_bound()
    grades, verdicts = cleaned.get("grade") or [], cleaned.get("verdict") or []
    counts = counts_from_grid(grid, grades, verdicts)
    if counts.total > bound:
        counts.total, counts.total_exact, counts.exact = bound, False, False
    if grades or verdicts:
        sample = _capped_grid(cleaned, with_scales=False)
        facets = counts_from_grid(sample, grades, verdicts)
        counts.grade, counts.verdict = facets.grade, facets.verdict
        if sum(n for _, _, n in sample) > bound:
            counts.exact = False
    return counts


def bounded_search_counts(filterset: ClaimFilter) -> Counts:
    """The counts of a sorted search (PostgreSQL): as bounded_search counts, without ranking.

    The rows of a sorted search stay exact (select_claims' order); only the numbers are
    capped, so a common word does not count 100,000 matches on every page.
    """
    cleaned = filterset.form.cleaned_data
    return _bounded_counts(cleaned, _capped_grid(cleaned, with_scales=True))


def rows_in_order(ids: list[int]) -> list[Claim]:
    """The page's claims (with their source) in the order of `ids`."""
    rows = page_rows(published_claims(), searching=True).filter(pk__in=ids)
    by_pk = {claim.pk: claim for claim in rows}
    return [by_pk[pk] for pk in ids if pk in by_pk]


def _searching_on_postgres(filterset: ClaimFilter) -> bool:
    return _postgres() and bool(clean_text(filterset.form.cleaned_data.get("q") or ""))


def uses_bounded_search(filterset: ClaimFilter) -> bool:
    """Ranked by relevance among the first SEARCH_BOUND matches (see bounded_search)."""
    return _searching_on_postgres(filterset) and not filterset.form.cleaned_data.get("sort")


def uses_bounded_counts(filterset: ClaimFilter) -> bool:
    """A sorted search: exact rows, counts capped at SEARCH_BOUND (bounded_search_counts)."""
    return _searching_on_postgres(filterset) and bool(filterset.form.cleaned_data.get("sort"))


# From this many rows deep, a numbered page first picks its ids alone, then loads them.
DEEP_OFFSET = 500


def slice_rows(queryset: QuerySet, offset: int, limit: int, total: int | None) -> list[Claim]:
    """Rows `offset` to `offset + limit` of `queryset`, at any depth; `total` is its exact
    number of rows, or None when only a lower bound is known.

    OFFSET reads and throws away every row before the page. Deep down on PostgreSQL, the
    page's ids are picked first by a query on the claims table alone (an index-only scan of
    the sort's index: no source join, no row fetched), from whichever end of the selection
    is nearer (the far end only when `total` is exact), and only those rows are then loaded.
    Page 20,000 of 850,000 claims: 310 ms as one OFFSET query, about 25 ms so.
    """
    if not _postgres() or offset < DEEP_OFFSET:
        return list(queryset[offset : offset + limit])
    remaining = max(0, total - offset) if total is not None else offset
    if remaining < offset:  # nearer the end: count back from there in the reverse order
        start = max(0, remaining - limit)
        ids = queryset.reverse().values("pk")[start:remaining]
    else:
        ids = queryset.values("pk")[offset : offset + limit]
    # The outer query has no LIMIT, so the planner probes these ids by primary key.
    return list(queryset.filter(pk__in=Subquery(ids)))


def parse_page(raw: str | None) -> tuple[int, str]:
    """The page number asked for (1 if unusable) and what to tell the reader about it."""
    if raw is None or raw.strip() == "":
        return 1, ""
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit():
        return 1, f"“{raw[:40]}” is not a page number, so this is page 1."
    number = int(raw)
    if number < 1:
        return -1, "Pages start at 1, so this is the last page."
    return number, ""


def fit_page(number: int, total: int, message: str, *, exact: bool = True) -> tuple[int, str]:
    """Clamp `number` to the pages `total` rows make (-1 means the last page); `exact` False
    when `total` is the search bound, not the number of matches."""
    pages = max(1, math.ceil(total / PER_PAGE))
    if number == -1:
        return pages, message
    if number > pages:
        if not exact:
            return pages, (
                f"There is no page {number} here: pages stop at {pages}, the first {total} "
                "matches. This is the last one; add a word or a filter to narrow the search."
            )
        noun = f"{pages} page" + ("s" if pages != 1 else "")
        return pages, f"There is no page {number}: this selection has {noun}. This is the last one."
    return number, message


def _beyond_cursor(cursor_id: int, op: str) -> RawSQL:
    """The keyset condition, as one piece of SQL: created_at `op` the cursor claim's, or the
    same created_at and id `op` its id, and (redundant, so that the index scan starts at the
    cursor) created_at `op`= the cursor's. The cursor's created_at is a subquery in the same
    statement (no extra round trip).

    The same SQL Django writes for the Q objects and a Subquery, without building and
    compiling three subqueries on every page (about a millisecond).
    """
    quote = connection.ops.quote_name
    table = quote(Claim._meta.db_table)
    created, pk = f"{table}.{quote('created_at')}", f"{table}.{quote('id')}"
    at = f"(SELECT c.{quote('created_at')} FROM {table} c WHERE c.{quote('id')} = %s LIMIT 1)"
    return RawSQL(
        f"({created} {op} {at} OR ({created} = {at} AND {pk} {op} %s)) AND {created} {op}= {at}",
        [cursor_id, cursor_id, cursor_id, cursor_id],
        output_field=BooleanField(),
    )


def keyset_rows(queryset: QuerySet, *, after: int | None, before: int | None):
    """Rows of the default order (newest first) after or before the claim with id `after` /
    `before`; returns (rows, has_more_in_that_direction, cursor_found).

    The cursor claim's created_at is read by a subquery in the same statement (no extra round
    trip); only when no row comes back does a second query tell a vanished cursor from the
    end of the list.
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
    found = bool(rows) or Claim.objects.filter(pk=cursor_id).exists()
    return rows, more, found
