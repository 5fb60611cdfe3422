"""bench/growth.py: the growth curve's table from the benchmark's JSON at several sizes."""

import json

from bench import growth


def run(claims: int, *, page_ms: float, search_ms: float, rows_per_s: float) -> dict:
    pages = [
        {"name": "list_first", "median_ms": page_ms},
        {"name": "search_common", "median_ms": search_ms},
    ]
    return {
        "meta": {"claims": claims, "published_claims": claims, "load_average_at_start": [0.5]},
        "pages": pages,
        "revalidation": [{"median_ms": 0.2}, {"median_ms": 0.3}],
        "matrix": {"worst": {"median_ms": 2.0}},
        "export": {"rows_per_s": rows_per_s, "peak_rss_mb": 66},
        "dump": {"claims_per_s": rows_per_s, "peak_rss_mb": 69},
        "sizes": {
            "database_bytes": claims * 6000,
            "tables": [{"table": "claims_claim", "table_bytes": claims * 700, "index_bytes": 0}],
        },
    }


def test_each_figure_says_how_it_grows(tmp_path):
    sizes = {"1m": 1_000_000, "5m": 5_000_000}
    for name, n in sizes.items():
        (tmp_path / name).mkdir()
        grows = n / 1_000_000
        (tmp_path / name / "benchmark.json").write_text(
            json.dumps(run(n, page_ms=8.0, search_ms=40 * grows, rows_per_s=150_000))
        )

    table = {
        label: (shown, how)
        for label, shown, how in growth.rows(
            [json.loads((tmp_path / d / "benchmark.json").read_text()) for d in sizes]
        )
    }

    assert table["/claims/, first page"] == (["8.00 ms", "8.00 ms"], "flat (k = 0.00)")
    assert table["common word (`q=kratom`), with counts"] == (
        ["40.0 ms", "200.0 ms"], "N (k = 1.00) **×2+**",
    )  # fmt: skip
    assert table["CSV rate"] == (["150,000/s", "150,000/s"], "flat (k = 0.00)")
    assert table["database on disk"][1] == "N (k = 1.00)"
    assert table["`claims_claim` (table + indexes)"] == (
        ["668 + 0 MB", "3,338 + 0 MB"],
        "N (k = 1.00)",
    )
    assert table["304, slowest of 11 URLs"][0] == ["0.30 ms", "0.30 ms"]


def test_the_command_prints_one_table_smallest_first(tmp_path, capsys):
    for name, n in {"b": 2_000_000, "a": 1_000_000}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "benchmark.json").write_text(
            json.dumps(run(n, page_ms=8.0, search_ms=40, rows_per_s=1))
        )

    assert growth.main([str(tmp_path / "b"), str(tmp_path / "a")]) == 0

    out = capsys.readouterr().out
    assert out.index("1,000,000 (1,000,000 published)") < out.index("2,000,000 (2,000")
    assert "Load average at the start of each run: 1,000,000: 0.5, 2,000,000: 0.5." in out
