"""The two pictures of the public site, each a plain table a screen reader reads as one:
the grade × verdict matrix of a /claims/ selection, and a source's scorecard by verdict.

Neither makes a query. The matrix is the counts' grid (claims/sidetables.py: one row per
grade and verdict, counted with every other filter) restricted to the chosen grades and
verdicts; the scorecard counts the claims the source page already loaded. The shading is a
class per level (the strict CSP allows no style attribute), and every number is written out.
"""

import math
from dataclasses import dataclass, field

from django.http import QueryDict

from .filters import FILTERS, querystring
from .scales import Grade, Verdict

HEAT_LEVELS = 4


@dataclass
class Cell:
    count: int
    url: str  # selects exactly this grade and verdict; "" for an empty cell
    level: int  # 0 (none) to HEAT_LEVELS (the largest cell)
    words: str  # what the count is, for a link read out of its table


@dataclass
class MatrixRow:
    code: str
    label: str
    cells: list[Cell]
    total: int


@dataclass
class Matrix:
    columns: list[tuple[str, str]]  # (verdict code, label)
    rows: list[MatrixRow] = field(default_factory=list)
    column_totals: list[int] = field(default_factory=list)
    total: int = 0
    at_least: bool = False  # past the search bound: each number is a lower bound

    @property
    def shown(self) -> bool:
        return self.total > 0


def _level(count: int, largest: int) -> int:
    return math.ceil(HEAT_LEVELS * count / largest) if count else 0


def grade_verdict_matrix(
    grid, chosen: dict[str, list], params: QueryDict, *, at_least: bool = False
) -> Matrix:
    """Claims per grade (rows) and verdict (columns) of the selection: `grid` rows hold one
    code per faceted filter (grade, verdict) and a count; only the chosen grades and verdicts
    (all when none is chosen) are rows and columns. Each cell links to the same query with
    exactly its grade and verdict (search, other filters and sort kept)."""
    specs = [spec for spec in FILTERS if spec.faceted]
    where = {spec.param: i for i, spec in enumerate(specs)}
    grades = [(g.value, g.label) for g in Grade if _kept(g.value, chosen, "grade")]
    # A column's head is the verdict's name ("Unsupported", not "…: no evidence found").
    verdicts = [
        (v.value, v.label.split(":")[0]) for v in Verdict if _kept(v.value, chosen, "verdict")
    ]
    numbers: dict[tuple[str, str], int] = {}
    for row in grid:
        key = (row[where["grade"]], row[where["verdict"]])
        numbers[key] = numbers.get(key, 0) + row[-1]
    largest = max((numbers.get((g, v), 0) for g, _ in grades for v, _ in verdicts), default=0)
    matrix = Matrix(columns=verdicts, at_least=at_least)
    for grade, grade_label in grades:
        cells = []
        for verdict, _ in verdicts:
            n = numbers.get((grade, verdict), 0)
            url = querystring(params, grade=[grade], verdict=[verdict]) if n else ""
            words = f"claims graded {grade_label.lower()}, {Verdict(verdict).label.lower()}"
            cells.append(Cell(n, url, _level(n, largest), words))
        matrix.rows.append(MatrixRow(grade, grade_label, cells, sum(c.count for c in cells)))
    matrix.column_totals = [
        sum(row.cells[i].count for row in matrix.rows) for i in range(len(verdicts))
    ]
    matrix.total = sum(matrix.column_totals)
    return matrix


def _kept(code: str, chosen: dict[str, list], name: str) -> bool:
    """A code a published claim can have (the facets' choices), and chosen if any are."""
    codes = FACET_CODES[name]
    return code in codes and (not chosen.get(name) or code in chosen[name])


FACET_CODES = {spec.param: {code for code, _ in spec.choices} for spec in FILTERS if spec.faceted}


# --- a source's scorecard ------------------------------------------------------------------

BAR_UNITS = 100  # at most this many pieces in the bar (one a claim when fewer claims)


@dataclass
class Share:
    verdict: Verdict
    count: int
    units: range  # the bar's pieces of this verdict (a range, for the template's loop)
    url: str  # the source's claims with this verdict, on /claims/
    percent: int


@dataclass
class Scorecard:
    total: int
    shares: list[Share]

    @property
    def sentence(self) -> str:
        """ "Of 20 claims in this text: 6 supported, 7 partly supported, …" (no verdict left out
        that has claims; none named that has none)."""
        parts = [
            f"{share.count} {share.verdict.label.split(':')[0].lower()}" for share in self.shares
        ]
        noun = "claim" if self.total == 1 else "claims"
        return f"Of {self.total} {noun} in this text: {', '.join(parts)}."


def scorecard(claims, list_url: str) -> Scorecard:
    """The published claims a text makes, by verdict in the scale's order, with the bar's
    pieces: one a claim, or BAR_UNITS shared out by largest remainder, each verdict at least
    one. Reads `claim.verdict` of each (distinct) claim."""
    counts = dict.fromkeys(Verdict, 0)
    for claim in claims:
        counts[Verdict(claim.verdict)] += 1
    present = [(verdict, n) for verdict, n in counts.items() if n]
    total = sum(n for _, n in present)
    units = _units([n for _, n in present], min(total, BAR_UNITS))
    shares = []
    for (verdict, n), k in zip(present, units, strict=True):
        url = f"{list_url}&verdict={verdict.value}"
        shares.append(Share(verdict, n, range(k), url, round(100 * n / total)))
    return Scorecard(total, shares)


def _units(counts: list[int], pieces: int) -> list[int]:
    """`pieces` shared out in proportion to `counts` (largest remainder), each at least one."""
    total = sum(counts)
    if not total:
        return []
    exact = [pieces * n / total for n in counts]
    units = [max(1, math.floor(x)) for x in exact]
    by_remainder = sorted(range(len(counts)), key=lambda i: exact[i] - math.floor(exact[i]))
    while sum(units) < pieces:
        units[by_remainder.pop()] += 1
    while sum(units) > pieces:  # the pieces given to tiny shares come off the largest
        units[units.index(max(units))] -= 1
    return units
