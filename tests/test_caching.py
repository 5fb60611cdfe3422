"""Conditional GET, Cache-Control and compression (claims/caching.py, claims/compression.py,
claims/dataversion.py): per content type, what a change of the data does to the validator,
what a session or a CSRF token turns off, and the streamed exports."""

import gzip
import zlib
from io import StringIO

import brotli
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse

from claims import compression, dataversion, services
from claims.scales import Grade, Status, Verdict
from tracker.urls import urlpatterns as site_urlpatterns

from .factories import CitationFactory, ClaimFactory, EvidenceFactory, staff_in

pytestmark = pytest.mark.django_db

PUBLIC = "public, max-age=60, stale-while-revalidate=300"
ATOM = (
    '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
    + "<entry><title>Kratom aids hair regrowth</title></entry>" * 20
    + "</feed>"
)


def atom(request):
    """Stands in for the feeds (another branch): any Atom response gets the same treatment."""
    return HttpResponse(ATOM, content_type="application/atom+xml; charset=utf-8")


urlpatterns = [path("feeds/test.atom", atom), *site_urlpatterns]


@pytest.fixture
def claim():
    claim = ClaimFactory(published=True, statement="Kratom aids hair regrowth after detox")
    EvidenceFactory(claim=claim, citation=CitationFactory())
    ClaimFactory.create_batch(3, published=True)
    return claim


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def decoded(response) -> bytes:
    raw = body(response)
    coding = response.get("Content-Encoding")
    if coding == "gzip":
        return gzip.decompress(raw)
    if coding == "br":
        return brotli.decompress(raw)
    assert coding is None
    return raw


# Each content type the public reads: (URL, content type).
URLS = {
    "html": (lambda c: reverse("claims:claim-list") + "?q=kratom", "text/html"),
    "html_claim": (lambda c: c.get_absolute_url(), "text/html"),
    "json": (lambda c: reverse("api:claims") + "?q=kratom", "application/json"),
    "json_claim": (lambda c: reverse("api:claim", args=[c.slug]), "application/json"),
    "csv": (lambda c: reverse("claims:claim-export"), "text/csv"),
    "ndjson": (lambda c: reverse("api:claims-ndjson"), "application/x-ndjson"),
    "xml": (lambda c: "/sitemap-claims.xml", "application/xml"),
    "atom": (lambda c: "/feeds/test.atom", "application/atom+xml"),
    "atom_claims": (lambda c: "/feeds/claims.atom", "application/atom+xml"),
    "atom_corrections": (
        lambda c: "/feeds/corrections.atom?subject=kratom",
        "application/atom+xml",
    ),
    "robots": (lambda c: "/robots.txt", "text/plain"),
    "bibtex": (lambda c: reverse("claims:claim-references", args=[c.slug, "bib"]), ""),
}


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("kind", URLS)
def test_every_content_type_has_validators_and_revalidates_to_304(client, claim, kind):
    url, content_type = URLS[kind][0](claim), URLS[kind][1]

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["ETag"].startswith('W/"')
    assert response["Last-Modified"].endswith(" GMT")
    assert response["Cache-Control"] == PUBLIC
    assert "Accept-Encoding" in response["Vary"]
    assert "Content-Encoding" not in response  # the client did not ask
    identity = body(response)

    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert (again.status_code, again.content) == (304, b"")
    assert (again["ETag"], again["Cache-Control"]) == (response["ETag"], PUBLIC)
    assert "Accept-Encoding" in again["Vary"]
    # A list of tags, strong or weak, matches by weak comparison.
    listed = client.get(url, HTTP_IF_NONE_MATCH=f'"x", {response["ETag"].removeprefix("W/")}')
    assert listed.status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='W/"stale"').status_code == 200
    assert client.head(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    head = client.head(url)
    assert (head.status_code, head["ETag"]) == (200, response["ETag"])

    for coding in ("gzip", "br"):
        compressed = client.get(url, HTTP_ACCEPT_ENCODING=f"{coding}, identity;q=0.5")
        # Below 200 bytes (a one-entry reference list) compressing gains nothing.
        small = not compressed.streaming and len(identity) < compression.MIN_LENGTH
        assert compressed.get("Content-Encoding") == (None if small else coding)
        assert compressed["ETag"] == response["ETag"]  # weak: one tag for every coding
        assert decoded(compressed) == identity


def test_a_query_parameter_the_tag_is_made_of_and_one_it_ignores_not(client, claim):
    first = client.get("/claims/?q=kratom")["ETag"]

    assert client.get("/claims/?q=hair")["ETag"] != first
    assert client.get("/claims/?q=kratom&grade=low")["ETag"] != first
    # Every parameter counts (a view may read one a list would miss), in any order.
    assert client.get("/claims/?q=kratom&utm_source=x")["ETag"] != first
    both = client.get("/claims/?q=kratom&grade=low")["ETag"]
    assert client.get("/claims/?grade=low&q=kratom")["ETag"] == both


def test_if_modified_since_alone_gives_no_304(client, claim):
    """It has one-second resolution and cannot see a deploy: only the ETag revalidates."""
    response = client.get("/claims/")

    again = client.get("/claims/", HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])

    assert again.status_code == 200


