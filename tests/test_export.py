import csv
import io
import tracemalloc
from datetime import UTC, datetime

import pandas as pd
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from claims import export
from claims.columns import CLAIM_COLUMNS, CSV_HEADER, PAGE_COLUMNS
from claims.filters import select_claims
from claims.models import Citation, Claim, Evidence, Source
from claims.scales import ClaimType, Grade, SourceKind, Stance, Status, Verdict
from tests.factories import (
    SOURCE_TEXT,
    CitationFactory,
    ClaimFactory,
    EvidenceFactory,
)

pytestmark = pytest.mark.django_db

PRODUCT_COLUMNS = [
    "id",
    "claim",
    "subject",
    "outcome",
    "claim_type",
    "grade",
    "verdict",
    "status",
    "source_title",
    "source_url",
    "quote",
    "rationale",
    "supporting",
    "contradicting",
    "citations",
    "appearances",
    "reviewed_at",
    "url",
]
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


def export_bytes(queryset, **kwargs) -> bytes:
    return b"".join(export.iter_csv(queryset, **kwargs))


def read_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def published():
    return Claim.objects.published().order_by("-created_at", "-pk")


def test_csv_columns_are_product_contract():
    header = export_bytes(Claim.objects.none())

    assert list(CSV_HEADER) == PRODUCT_COLUMNS
    assert header == (",".join(PRODUCT_COLUMNS) + "\n").encode()
    assert {c.name for c in PAGE_COLUMNS} <= set(CSV_HEADER)
    assert [c.name for c in CLAIM_COLUMNS if c.field is None] == list(export.COMPUTED)


@pytest.mark.parametrize("use_copy", [False, None])
def test_empty_selection_gives_header_only(use_copy):
    ClaimFactory()  # a candidate: never public

    data = export_bytes(published(), use_copy=use_copy)

    assert data == (",".join(PRODUCT_COLUMNS) + "\n").encode()


def test_row_holds_codes_counts_citations_and_urls(settings):
    settings.SITE_URL = "https://claims.example.org"
    claim = ClaimFactory(
        published=True,
        statement="Kratom eases withdrawal",
        claim_type=ClaimType.EFFICACY,
        grade=Grade.LOW,
        verdict=Verdict.PARTLY_SUPPORTED,
        source__title="Kratom, hair and you",
        source__url="https://example.org/kratom",
    )
    Claim.objects.filter(pk=claim.pk).update(
        reviewed_at=datetime(2026, 11, 27, 9, 5, 7, 999999, tzinfo=UTC)
    )
    first = CitationFactory(authors="Smith J, Jones K", year=2019, doi="10.1000/a.1")
    second = CitationFactory(
        authors="", title="FDA statement", year=None, doi="", url="https://fda.gov/k"
    )
    third = CitationFactory(authors="Lee A", year=2021, doi="", url="")
    EvidenceFactory(claim=claim, citation=first, stance=Stance.SUPPORTS)
    EvidenceFactory(claim=claim, citation=second, stance=Stance.CONTRADICTS)
    EvidenceFactory(claim=claim, citation=third, stance=Stance.SUPPORTS)
    EvidenceFactory(
        claim=claim,
        stance=Stance.BACKGROUND,
        citation__authors="Bg B",
        citation__year=2000,
        citation__doi="10.1000/bg",
    )

    [row] = read_rows(export_bytes(published()))

    assert row == {
        "id": str(claim.pk),
        "claim": "Kratom eases withdrawal",
        "subject": "kratom",
        "outcome": "hair regrowth",
        "claim_type": "efficacy",
        "grade": "low",
        "verdict": "partly_supported",
        "status": "published",
        "source_title": "Kratom, hair and you",
        "source_url": "https://example.org/kratom",
        "quote": "Kratom may help hair regrow after detox.",
        "rationale": "No study has looked at kratom and hair regrowth.",
        "supporting": "2",
        "contradicting": "1",
        "citations": "Smith J, Jones K (2019) 10.1000/a.1 | FDA statement (n.d.) https://fda.gov/k"
        " | Lee A (2021) | Bg B (2000) 10.1000/bg",
        "appearances": "1",
        "reviewed_at": "2026-11-27T09:05:07Z",
        "url": f"https://claims.example.org/claims/{claim.slug}/",
    }


