"""bench/load.py's mixes: the sizing guide's pages-only load leaves the exports out."""

from bench import load


def test_the_pages_only_mix_is_the_pages_of_the_full_mix():
    assert set(load.PAGES_MIX) == set(load.MIX) - {"export"}
    assert all(load.PAGES_MIX[kind] == load.MIX[kind] for kind in load.PAGES_MIX)


def test_a_summary_reports_the_kinds_of_its_mix():
    results = [("claim", 0.010, None, "/claims/a/"), ("list", 0.020, "HTTP 500", "/claims/")]

    report = load.summarise(results, 2.0, {"clients": 1}, load.PAGES_MIX)

    assert set(report["kinds"]) == {"list", "search", "claim"}
    assert (report["requests"], report["errors"], report["requests_per_second"]) == (2, 1, 1.0)
    assert report["first_errors"] == ["/claims/: HTTP 500"]
