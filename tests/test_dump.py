"""The NDJSON dump (claims/dump.py): /api/v1/claims.ndjson and export_claims_report --format
ndjson, both writers, the API's records, failures, queries and memory."""

import io
import json
import tracemalloc
from csv import DictReader
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims import dump
from claims.filters import select_claims
from claims.models import Appearance, Claim, Source
from claims.scales import Stance, Status
from tests.factories import ClaimFactory, EvidenceFactory, SourceFactory
from tests.test_export import _make_claims

pytestmark = pytest.mark.django_db

URL = "/api/v1/claims.ndjson"
# In the document, not in a line of the dump (representations.py).
DOCUMENT_ONLY = ("modified_at", "assessment", "corrections")
HOSTILE = 'Says "cures", \\n is not \n a newline\r\n\t\x01\x1f — ’ 😀 </script><!-- \u2028'
QUERIES = ["", "q=hair", "grade=very_low&grade=low", "verdict=unsupported&sort=-claim",
           "sort=-grade", "q=kratom&sort=reviewed_at"]  # fmt: skip


def dump_bytes(queryset, **kwargs) -> bytes:
    return b"".join(dump.iter_ndjson(queryset, **kwargs))


def lines(data: bytes) -> list[dict]:
    assert data == b"" or data.endswith(b"\n")
    # Only LF ends a line: str.splitlines would also split at U+2028, which JSON leaves as is.
    return [json.loads(line) for line in data.decode().split("\n")[:-1]]


def published():
    return Claim.objects.published().order_by("-created_at", "-pk")


def run_command(tmp_path, *args) -> bytes:
    target = tmp_path / "claims.ndjson"
    call_command("export_claims_report", "--format", "ndjson", "-o", str(target), *args)
    return target.read_bytes()


@pytest.fixture
def seeded():
    call_command("loaddata", "kratom_article", verbosity=0)


def hostile_claims() -> list[Claim]:
    """Claims whose every text field holds quotes, backslashes, control characters, CR/LF,
    non-BMP emoji and </script>; works without authors, year, DOI or URL; many texts."""
    awkward = ClaimFactory(
        published=True,
        statement=HOSTILE[:300],
        rationale=HOSTILE,
        source__title=HOSTILE,
        source__url="",
    )
    Claim.objects.filter(pk=awkward.pk).update(
        subject=HOSTILE[:100],
        outcome="",
        reviewed_at=datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    )
    EvidenceFactory(claim=awkward, stance=Stance.CONTRADICTS, finding=HOSTILE,
                    citation__title=HOSTILE, citation__authors="", citation__year=None,
                    citation__doi="", citation__url="")  # fmt: skip
    EvidenceFactory(claim=awkward, stance=Stance.SUPPORTS, finding="",
                    citation__venue=HOSTILE, citation__url="https://example.org/\\x")  # fmt: skip
    EvidenceFactory(claim=awkward, stance=Stance.MIXED, citation__is_retracted=True,
                    citation__retraction_status="retracted",
                    citation__retraction_date=datetime(2024, 5, 6).date())  # fmt: skip
    plain = ClaimFactory(published=True)
    EvidenceFactory(claim=plain, stance=Stance.SUPPORTS)
    ClaimFactory(published=True, statement="No evidence\rat all")
    ClaimFactory()  # a candidate: never in the dump
    return [awkward, plain]


def many_appearances(claim: Claim, count: int) -> None:
    """`count` more texts for `claim`, found at times that are not in id order."""
    text = SourceFactory(text=HOSTILE * 2)
    start = timezone.now() - timedelta(days=count)
    Appearance.objects.bulk_create(
        Appearance(claim=claim, source=text, quote=HOSTILE[:5], quote_start=i, quote_end=i + 5,
                   found_at=start + timedelta(hours=(i * 7) % count))
        for i in range(count)
    )  # fmt: skip


# --- the same bytes everywhere ---------------------------------------------------------------


@pytest.mark.parametrize("query", QUERIES)
def test_web_and_command_give_identical_bytes(client, tmp_path, seeded, query):
    hostile_claims()
    web = client.get(f"{URL}?{query}")

    data = run_command(tmp_path, "--query", query)

    assert web.status_code == 200
    assert data == b"".join(web.streaming_content)
    assert data.count(b"\n") > 1


@pytest.mark.parametrize("query", QUERIES)
def test_the_dump_lists_what_the_csv_lists_in_its_order(client, seeded, query):
    hostile_claims()
    report = client.get(f"{reverse('claims:claim-export')}?{query}")
    text = b"".join(report.streaming_content).decode()
    ids = [int(row["id"]) for row in DictReader(io.StringIO(text, newline=""))]

    records = lines(b"".join(client.get(f"{URL}?{query}").streaming_content))

    assert [record["id"] for record in records] == ids