def test_citation_reference_is_the_models_reference():
    citations = [
        CitationFactory(),
        CitationFactory(authors="", year=None),
        CitationFactory(doi="", url="https://example.org/x"),
        CitationFactory(authors="", doi="", url=""),
    ]

    references = [
        export.citation_reference(
            authors=c.authors, title=c.title, year=c.year, doi=c.doi, url=c.url
        )
        for c in citations
    ]

    assert references == [c.reference for c in citations]


@pytest.mark.parametrize("start", FORMULA_STARTS)
@pytest.mark.parametrize("use_copy", [False, None])
def test_formula_cells_are_made_inert(start, use_copy):
    claim = ClaimFactory(
        published=True,
        statement=f'{start}HYPERLINK("http://evil")',
        rationale=f"{start}1+1",
        source__title=f"{start}cmd|' /C calc'!A0",
    )
    EvidenceFactory(
        claim=claim,
        stance=Stance.SUPPORTS,
        citation__authors="",
        citation__title=f"{start}SUM(A1:A9)",
        citation__year=None,
        citation__doi="",
    )

    data = export_bytes(published(), use_copy=use_copy)
    [row] = read_rows(data)

    assert row["claim"] == f'\'{start}HYPERLINK("http://evil")'
    assert row["rationale"] == f"'{start}1+1"
    assert row["source_title"] == f"'{start}cmd|' /C calc'!A0"
    assert row["citations"] == f"'{start}SUM(A1:A9) (n.d.)"
    # Numbers stay numbers: no quote mark, no prefix.
    assert data.decode().splitlines()[1].startswith(f"{claim.pk},")
    assert (row["id"], row["supporting"], row["contradicting"]) == (str(claim.pk), "1", "0")


def test_fields_with_separators_are_quoted_rfc4180():
    claim = ClaimFactory(published=True, statement='Says "cures", really', rationale="a\rb")
    Claim.objects.filter(pk=claim.pk).update(outcome="line one\nline two")

    data = export_bytes(published())

    line = data.decode()
    assert '"Says ""cures"", really"' in line
    assert '"line one\nline two"' in line
    assert '"a\rb"' in line  # a lone CR is quoted too, as COPY does
    assert line.endswith("/\n")
    assert "\r\n" not in line


def test_rows_and_order_follow_the_queryset_across_chunks(monkeypatch):
    monkeypatch.setattr(export, "CHUNK_SIZE", 3)
    claims = ClaimFactory.create_batch(8, published=True)
    ClaimFactory.create_batch(2)  # unpublished
    queryset = Claim.objects.published().order_by("statement", "-pk")

    rows = read_rows(export_bytes(queryset, use_copy=False))

    assert [int(r["id"]) for r in rows] == list(queryset.values_list("pk", flat=True))
    assert sorted(int(r["id"]) for r in rows) == sorted(c.pk for c in claims)


def test_excel_option_starts_with_a_byte_order_mark():
    ClaimFactory(published=True)

    data = export_bytes(published(), excel=True)

    assert data.startswith(b"\xef\xbb\xbfid,claim,")
    assert data[3:] == export_bytes(published())


def test_seed_unicode_round_trips_through_csv_reader_and_pandas():
    call_command("loaddata", "kratom_article", verbosity=0)
    expected = list(published().values_list("statement", "quote", "rationale"))

    data = export_bytes(published())
    rows = read_rows(data)
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8", keep_default_na=False, dtype=str)

    assert len(rows) == 20
    assert [(r["claim"], r["quote"], r["rationale"]) for r in rows] == expected
    assert frame.to_dict("records") == rows
    text = data.decode()
    assert "’" in text
    assert "—" in text


def test_failure_part_way_marks_the_file_incomplete_and_raises():
    def body():
        yield b"1,first row\n"
        raise OSError("disk went away")

    stream = export._guarded(b"id\n", body())
    received = [next(stream), next(stream), next(stream)]

    with pytest.raises(OSError, match="disk went away"):
        next(stream)

    assert received[:2] == [b"id\n", b"1,first row\n"]
    assert received[2].startswith(b"\n# EXPORT INCOMPLETE: the export stopped early (OSError)")


