"""Benchmark the public pages and the CSV export at scale, against the raw-SQL floor.

`python manage.py benchmark --claims 1000000` (PostgreSQL only) creates the database if it is
missing, applies any unapplied migrations, builds or reuses a synthetic data set
(generate_claims), then measures with a warm cache:

- each page through Django's full stack (django.test.Client, the real URLconf and middleware):
  median and min–max server time of N requests, and the number of queries it runs;
- the SQL floor of each page: EXPLAIN (ANALYZE, TIMING OFF) of every query the page ran, times
  summed (what the database alone needs; the rest is Python, templates and the driver);
- the full CSV export as a subprocess (`export_claims_report -o /dev/null`): rows/s and the
  worker's peak RSS, against a `COPY (SELECT <the same columns>) TO STDOUT` of the same rows;
  the NDJSON dump likewise, into a file (`--format ndjson`: claims/s, peak RSS; bench/dump.py).

Results go to <output>/benchmark.json and <output>/benchmark.md, each median compared with the
targets in docs/performance.md ("met" or "missed by …").
"""

import json
import os
import platform
import statistics
import subprocess  # nosec B404 # runs fixed commands only
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from psycopg import sql as pgsql

from bench import conditional, dump, matching, matrix, peer, sizes
from bench.api import with_api_twins
from bench.generate import (
    generate_claims,
    non_synthetic_claims,
    synthetic_claims,
)
from bench.measure import (
    EXPORT_LAUNCHER,
    allowed_host,
    copy_sql,
    cpu_model,
    database_url,
    fetch,
    maintenance_connection,
    summary,
)
from bench.pages import citation_page, keyset_query
from bench.report import render_markdown
from bench.spread import spread_pages
from bench.vocabulary import COMMON_PHRASE
from claims.export import COPY_SETTINGS
from claims.models import Claim
from claims.pagers import PER_PAGE
from claims.scales import Status

COMMON_SHARE = 0.13  # the "common word": about 13 % of claims match
RARE_SHARE = 0.0002  # about 200 matches in a million

DEEP_PAGE = 20_000
SAMPLE_ROWS = 20_000


