"""The growth curve: one Markdown table from the benchmark's JSON at several data set sizes.

    .venv/bin/python bench/growth.py docs/growth/1m docs/growth/2m docs/growth/5m

Each directory holds a `benchmark.json` (`make bench CLAIMS=N BENCH_OUTPUT=<dir>`). For each
figure the table gives its value at every size and how it grows from the smallest size to the
largest, as the exponent k of value ∝ N^k fitted to the two ends: **flat** (k < 0.15: constant,
or log N, which moves 12 % from 1M to 5M and hides in the noise), **sub-linear**
(0.15 ≤ k < 0.7), **N** (k ≥ 0.7). Rates (rows/s) are turned into time per row first, so
"flat" means each row costs the same. A page whose median more than doubles from the
smallest size to the largest is marked **×2+**.
"""

import json
import math
import sys
from pathlib import Path

PAGES = [
    ("list_first", "/claims/, first page"),
    ("list_deep", "/claims/, page 20,000 by cursor"),
    ("search_common", "common word (`q=kratom`), with counts"),
    ("search_rare", "rare word, with counts"),
    ("search_phrase", 'phrase (`q="hair loss"`)'),
    ("list_filtered", "two filters"),
    ("list_sorted", "sorted by grade"),
    ("list_deep_numbered", "page 20,000 by number"),
    ("search_filtered", "common word + grade filter"),
    ("search_sorted", "common word, sorted by review date"),
    ("list_rated_down", "`rated_down=` filter"),
    ("claim", "claim page"),
    ("citation", "citation page (most cited work)"),
    ("sources", "/sources/, first page"),
    ("api_list_first", "API claims, first page"),
    ("api_list_deep", "API claims, page 20,000 by cursor"),
    ("api_search_common", "API common word"),
]


def _fmt_ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def _growth(values: list[float], sizes: list[int]) -> str:
    first, last = values[0], values[-1]
    if not first or not last or sizes[-1] == sizes[0]:
        return "—"
    k = math.log(last / first) / math.log(sizes[-1] / sizes[0])
    shape = "flat" if k < 0.15 else "sub-linear" if k < 0.7 else "N"
    return f"{shape} (k = {k:.2f})"


def rows(runs: list[dict]) -> list[tuple[str, list[str], str]]:
    sizes = [run["meta"]["published_claims"] for run in runs]
    table = []

    def add(label: str, values: list[float], shown: list[str], *, page: bool = False) -> None:
        growth = _growth(values, sizes)
        if page and values[0] and values[-1] / values[0] > 2:
            growth += " **×2+**"
        table.append((label, shown, growth))

    for name, label in PAGES:
        found = [next((p for p in run["pages"] if p["name"] == name), None) for run in runs]
        if all(found):
            values = [p["median_ms"] for p in found]
            add(label, values, [_fmt_ms(v) for v in values], page=True)
    revalidations = [max(r["median_ms"] for r in run["revalidation"]) for run in runs]
    add("304, slowest of 11 URLs", revalidations, [_fmt_ms(v) for v in revalidations])
    if all(run.get("matching") for run in runs):
        matching = [run["matching"]["worst_median_ms"] for run in runs]
        add(
            "match suggestion, worst candidate", matching, [_fmt_ms(v) for v in matching], page=True
        )
    worst = [run["matrix"]["worst"]["median_ms"] for run in runs]
    add("grade × verdict table, worst selection", worst, [_fmt_ms(v) for v in worst], page=True)
    if all(run.get("served") for run in runs):
        served = [run["served"]["claim"]["median_ms"] for run in runs]
        add("claim page through gunicorn", served, [_fmt_ms(v) for v in served], page=True)
    for key, unit, label in (("export", "rows_per_s", "CSV"), ("dump", "claims_per_s", "NDJSON")):
        if all(run.get(key) for run in runs):
            rates = [run[key][unit] for run in runs]
            add(f"{label} rate", [1 / r for r in rates], [f"{r:,.0f}/s" for r in rates])
            rss = [run[key]["peak_rss_mb"] for run in runs]
            add(f"{label} peak memory", rss, [f"{m:.0f} MB" for m in rss])
    if all(run.get("sizes") for run in runs):
        mb = 1024 * 1024
        database = [run["sizes"]["database_bytes"] / mb for run in runs]
        add("database on disk", database, [f"{v:,.0f} MB" for v in database])
        for name in (
            "claims_claim",
            "claims_searchdoc",
            "claims_claimrecord",
            "claims_wordcount",
            "claims_paircount",
        ):
            found = [
                next((t for t in run["sizes"]["tables"] if t["table"] == name), None)
                for run in runs
            ]
            if all(found):
                heap = [t["table_bytes"] / mb for t in found]
                index = [t["index_bytes"] / mb for t in found]
                shown = [f"{h:,.0f} + {i:,.0f} MB" for h, i in zip(heap, index, strict=True)]
                add(
                    f"`{name}` (table + indexes)",
                    [h + i for h, i in zip(heap, index, strict=True)],
                    shown,
                )
    return table


def render(runs: list[dict]) -> str:
    heads = [
        f"{run['meta']['claims']:,} ({run['meta']['published_claims']:,} published)" for run in runs
    ]
    lines = [
        "| Figure | " + " | ".join(heads) + " | Growth |",
        "|---|" + "---:|" * len(runs) + "---|",
    ]
    for label, shown, growth in rows(runs):
        lines.append(f"| {label} | " + " | ".join(shown) + f" | {growth} |")
    loads = ", ".join(
        f"{run['meta']['claims']:,}: {run['meta']['load_average_at_start'][0]:.1f}" for run in runs
    )
    lines += ["", f"Load average at the start of each run: {loads}."]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    runs = [json.loads((Path(d) / "benchmark.json").read_text()) for d in argv]
    runs.sort(key=lambda run: run["meta"]["claims"])
    print(render(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