def test_csv_response_streams_an_attachment():
    ClaimFactory(published=True)

    response = export.csv_response(published())

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.now(UTC).date().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="claims-{today}.csv"'
    assert b"".join(response.streaming_content) == export_bytes(published())


def test_admin_export_includes_unpublished_claims_with_their_status():
    draft = ClaimFactory(status=Status.CANDIDATE)
    public = ClaimFactory(published=True)

    response = export.admin_csv_response(Claim.objects.filter(pk__in=[draft.pk, public.pk]))

    rows = read_rows(b"".join(response.streaming_content))
    assert [(int(r["id"]), r["status"]) for r in rows] == [
        (public.pk, "published"),
        (draft.pk, "candidate"),
    ]
    assert "claims-selected-" in response["Content-Disposition"]


@pytest.mark.parametrize(
    "query",
    ["", "q=hair", "grade=very_low&grade=low", "verdict=unsupported&sort=claim", "sort=-grade"],
)
def test_web_export_lists_what_the_list_view_lists(client, query):
    call_command("loaddata", "kratom_article", verbosity=0)
    ClaimFactory.create_batch(12, published=True)  # more than one page of the list
    ClaimFactory(statement="Hair draft, unpublished")

    listed = []
    page = 1
    while True:
        response = client.get(f"{reverse('claims:claim-list')}?{query}&page={page}")
        page_shown = response.context["page"]
        listed += [row.record.pk for row in page_shown.table.paginated_rows]
        if not page_shown.pager.next_url:
            break
        page += 1
    exported = client.get(f"{reverse('claims:claim-export')}?{query}")

    rows = read_rows(b"".join(exported.streaming_content))
    assert [int(r["id"]) for r in rows] == listed
    assert listed  # every query above selects something in the seed


def test_web_export_bad_query_is_400(client):
    response = client.get(f"{reverse('claims:claim-export')}?grade=excellent")

    assert response.status_code == 400


def _make_claims(count: int) -> None:
    """`count` published claims with two evidence links each, in a few bulk inserts."""
    source = Source.objects.create(title="Synthetic", kind=SourceKind.SYNTHETIC, text=SOURCE_TEXT)
    start = Claim.objects.count()
    citations = Citation.objects.bulk_create(
        CitationFactory.build(doi=f"10.1000/mem.{start}.{i}") for i in range(20)
    )
    claims = Claim.objects.bulk_create(
        (
            Claim(
                source=source,
                slug=f"synthetic-claim-{start + i}",
                statement=f"Synthetic claim {start + i} about kratom and — ’quotes’",
                quote=SOURCE_TEXT[:40],
                quote_start=0,
                quote_end=40,
                subject="kratom",
                outcome="hair regrowth",
                status=Status.PUBLISHED,
                grade=Grade.LOW,
                verdict=Verdict.UNSUPPORTED,
                rationale="Generated for the memory test; " * 4,
                published_at=timezone.now(),
            )
            for i in range(count)
        ),
        batch_size=5000,
    )
    Evidence.objects.bulk_create(
        (
            Evidence(claim=claim, citation=citations[(i + k) % 20], stance=stance)
            for i, claim in enumerate(claims)
            for k, stance in enumerate((Stance.SUPPORTS, Stance.CONTRADICTS))
        ),
        batch_size=5000,
    )


def _peak_while_exporting(queryset) -> tuple[int, int, int]:
    """(peak traced bytes, bytes written, rows) for one full export, output discarded."""
    written = rows = 0
    tracemalloc.start()
    try:
        for chunk in export.iter_csv(queryset):
            written += len(chunk)
            rows += chunk.count(b"\n")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, written, rows - 1


