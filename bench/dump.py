"""The NDJSON dump at scale: `export_claims_report --format ndjson` writing every published
claim to a file, as a subprocess (launched like the CSV export, so its peak RSS is its own),
with the claims/s and peak RSS against the targets (docs/performance.md)."""

import json
import os
import statistics
import subprocess  # nosec B404 # runs fixed commands only
import sys
import tempfile
from pathlib import Path

from django.conf import settings

from bench.measure import EXPORT_LAUNCHER, database_url, summary

TARGET_CLAIMS_PER_S = 100_000
TARGET_RSS_MB = 100


def measure(runs: int, published: int, directory: Path) -> dict:
    """`runs` full dumps into a file under `directory` (removed after each run)."""
    directory.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": database_url()}
    times, rss, size, error = [], [], 0, None
    for _ in range(runs):
        with tempfile.TemporaryDirectory(dir=directory) as scratch:
            target = Path(scratch) / "claims.ndjson"
            command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"),
                       "export_claims_report", "--format", "ndjson", "-o", str(target)]  # fmt: skip
            done = subprocess.run(  # nosec B603 # fixed command, no shell
                [sys.executable, "-c", EXPORT_LAUNCHER, *command],
                capture_output=True,
                env=env,
                check=False,
            )
            if done.returncode != 0:
                tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
                error = f"exit {done.returncode}: " + " / ".join(tail)
                break
            size = target.stat().st_size
        measured = json.loads(done.stdout)
        times.append(measured["seconds"])
        rss.append(measured["maxrss_kib"] / 1024)
    result = {"command": "export_claims_report --format ndjson -o FILE", "claims": published,
              "bytes": size, "error": error}  # fmt: skip
    if times:
        median = statistics.median(times)
        result.update(summary(times, "s"))
        result["claims_per_s"] = published / median if median else None
        result["peak_rss_mb"] = max(rss)
        result["rss_mb_runs"] = rss
    return result


def render(dump: dict | None) -> list[str]:
    """The dump's row of the benchmark's Markdown table."""
    if not dump:
        return []
    label = "NDJSON dump (`export_claims_report --format ndjson`)"
    if dump.get("error") or "median_s" not in dump:
        return [f"| {label} | — | — | — | — | error: {dump.get('error')} |"]
    rate, rss = dump["claims_per_s"], dump["peak_rss_mb"]
    rate_ok = (
        "met" if rate >= TARGET_CLAIMS_PER_S else f"missed by {TARGET_CLAIMS_PER_S - rate:,.0f}"
    )
    rss_ok = "met" if rss <= TARGET_RSS_MB else f"missed by {rss - TARGET_RSS_MB:.0f} MB"
    return [
        f"| {label}, {dump['claims']:,} claims, {dump['bytes'] / 1e6:,.0f} MB to a file | "
        f"{dump['median_s']:.2f} s = {rate:,.0f} claims/s, peak RSS {rss:.0f} MB | "
        f"{dump['min_s']:.2f}–{dump['max_s']:.2f} s | — | — | "
        f"≥ {TARGET_CLAIMS_PER_S:,} claims/s: {rate_ok}; ≤ {TARGET_RSS_MB} MB: {rss_ok} |"
    ]
