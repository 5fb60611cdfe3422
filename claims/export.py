"""The CSV report: every claim of a selection, streamed, formula-safe, the same on both databases.

Columns come from `claims.columns.CLAIM_COLUMNS` (header = `CSV_HEADER`). The format, fixed
for every path (web, command, admin; SQLite and PostgreSQL):

- UTF-8 (`excel=True` prefixes a byte-order mark so Excel detects it), RFC 4180 quoting: a
  field is quoted when it contains a comma, a double quote, CR or LF, and `"` is doubled;
  lines end with LF (`\\n`), the convention PostgreSQL's COPY writes, so both paths agree.
- Codes, not labels; `reviewed_at` as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds); citations
  as `Authors (Year) DOI-or-URL` joined by ` | `, in the order they were attached.
- Formula safety: a free-text cell (claim, subject, outcome, source_title, source_url, quote,
  rationale, citations) that starts with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`.
  The other columns cannot start so: codes are fixed by check constraints, `url` starts with
  SITE_URL, `reviewed_at` with a year, and id and the counts are plain numbers.

Two writers produce the same bytes: a generic one (ORM rows in chunks of `CHUNK_SIZE`, the
citations of each chunk in one query) and, on PostgreSQL, one `COPY (…) TO STDOUT` streamed
through psycopg: the selection's own SQL (its WHERE; its ORDER BY keys as columns) LEFT JOIN
`SUMMARY_TABLE`, the evidence columns kept per claim on write, sorted by those keys (see
`copy_sql`), with `COPY_SETTINGS` for that transaction only. Memory stays flat with either
(Python holds one chunk of at most `COPY_BUFFER` bytes, or `CHUNK_SIZE` rows).

If anything fails after the first bytes have gone out, the stream ends with a line
`# EXPORT INCOMPLETE: …` and the error is raised again, so the web server aborts the response
(a chunked download then fails visibly) and the command exits non-zero: a cut file never looks
complete.
"""

