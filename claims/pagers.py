"""The page links under a list: numbered (`?page=N`) or Newer/Older by keyset cursor, and what
to tell a reader whose page number could not be honoured or whose search the pages do not
wholly reach."""

import math
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.http import QueryDict
from django.utils.functional import cached_property

from .filters import querystring

PER_PAGE = 25


@dataclass
class Pager:
    """The page links under the table: numbered (by ?page=) or Newer/Older (by keyset)."""

    number: int | None = None  # None when reached by a keyset cursor: position unknown
    num_pages: int | None = None
    first_url: str = ""
    previous_url: str = ""
    next_url: str = ""
    links: list = field(default_factory=list)  # (page number or None for a gap, url)

    @property
    def shown(self) -> bool:
        return bool(self.previous_url or self.next_url or len(self.links) > 1)


def num_pages(total: int) -> int:
    return max(1, math.ceil(total / PER_PAGE))


def _page_url(params: QueryDict, number: int) -> str:
    return querystring(params, page=[str(number)])


def numbered_pager(params: QueryDict, number: int, num_pages: int) -> Pager:
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


def keyset_pager(params: QueryDict, rows, more, after, before) -> Pager:
    """Newer/Older links around a page reached by cursor; `more` is None on the first page."""

    def cursor(key: str, pk: int) -> str:
        return querystring(params, **{key: [str(pk)]})

    pager = Pager(first_url=querystring(params))
    if more is None:  # fell back to the first page
        pager.number = 1
        if len(rows) > PER_PAGE:
            last = str(rows[PER_PAGE - 1].pk)
            pager.next_url = querystring(params, after=[last], n=["2"])
        return pager
    shown = rows[:PER_PAGE]
    if not shown:
        pager.previous_url = cursor("before", after)
        return pager
    if after is not None:
        pager.previous_url = cursor("before", shown[0].pk)
        if more:
            pager.next_url = cursor("after", shown[-1].pk)
    else:
        pager.next_url = cursor("after", shown[-1].pk)
        if more:
            pager.previous_url = cursor("before", shown[0].pk)
    return pager


def parse_page(raw: str | None) -> tuple[int, str]:
    """The page number asked for (1 if unusable, -1 for the last) and what to tell the reader."""
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
    pages = num_pages(total)
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


def all_reached(counts) -> bool:
    """Whether the pages reach every row `counts` (sidetables.Counts) counts: not so past a
    search's bound."""
    return counts.total_exact and counts.reachable == counts.total


def bound_notes(counts, *, sort: bool) -> list[str]:
    """What a page over the search bound holds, and what it leaves out."""
    if all_reached(counts):
        return []
    bound = counts.reachable
    # Counted exactly (one word or a two-word phrase), or counting stopped at the bound too.
    first = f"the first {bound} of the {counts.total} matches" if counts.total_exact else None
    if sort:
        stops = (
            f"its pages go no further than {first}, in order"
            if first
            else f"it stops counting at {bound} matches: the rows are in order, but the pages "
            f"go no further than the first {bound}"
        )
        return [
            f"So that this page stays fast, {stops}. Add a word or a filter to narrow the "
            "search. The CSV download holds every match, in this order."
        ]
    return [
        f"So that this page stays fast, it looks at {first or f'the first {bound} matches'} "
        "it finds and shows the best of those, best first: a strong match beyond them can be "
        "missing. Add a word or a filter to narrow the search. The CSV download holds every "
        "match, ranked."
    ]


# (database, data version, query) → its count; a few entries, cleared when it grows.
_counts: dict[tuple, int] = {}
_COUNTS_KEPT = 64


def forget_counts() -> None:
    _counts.clear()


class CountedPerVersionPaginator(Paginator):
    """A paginator that counts its query once per data version in this process.

    The set of texts with a published claim changes only when the data does, and counting it
    means probing every text (a cost that grows with the texts: 170 ms at 5M claims for
    /sources/), so the count is kept under the data version the request's ETag carries
    (`version`, from claims.caching; None: count every time)."""

    def __init__(self, object_list, per_page, *, version=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.version = version

    @cached_property
    def count(self) -> int:
        if self.version is None:
            return super().count
        query = self.object_list
        key = (query.db, self.version, str(query.query))
        if key not in _counts:
            if len(_counts) >= _COUNTS_KEPT:
                _counts.clear()
            _counts[key] = super().count
        return _counts[key]