def test_a_new_release_changes_every_tag(client, claim):
    before = client.get("/claims/")["ETag"]

    with override_settings(RELEASE="2026.12.1"):
        after = client.get("/claims/")["ETag"]
        assert client.get("/claims/", HTTP_IF_NONE_MATCH=before).status_code == 200

    assert after != before


# --- The data version: any writer moves it, at commit -------------------------------------


def tags(client, claim) -> dict:
    urls = ["/claims/", claim.get_absolute_url(), reverse("api:claims"), "/claims/export.csv"]
    return {url: client.get(url)["ETag"] for url in urls}


def ready_claim():
    claim = ClaimFactory(
        status=Status.IN_REVIEW, grade=Grade.LOW, verdict=Verdict.PARTLY_SUPPORTED,
        rationale="Surveys only.",
    )  # fmt: skip
    EvidenceFactory(claim=claim)
    return claim


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the bump is at commit
def test_a_publication_changes_every_validator_and_a_rollback_none(client, claim):
    editor, waiting = staff_in("Editors"), ready_claim()
    before, version = tags(client, claim), dataversion.current()
    stale = client.get("/claims/")

    def publish_then_fail():
        with transaction.atomic():
            services.publish_claim(claim=waiting, user=editor)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        publish_then_fail()
    assert tags(client, claim) == before

    services.publish_claim(claim=waiting, user=editor)

    after = tags(client, claim)
    assert all(after[url] != before[url] for url in before)
    assert dataversion.current().counter == version.counter + 1  # one transaction, one bump
    assert client.get("/claims/", HTTP_IF_NONE_MATCH=stale["ETag"]).status_code == 200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_and_raw_sql_change_the_validator(client, claim, tmp_path):
    before = dataversion.current()
    text = tmp_path / "article.txt"
    text.write_text("Kratom cures baldness in a week. Kratom also improves sleep.\n")

    call_command("import_source", str(text), "--title", "Another article", stdout=StringIO())
    imported = dataversion.current()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE claims_citation SET title = title || '.'")
    written = dataversion.current()

    assert before.counter < imported.counter < written.counter
    assert before.changed_at <= imported.changed_at <= written.changed_at


def test_what_no_public_page_reads_leaves_the_version_alone(claim):
    before = dataversion.current()

    with connection.cursor() as cursor:
        cursor.execute("UPDATE auth_user SET last_login = NULL")
        cursor.execute("DELETE FROM django_session")

    assert dataversion.current() == before


def test_the_sqlite_triggers_come_back_after_a_table_rebuild():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite drops a table's triggers when Django rebuilds it")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER claims_evidence_data_version_insert")

    dataversion.repair_after_migrate(sender=None)

    before = dataversion.current()
    EvidenceFactory(claim=ClaimFactory(published=True))
    assert dataversion.current().counter > before.counter


def version_reads(client, url, n: int) -> int:
    """How many of `n` anonymous GETs of `url` read the data version."""
    with CaptureQueriesContext(connection) as queries:
        for _ in range(n):
            assert client.get(url).status_code == 200
    return sum(dataversion.TABLE in q["sql"] for q in queries.captured_queries)


def test_a_process_reads_the_version_once_in_its_window(client, claim, settings, monkeypatch):
    settings.CLAIMS_DATA_VERSION_CACHE_MS = 1000
    now = [1000.0]
    monkeypatch.setattr(dataversion.time, "monotonic", lambda: now[0])

    assert version_reads(client, "/claims/", 5) == 1
    now[0] += 0.999
    assert version_reads(client, claim.get_absolute_url(), 3) == 0
    now[0] += 0.002  # the window has passed
    assert version_reads(client, "/claims/", 3) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the bump is at commit