import csv
import io
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC
from itertools import islice

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import (
    F,
    Func,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.expressions import Ref
from django.db.models.functions import Concat
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from .columns import CLAIM_COLUMNS, CSV_HEADER
from .models import Evidence, citation_reference
from .scales import Stance

logger = logging.getLogger(__name__)

BOM = "\ufeff".encode()
LINE_END = "\n"
CHUNK_SIZE = 2000  # claims per ORM round trip (generic writer)
COPY_BUFFER = 256 * 1024  # bytes gathered from COPY's row messages before each yield
# Set for the COPY's transaction only (SET LOCAL): memory to sort a selection that is not read
# in index order (a search's rank, a filter the planner reads by bitmap) without spilling
# much; one process (a parallel plan sorted in every worker and left no core to the web
# server); no JIT, whose compile time bought nothing.
COPY_SETTINGS = {"work_mem": "128MB", "max_parallel_workers_per_gather": "0", "jit": "off"}
# Per claim with evidence: supporting and contradicting counts and the citations cell before
# formula escaping, kept exact by triggers (migration 0005, PostgreSQL only).
SUMMARY_TABLE = "claims_claimsummary"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CITATION_SEPARATOR = " | "
REVIEWED_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_PG_REVIEWED_AT_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'  # the same, in to_char's words
INCOMPLETE_MARKER = "# EXPORT INCOMPLETE"

# The columns read from the claim and its source, in CSV order; the others are computed:
# the evidence columns (from the links, or the summary table) and the claim's public URL.
STORED = tuple(column for column in CLAIM_COLUMNS if column.field is not None)
COMPUTED = ("supporting", "contradicting", "citations", "url")


def formula_safe(value: str) -> str:
    """`value` with a leading `'` when a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def claim_url_parts() -> tuple[str, str]:
    """The text before and after the slug in a claim's public URL on SITE_URL."""
    marker = "slug-goes-here"
    path = reverse("claims:claim-detail", args=[marker])
    before, after = path.split(marker)
    return settings.SITE_URL + before, after


# --- the generic writer ---------------------------------------------------------------------


def evidence_by_claim(claim_ids: list[int], using: str) -> dict[int, list[tuple]]:
    """Each claim's (stance, reference) pairs, in attachment order: one query per chunk."""
    rows = (
        Evidence.objects.using(using)
        .filter(claim_id__in=claim_ids)
        .order_by("claim_id", "pk")
        .values_list(
            "claim_id",
            "stance",
            "citation__authors",
            "citation__title",
            "citation__year",
            "citation__doi",
            "citation__url",
        )
    )
    found: dict[int, list[tuple]] = {}
    for claim_id, stance, authors, title, year, doi, url in rows:
        reference = citation_reference(authors=authors, title=title, year=year, doi=doi, url=url)
        found.setdefault(claim_id, []).append((stance, reference))
    return found


def _cell_makers(url_parts: tuple[str, str]) -> list:
    """One function per CSV column: (stored values, the claim's evidence) -> the cell."""
    url_before, url_after = url_parts
    supports, contradicts = Stance.SUPPORTS.value, Stance.CONTRADICTS.value
    position = {column.name: i for i, column in enumerate(STORED)}
    slug = len(STORED)  # read after the stored columns
    computed = {
        "supporting": lambda row, links: [s for s, _ in links].count(supports),
        "contradicting": lambda row, links: [s for s, _ in links].count(contradicts),
        "citations": lambda row, links: formula_safe(
            CITATION_SEPARATOR.join(reference for _, reference in links)
        ),
        "url": lambda row, links: f"{url_before}{row[slug]}{url_after}",
    }

    def stored(column):
        i = position[column.name]
        if column.value == "text":
            return lambda row, links: formula_safe(row[i])
        if column.value == "timestamp":
            return lambda row, links: (
                row[i].astimezone(UTC).strftime(REVIEWED_AT_FORMAT) if row[i] else ""
            )
        return lambda row, links: row[i]

    return [
        stored(column) if column.field is not None else computed[column.name]
        for column in CLAIM_COLUMNS
    ]


def _generic_rows(queryset: QuerySet, url_parts: tuple[str, str]) -> Iterator[list[list]]:
    """The CSV rows of `queryset`, in its order, as lists of CHUNK_SIZE rows."""
    makers = _cell_makers(url_parts)
    fields = [column.field for column in STORED]
    rows = queryset.values_list(*fields, "slug").iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(islice(rows, CHUNK_SIZE)):
        evidence = evidence_by_claim([row[0] for row in chunk], queryset.db)
        yield [[make(row, evidence.get(row[0], ())) for make in makers] for row in chunk]


def _encode_rows(rows: list[list]) -> bytes:
    """Rows as CSV bytes: quoted when a field holds `,` `"` CR or LF; LF line ends.

    csv.writer decides quoting from its line terminator's characters, so an LF-only writer
    would leave a lone CR unquoted (COPY quotes it). Chunks holding a CR, which are rare, are
    written row by row with a CRLF writer and the CR of each line end dropped.
    """
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=LINE_END).writerows(rows)
    text = buffer.getvalue()
    if "\r" in text:
        lines = []
        for row in rows:
            line = io.StringIO()
            csv.writer(line, lineterminator="\r\n").writerow(row)
            lines.append(line.getvalue()[:-2] + LINE_END)
        text = "".join(lines)
    return text.encode()


def _generic_chunks(queryset: QuerySet, url_parts: tuple[str, str]) -> Iterator[bytes]:
    for rows in _generic_rows(queryset, url_parts):
        yield _encode_rows(rows)


# --- the PostgreSQL writer ------------------------------------------------------------------


def _formula_safe_sql(sql: str) -> str:
    """SQL twin of `formula_safe` for a text column (NULL stays NULL).

    Tests the first character's code point (`ascii` allocates nothing) rather than
    `LEFT(…, 1) IN (…)`, which builds a one-character text per cell.
    """
    codes = ", ".join(str(ord(start)) for start in FORMULA_STARTS)
    return f"CASE WHEN ascii({sql}) IN ({codes}) THEN '''' || {sql} ELSE {sql} END"