def test_both_writers_give_identical_bytes(postgres_only):
    awkward, _ = hostile_claims()
    many_appearances(awkward, 120)
    queries = [
        published(),
        Claim.objects.published().order_by(F("reviewed_at").asc(nulls_last=True), "-pk"),
        Claim.objects.published().order_by("pk"),
        published()[1:3],
        Claim.objects.none(),
        select_claims(QueryDict("q=kratom")).queryset,
        select_claims(QueryDict("grade=nothing")).queryset,
        select_claims(QueryDict("sort=-subject")).queryset,
        select_claims(QueryDict("sort=grade")).queryset,
    ]

    for queryset in queries:
        assert dump_bytes(queryset, use_copy=True) == dump_bytes(queryset, use_copy=False)
    records = lines(dump_bytes(published(), use_copy=True))
    assert len(records) == 3
    assert records[-1]["rationale"] == HOSTILE  # escaped by PostgreSQL, read back exactly
    assert len(records[-1]["appearances"]) == 121


def test_a_claim_whose_line_is_missing_stops_the_dump_with_its_error_line(postgres_only):
    """Lines are kept by triggers (migration 0021); one missing (a write with triggers off) must
    not quietly leave its claim out."""
    first, second = ClaimFactory.create_batch(2, published=True)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM claims_claimrecord WHERE claim_id = %s", [first.pk])
    received = []

    with pytest.raises(dump.MissingLine, match=f"claim {first.pk} has no line"):
        received.extend(dump.iter_ndjson(published(), use_copy=True))
    assert json.loads(received[-1])["error"].startswith("The dump stopped early (MissingLine)")


def test_lines_follow_every_write_that_changes_them(postgres_only):
    """The triggers rebuild a line on each write it depends on; check_listing_tables agrees."""
    claim = ClaimFactory(published=True)
    link = EvidenceFactory(claim=claim, finding="Before.")

    def line():
        return lines(dump_bytes(published(), use_copy=True))[0]

    link.finding = "After."
    link.save()
    assert line()["evidence"][0]["finding"] == "After."
    link.citation.title = "Renamed work"
    link.citation.save()
    assert line()["evidence"][0]["citation"]["title"] == "Renamed work"
    claim.source.title = "Renamed text"
    claim.source.save()
    assert line()["source_title"] == line()["appearances"][0]["source_title"] == "Renamed text"
    Claim.objects.filter(pk=claim.pk).update(rationale="New rationale")
    assert line()["rationale"] == "New rationale"
    link.delete()
    assert line()["evidence"] == []
    Claim.objects.filter(pk=claim.pk).update(status=Status.IN_REVIEW)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claimrecord")
        assert cursor.fetchone() == (0,)
    assert dump_bytes(published(), use_copy=True) == b""


def test_binary_copy_stream_is_read_however_it_is_cut():
    rows = [b'{"id":1}', b'{"a":"\\\\"}', b""]
    stream = dump.BINARY_SIGNATURE + b"\0\0\0\0" + b"\0\0\0\0"
    for row in rows:
        stream += b"\0\x01" + len(row).to_bytes(4, "big") + row
    stream += b"\xff\xff"
    expected = b"".join(row + b"\n" for row in rows)

    for size in (1, 3, 7, 19, 25, len(stream)):
        pieces = [stream[i : i + size] for i in range(0, len(stream), size)]
        assert b"".join(dump._binary_lines(pieces)) == expected
    with pytest.raises(ValueError, match="part-way"):
        list(dump._binary_lines([stream[:-5]]))


# --- each line is the API's record -----------------------------------------------------------


def test_each_line_is_the_claim_document_without_its_document_only_keys(client, seeded):
    awkward, _ = hostile_claims()
    many_appearances(awkward, 120)  # the document shows 100; the dump every one

    for record in lines(b"".join(client.get(URL).streaming_content)):
        document = client.get(reverse("api:claim", args=[record["slug"]])).json()
        for key in DOCUMENT_ONLY:
            document.pop(key)
        if record["id"] == awkward.pk:
            assert len(record["appearances"]) == 121
            assert record["appearances"][:100] == document["appearances"]
            document["appearances"] = record["appearances"]
        assert record == document
    assert list(record) == list(document)  # the same keys in the same order


def test_a_record_holds_evidence_by_link_id_and_appearances_oldest_first():
    awkward, _ = hostile_claims()
    many_appearances(awkward, 30)

    record = next(r for r in lines(dump_bytes(published())) if r["id"] == awkward.pk)

    links = list(awkward.evidence.order_by("pk"))
    assert [item["id"] for item in record["evidence"]] == [link.pk for link in links]
    assert record["citations"] == [link.citation.reference for link in links]
    assert (record["supporting"], record["contradicting"]) == (1, 1)
    texts = Appearance.objects.filter(claim=awkward).order_by("found_at", "pk")
    assert [item["id"] for item in record["appearances"]] == [a.pk for a in texts]
    assert record["reviewed_at"] == "2025-01-02T03:04:05Z"


@pytest.mark.parametrize("use_copy", [False, None])
def test_empty_selection_gives_no_bytes(use_copy):
    ClaimFactory()  # a candidate

    assert dump_bytes(published(), use_copy=use_copy) == b""


