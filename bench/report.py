"""The benchmark's Markdown table: each median against the product's targets (docs/performance.md)."""

from bench import conditional, dump, matrix, peer, sizes

TARGET_ROWS_PER_S = 150_000
TARGET_RSS_MB = 100


def _verdict_ms(median, target):
    if target is None:
        return "no target"
    if median <= target:
        return f"met (≤ {target} ms)"
    return f"missed by {median - target:.1f} ms ({median / target:.1f}× the {target} ms target)"


def render_markdown(result):
    meta = result["meta"]
    lines = [
        f"Benchmark of {meta['published_claims']:,} published of {meta['claims']:,} synthetic "
        f"claims, PostgreSQL {meta['postgresql']}, {meta['machine']}, {meta['date']}; "
        f"medians of {meta['repeat']} warm runs (min–max); load average "
        f"{meta['load_average_at_start'][0]:.1f} at start. Command: `{meta['command']}`.",
        "",
        "| Measurement | Median | Min–max | SQL floor | Queries | Target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for page in result["pages"]:
        if "median_ms" not in page:
            lines.append(f"| {page['label']} | — | — | — | — | error: {page['error']} |")
            continue
        floor = f"{page['floor_ms']:.1f} ms" if page.get("floor_ms") is not None else "—"
        outcome = (
            f"error: {page['error']}"
            if page["error"]
            else _verdict_ms(page["median_ms"], page["target_ms"])
        )
        lines.append(
            f"| {page['label']} | {page['median_ms']:.1f} ms | {page['min_ms']:.1f}–"
            f"{page['max_ms']:.1f} ms | {floor} | {page.get('queries', '—')} | {outcome} |"
        )
    lines += conditional.render(result.get("revalidation"))
    copy, export = result.get("copy"), result.get("export")
    if copy:
        lines.append(
            f"| COPY (…) TO STDOUT, same columns (floor) | {copy['median_s']:.2f} s | "
            f"{copy['min_s']:.2f}–{copy['max_s']:.2f} s | {copy['rows_per_s']:,.0f} rows/s | 1 | "
            "— |"
        )
    if export:
        if export.get("error") or "median_s" not in export:
            lines.append(f"| CSV export (`export_claims_report`) | — | — | — | — | error: "
                         f"{export.get('error')} |")  # fmt: skip
        else:
            rate, rss = export["rows_per_s"], export["peak_rss_mb"]
            rate_ok = (
                "met"
                if rate >= TARGET_ROWS_PER_S
                else f"missed by {TARGET_ROWS_PER_S - rate:,.0f} rows/s"
            )
            rss_ok = "met" if rss <= TARGET_RSS_MB else f"missed by {rss - TARGET_RSS_MB:.0f} MB"
            lines.append(
                f"| CSV export (`export_claims_report`), {export['rows']:,} rows | "
                f"{export['median_s']:.2f} s = {rate:,.0f} rows/s, peak RSS {rss:.0f} MB | "
                f"{export['min_s']:.2f}–{export['max_s']:.2f} s | — | — | "
                f"≥ 150,000 rows/s: {rate_ok}; ≤ 100 MB: {rss_ok} |"
            )
    if (match := result.get("matching")) and match.get("median_ms") is not None:
        worst = match["worst_median_ms"]
        lines.append(
            f"| {match['label']}, {match['candidates_timed']} candidates | "
            f"{match['median_ms']:.1f} ms (worst {worst:.1f} ms) | — | — | 1 | "
            f"{_verdict_ms(worst, match['target_ms'])} (worst) |"
        )
    lines += matrix.render(result.get("matrix"))
    lines += dump.render(result.get("dump"))
    lines += peer.render(result.get("served"), result.get("peer"))
    lines += sizes.render(result.get("sizes"))
    lines.append("")
    return "\n".join(lines)