def test_a_held_version_is_never_newer_than_the_page_and_a_write_here_drops_it(
    client, claim, settings, monkeypatch
):
    settings.CLAIMS_DATA_VERSION_CACHE_MS = 60_000
    now = [1000.0]
    monkeypatch.setattr(dataversion.time, "monotonic", lambda: now[0])
    first = client.get("/claims/")

    # Another process publishes: this one may answer 304 for up to its window (as a CDN's
    # max-age would), and what it renders meanwhile is newer than the tag, never older.
    services.publish_claim(claim=ready_claim(), user=staff_in("Editors"))
    assert client.get("/claims/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get("/claims/")["ETag"] == first["ETag"]

    # A write through this process (any POST, here a reader's error report) drops the held
    # version: the next request reads it afresh.
    client.post(reverse("claims:claim-report", args=[claim.slug]), {})
    assert client.get("/claims/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


# --- What is never public, never compressed ---------------------------------------------


def test_a_logged_in_reader_gets_private_uncompressed_pages(client, claim):
    client.force_login(staff_in("Editors"))

    for url in ["/claims/", claim.get_absolute_url(), reverse("api:claims")]:
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert "ETag" not in response
        assert "Content-Encoding" not in response


def test_the_report_form_is_never_cached_publicly_nor_compressed(client, claim):
    """It carries a CSRF token: compressed beside reflected input, BREACH could read it."""
    url = reverse("claims:claim-report", args=[claim.slug])
    page_tag = client.get(claim.get_absolute_url())["ETag"]

    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br", HTTP_IF_NONE_MATCH=page_tag)

    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response
    assert "Content-Encoding" not in response


def test_the_admin_is_never_compressed(client, claim):
    login = client.get("/admin/login/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert login.status_code == 200
    assert "Content-Encoding" not in login
    assert "public" not in login["Cache-Control"]

    client.force_login(staff_in("Editors"))
    changelist = client.get(reverse("admin:claims_claim_changelist"), HTTP_ACCEPT_ENCODING="br")
    assert changelist.status_code == 200
    assert "Content-Encoding" not in changelist
    assert "no-store" in changelist["Cache-Control"]


def test_healthz_is_never_cached(client):
    response = client.get("/healthz", HTTP_ACCEPT_ENCODING="gzip")

    assert "no-store" in response["Cache-Control"]
    assert "ETag" not in response


# --- Compression ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        ("", None),
        ("identity", None),
        ("gzip", "gzip"),
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("*", "br"),
        ("*;q=0, gzip", "gzip"),
        ("GZIP;Q=1", "gzip"),
        ("br;q=nonsense, gzip", "gzip"),
    ],
)
def test_the_coding_follows_accept_encoding(header, coding):
    assert compression.accepted(header) == coding


def test_a_tiny_or_binary_response_is_not_compressed(client, claim):
    redirect = client.get("/", HTTP_ACCEPT_ENCODING="gzip")  # an empty body

    assert "Content-Encoding" not in redirect
    assert not compression.compressible("image/png")
    assert compression.compressible("application/problem+json")


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_the_exports_stay_streamed_when_compressed(client, claim, coding):
    for url in ["/claims/export.csv", reverse("api:claims-ndjson")]:
        plain = client.get(url)
        response = client.get(url, HTTP_ACCEPT_ENCODING=coding)

        assert response.streaming
        assert "Content-Length" not in response
        assert response["Content-Encoding"] == coding
        assert decoded(response) == body(plain)


def test_a_revalidated_export_is_not_started(client, claim):
    tag = client.get("/claims/export.csv")["ETag"]
    dump_tag = client.get(reverse("api:claims-ndjson"))["ETag"]

    with CaptureQueriesContext(connection) as queries:
        csv = client.get("/claims/export.csv", HTTP_IF_NONE_MATCH=tag)
        ndjson = client.get(reverse("api:claims-ndjson"), HTTP_IF_NONE_MATCH=dump_tag)

    assert (csv.status_code, ndjson.status_code) == (304, 304)
    sqls = [query["sql"] for query in queries.captured_queries]
    assert len(sqls) == 2  # the data version, once each
    assert all(dataversion.TABLE in sql and "COPY" not in sql.upper() for sql in sqls)


def test_a_cut_stream_stays_cut_when_compressed():
    def failing():
        yield b"claim,grade\n" * 100
        yield b"\n# INCOMPLETE: the export stopped early\n"
        raise OSError("connection lost")

    for coding in ("gzip", "br"):
        received = []
        with pytest.raises(OSError, match="connection lost"):
            received.extend(compression.compress_stream(failing(), coding))
        raw = b"".join(received)
        if coding == "gzip":
            inflater = zlib.decompressobj(31)
            text = inflater.decompress(raw)
            assert not inflater.eof  # no gzip trailer: a decompressor reports a cut file
        else:
            inflater = brotli.Decompressor()
            text = inflater.process(raw)
            assert not inflater.is_finished()
        assert text.endswith(b"# INCOMPLETE: the export stopped early\n")


@pytest.mark.parametrize("debug", [True, False])
def test_debug_on_and_off_behave_the_same(client, claim, debug):
    with override_settings(DEBUG=debug):
        response = client.get("/claims/?q=kratom", HTTP_ACCEPT_ENCODING="gzip")
        again = client.get("/claims/?q=kratom", HTTP_IF_NONE_MATCH=response["ETag"])

    assert (response["Cache-Control"], response["Content-Encoding"]) == (PUBLIC, "gzip")
    assert again.status_code == 304


def test_the_headers_follow_their_settings(client, claim):
    with override_settings(CACHE_MAX_AGE=5, CACHE_STALE_WHILE_REVALIDATE=0):
        response = client.get("/claims/")

    assert response["Cache-Control"] == "public, max-age=5, stale-while-revalidate=0"


def test_whitenoise_writes_brotli_static_files():
    from whitenoise.compress import Compressor

    assert Compressor(quiet=True).use_brotli
