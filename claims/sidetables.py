"""The counts of a /claims/ selection, and the bounded search, from the PostgreSQL side tables.

Migration 0004 keeps three tables exact by triggers on every write to the claims:
`claims_searchdoc` (one narrow row per published claim: its search vector, the filtered
columns, and every filter value as a lexeme in `tags`), `claims_facetcount` (published claims
per subject, grade, verdict and claim type) and `claims_facettotal` (the same, summed over
subjects); migration 0020 adds `claims_rateddowncount` (the same per subject, with the GRADE
domains rated down, for the claims rated down at all), migration 0024 `claims_wordcount` (the
published claims per lexeme, grade and verdict). Each filter says how it reads in them
(claims/filters.py, `ListFilter.side`).

Counts (the total, and a count per code of each faceted filter, grade and verdict) come from
one grid of counts per (grade, verdict), computed with every other filter; each number is a sum
over the grid. Where to get the grid:

- PostgreSQL, no search: the count tables, when every active filter has a count column; else
  the claims table (a source filter makes the selection small).
- PostgreSQL, a search for one word filtered by nothing but grade and verdict: the word
  counts, exactly (the pages still reach only the first `search_bound()` matches).
- PostgreSQL, any other search: at most `search_bound() + 1` matches of the search table (see
  `bounded_search`); past the bound each number is a lower bound.
- SQLite: the claims table, exactly.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections
from django.db.models import Count

from . import filters as registry
from .filters import Selection, published_claims
from .routing import read_database
from .search import search_filter


def search_bound() -> int:
    """How many matches a search page looks at (setting CLAIMS_SEARCH_BOUND)."""
    return settings.CLAIMS_SEARCH_BOUND


def postgres() -> bool:
    return connection.vendor == "postgresql"


def faceted() -> list[registry.ListFilter]:
    return [spec for spec in registry.FILTERS if spec.faceted]


@dataclass
class Counts:
    """The total and the per-code counts of each faceted filter (`facets[param][code]`).

    `exact` False: the numbers are lower bounds (more than the search bound match). `total_exact`
    False: `total` is the bound itself.
    """

    total: int = 0
    exact: bool = True
    total_exact: bool = True
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # The rows summed: (grade, verdict, n), counted with every filter but those two (with
    # them too on a search page, whose grid is capped at the bound). The matrix reads it.
    grid: list = field(default_factory=list)
    # How many of the rows the pages reach, when fewer than `total`: a search counted
    # exactly (one word) still ranks or pages through only its first `search_bound()`.
    reach: int | None = None

    @property
    def reachable(self) -> int:
        return self.total if self.reach is None else min(self.total, self.reach)


def counts_from_grid(grid, chosen: dict[str, list]) -> Counts:
    """Sum a grid of rows (one code per faceted filter, then n): the total with every filter,
    each facet's counts with every filter but its own."""
    specs = faceted()
    grid = list(grid)
    counts = Counts(facets={spec.param: {} for spec in specs}, grid=grid)
    for *codes, n in grid:
        passes = [
            not chosen.get(s.param) or c in chosen[s.param]
            for s, c in zip(specs, codes, strict=True)
        ]
        if all(passes):
            counts.total += n
        for i, (spec, code) in enumerate(zip(specs, codes, strict=True)):
            if all(passes[:i] + passes[i + 1 :]):
                facet = counts.facets[spec.param]
                facet[code] = facet.get(code, 0) + n
    return counts


def _missing_side_form(spec: registry.ListFilter) -> None:
    if spec.side is None:
        raise LookupError(f"filter {spec.param!r} has no side-table form (claims/filters.py)")


def _claims_grid(selection: Selection) -> list:
    """The grid counted on the claims table: every filter but the faceted ones, and the search."""
    queryset = published_claims()
    for spec in selection.active:
        if not spec.faceted:
            queryset = spec.narrow(queryset, selection.values[spec.param])
    queryset = search_filter(queryset, selection.text)
    columns = [spec.field for spec in faceted()]
    return list(queryset.order_by().values_list(*columns).annotate(n=Count("pk")))


# The columns of claims_facettotal: a selection filtered on nothing else can read it.
FACETTOTAL_COLUMNS = {"grade", "verdict", "claim_type"}