def test_export_memory_does_not_grow_with_rows(monkeypatch):
    # Smaller chunks keep the test quick; memory is flat once a selection spans several chunks.
    monkeypatch.setattr(export, "CHUNK_SIZE", 400)
    _make_claims(2_000)
    export_bytes(published())  # warm up: imports and URL resolver are not the export's cost
    small = _peak_while_exporting(published())
    _make_claims(8_000)

    large = _peak_while_exporting(published())

    assert (small[2], large[2]) == (2_000, 10_000)
    # 5x the rows (about 3.5 MB more CSV) may cost at most 512 kB more peak memory, which is
    # the spread between one chunk's contents and another's.
    assert large[1] - small[1] > 3_000_000
    growth = large[0] - small[0]
    assert growth < 512 * 1024, f"peak grew by {growth:,} bytes"


def test_both_writers_give_identical_bytes(postgres_only):
    awkward = ClaimFactory(
        published=True,
        statement='=SUM(1) "quoted", with comma',
        rationale="Line one\nline two\r\nthree\rfour — ’curly’",
        source__title="-dash title",
        source__url="",
    )
    Claim.objects.filter(pk=awkward.pk).update(
        subject="", outcome="", reviewed_at=datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    )
    plain = ClaimFactory(published=True)
    EvidenceFactory(
        claim=awkward, stance=Stance.SUPPORTS, citation__authors="", citation__year=None
    )
    EvidenceFactory(claim=awkward, stance=Stance.CONTRADICTS, citation__doi="", citation__url="")
    EvidenceFactory(
        claim=plain, stance=Stance.MIXED, citation__title="@at start", citation__authors=""
    )
    ClaimFactory(published=True, statement="\tTabbed", rationale="\rCR first")
    queries = [
        published(),
        Claim.objects.published().order_by(F("reviewed_at").asc(nulls_last=True), "-pk"),
        Claim.objects.all().order_by("pk"),
        select_claims(QueryDict("q=kratom")).queryset,
        select_claims(QueryDict("grade=nothing")).queryset,
        # Sort keys that are expressions (Lower, a CASE ordinal) and a descending sort whose
        # NULLs come first by default: the COPY query re-applies each one over the selection.
        select_claims(QueryDict("sort=-subject")).queryset,
        select_claims(QueryDict("sort=grade")).queryset,
        Claim.objects.published().order_by("-reviewed_at", "pk"),
    ]

    for queryset in queries:
        assert export_bytes(queryset, use_copy=True) == export_bytes(queryset, use_copy=False)
    assert export_bytes(published(), use_copy=True).count(b"\n") > 4


def _sample_for_sql_shapes() -> list[Claim]:
    claims = ClaimFactory.create_batch(6, published=True)
    for index, claim in enumerate(claims[:4]):
        for stance in (Stance.SUPPORTS, Stance.CONTRADICTS, Stance.MIXED)[: index + 1]:
            EvidenceFactory(claim=claim, stance=stance)
    return claims


def test_copy_keeps_rows_and_order_of_small_and_large_selections(postgres_only):
    claims = _sample_for_sql_shapes()
    selections = [
        published(),
        published().filter(pk__in=[claims[1].pk, claims[4].pk]),
        Claim.objects.published().order_by("pk"),
        Claim.objects.filter(pk=claims[5].pk),  # a claim without evidence
        published()[1:4],
    ]

    for queryset in selections:
        rows = read_rows(export_bytes(queryset, use_copy=True))

        assert [int(row["id"]) for row in rows] == list(queryset.values_list("pk", flat=True))
        assert rows == read_rows(export_bytes(queryset, use_copy=False))


def test_copy_reads_the_summary_not_the_evidence(postgres_only):
    statement = export.copy_sql(published())

    # The per-claim counts and citations come from the summary table (migration 0005),
    # joined 1:1: no pass over the evidence, no aggregate, one ORDER BY (the selection's).
    assert statement.count(export.SUMMARY_TABLE) == 1
    assert "claims_evidence" not in statement
    assert "GROUP BY" not in statement
    assert statement.count("ORDER BY") == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # autocommit, as in a server
def test_copy_settings_end_with_the_export(postgres_only):
    _sample_for_sql_shapes()
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        before = cursor.fetchone()[0]

    data = export_bytes(published(), use_copy=True)

    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        after = cursor.fetchone()[0]
    assert data.count(b"\n") == 7
    assert after == before
    assert export.COPY_SETTINGS["work_mem"] != before
    assert connection.in_atomic_block is False
