"""The claim page as a reader's browser meets it (through gunicorn), and beside its peer.

`served_pages()` times pages through the documented deployment (bench/served.py): the claim
page against its ≤ 2 ms target, with /methodology/ (a page that reads nothing) as the floor of
gunicorn and the middleware on this machine.

`datasette_comparison()` puts the same claim beside Datasette's row page: Datasette 0.65.5
serving a SQLite copy of the product's own CSV export (`sqlite-utils insert --csv`),
immutable (`-i`, its read-only production mode). The two are requested in turn on kept-alive
connections (bench/served.py `timed_gets`), so a busy moment of the machine falls on both;
three runs of 41, and the ratio of medians per run. Needs `datasette` and `sqlite-utils`
executables (`make bench-peer` installs them in .venv-peer); without them it says so.
"""

import os
import shutil
import statistics
import subprocess  # nosec B404 # runs fixed commands only
import sys
import time
from pathlib import Path

from bench import served

PEER_VERSION = "0.65.5"
CLAIM_PAGE_TARGET_MS = 2.0
PEER_RATIO_TARGET = 1.5


def served_pages(database_url: str, paths: dict[str, str], *, repeat: int = 41) -> dict:
    """Median, min and max (ms) of each path through gunicorn, interleaved."""
    with served.serve(database_url) as port:
        times = served.timed_gets([(port, path) for path in paths.values()], repeat=repeat)
    return {
        name: {
            "path": path,
            "median_ms": statistics.median(runs),
            "min_ms": min(runs),
            "max_ms": max(runs),
            "requests": len(runs),
        }
        for (name, path), runs in zip(paths.items(), times, strict=True)
    }


def find_peer(peer_bin: Path | None) -> tuple[Path, Path] | None:
    """The datasette and sqlite-utils executables: in `peer_bin`, else .venv-peer/bin, else
    on PATH; None when either is missing."""
    places = [peer_bin] if peer_bin else [served.ROOT / ".venv-peer" / "bin", None]
    for place in places:
        found = [
            (place / name) if place else Path(shutil.which(name) or "/nonexistent")
            for name in ("datasette", "sqlite-utils")
        ]
        if all(path.exists() for path in found):
            return found[0], found[1]
    return None


def _sqlite_copy(database_url: str, sqlite_utils: Path, workdir: Path) -> Path:
    """The product's CSV export loaded into SQLite, as a reader of the CSV would load it."""
    csv_path, db_path = workdir / "claims.csv", workdir / "claims.db"
    db_path.unlink(missing_ok=True)
    subprocess.run(  # nosec B603 # our own executable and arguments, no shell
        [sys.executable, "manage.py", "export_claims_report", "-o", str(csv_path)],
        cwd=served.ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(  # nosec B603 # our own executable and arguments, no shell
        [str(sqlite_utils), "insert", str(db_path), "claims", str(csv_path), "--csv",
         "--pk", "id"],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    csv_path.unlink()
    return db_path


def _serve_datasette(datasette: Path, db_path: Path):
    port = served.free_port()
    server = subprocess.Popen(  # nosec B603 # our own executable and arguments, no shell
        [str(datasette), "serve", "-i", str(db_path), "--host", served.HOST, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if served.get_once(port, "/-/versions.json")[0] == 200:
                return server, port
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("datasette did not answer within 120 s")


def datasette_comparison(
    database_url: str,
    *,
    claim_path: str,
    claim_id: int,
    peer: tuple[Path, Path],
    workdir: Path,
    runs: int = 3,
    repeat: int = 41,
) -> dict:
    """The claim page and Datasette's row page for the same claim, interleaved; per run the
    two medians and their ratio (peer ÷ ours: above 1, ours is faster)."""
    datasette, sqlite_utils = peer
    workdir.mkdir(parents=True, exist_ok=True)
    version = subprocess.run(  # nosec B603 # our own executable and arguments, no shell
        [str(datasette), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    db_path = _sqlite_copy(database_url, sqlite_utils, workdir)
    row_path = f"/claims/claims/{claim_id}"
    server, peer_port = _serve_datasette(datasette, db_path)
    results = []
    try:
        with served.serve(database_url) as port:
            for _ in range(runs):
                ours, theirs = served.timed_gets(
                    [(port, claim_path), (peer_port, row_path)], repeat=repeat
                )
                results.append(
                    {
                        "ours_ms": statistics.median(ours),
                        "peer_ms": statistics.median(theirs),
                        "ratio": statistics.median(theirs) / statistics.median(ours),
                    }
                )
    finally:
        server.terminate()
        server.wait(timeout=10)
        db_path.unlink(missing_ok=True)
    return {
        "peer": f"Datasette {version}",
        "peer_expected": PEER_VERSION,
        "claim_path": claim_path,
        "peer_path": row_path,
        "requests_per_run": repeat,
        "runs": results,
        "worst_ratio": min(r["ratio"] for r in results),
    }


def measure(database_url: str, pages: list[dict], peer_bin: Path | None, output: Path) -> dict:
    """The benchmark's `served` results, and `peer` where Datasette is installed."""
    claim = next(page for page in pages if page["name"] == "claim")
    result = {
        "served": served_pages(
            database_url, {"claim": claim["url"], "methodology": "/methodology/"}
        )
    }
    found = find_peer(peer_bin)
    if found:
        result["peer"] = datasette_comparison(
            database_url, claim_path=claim["url"], claim_id=claim["claim_id"], peer=found,
            workdir=output / "peer",
        )  # fmt: skip
    return result


def render(served_result: dict | None, comparison: dict | None) -> list[str]:
    """Markdown lines for benchmark.md."""
    lines = []
    if served_result:
        lines += ["", "Through gunicorn (gthread, 2 workers × 4 threads), warm keep-alive, "
                  "interleaved medians of 41 requests:", "",
                  "| Page | Median | Min–max | Target |", "|---|---:|---:|---|"]  # fmt: skip
        for name, row in served_result.items():
            target = CLAIM_PAGE_TARGET_MS if name == "claim" else None
            outcome = "no target (the floor)" if target is None else (
                f"met (≤ {target} ms)" if row["median_ms"] <= target
                else f"missed by {row['median_ms'] - target:.2f} ms"
            )  # fmt: skip
            lines.append(
                f"| `{row['path']}` | {row['median_ms']:.2f} ms | {row['min_ms']:.2f}–"
                f"{row['max_ms']:.2f} ms | {outcome} |"
            )
    if comparison:
        lines += ["", f"The same claim beside {comparison['peer']}'s row page "
                  f"(`{comparison['peer_path']}`, a SQLite copy of our CSV export, `-i`), "
                  "interleaved:", "", "| Run | Ours | Datasette | Ratio |", "|---|---:|---:|---:|"]  # fmt: skip
        for i, run in enumerate(comparison["runs"], 1):
            lines.append(
                f"| {i} | {run['ours_ms']:.2f} ms | {run['peer_ms']:.2f} ms | {run['ratio']:.2f}× |"
            )
        worst = comparison["worst_ratio"]
        verdict = "met" if worst >= PEER_RATIO_TARGET else "missed"
        lines.append(f"\nWorst run {worst:.2f}× faster (target ≥ {PEER_RATIO_TARGET}×: {verdict}).")
    elif comparison is None and served_result:
        lines.append("\nNo Datasette comparison: `make bench-peer` installs it (.venv-peer).")
    return lines