class Command(BaseCommand):
    help = (
        "Measure /claims/ (list, deep page, searches), a claim page, a source page and the CSV "
        "export at scale on PostgreSQL; write JSON and Markdown results with targets met or missed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, help="Data set size (default 1,000,000).")
        parser.add_argument("--repeat", type=int, help="Timed repetitions (default 7).")
        parser.add_argument("--warmup", type=int, default=2, help="Untimed requests first.")
        parser.add_argument("--seed", type=int, default=1, help="Seed if data is generated.")
        parser.add_argument(
            "--output", type=Path, default=Path(settings.BASE_DIR) / "bench" / "results"
        )
        parser.add_argument(
            "--quick", action="store_true", help="CI mode: 20,000 claims, 3 repetitions."
        )
        parser.add_argument(
            "--deep-query",
            default="",
            help=f"Query string of the deep list page (default: the keyset link to page "
            f"{DEEP_PAGE:,}, or to the last page, `after=<id>`).",
        )
        parser.add_argument("--skip-export", action="store_true", help="Skip the CSV and NDJSON.")
        parser.add_argument(
            "--skip-served", action="store_true", help="Skip the pages through gunicorn."
        )
        parser.add_argument(
            "--peer-bin",
            type=Path,
            help="Directory with the datasette and sqlite-utils executables (default: "
            ".venv-peer/bin, else PATH) for the claim page's comparison.",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                f"The benchmark needs PostgreSQL, and this database is {connection.vendor}. "
                "Set DATABASE_URL=postgres://user@host:5432/dbname (then run migrate)."
            )
        quick = options["quick"]
        claims = options["claims"] or (20_000 if quick else 1_000_000)
        repeat = options["repeat"] or (3 if quick else 7)
        warmup = options["warmup"]
        if claims < 1 or repeat < 1 or warmup < 0:
            raise CommandError("--claims and --repeat must be at least 1, --warmup at least 0.")
        self.verbose = options["verbosity"]
        self._ensure_database()
        result = {"meta": self._meta(claims, repeat, warmup)}
        result["generation"] = self._prepare(claims, options["seed"])
        published = Claim.objects.filter(status=Status.PUBLISHED).count()
        result["meta"]["published_claims"] = published
        words = self._pick_words(published)
        result["meta"]["search_terms"] = words
        pages = self._pages(words, published, options["deep_query"])
        client = Client(raise_request_exception=False, HTTP_HOST=allowed_host())
        result["pages"] = []
        for page in pages:
            self._say(f"Measuring {page['name']}: {page['url']}")
            result["pages"].append(self._measure_page(client, page, repeat, warmup))
        result["revalidation"] = conditional.measure(client, pages, repeat, warmup)
        self._say("Measuring match suggestions for candidates…")
        result["matching"] = matching.measure(repeat=repeat)
        result["matrix"] = matrix.measure(pages, repeat=repeat)
        if not options["skip_served"]:
            self._say("Measuring the claim page through gunicorn (and beside Datasette)…")
            result.update(
                peer.measure(database_url(), pages, options["peer_bin"], options["output"])
            )
        if not options["skip_export"]:
            runs = min(repeat, 3)
            self._say(f"Measuring the CSV export ({runs} runs) and COPY…")
            result["copy"] = self._measure_copy(runs, published)
            result["export"] = self._measure_export(runs, published)
            result["dump"] = dump.measure(runs, published, options["output"])
        result["sizes"] = sizes.measure(connection)
        result["meta"]["load_average_at_end"] = os.getloadavg()
        output = options["output"]
        output.mkdir(parents=True, exist_ok=True)
        (output / "benchmark.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        (output / "benchmark.md").write_text(render_markdown(result))
        self.stdout.write(render_markdown(result))
        self.stdout.write(self.style.SUCCESS(f"Wrote {output / 'benchmark.json'} and .md"))

    def _ensure_database(self):
        """Create the database if it does not exist yet, then bring its schema up to date,
        but never migrate one that holds real claims (the benchmark will not use it anyway)."""
        name = connection.settings_dict["NAME"]
        try:
            connection.ensure_connection()
        except OperationalError as exc:
            # libpq reports a refused connection without an SQLSTATE; its message names the
            # missing database (a missing role says 'role "…" does not exist').
            if f'database "{name}" does not exist' not in str(exc):
                raise CommandError(f"Cannot connect to the database {name!r}: {exc}") from exc
            self._create_database(name)
        executor = MigrationExecutor(connection)
        if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return
        has_claims = Claim._meta.db_table in connection.introspection.table_names()
        if has_claims and (real := non_synthetic_claims()):
            raise CommandError(
                f"The database {name!r} holds {real} non-synthetic claim(s) and unapplied "
                "migrations. The benchmark neither migrates nor fills a database with real "
                "claims: point DATABASE_URL at an empty or synthetic one."
            )
        self._say("Applying migrations…")
        call_command("migrate", interactive=False, verbosity=0)

    def _create_database(self, name):
        self._say(f"Creating the database {name!r}…")
        try:
            with maintenance_connection() as admin:
                admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
        except psycopg.Error as exc:
            raise CommandError(
                f"The database {name!r} does not exist and could not be created through the "
                f"'postgres' database: {exc}. Create it (createdb {name}) and run again."
            ) from exc
        connection.close()

    def _say(self, line):
        if self.verbose:
            self.stdout.write(line)

    def _meta(self, claims, repeat, warmup):
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            (server,) = cursor.fetchone()
        return {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "claims": claims,
            "repeat": repeat,
            "warmup": warmup,
            "postgresql": server,
            "database": connection.settings_dict["NAME"],
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {cpu_model()}",
            # Other work on the machine inflates every number: note how busy it was.
            "load_average_at_start": os.getloadavg(),
            "command": "python manage.py " + " ".join(sys.argv[1:])
            if len(sys.argv) > 1 and sys.argv[1] == "benchmark"
            else "benchmark",
        }

    def _prepare(self, claims, seed):
        existing = synthetic_claims()
        if existing == claims:
            self._say(f"Reusing the {existing:,} synthetic claims in the database.")
            return {"reused": True, "claims": existing}
        if existing > claims:
            raise CommandError(
                f"The database holds {existing:,} synthetic claims, more than --claims "
                f"{claims:,}. Pass --claims {existing} to reuse them, or use another database."
            )
        self._say(f"Generating {claims:,} synthetic claims (the database has {existing:,})…")
        try:
            report = generate_claims(count=claims, seed=seed, log=self._say)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        return {"reused": False, "claims": report.claims, "evidence": report.evidence,
                "seconds": report.timings}  # fmt: skip

    def _pick_words(self, published):
        """Choose the search terms from the data: a word in ≈13 % of published claims, one in
        ≈0.02 % (at least one claim), and the generator's most frequent two-word phrase."""
        step = max(1, published // SAMPLE_ROWS)
        table = Claim._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE status = %s AND id %% {step} = 0",  # nosec B608 # model names; values bound
                [Status.PUBLISHED],
            )
            (sample,) = cursor.fetchone()
            inner = (
                f"SELECT search_vector FROM {table} "
                f"WHERE status = ''{Status.PUBLISHED}'' AND id % {step} = 0"  # nosec B608 # model names; values bound
            )
            # Only lexemes that are their own stem, so `?q=<lexeme>` searches for exactly them.
            cursor.execute(
                f"SELECT word, ndoc FROM ts_stat('{inner}') "
                "WHERE word ~ '^[a-z]{4,}$' "
                "AND websearch_to_tsquery('english', word)::text = quote_literal(word)"  # nosec B608 # model names; values bound
            )
            stats = cursor.fetchall()
        if not stats or not sample:
            raise CommandError("No searchable published claims found: is the trigger installed?")
        common = min(stats, key=lambda s: (abs(s[1] / sample - COMMON_SHARE), s[0]))[0]
        rare_target = max(1, round(RARE_SHARE * sample))
        rare = min(stats, key=lambda s: (abs(s[1] - rare_target), s[0]))[0]
        return {
            "common": {"q": common, "matches": _count_matches(common), "of": published},
            "rare": {"q": rare, "matches": _count_matches(rare), "of": published},
            "phrase": {
                "q": f'"{COMMON_PHRASE}"',
                "matches": _count_matches(f'"{COMMON_PHRASE}"'),
                "of": published,
            },
        }

    def _pages(self, words, published, deep_query):
        claim_list = reverse("claims:claim-list")
        deep_page = max(1, min(DEEP_PAGE, -(-published // PER_PAGE)))
        deep_label = f"/claims/?{deep_query}"
        if not deep_query:
            deep_query = keyset_query(deep_page)
            deep_label = (
                f"/claims/?{deep_query} (page {deep_page:,}, the link from page {deep_page - 1:,})"
            )
        # The claim page: a claim from the middle, with a GRADE assessment when there are any
        # (its page shows every block).
        claims = Claim.objects.filter(status=Status.PUBLISHED).order_by("pk")
        assessed = claims.filter(assessment__isnull=False)
        if assessed.exists():
            claims, published_shown = assessed, assessed.count()
        else:
            published_shown = published
        middle = claims.values("pk", "slug", "source_id")[
            published_shown // 2 : published_shown // 2 + 1
        ]
        row = middle[0] if published else {"pk": 0, "slug": "none", "source_id": 0}
        pages = [
            ("list_first", claim_list, 10, "/claims/, first page"),
            ("list_deep", f"{claim_list}?{deep_query}", 10, deep_label),
        ]
        for key, label in (("common", "common word"), ("rare", "rare word"), ("phrase", "phrase")):
            term = words[key]
            share = term["matches"] / max(1, term["of"])
            pages.append(
                (
                    f"search_{key}",
                    f"{claim_list}?{urlencode({'q': term['q']})}",
                    50,
                    f"/claims/?q={term['q']} ({label}, {term['matches']:,} matches, {share:.1%})",
                )
            )
        common = urlencode({"q": words["common"]["q"]})
        # More /claims/ pages a reader reaches (the ≤ 50 ms target covers every one).
        pages += [
            (
                "list_deep_numbered",
                f"{claim_list}?page={deep_page}",
                50,
                f"/claims/?page={deep_page} (the same page by number; ≤ 10 ms is the keyset "
                "link's target)",
            ),
            (
                "list_filtered",
                f"{claim_list}?grade=low&verdict=supported",
                50,
                "/claims/, two filters",
            ),
            ("list_sorted", f"{claim_list}?sort=grade", 50, "/claims/, sorted by grade"),
            (
                "search_filtered",
                f"{claim_list}?{common}&grade=low",
                50,
                f"/claims/?q={words['common']['q']}&grade=low (common word, filtered)",
            ),
            (
                "search_sorted",
                f"{claim_list}?{common}&sort=-reviewed_at",
                50,
                f"/claims/?q={words['common']['q']}&sort=-reviewed_at (common word, sorted)",
            ),
        ]
        pages.append(("claim", reverse("claims:claim-detail", args=[row["slug"]]), 5, "claim page"))
        pages.append(
            ("source", reverse("claims:source-detail", args=[row["source_id"]]), None,
             "source page")
        )  # fmt: skip
        pages.append(("sources", reverse("claims:source-list"), None, "/sources/, first page"))
        pages.append(citation_page())
        pages += spread_pages(claim_list)
        return with_api_twins(
            [
                {"name": n, "url": u, "target_ms": t, "label": lab}
                | ({"claim_id": row["pk"]} if n == "claim" else {})
                for n, u, t, lab in pages
            ]
        )

    def _measure_page(self, client, page, repeat, warmup):
        result = {**page, "status": None, "error": None}
        try:
            for _ in range(warmup):
                fetch(client, page["url"])
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = fetch(client, page["url"])
                times.append((time.perf_counter() - started) * 1000)
            result["status"] = response.status_code
            result["bytes"] = len(response.content)
            result.update(summary(times, "ms"))
            with CaptureQueriesContext(connection) as captured:
                fetch(client, page["url"])
            sqls = [q["sql"] for q in captured.captured_queries]
            result["queries"] = len(sqls)
            result["sql"] = sqls
            result.update(self._floor(sqls, repeat))
            if response.status_code != 200:
                result["error"] = f"HTTP {response.status_code}"
        except Exception as exc:  # a broken page is a result to report, not a reason to stop
            result["error"] = f"{type(exc).__name__}: {exc}"
        return result

    def _floor(self, sqls, repeat):
        """Median over `repeat` runs of the summed EXPLAIN ANALYZE execution times."""
        selects = [s for s in sqls if s.lstrip().upper().startswith(("SELECT", "WITH"))]
        totals, planning, plans, errors = [], [], [], []
        # TIMING OFF for the floor: per-node clock reads inflate big scans and aggregates (by
        # up to 2× here). One extra run with timing keeps the per-node plans for diagnosis.
        for run in range(repeat + 1):
            timed = run == repeat
            exec_sum = plan_sum = 0.0
            options = "ANALYZE, BUFFERS, FORMAT JSON" + ("" if timed else ", TIMING OFF")
            for sql in selects:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute(f"EXPLAIN ({options}) " + sql)
                        plan = cursor.fetchone()[0]
                except Exception as exc:
                    if run == 0:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                plan = json.loads(plan) if isinstance(plan, str) else plan
                exec_sum += plan[0]["Execution Time"]
                plan_sum += plan[0]["Planning Time"]
                if timed:
                    plans.append(plan[0])
            if not timed:
                totals.append(exec_sum)
                planning.append(plan_sum)
        return {
            "floor_ms": statistics.median(totals) if totals else None,
            "floor_planning_ms": statistics.median(planning) if planning else None,
            "plans": plans,
            "explain_errors": errors,
        }

    def _measure_copy(self, runs, published):
        sql = copy_sql()
        times, size = [], 0
        for _ in range(runs + 1):  # the first run warms the cache
            started = time.perf_counter()
            size = 0
            # The export's own session settings (work_mem, no JIT, one process), SET LOCAL.
            with transaction.atomic(), connection.cursor() as cursor:
                for setting, value in COPY_SETTINGS.items():
                    cursor.execute("SELECT set_config(%s, %s, true)", [setting, value])
                with cursor.copy(sql) as copy:
                    for data in copy:
                        size += len(data)
            times.append(time.perf_counter() - started)
        times = times[1:]
        median = statistics.median(times)
        return {
            "rows": published,
            "bytes": size,
            "settings": COPY_SETTINGS,
            **summary(times, "s"),
            "rows_per_s": published / median if median else None,
        }

    def _measure_export(self, runs, published):
        command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "export_claims_report",
            "-o",
            os.devnull,
        ]
        env = {**os.environ, "DATABASE_URL": database_url()}
        times, rss, error = [], [], None
        for _ in range(runs):
            with tempfile.TemporaryFile() as stderr:
                done = subprocess.run(  # nosec B603 # fixed command, no shell
                    [sys.executable, "-c", EXPORT_LAUNCHER, *command],
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    env=env,
                    check=False,
                )
                if done.returncode != 0:
                    stderr.seek(0)
                    tail = stderr.read().decode(errors="replace").strip().splitlines()[-3:]
                    error = f"exit {done.returncode}: " + " / ".join(tail)
                    break
            measured = json.loads(done.stdout)
            times.append(measured["seconds"])
            rss.append(measured["maxrss_kib"] / 1024)
        result = {"command": " ".join(command[1:]), "rows": published, "error": error}
        if times:
            median = statistics.median(times)
            result.update(summary(times, "s"))
            result["rows_per_s"] = published / median if median else None
            result["peak_rss_mb"] = max(rss)
            result["rss_mb_runs"] = rss
        return result


def _count_matches(q):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {Claim._meta.db_table} WHERE status = %s "
            "AND search_vector @@ websearch_to_tsquery('english', %s)",  # nosec B608 # model names; values bound
            [Status.PUBLISHED, q],
        )
        return cursor.fetchone()[0]
