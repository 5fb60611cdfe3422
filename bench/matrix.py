"""The grade × verdict matrix of /claims/ at scale: target ≤ 20 ms for every selection the
benchmark's /claims/ pages make.

The matrix is the counts' grid restricted to the chosen grades and verdicts (claims/pictures.py),
so its cost is the grid's: timed here as select_claims, the one query that counts the grid (the
count tables or the claims table; on a search, the word counts or the capped grid of the
matches) and building
the matrix, for each /claims/ page of the benchmark. The page itself makes no extra query.
"""

import statistics
import time
from urllib.parse import urlsplit

from django.http import QueryDict

from claims import pictures, sidetables
from claims.filters import select_claims

TARGET_MS = 20


def matrix_of(params: QueryDict) -> pictures.Matrix:
    """The grid's query, as the page makes it, then the matrix built from it. A search page
    gets this grid in the query that ranks its rows; alone it is the word counts' (one word,
    grade and verdict filters only) or the capped grid."""
    selection = select_claims(params)
    if sidetables.postgres() and selection.text:
        grid, exact = sidetables.search_grid(selection)
        at_least = not exact
    else:
        grid, at_least = sidetables.exact_counts(selection).grid, False
    return pictures.grade_verdict_matrix(
        grid, selection.values, selection.params, at_least=at_least
    )


def measure(pages: list[dict], *, repeat: int) -> dict:
    """Median of `repeat` warm runs for each benchmark page on /claims/ (not the API's)."""
    timed = []
    for page in pages:
        url = urlsplit(page["url"])
        if url.path != "/claims/":
            continue
        params = QueryDict(url.query)
        matrix_of(params)  # warm
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            matrix = matrix_of(params)
            runs.append((time.perf_counter() - started) * 1000)
        timed.append({"name": page["name"], "median_ms": statistics.median(runs),
                      "total": matrix.total, "at_least": matrix.at_least})  # fmt: skip
    worst = max(timed, key=lambda t: t["median_ms"], default=None)
    return {"target_ms": TARGET_MS, "pages": timed, "worst": worst}


def render(result: dict | None) -> list[str]:
    """The matrix's row of the benchmark's Markdown table."""
    if not result or not result["worst"]:
        return []
    worst, n = result["worst"], len(result["pages"])
    median = statistics.median(t["median_ms"] for t in result["pages"])
    verdict = "met" if worst["median_ms"] <= TARGET_MS else "missed"
    return [
        f"| grade × verdict matrix (counts + matrix), {n} /claims/ selections | "
        f"{median:.1f} ms (worst {worst['median_ms']:.1f} ms, {worst['name']}) | — | — | 1 | "
        f"{verdict} (≤ {TARGET_MS} ms, worst) |"
    ]