class _FormulaSafe(Func):
    """SQL twin of `formula_safe`, and '' as NULL so COPY writes it unquoted like csv.writer."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"NULLIF({_formula_safe_sql(sql)}, '')", (*params, *params, *params)


class _UtcTimestamp(Func):
    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"to_char({sql} AT TIME ZONE 'UTC', '{_PG_REVIEWED_AT_FORMAT}')", params


def order_keys(queryset: QuerySet) -> tuple[dict, list[str]]:
    """The queryset's ORDER BY as extra columns, and the same order over those columns.

    The COPY query wraps the selection in a subquery; ordering the outer query by the
    selection's own sort keys (same direction, same NULLS placement) keeps its order exactly.
    """
    compiler = queryset.query.get_compiler(using=queryset.db)
    columns, order = {}, []
    for index, (order_by, _) in enumerate(compiler.get_order_by()):
        name = f"csv_order_{index}"
        expression = order_by.expression
        # A Ref names another select column (e.g. a search rank): repeat its expression.
        columns[name] = F(expression.refs) if isinstance(expression, Ref) else expression
        direction = "DESC" if order_by.descending else "ASC"
        nulls = " NULLS FIRST" if order_by.nulls_first else ""
        nulls = " NULLS LAST" if order_by.nulls_last else nulls
        order.append(f'selection."{name}" {direction}{nulls}')
    return columns, order


def copy_sql(queryset: QuerySet) -> str:
    """`COPY (…) TO STDOUT` of the CSV rows, from the queryset's own SQL (its WHERE, ORDER BY).

    Shape: the selection (its claim columns and its sort keys) LEFT JOIN `SUMMARY_TABLE`
    1:1 on the claim id (no row: no evidence), ordered by the selection's sort keys. A
    selection in index order (the default newest-first one) is then read in that order, each
    row joined by a primary-key probe: no aggregate, no sort.
    Parameters are bound client-side by psycopg (COPY takes no server-side parameters).
    Raises EmptyResultSet for a selection that is empty by construction (`.none()`).
    """
    url_before, url_after = claim_url_parts()
    columns = {}
    for column in STORED:
        expression = F(column.field)
        if column.value == "text":
            expression = _FormulaSafe(expression)
        elif column.value == "timestamp":
            expression = _UtcTimestamp(expression)
        columns[f"csv_{column.name}"] = expression
    columns["csv_url"] = Concat(
        Value(url_before), F("slug"), Value(url_after), output_field=TextField()
    )
    order_columns, order = order_keys(queryset)
    connection = connections[queryset.db]
    rows = queryset.annotate(**columns, **order_columns).values_list(*columns, *order_columns)
    if not queryset.query.is_sliced:  # a slice needs its ORDER BY to pick its rows
        # The outer query sorts: an ORDER BY inside the subquery would only sort twice.
        rows = rows.order_by()
    selection = connection.ops.compose_sql(*rows.query.sql_with_params())
    from_summary = {
        "supporting": "COALESCE(summary.supporting, 0)",
        "contradicting": "COALESCE(summary.contradicting, 0)",
        # NULL (no citations) is written unquoted, as the generic writer writes "".
        "citations": f"NULLIF({_formula_safe_sql('summary.citations')}, '')",
    }
    cells = [
        from_summary.get(column.name) or f'selection."csv_{column.name}"'
        for column in CLAIM_COLUMNS
    ]
    order_sql = f" ORDER BY {', '.join(order)}" if order else ""
    select = (
        f"SELECT {', '.join(cells)} FROM ({selection}) AS selection"
        # LATERAL (OFFSET 0 keeps it a subquery): one primary-key probe per selected row, so
        # the selection keeps its index order. As a plain join the planner hashes the whole
        # table and sorts the whole result again.
        " LEFT JOIN LATERAL (SELECT s.supporting, s.contradicting, s.citations"
        f' FROM {SUMMARY_TABLE} AS s WHERE s.claim_id = selection."csv_id" OFFSET 0)'
        f" AS summary ON TRUE{order_sql}"  # nosec B608 # model names; values bound
    )
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER false)"


@contextmanager
def copy_out(statement: str, using: str):
    """`COPY … TO STDOUT` of `statement` with COPY_SETTINGS, in a transaction of its own
    (SET LOCAL needs one; it ends with the export, or its interruption): the CSV's and the
    dump's. Yields psycopg's Copy, an iterable of the data as it arrives."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        for setting, value in COPY_SETTINGS.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [setting, value])
        with cursor.copy(statement) as copy:
            yield copy


