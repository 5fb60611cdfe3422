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

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import F, QuerySet
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from .api import representations as rep
from .columns import CLAIM_COLUMNS
from .export import COPY_SETTINGS, claim_url_parts, order_keys
from .models import Appearance, Citation, Evidence, Source
from .scales import Stance

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-ndjson; charset=utf-8"
CHUNK_SIZE = 2000  # claims per round of queries (generic writer)
COPY_BUFFER = 256 * 1024  # bytes gathered from COPY before each yield
APPEARANCE_FIELDS = ("id", "source_id", "source__title", "source__url", "quote", "quote_start",
                     "quote_end", "found_at")  # fmt: skip
BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\0"
_PG_TIMESTAMP = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'  # rep.timestamp, in to_char's words


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
# Each line is one text built with concat() from JSON pieces: keys as literals, strings by
# to_json() (PostgreSQL escapes `"`, `\` and control characters as Python does with
# ensure_ascii=False, and writes the rest as itself), numbers as text, timestamps by to_char.
# No ::json cast: it would parse every line again. Per claim, two LATERAL subqueries (OFFSET 0
# keeps each a subquery run per selected row, so the selection keeps its index order): its
# links by id, each with its work as row_to_json (keys in citation_item's order), and its
# appearances oldest first, each with its text. Lines leave in COPY's binary format, which
# escapes nothing (text and CSV would double each backslash, or scan every byte for quoting):
# `_binary_lines` takes each field's bytes and adds the LF.
#
# Measured at 1M synthetic claims (849,739 published, 3.0 GB of NDJSON, 2 cores shared with
# other jobs): 7,600 claims/s end to end into a file, peak RSS 67 MB; the COPY alone 14,000 to
# 22,000 claims/s. The 100,000 claims/s is missed: the time is PostgreSQL escaping
# ~3.5 kB per claim, each work's JSON again for every claim citing it. Slower, tried:
# row_to_json with the arrays cast to json (re-parsed), text/CSV COPY (per-byte escaping or
# quoting scan), the works' JSON from a MATERIALIZED CTE (planned as a scan per claim).


def _url_parts(name: str, marker) -> tuple[str, str]:
    """The same, JSON-escaped (to sit inside a JSON string built by concatenation)."""
    before, after = _plain_parts(name, marker)
    return _escaped(before), _escaped(after)


def _escaped(text: str) -> str:
    return dumps(text)[1:-1]


def _text(sql: str) -> str:
    return f"to_json(COALESCE({sql}, ''))"


def _timestamp(sql: str) -> str:
    return (
        f"""COALESCE('"' || to_char({sql} AT TIME ZONE 'UTC', '{_PG_TIMESTAMP}') || '"', 'null')"""
    )


def _value(column, sql: str) -> str:
    if column.value == "text":
        return _text(sql)
    if column.value == "timestamp":
        return _timestamp(sql)
    if column.value == "number":
        return f"COALESCE(({sql})::text, 'null')"
    return f"COALESCE(to_json({sql})::text, 'null')"


def _object(literal, pieces: list[tuple[str, str]]) -> str:
    """concat() of `{"key":value,…}` from (key, SQL) pairs; keys as literals."""
    args, lead = [], "{"
    for key, sql in pieces:
        args += [literal(f"{lead}{dumps(key)}:"), sql]
        lead = ","
    return f"concat({', '.join(args)}, '}}')"


def _citation_sql(literal) -> str:
    """A work as rep.citation_item, for the link `e` (row_to_json: keys are the aliases)."""
    page_before, page_after = _plain_parts("claims:citation-detail")
    api_before, api_after = _plain_parts("api:citation")
    reference = (
        "COALESCE(NULLIF(w.authors, ''), w.title) || ' (' || COALESCE(w.year::text, 'n.d.') "
        "|| ')' || CASE WHEN w.doi = '' AND w.url = '' THEN '' "
        "ELSE ' ' || COALESCE(NULLIF(w.doi, ''), w.url) END"
    )  # Citation.reference (migration 0005 has the same)
    columns = [f"w.id AS id, {reference} AS reference"]
    for name in rep.CITATION_FIELDS[1:]:
        if name in {"year", "is_retracted", "retraction_date"}:
            columns.append(f"w.{name} AS {name}")
        else:
            columns.append(f"COALESCE(w.{name}, '') AS {name}")
    columns.append(f"{literal(page_before)} || w.id || {literal(page_after)} AS page_url")
    columns.append(f"{literal(api_before)} || w.id || {literal(api_after)} AS api_url")
    return (
        f"SELECT x.reference, row_to_json(x)::text AS j FROM (SELECT {', '.join(columns)} "
        f"FROM {Citation._meta.db_table} AS w WHERE w.id = e.citation_id) AS x"  # nosec B608 # model names
    )


def _plain_parts(name: str, marker=987654321) -> tuple[str, str]:
    """The URL of `name` on SITE_URL before and after its argument."""
    before, after = reverse(name, args=[marker]).split(str(marker))
    return rep.absolute(before), after