def test_rows_and_order_follow_the_queryset_across_chunks(monkeypatch):
    monkeypatch.setattr(dump, "CHUNK_SIZE", 3)
    ClaimFactory.create_batch(8, published=True)
    queryset = Claim.objects.published().order_by("statement", "-pk")

    records = lines(dump_bytes(queryset, use_copy=False))

    assert [r["id"] for r in records] == list(queryset.values_list("pk", flat=True))


def test_the_response_is_a_streamed_attachment(client):
    ClaimFactory(published=True)

    response = client.get(URL)

    assert response.streaming
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    today = datetime.now(UTC).date().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="claims-{today}.ndjson"'
    assert response["X-Accel-Buffering"] == "no"
    assert b"".join(response.streaming_content) == dump_bytes(published())


# --- failures and bad queries ----------------------------------------------------------------


def test_failure_part_way_ends_with_the_error_line_and_raises(monkeypatch):
    monkeypatch.setattr(dump, "CHUNK_SIZE", 2)
    ClaimFactory.create_batch(5, published=True)
    calls = []
    real = dump._appearances

    def failing(ids, using):
        calls.append(ids)
        if len(calls) == 2:
            raise OSError("disk went away")
        return real(ids, using)

    monkeypatch.setattr(dump, "_appearances", failing)
    stream = dump.iter_ndjson(published(), use_copy=False)
    received = [next(stream), next(stream)]

    with pytest.raises(OSError, match="disk went away"):
        next(stream)
    assert [len(lines(chunk)) for chunk in received] == [2, 1]
    error = lines(received[1])[-1]
    assert list(error) == ["error"]
    assert "stopped early (OSError)" in error["error"]
    assert "missing" in error["error"]


def test_the_command_fails_loudly_and_its_file_ends_with_the_error_line(monkeypatch, tmp_path):
    monkeypatch.setattr(dump, "CHUNK_SIZE", 1)
    ClaimFactory.create_batch(3, published=True)
    monkeypatch.setattr(dump, "_generic_chunks", _two_then_fail)
    monkeypatch.setattr(dump.connections["default"], "vendor", "sqlite")

    with pytest.raises(CommandError, match=r'incomplete and ends with an \{"error"'):
        run_command(tmp_path)
    written = lines((tmp_path / "claims.ndjson").read_bytes())
    assert [list(record) for record in written] == [["id"], ["error"]]


def _two_then_fail(queryset):
    yield b'{"id":1}\n'
    raise RuntimeError("lost the database")


def test_bad_query_is_a_problem_on_the_web_and_an_error_in_the_command(client, tmp_path):
    response = client.get(f"{URL}?grade=excellent")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "excellent" in response.json()["detail"]
    with pytest.raises(CommandError, match="excellent"):
        run_command(tmp_path, "--grade", "excellent")


def test_excel_is_for_the_csv_only(tmp_path):
    with pytest.raises(CommandError, match="--excel applies to the CSV report only"):
        run_command(tmp_path, "--excel")


# --- queries and memory ----------------------------------------------------------------------


def _queries(count: int) -> int:
    Claim.objects.all().delete()
    Source.objects.all().delete()
    for claim in ClaimFactory.create_batch(count, published=True):
        EvidenceFactory.create_batch(2, claim=claim)
    with CaptureQueriesContext(connection) as captured:
        data = dump_bytes(published(), use_copy=False)
    assert data.count(b"\n") == count
    return len(captured)


def test_the_generic_writer_runs_two_queries_per_chunk(monkeypatch):
    monkeypatch.setattr(dump, "CHUNK_SIZE", 4)

    counts = [_queries(count) for count in (4, 8, 12)]

    # The claims (one query, read in chunks), then per chunk its evidence (with the works)
    # and its appearances (with the texts): never a query per claim, link or text.
    assert counts[1] - counts[0] == counts[2] - counts[1] == 2


def _peak_while_dumping(queryset) -> tuple[int, int, int]:
    """(peak traced bytes, bytes written, lines) for one full dump, output discarded."""
    written = count = 0
    tracemalloc.start()
    try:
        for chunk in dump.iter_ndjson(queryset):
            written += len(chunk)
            count += chunk.count(b"\n")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, written, count


def test_dump_memory_does_not_grow_with_claims(monkeypatch):
    monkeypatch.setattr(dump, "CHUNK_SIZE", 400)
    _make_claims(2_000)
    dump_bytes(published())  # warm up: imports and URL resolver are not the dump's cost
    small = _peak_while_dumping(published())
    _make_claims(8_000)

    large = _peak_while_dumping(published())

    assert (small[2], large[2]) == (2_000, 10_000)
    # 5x the claims (about 12 MB more NDJSON) may cost at most 1 MB more peak memory: the
    # spread between one chunk (or COPY buffer) and another.
    assert large[1] - small[1] > 10_000_000
    growth = large[0] - small[0]
    assert growth < 1024 * 1024, f"peak grew by {growth:,} bytes"