def _count_table_grid(selection: Selection) -> list | None:
    """The grid from the count tables, or None when an active filter has no count column (or
    two filters need different count tables)."""
    where, args, tables = [], [], set()
    for spec in selection.active:
        _missing_side_form(spec)
        if spec.faceted:
            continue
        side = spec.side
        if side.count_column is registry.COUNT_CLAIMS:
            return None
        values = selection.values[spec.param]
        if side.bits:
            codes = [code for code, _ in spec.choices]
            where.append(f"{side.count_column} & %s <> 0")
            args.append(sum(1 << codes.index(value) for value in set(values)))
        else:
            where.append(f"{side.count_column} = ANY(%s)")
            args.append([spec.side_value(v) for v in values])
        if side.count_table:
            tables.add(side.count_table)
    if len(tables) > 1:
        return None
    used = {spec.side.count_column for spec in selection.active}
    if tables:
        table = tables.pop()
    else:
        table = "claims_facettotal" if used <= FACETTOTAL_COLUMNS else "claims_facetcount"
    columns = ", ".join(_faceted_columns())
    sql = f"SELECT {columns}, sum(n)::bigint FROM {table}"  # nosec B608 # fixed names
    if where:
        sql += " WHERE " + " AND ".join(where)
    with connections[read_database()].cursor() as cursor:
        cursor.execute(f"{sql} GROUP BY {columns}", args)
        return cursor.fetchall()


def exact_counts(selection: Selection) -> Counts:
    """Exact counts in one query (no search on PostgreSQL, anything on SQLite)."""
    grid = None
    if postgres() and not selection.text:
        grid = _count_table_grid(selection)
    if grid is None:
        grid = _claims_grid(selection)
    return counts_from_grid(grid, selection.values)


# --- the bounded search (PostgreSQL) --------------------------------------------------------