def copy_sql(queryset: QuerySet) -> str:
    """`COPY (…) TO STDOUT (FORMAT binary)` of the dump's lines, one text column per claim.

    The selection's own SQL (its WHERE; its ORDER BY keys as columns, export.order_keys) with
    the claim's values as columns, then per row the two LATERAL subqueries, ordered by the
    selection's keys. Raises EmptyResultSet for a selection empty by construction (`.none()`).
    """
    connection = connections[queryset.db]

    def literal(value: str) -> str:
        return connection.ops.compose_sql("%s", [value])

    fields = {f"dump_{name.replace('__', '_')}": F(name) for name in rep.SUMMARY_FIELDS}
    fields["dump_published_at"] = F("published_at")
    order_columns, order = order_keys(queryset)
    rows = queryset.annotate(**fields, **order_columns).values_list(*fields, *order_columns)
    if not queryset.query.is_sliced:  # a slice needs its ORDER BY to pick its rows
        rows = rows.order_by()
    selection = connection.ops.compose_sql(*rows.query.sql_with_params())

    def column(name: str) -> str:
        return f'selection."dump_{name.replace("__", "_")}"'

    claim_before, claim_after = claim_url_parts()
    api_before, api_after = _url_parts("api:claim", "slug-goes-here")
    # Slugs are [-a-zA-Z0-9_]: nothing in them needs escaping.
    slug_url = "concat('\"', {}, {}, {}, '\"')".format
    computed = {
        "supporting": "COALESCE(ev.supporting, 0)",
        "contradicting": "COALESCE(ev.contradicting, 0)",
        "citations": "COALESCE(ev.citations, '[]')",
        "url": slug_url(
            literal(_escaped(claim_before)), column("slug"), literal(_escaped(claim_after))
        ),
    }
    pieces = [("id", column("pk")), ("slug", _text(column("slug")))]
    for spec in CLAIM_COLUMNS[1:]:
        sql = _value(spec, column(spec.field)) if spec.field else computed[spec.name]
        pieces.append((spec.key, sql))
        if spec.name == "source_url":
            pieces.append(("source_id", column("source_id")))
    pieces += [
        ("api_url", slug_url(literal(api_before), column("slug"), literal(api_after))),
        ("published_at", _timestamp(column("published_at"))),
        ("evidence", "COALESCE(ev.evidence, '[]')"),
        ("appearances", "COALESCE(ap.appearances, '[]')"),
    ]
    link = _object(literal, [
        ("id", "e.id"), ("stance", "to_json(e.stance)"), ("finding", _text("e.finding")),
        ("citation", "e.j"),
    ])  # fmt: skip
    source_before, source_after = _url_parts("claims:source-detail", 987654321)
    shown = _object(literal, [
        ("id", "a.id"), ("source_id", "a.source_id"), ("source_title", "to_json(a.source_title)"),
        ("source_url", _text("a.source_url")), ("quote", "to_json(a.quote)"),
        ("quote_start", "a.quote_start"), ("quote_end", "a.quote_end"),
        ("found_at", _timestamp("a.found_at")),
        ("page_url", f"""concat('"', {literal(source_before)}, a.source_id, """
                     f"""{literal(source_after + '#appearance-')}, a.id, '"')"""),
    ])  # fmt: skip
    supports, contradicts = literal(Stance.SUPPORTS.value), literal(Stance.CONTRADICTS.value)
    evidence, appearance = Evidence._meta.db_table, Appearance._meta.db_table
    order_sql = f" ORDER BY {', '.join(order)}" if order else ""
    select = (
        f"SELECT {_object(literal, pieces)} FROM ({selection}) AS selection"
        " LEFT JOIN LATERAL ("
        f"SELECT count(*) FILTER (WHERE e.stance = {supports}) AS supporting,"
        f" count(*) FILTER (WHERE e.stance = {contradicts}) AS contradicting,"
        " '[' || string_agg(to_json(e.reference)::text, ',') || ']' AS citations,"
        f" '[' || string_agg({link}, ',') || ']' AS evidence"
        # An aggregate reads a sorted subquery's rows in its order: one sort per claim, not
        # one per aggregate. Joins go inside it, so nothing reorders the rows after the sort.
        " FROM (SELECT e.id, e.stance, e.finding, cj.reference, cj.j"
        f" FROM {evidence} AS e CROSS JOIN LATERAL ({_citation_sql(literal)}) AS cj"
        f" WHERE e.claim_id = {column('pk')} ORDER BY e.id OFFSET 0) AS e) AS ev ON TRUE"
        " LEFT JOIN LATERAL ("
        f"SELECT '[' || string_agg({shown}, ',') || ']' AS appearances"
        " FROM (SELECT a.id, a.source_id, t.title AS source_title, t.url AS source_url, a.quote,"
        " a.quote_start, a.quote_end, a.found_at"
        f" FROM {appearance} AS a JOIN {Source._meta.db_table} AS t ON t.id = a.source_id"
        f" WHERE a.claim_id = {column('pk')} ORDER BY a.found_at, a.id OFFSET 0) AS a) AS ap"
        " ON TRUE"
        f"{order_sql}"  # nosec B608 # model names; values bound by compose_sql
    )
    return f"COPY ({select}) TO STDOUT WITH (FORMAT binary)"


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
    connection = connections[using]
    # SET LOCAL needs a transaction; it ends with the dump (or its interruption).
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for setting, value in COPY_SETTINGS.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [setting, value])
        with cursor.copy(statement) as copy:
            yield from _binary_lines(copy)


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
    """Stream the dump of `queryset` as an attachment named claims-YYYY-MM-DD.ndjson.

    `SELECT 1` first, as export.csv_response does: a database that is away gives the 503
    page, not a 200 whose body can only say it stopped.
    """
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("SELECT 1")
    response = StreamingHttpResponse(iter_ndjson(queryset), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{ndjson_filename()}"'
    response["X-Accel-Buffering"] = "no"
    response["Cache-Control"] = "no-store"
    return response
