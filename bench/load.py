"""A bounded load test: gunicorn (gthread) on 127.0.0.1, a few client threads, then stop.

    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/claims_load \
        [--generate 10000] [--duration 30 | --short] [--clients 4] [--json out.json] [--md out.md]

Prepares the database (migrate, the demo data, optionally `generate_claims --count N`), starts
gunicorn on a free loopback port, and runs `--clients` threads for `--duration` seconds, mixing
the claim list, searches, claim pages and CSV exports. Then it stops the server and reports
requests, errors and latency percentiles per kind as JSON and Markdown. Exits 1 on any error
(a non-200 answer, a failed connection, a truncated export) or if no request completed.
Standard library only; only loopback traffic.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess  # nosec B404 # runs fixed commands only
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# kind -> share of requests
MIX = {"list": 0.35, "search": 0.30, "claim": 0.25, "export": 0.10}
# --pages-only: what one machine serves in pages a second (an export is seconds of work).
PAGES_MIX = {kind: share for kind, share in MIX.items() if kind != "export"}
SEARCHES = [
    "kratom",
    "hair",
    "withdrawal",
    "kratom hair",
    '"opioid withdrawal"',
    "kratom -hair",
    "liver or seizures",
]
LIST_QUERIES = [
    "",
    "?grade=low",
    "?grade=very_low&grade=low",
    "?verdict=unsupported",
    "?claim_type=efficacy",
    "?sort=-grade",
    "?page=2",
    "?subject=kratom",
]
EXPORT_QUERIES = ["?q=hair", "?grade=moderate", "?q=withdrawal&verdict=supported", "?q=kratom"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # nosec B603 # fixed command, no shell


def prepare(env: dict, generate: int) -> None:
    manage("migrate", "--noinput", "-v0", env=env)
    manage("loaddata", "kratom_article", "-v0", env=env)  # fixed primary keys: idempotent
    if generate:
        manage("generate_claims", "--count", str(generate), "--force", env=env)


def start_server(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(  # nosec B603 # fixed command, no shell
        [
            str(gunicorn),
            "-c",
            "tracker/gunicorn.conf.py",  # the documented deployment's settings (gthread)
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"{HOST}:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: stopped as a whole at the end
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode} before answering")
        try:
            status, _ = get(http.client.HTTPConnection(HOST, port, timeout=5), "/healthz")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    # One connection per request: an idle keep-alive connection that the server closed would
    # otherwise count as an error that no real client would see.
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "identity", "Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()  # raises IncompleteRead on a cut stream
    finally:
        conn.close()


def claim_paths(port: int) -> list[str]:
    paths = set()
    for query in ("", "?page=2", "?q=kratom", "?sort=grade"):
        status, body = get(http.client.HTTPConnection(HOST, port, timeout=30), f"/claims/{query}")
        if status == 200:
            paths.update(re.findall(rb'href="(/claims/[-a-z0-9_]+/)"', body))
    if not paths:
        raise SystemExit("no claim links found on /claims/: is there published data?")
    return sorted(p.decode() for p in paths)


def pick(kind: str, rng: random.Random, claims: list[str]) -> str:
    if kind == "list":
        return "/claims/" + rng.choice(LIST_QUERIES)
    if kind == "search":
        return "/claims/?q=" + quote(rng.choice(SEARCHES))
    if kind == "claim":
        return rng.choice(claims)
    return "/claims/export.csv" + rng.choice(EXPORT_QUERIES)


def client(port, deadline, seed, claims, results, lock, mix=MIX) -> None:
    rng = random.Random(seed)  # nosec B311 # seeded data, not secrets
    kinds, weights = zip(*mix.items(), strict=True)
    local = []
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        path = pick(kind, rng, claims)
        started = time.perf_counter()
        try:
            status, body = get(http.client.HTTPConnection(HOST, port, timeout=120), path)
            error = None if status == 200 else f"HTTP {status}"
            if error is None and kind == "export" and b"EXPORT INCOMPLETE" in body[-300:]:
                error = "export incomplete"
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        local.append((kind, time.perf_counter() - started, error, path))
    with lock:
        results.extend(local)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(p / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise(results, duration, config, mix=MIX) -> dict:
    kinds = {}
    for kind in mix:
        rows = [r for r in results if r[0] == kind]
        latencies = sorted(r[1] * 1000 for r in rows)
        kinds[kind] = {
            "requests": len(rows),
            "errors": sum(1 for r in rows if r[2]),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p90_ms": round(percentile(latencies, 90), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "max_ms": round(latencies[-1], 1) if latencies else 0.0,
        }
    errors = [f"{r[3]}: {r[2]}" for r in results if r[2]]
    return {
        "config": config,
        "requests": len(results),
        "errors": len(errors),
        "requests_per_second": round(len(results) / duration, 1) if duration else 0.0,
        "kinds": kinds,
        "first_errors": errors[:10],
    }


def markdown(report: dict) -> str:
    c = report["config"]
    lines = [
        f"Load test: {c['clients']} clients for {c['duration_s']} s against gunicorn gthread "
        f"({c['workers']} workers × {c['threads']} threads), {c['database']}, "
        f"{c['published_claims']} published claims.",
        "",
        f"**{report['requests']} requests, {report['errors']} errors, "
        f"{report['requests_per_second']} requests/s.**",
        "",
        "| kind | requests | errors | p50 ms | p90 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, k in report["kinds"].items():
        lines.append(
            f"| {kind} | {k['requests']} | {k['errors']} | {k['p50_ms']} | {k['p90_ms']} "
            f"| {k['p99_ms']} | {k['max_ms']} |"
        )
    return "\n".join(lines) + "\n"


def count_published(env: dict) -> int:
    result = subprocess.run(  # nosec B603 # fixed command, no shell
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from claims.models import Claim; print(Claim.objects.published().count())",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--generate", type=int, default=0, help="generate_claims --count N")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument("--short", action="store_true", help="5 s, for CI")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip-setup", action="store_true", help="the database is ready")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages-only", action="store_true", help="no CSV exports in the mix")
    parser.add_argument("--json", type=Path, help="also write the JSON report here")
    parser.add_argument("--md", type=Path, help="also write the Markdown report here")
    args = parser.parse_args(argv)
    duration = 5.0 if args.short else args.duration
    if not args.database_url:
        parser.error("give --database-url (or set DATABASE_URL); it is migrated and filled")

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_HTTPS": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    if not args.skip_setup:
        prepare(env, args.generate)
    published = count_published(env)
    port = free_port()
    server = start_server(env, port, args.workers, args.threads)
    results, lock = [], threading.Lock()
    mix = PAGES_MIX if args.pages_only else MIX
    try:
        claims = claim_paths(port)
        started = time.monotonic()
        deadline = started + duration
        threads = [
            threading.Thread(
                target=client,
                args=(port, deadline, args.seed + n, claims, results, lock, mix),
            )
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=duration + 180)
        elapsed = time.monotonic() - started
    finally:
        stop_server(server)

    database = args.database_url.split("://", 1)[0].replace("postgres", "PostgreSQL")
    config = {
        "clients": args.clients,
        "duration_s": duration,
        "workers": args.workers,
        "threads": args.threads,
        "database": database.replace("sqlite", "SQLite"),
        "published_claims": published,
        "mix": mix,
    }
    report = summarise(results, elapsed, config, mix)
    text = markdown(report)
    print(json.dumps(report, indent=2))
    print()
    print(text)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.md:
        args.md.write_text(text, encoding="utf-8")
    if report["errors"] or not report["requests"]:
        print("FAIL: errors during the load test (or no request completed)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
