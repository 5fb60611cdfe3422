"""The full dump: every claim of a selection as NDJSON, the way to mirror the data set.

`/api/v1/claims.ndjson?<the /claims/ query>` and `export_claims_report --format ndjson` write
the same bytes (docs/dump.md):

- UTF-8, one JSON object per line, each line ended by LF (`\\n`), no header line; a line is
  `claims.api.representations.claim_record`: the claim's summary (the CSV's columns as JSON,
  plus slug, source_id, api_url), `published_at`, its `evidence` (each link with its work, by
  link id: the order they were attached) and *all* its `appearances` (oldest first, by
  found_at then id), serialized as `json.dumps(record, ensure_ascii=False,
  separators=(",", ":"))`: compact, non-ASCII as itself, control characters escaped.
- Lines in the selection's order (select_claims: newest first unless sorted or searched).
- Never truncated silently: if anything fails after the first bytes, the last line is
  `{"error":"…"}` (the dump stopped early; claims are missing) and the error is raised again,
  so the web server aborts the chunked response and the command exits non-zero.

Two writers, byte for byte the same (tests/test_dump.py): a generic one (the claims in chunks
of CHUNK_SIZE, one query each for the chunk's evidence with their works and for its
appearances with their texts, each record built by representations.py) and, on PostgreSQL,
one `COPY (…) TO STDOUT` that builds every line in SQL (`copy_sql`). Memory stays flat with
either: one chunk of claims, or at most COPY_BUFFER bytes.
"""

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC
from itertools import islice

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from .api import representations as rep
from .export import copy_out, download, order_keys
from .models import Appearance, Evidence

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-ndjson; charset=utf-8"
CHUNK_SIZE = 2000  # claims per round of queries (generic writer)
COPY_BUFFER = 256 * 1024  # bytes gathered from COPY before each yield
APPEARANCE_FIELDS = ("id", "source_id", "source__title", "source__url", "quote", "quote_start",
                     "quote_end", "found_at")  # fmt: skip
BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\0"
# Each claim's evidence and texts as JSON, kept by triggers (migration 0021); the byte SITE
# stands where DJANGO_SITE_URL goes in the URLs they hold.
RECORD_TABLE = "claims_claimrecord"
SITE = b"\x01"
MISSING = b"\x02"  # leads a claim's id where its line should be


def dumps(value) -> str:
    """One line's JSON (without its LF)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def error_line(exc: BaseException) -> bytes:
    message = (
        f"The dump stopped early ({type(exc).__name__}): claims are missing after the last "
        "complete line. Download it again."
    )
    return (dumps({"error": message}) + "\n").encode()


# --- the generic writer ---------------------------------------------------------------------


def _evidence(claim_ids: list[int], using: str) -> dict[int, list[tuple]]:
    """Each claim's links as ((stance, reference), evidence_item), by link id: one query."""
    rows = (
        Evidence.objects.using(using)
        .filter(claim_id__in=claim_ids)
        .order_by("claim_id", "pk")
        .values_list(
            "claim_id", "pk", "stance", "finding", *(f"citation__{n}" for n in rep.CITATION_FIELDS)
        )
    )
    works: dict[int, dict] = {}  # a work cited twice in a chunk is built once
    found: dict[int, list[tuple]] = {}
    for claim_id, link_id, stance, finding, *work in rows:
        if (item := works.get(work[0])) is None:
            item = works[work[0]] = rep.citation_item(
                dict(zip(rep.CITATION_FIELDS, work, strict=True))
            )
        link = rep.evidence_item(link_id, stance, finding, item)
        found.setdefault(claim_id, []).append(((stance, item["reference"]), link))
    return found


