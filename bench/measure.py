"""What the benchmark measures with, apart from the command: a timing summary, a page fetch,
the export's launcher, the COPY floor, and the server and machine it runs on."""

import platform
import statistics
from urllib.parse import quote

import psycopg
from django.conf import settings
from django.db import connection

from claims.models import Claim, Source

# Forks the export from a small, fresh process: a child forked straight from this (large)
# process would report this process's memory as its peak RSS (ru_maxrss survives exec).
EXPORT_LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "maxrss_kib": usage.ru_maxrss}))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def fetch(client, url):
    response = client.get(url)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return response


def summary(values, unit):
    return {
        f"median_{unit}": statistics.median(values),
        f"min_{unit}": min(values),
        f"max_{unit}": max(values),
        f"runs_{unit}": values,
    }


def maintenance_connection() -> psycopg.Connection:
    """An autocommit connection to the server's 'postgres' database, with this connection's
    host, port, user and password (to create or drop the database named in DATABASE_URL)."""
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    params.pop("cursor_factory", None)  # Django's own cursor and adapter classes
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def cpu_model() -> str:
    """The processor's name: runs on different machines differ by 2-3× on the same code."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"


def allowed_host():
    """A Host header that ALLOWED_HOSTS accepts, for the test client."""
    for host in settings.ALLOWED_HOSTS:
        if host == "*":
            return "localhost"
        if host and not host.startswith("."):
            return host
    return settings.ALLOWED_HOSTS[0].lstrip(".") if settings.ALLOWED_HOSTS else "localhost"


def database_url():
    """This connection's database as a URL, so the export subprocess reads the same rows."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(db['NAME'], safe='')}"


def copy_sql():
    """The CSV report's columns for every published claim as one hand-written COPY: the floor.

    The published claims in the list's order (read down the index, no sort), each joined to
    its row of the trigger-maintained claims_claimsummary (counts and citation cell, migration
    0005) by one primary-key lookup. No formula escaping (the export adds it), so this is a
    lower bound on the export's own query.
    """
    site = settings.SITE_URL.replace("'", "''")
    claim, source = Claim._meta.db_table, Source._meta.db_table
    return f"""
        COPY (
            SELECT c.id, c.statement, c.subject, c.outcome, c.claim_type, c.grade, c.verdict,
                   c.status, s.title, s.url, c.quote, c.rationale,
                   coalesce(ev.supporting, 0), coalesce(ev.contradicting, 0), ev.citations,
                   to_char(c.reviewed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   '{site}/claims/' || c.slug || '/'
            FROM {claim} c
            JOIN {source} s ON s.id = c.source_id
            LEFT JOIN LATERAL (
                SELECT supporting, contradicting, citations
                FROM claims_claimsummary sm WHERE sm.claim_id = c.id OFFSET 0
            ) ev ON true
            WHERE c.status = 'published'
            ORDER BY c.created_at DESC, c.id DESC
        ) TO STDOUT WITH (FORMAT csv, HEADER)
    """  # nosec B608 # model names; values bound
