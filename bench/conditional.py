"""The benchmark's revalidations (issue 20): a conditional GET that sends the ETag a page gave
answers 304 in ≤ 5 ms at 1M claims, for any page: a search, a claim page, the API's list and
claim document, and the CSV and NDJSON exports (whose 304 must not start the export).

claims.caching decides the ETag before the view, from one read of the data version, so the
time is the middleware stack and that read, whatever the page would cost."""

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.measure import summary

TARGET_MS = 5
# The measured pages whose revalidation is timed too (by name; see benchmark._pages).
REVALIDATED = (
    "list_first",
    "list_deep",
    "search_common",
    "search_filtered",
    "claim",
    "sources",
    "api_list_first",
    "api_search_common",
    "api_claim",
)


def targets(pages: list[dict]) -> list[dict]:
    """The revalidated pages, then the two exports."""
    chosen = [
        {"name": f"304_{page['name']}", "url": page["url"], "label": f"304 of {page['label']}"}
        for page in pages
        if page["name"] in REVALIDATED
    ]
    return [
        *chosen,
        {"name": "304_csv", "url": reverse("claims:claim-export"),
         "label": "304 of /claims/export.csv (the export not started)"},
        {"name": "304_ndjson", "url": reverse("api:claims-ndjson"),
         "label": "304 of /api/v1/claims.ndjson (the dump not started)"},
    ]  # fmt: skip


def measure(client, pages: list[dict], repeat: int, warmup: int) -> list[dict]:
    results = []
    for target in targets(pages):
        result = {**target, "target_ms": TARGET_MS, "error": None}
        try:
            first = client.get(target["url"])  # an export's body is never read: not started
            first.close()
            etag = first.get("ETag")
            if not etag:
                raise AssertionError(f"HTTP {first.status_code} without an ETag")
            for _ in range(warmup):
                client.get(target["url"], HTTP_IF_NONE_MATCH=etag)
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(target["url"], HTTP_IF_NONE_MATCH=etag)
                times.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as captured:
                client.get(target["url"], HTTP_IF_NONE_MATCH=etag)
            result.update(summary(times, "ms"), status=response.status_code)
            result["queries"] = len(captured.captured_queries)
            if response.status_code != 304:
                result["error"] = f"HTTP {response.status_code}, not 304"
        except Exception as exc:  # a broken page is a result to report, not a reason to stop
            result["error"] = f"{type(exc).__name__}: {exc}"
        results.append(result)
    return results


def render(results: list[dict] | None) -> list[str]:
    """The revalidations' rows of the benchmark's Markdown table."""
    lines = []
    for result in results or []:
        if "median_ms" not in result or result["error"]:
            lines.append(f"| {result['label']} | — | — | — | — | error: {result['error']} |")
            continue
        median = result["median_ms"]
        outcome = (
            f"met (≤ {TARGET_MS} ms)"
            if median <= TARGET_MS
            else f"missed by {median - TARGET_MS:.1f} ms"
        )
        lines.append(
            f"| {result['label']} | {median:.2f} ms | {result['min_ms']:.2f}–"
            f"{result['max_ms']:.2f} ms | — | {result['queries']} | {outcome} |"
        )
    return lines