def _appearances(claim_ids: list[int], using: str) -> dict[int, list[dict]]:
    """Each claim's appearances (appearance_item), oldest first: one query."""
    rows = (
        Appearance.objects.using(using)
        .filter(claim_id__in=claim_ids)
        .order_by("claim_id", "found_at", "pk")
        .values_list("claim_id", *APPEARANCE_FIELDS)
    )
    keys = [name.replace("__", "_") for name in APPEARANCE_FIELDS]
    found: dict[int, list[dict]] = {}
    for claim_id, *values in rows:
        found.setdefault(claim_id, []).append(
            rep.appearance_item(dict(zip(keys, values, strict=True)))
        )
    return found


def _generic_chunks(queryset: QuerySet) -> Iterator[bytes]:
    rows = queryset.values(*rep.SUMMARY_FIELDS, "published_at").iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(islice(rows, CHUNK_SIZE)):
        ids = [row["pk"] for row in chunk]
        evidence, appearances = _evidence(ids, queryset.db), _appearances(ids, queryset.db)
        lines = []
        for row in chunk:
            links = evidence.get(row["pk"], ())
            summary = rep.claim_summary(row, [pair for pair, _ in links])
            record = rep.claim_record(
                summary,
                row["published_at"],
                [item for _, item in links],
                appearances.get(row["pk"], []),
            )
            lines.append(dumps(record))
        lines.append("")
        yield "\n".join(lines).encode()


# --- the PostgreSQL writer ------------------------------------------------------------------
#
# Every published claim's line is kept ready in claims_claimrecord (migration 0021, rebuilt by
# triggers on each write that changes it), with the byte SITE where the site's address goes.
# The dump reads the selection in its order, one line per claim by primary key, and copies it
# out in COPY's binary format, which escapes nothing (text and CSV would double each
# backslash, or scan every byte for quoting); `_binary_lines` takes each line's bytes and adds
# the LF, then SITE becomes DJANGO_SITE_URL.
#
# Why the lines are kept ready: building each line in the dump's query made
# PostgreSQL escape each work's JSON again for every claim citing it, several kB a claim, and
# that was several times slower than reading ready lines (docs/dump.md has the numbers).
# Slower, tried: row_to_json with the arrays cast to json (re-parsed), text/CSV COPY (per-byte
# escaping or quoting scan), the works' JSON from a MATERIALIZED CTE (planned as a scan per
# claim), a parallel plan (it parallelised the scan, not the JSON).


def _escaped(text: str) -> str:
    return dumps(text)[1:-1]


def copy_sql(queryset: QuerySet) -> str:
    """`COPY (…) TO STDOUT (FORMAT binary)` of the dump's lines, one text column per claim.

    The selection's own SQL (its WHERE; its ORDER BY keys as columns, export.order_keys) with
    each claim's line read by a LATERAL primary-key probe (OFFSET 0 keeps it a subquery run
    per selected row, so the selection keeps its index order), ordered by the selection's
    keys. A claim without a line (its triggers were off) comes out as MISSING and its id, so
    the dump stops with its error line rather than leave the claim out. Raises EmptyResultSet
    for a selection empty by construction (`.none()`).
    """
    connection = connections[queryset.db]
    order_columns, order = order_keys(queryset)
    rows = queryset.annotate(dump_pk=F("pk"), **order_columns).values_list(
        "dump_pk", *order_columns
    )
    if not queryset.query.is_sliced:  # a slice needs its ORDER BY to pick its rows
        rows = rows.order_by()
    selection = connection.ops.compose_sql(*rows.query.sql_with_params())
    order_sql = f" ORDER BY {', '.join(order)}" if order else ""
    select = (
        f"SELECT COALESCE(rec.line, chr({MISSING[0]}) || selection.dump_pk)"
        f" FROM ({selection}) AS selection LEFT JOIN LATERAL (SELECT r.line FROM {RECORD_TABLE}"
        " AS r WHERE r.claim_id = selection.dump_pk OFFSET 0) AS rec ON TRUE"
        f"{order_sql}"  # nosec B608 # model names; values bound by compose_sql
    )
    return f"COPY ({select}) TO STDOUT WITH (FORMAT binary)"