def _lexeme(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _searchdoc_where(selection: Selection, *, with_faceted: bool) -> tuple[list[str], list]:
    """The search condition, and the filters as one condition on the tags column (in the same
    GIN index as the vector, so the index finds the rows that pass every filter)."""
    where = ["d.vector @@ websearch_to_tsquery('english', %s)"]
    args = [selection.text]
    groups = []
    for spec in selection.active:
        _missing_side_form(spec)
        if spec.faceted and not with_faceted:
            continue
        values = selection.values[spec.param]
        lexemes = (_lexeme(spec.side.tag + spec.side_value(v)) for v in values)
        groups.append("(" + " | ".join(lexemes) + ")")
    if groups:
        where.append("d.tags @@ %s::tsquery")
        args.append(" & ".join(groups))
    return where, args


def _faceted_columns() -> list[str]:
    """The faceted filters' columns, named alike in claims_searchdoc and the count tables."""
    return [spec.side.count_column for spec in faceted()]


@dataclass
class SearchPage:
    counts: Counts
    ids: list[int]  # the requested page's claims, best first


def bounded_search(selection: Selection, *, offset: int, limit: int) -> SearchPage:
    """Rank and count a search among at most `search_bound() + 1` matches.

    One query finds the candidates (every filter applied), counts them per grade and verdict,
    and ranks them with the same ts_rank over the same vector as select_claims(), ties by
    newest id. A one-word search the word counts serve (`_word_grid`) is counted exactly, in
    the same query. Otherwise, with a faceted filter chosen, a second capped query counts the
    matches without the faceted filters, for the facets; every count past the bound is a
    lower bound.
    """
    where, args = _searchdoc_where(selection, with_faceted=True)
    columns = ", ".join(_faceted_columns())
    rank = "ts_rank(d.vector, websearch_to_tsquery('english', %s))"
    words, word_args = (
        _word_grid_sql(selection) if _may_be_word_or_pair(selection) else ("SELECT NULL::json", [])
    )
    sql = f"""
        WITH cand AS MATERIALIZED (
            SELECT d.claim_id, {", ".join(f"d.{c}" for c in _faceted_columns())},
                   {rank} AS rank, row_number() OVER () AS found
            FROM claims_searchdoc d WHERE {" AND ".join(where)} LIMIT %s
        )
        SELECT
            (SELECT coalesce(json_agg(json_build_array({columns}, n)), '[]')
             FROM (SELECT {columns}, count(*) AS n FROM cand GROUP BY {columns}) grid),
            (SELECT coalesce(array_agg(claim_id ORDER BY rank DESC, claim_id DESC), '{{}}')
             FROM (SELECT claim_id, rank FROM cand WHERE found <= %s
                   ORDER BY rank DESC, claim_id DESC LIMIT %s OFFSET %s) page),
            ({words})
    """  # nosec B608 # model names; values bound
    bound = search_bound()
    with connections[read_database()].cursor() as cursor:
        cursor.execute(sql, [selection.text, *args, bound + 1, bound, limit, offset, *word_args])
        grid, ids, exact_grid = cursor.fetchone()
    if exact_grid is not None:
        return SearchPage(_word_counts(selection, exact_grid), list(ids))
    return SearchPage(_bounded_counts(selection, grid), list(ids))


def _capped_grid(selection: Selection, *, with_faceted: bool) -> list:
    """The grid over at most `search_bound() + 1` matches of the search and filters."""
    where, args = _searchdoc_where(selection, with_faceted=with_faceted)
    columns = ", ".join(_faceted_columns())
    with connections[read_database()].cursor() as cursor:
        cursor.execute(
            f"""SELECT {columns}, count(*) FROM (
                    SELECT {columns} FROM claims_searchdoc d
                    WHERE {" AND ".join(where)} LIMIT %s) sample
                GROUP BY {columns}""",  # nosec B608 # model names; values bound
            [*args, search_bound() + 1],
        )
        return cursor.fetchall()


def _bounded_counts(selection: Selection, grid) -> Counts:
    bound = search_bound()
    counts = counts_from_grid(grid, selection.values)
    if counts.total > bound:
        counts.total, counts.total_exact, counts.exact = bound, False, False
    if any(spec.faceted for spec in selection.active):
        sample = _capped_grid(selection, with_faceted=False)
        counts.facets = counts_from_grid(sample, selection.values).facets
        if sum(row[-1] for row in sample) > bound:
            counts.exact = False
    return counts


def search_grid(selection: Selection) -> tuple[list, bool]:
    """The grid of a search and every filter (the rows a search page's matrix shows; the
    page gets them with its ranked ids), and whether it is exact: from the word counts where
    they serve, else over at most `search_bound() + 1` matches."""
    grid = _word_grid(selection)
    if grid is not None:
        return grid, True
    grid = _capped_grid(selection, with_faceted=True)
    return grid, sum(row[-1] for row in grid) <= search_bound()


def bounded_counts(selection: Selection) -> Counts:
    """The counts of a sorted search: as bounded_search counts, without ranking.

    The rows of a sorted search stay exact (select_claims' order); the numbers are exact for
    a word the word counts serve and capped otherwise, so a common word does not count
    100,000 matches on every page. The pages reach the first `search_bound()` rows either
    way: a deeper OFFSET would walk the sort index through every match before it.
    """
    grid = _word_grid(selection)
    if grid is not None:
        return _word_counts(selection, grid)
    return _bounded_counts(selection, _capped_grid(selection, with_faceted=True))


# --- one word or a two-word phrase: the word and pair counts (migrations 0024, 0025) --------


def _may_be_word_or_pair(selection: Selection) -> bool:
    """A search of one token, or of two (a quoted pair), narrowed by nothing but the faceted
    filters (grade, verdict): what the word and pair counts can serve, if the search parses
    to one lexeme or to two side by side."""
    return len(selection.text.split()) <= 2 and all(spec.faceted for spec in selection.active)


def _word_grid_sql(selection: Selection) -> tuple[str, list]:
    """SQL for the exact grid of a search that `_may_be_word_or_pair`: a JSON array of rows from
    claims_wordcount or claims_paircount, or NULL when the search is neither one lexeme nor
    two side by side (a hyphenated word, an operator, a stop word between two words, two
    words not in quotes)."""
    columns = ", ".join(f"w.{c}" for c in _faceted_columns())

    def grid(table: str, where: str) -> str:
        rows = f"json_agg(json_build_array({columns}, w.n))"
        return f"(SELECT coalesce({rows}, '[]') FROM {table} w WHERE {where} AND w.n > 0)"  # nosec B608 # model names

    def lexeme(query: str) -> str:
        # A one-lexeme tsquery prints as the quoted lexeme, which reads back as a tsvector.
        return f"(tsvector_to_array({query}::text::tsvector))[1]"

    one = grid("claims_wordcount", f"w.lexeme = {lexeme('q')}")
    two = grid("claims_paircount", f"w.first = {lexeme('a')} AND w.second = {lexeme('b')}")
    # Each token parsed alone; the search is the pair when it parses to exactly their phrase.
    first, _, second = selection.text.strip().partition(" ")
    return (
        f"""SELECT CASE WHEN numnode(q) = 1 THEN {one}
                        WHEN numnode(a) = 1 AND numnode(b) = 1 AND q = tsquery_phrase(a, b)
                        THEN {two} END
            FROM websearch_to_tsquery('english', %s) q, websearch_to_tsquery('english', %s) a,
                 websearch_to_tsquery('english', %s) b""",  # nosec B608 # model names
        [selection.text, first, second.strip()],
    )


def _word_grid(selection: Selection) -> list | None:
    """The exact grid of a one-word or two-word-phrase search (see `_word_grid_sql`), or
    None."""
    if not _may_be_word_or_pair(selection):
        return None
    sql, args = _word_grid_sql(selection)
    with connections[read_database()].cursor() as cursor:
        cursor.execute(sql, args)
        return cursor.fetchone()[0]


def _word_counts(selection: Selection, grid) -> Counts:
    """Exact counts from the word grid; the pages still reach only the first matches."""
    counts = counts_from_grid(grid, selection.values)
    if counts.total > search_bound():
        counts.reach = search_bound()
    return counts
