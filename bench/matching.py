"""Time one match suggestion (claims.matching.suggest_matches) at scale: target ≤ 50 ms.

Candidates spread over the id range (the generator's statements repeat, like copied
marketing claims: common subjects meet thousands of look-alikes). Each is timed warm, with
its query count and the database's own time for the one query (EXPLAIN ANALYZE).
"""

import json
import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.matching import suggest_matches
from claims.models import Claim
from claims.scales import Status

TARGET_MS = 50


def measure(*, samples: int = 20, repeat: int = 7) -> dict:
    candidates = Claim.objects.filter(status=Status.CANDIDATE).order_by("pk")
    total = candidates.count()
    step = max(1, total // max(1, samples))
    ids = list(candidates.values_list("pk", flat=True)[: step * samples : step])
    per_claim, medians = [], []
    for pk in ids:
        claim = Claim.objects.get(pk=pk)
        suggest_matches(claim)  # warm
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            found = suggest_matches(claim)
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as captured:
            suggest_matches(claim)
        medians.append(statistics.median(times))
        per_claim.append(
            {
                "claim_id": pk,
                "statement": claim.statement,
                "median_ms": medians[-1],
                "max_ms": max(times),
                "queries": len(captured.captured_queries),
                "suggestions": len(found),
                "db_ms": _db_ms(captured.captured_queries),
            }
        )
    worst = max(medians) if medians else None
    return {
        "label": "match suggestion for one candidate (suggest_matches)",
        "target_ms": TARGET_MS,
        "candidates_timed": len(ids),
        "median_ms": statistics.median(medians) if medians else None,
        "worst_median_ms": worst,
        "met": worst is not None and worst <= TARGET_MS,
        "claims": per_claim,
    }


def _db_ms(queries) -> float | None:
    if connection.vendor != "postgresql":
        return None
    total = 0.0
    for query in queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        total += plan[0]["Execution Time"]
    return total