class MissingLine(Exception):
    """A published claim has no line in claims_claimrecord: its triggers were off."""

    def __init__(self, claim_id: str):
        super().__init__(
            f"claim {claim_id} has no line in {RECORD_TABLE}; run "
            "`manage.py check_listing_tables --repair`"
        )


def _binary_lines(data: Iterable[bytes]) -> Iterator[bytes]:
    """The text field of each row of a binary COPY stream, each with an LF, in COPY_BUFFER
    pieces. The stream: a 19-byte header (signature, flags, extension length), then per row a
    2-byte field count (1), a 4-byte length and the bytes, then a count of -1.

    PostgreSQL sends each row as one message, which the fast path takes whole; anything else
    (the header, the trailer, a row split across pieces) goes through `pending`.
    """
    pending, out = bytearray(), bytearray()
    started = False
    for piece in data:
        if (
            started
            and not pending
            and piece[:2] == b"\0\x01"
            and int.from_bytes(piece[2:6], "big") == len(piece) - 6
        ):
            if piece[6:7] == MISSING:
                raise MissingLine(bytes(piece[7:]).decode())
            out += piece[6:]
            out += b"\n"
        else:
            pending += piece
            if not started:
                if len(pending) < 19:
                    continue
                if not pending.startswith(BINARY_SIGNATURE):
                    raise ValueError("COPY sent something other than its binary format")
                del pending[: 19 + int.from_bytes(pending[15:19], "big")]
                started = True
            at, end = 0, len(pending)
            while at + 6 <= end and pending[at : at + 2] == b"\0\x01":
                size = int.from_bytes(pending[at + 2 : at + 6], "big")
                if at + 6 + size > end:
                    break
                if pending[at + 6 : at + 7] == MISSING:
                    raise MissingLine(bytes(pending[at + 7 : at + 6 + size]).decode())
                out += pending[at + 6 : at + 6 + size]
                out += b"\n"
                at += 6 + size
            del pending[:at]
            if pending == b"\xff\xff":  # the trailer
                pending.clear()
        if len(out) >= COPY_BUFFER:
            yield bytes(out)
            out.clear()
    if pending or not started:
        raise ValueError("COPY's binary stream ended part-way")
    if out:
        yield bytes(out)


def _copy_chunks(statement: str | None, using: str) -> Iterator[bytes]:
    if statement is None:  # empty by construction: no query to run
        return
    site = _escaped(settings.SITE_URL).encode()
    with copy_out(statement, using) as copy:
        for lines in _binary_lines(copy):
            yield lines.replace(SITE, site)


# --- public API -----------------------------------------------------------------------------


def iter_ndjson(queryset: QuerySet, *, use_copy: bool | None = None) -> Iterator[bytes]:
    """The dump of `queryset` (already filtered and ordered) as bytes, line by line.

    `use_copy` picks the writer (default: COPY on PostgreSQL, the generic writer elsewhere).
    The query is built now, so a mistake fails before the first byte; nothing runs until the
    first `next()`.
    """
    if use_copy is None:
        use_copy = connections[queryset.db].vendor == "postgresql"
    if use_copy:
        try:
            statement = copy_sql(queryset)
        except EmptyResultSet:
            statement = None
        body = _copy_chunks(statement, queryset.db)
    else:
        body = _generic_chunks(queryset)
    return _guarded(body)


def _guarded(body: Iterable[bytes]) -> Iterator[bytes]:
    """Yield the body; on a failure, end with the error line, then re-raise."""
    try:
        yield from body
    except Exception as exc:
        logger.exception("NDJSON dump failed part-way")
        yield error_line(exc)
        raise


def ndjson_filename() -> str:
    return f"claims-{timezone.now().astimezone(UTC).date().isoformat()}.ndjson"


def ndjson_response(queryset: QuerySet) -> StreamingHttpResponse:
    """Stream the dump of `queryset` as an attachment named claims-YYYY-MM-DD.ndjson."""
    return download(queryset.db, iter_ndjson(queryset), CONTENT_TYPE, ndjson_filename())