def _copy_chunks(statement: str | None, using: str) -> Iterator[bytes]:
    if statement is None:  # empty by construction: no query to run
        return
    with copy_out(statement, using) as copy:
        buffer = bytearray()
        for data in copy:
            buffer += data
            if len(buffer) >= COPY_BUFFER:
                yield bytes(buffer)
                buffer.clear()
        if buffer:
            yield bytes(buffer)


# --- public API -----------------------------------------------------------------------------


def header_bytes(*, excel: bool = False) -> bytes:
    return (BOM if excel else b"") + _encode_rows([list(CSV_HEADER)])


def iter_csv(
    queryset: QuerySet, *, excel: bool = False, use_copy: bool | None = None
) -> Iterator[bytes]:
    """The CSV report of `queryset` (already filtered and ordered), header first, as bytes.

    Keeps the queryset's rows and order exactly; `use_copy` picks the writer (default:
    COPY on PostgreSQL, the generic writer elsewhere). Nothing runs until the first `next()`.
    """
    if use_copy is None:
        use_copy = connections[queryset.db].vendor == "postgresql"
    # Build the query now, so a mistake fails before the first byte (a plain error), not
    # part-way through the download.
    if use_copy:
        try:
            statement = copy_sql(queryset)
        except EmptyResultSet:
            statement = None
        body = _copy_chunks(statement, queryset.db)
    else:
        body = _generic_chunks(queryset, claim_url_parts())
    return _guarded(header_bytes(excel=excel), body)


def _guarded(header: bytes, body: Iterable[bytes]) -> Iterator[bytes]:
    """Yield header and body; on a failure, mark the file as incomplete, then re-raise."""
    yield header
    try:
        yield from body
    except Exception as exc:
        logger.exception("CSV export failed part-way")
        yield (
            f"\n{INCOMPLETE_MARKER}: the export stopped early ({type(exc).__name__}); "
            "rows are missing. Download it again.\n"
        ).encode()
        raise


def csv_filename(prefix: str = "claims") -> str:
    return f"{prefix}-{timezone.now().astimezone(UTC).date().isoformat()}.csv"


def csv_response(
    queryset: QuerySet, *, excel: bool = False, filename: str | None = None
) -> StreamingHttpResponse:
    """Stream the CSV report of `queryset` as an attachment named claims-YYYY-MM-DD.csv."""
    return download(
        queryset.db,
        iter_csv(queryset, excel=excel),
        "text/csv; charset=utf-8",
        filename or csv_filename(),
    )


def download(using: str, chunks: Iterator[bytes], content_type: str, filename: str):
    """A streamed attachment of `chunks`, the CSV's and the dump's.

    Asks the database for `SELECT 1` before the response starts, so a database that is away
    gives a 503 page (claims.health) rather than a 200 whose body can only say it is incomplete.
    """
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1")
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Don't let a proxy buffer a long download. Caching is claims.caching's: public for
    # anonymous readers (with an ETag, so a revalidation never starts the export), while the
    # admin's export is `no-store` like every admin page.
    response["X-Accel-Buffering"] = "no"
    return response


def admin_csv_response(queryset: QuerySet) -> StreamingHttpResponse:
    """The admin's "Export selected as CSV": same columns, any status (the status column says).

    Keeps the admin's ordering when it has one, else the claims' default (newest first), with
    `-pk` as the final tiebreaker.
    """
    if not queryset.ordered:
        queryset = queryset.order_by("-created_at", "-pk")
    return csv_response(queryset, filename=csv_filename("claims-selected"))
