import logging
import threading
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import (
    IntegrityError,
    OperationalError,
    close_old_connections,
    connection,
    connections,
)
from django.http import HttpResponse
from django.urls import path

from claims import export
from claims.models import Claim, Source
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

DETAILS = [b"Traceback", b"OperationalError", b"db.internal", b"SELECT", b'File "']


def count_claims(request):
    return HttpResponse(str(Claim.objects.count()))


def integrity_failure(request):
    raise IntegrityError("duplicate key value violates unique constraint")


# Used by @pytest.mark.urls(__name__): a view that queries, independent of the public views.
urlpatterns = [
    path("count/", count_claims),
    path("integrity/", integrity_failure),
]


def refuse_cursor(*args, **kwargs):
    raise OperationalError("server closed the connection unexpectedly (host db.internal)")


@pytest.mark.urls(__name__)
def test_database_lost_mid_request_gives_a_plain_logged_503(client, monkeypatch, caplog):
    monkeypatch.setattr(connection, "cursor", refuse_cursor)

    with caplog.at_level(logging.ERROR, logger="claims.health"):
        response = client.get("/count/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    body = response.content
    assert b"<h1>Temporarily unavailable</h1>" in body
    assert [detail for detail in DETAILS if detail in body] == []
    logged = [r for r in caplog.records if r.name == "claims.health"]
    assert [r.getMessage() for r in logged] == ["Database unavailable during GET /count/"]
    assert "db.internal" in logged[0].exc_text


@pytest.mark.urls(__name__)
def test_other_database_errors_stay_server_errors(client):
    client.raise_request_exception = False

    response = client.get("/integrity/")

    assert response.status_code == 500


@pytest.mark.parametrize(
    "url",
    ["/claims/", "/claims/?q=kratom", "/sources/", "/sitemap.xml"],
)
def test_public_pages_give_503_when_the_database_is_away(client, monkeypatch, url):
    claim = ClaimFactory(published=True)
    monkeypatch.setattr(connection, "cursor", refuse_cursor)

    response = client.get(url)

    assert response.status_code == 503
    assert b"Temporarily unavailable" in b"".join(
        response.streaming_content if response.streaming else [response.content]
    )
    assert claim.statement.encode() not in response.content


def test_export_when_the_database_is_away_is_refused_before_streaming(client, monkeypatch):
    ClaimFactory(published=True)
    monkeypatch.setattr(connection, "cursor", refuse_cursor)

    response = client.get("/claims/export.csv")

    assert response.status_code == 503
    assert b"Temporarily unavailable" in response.content
    assert not [d for d in DETAILS if d in response.content]


def test_claim_page_gives_503_when_the_database_is_away(client, monkeypatch):
    claim = ClaimFactory(published=True)
    monkeypatch.setattr(connection, "cursor", refuse_cursor)

    response = client.get(claim.get_absolute_url())

    assert response.status_code == 503


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_killed_postgres_connection_gives_503_then_recovers(postgres_only, client):
    ClaimFactory(published=True)
    client.get("/healthz")  # opens the connection the next request will reuse
    victim = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [victim])
        other.close()

        lost = client.get("/claims/")
        # Django's handler does this at the end of every request; the test client skips it.
        close_old_connections()
        after = client.get("/claims/")
    finally:
        connection.close()  # never leave a dead connection to the next test

    assert lost.status_code == 503
    assert b"Temporarily unavailable" in lost.content
    assert after.status_code == 200


@pytest.fixture
def small_chunks(monkeypatch):
    """Export in many small chunks, so that a hang-up lands in the middle of the rows."""
    monkeypatch.setattr(export, "CHUNK_SIZE", 5)
    monkeypatch.setattr(export, "COPY_BUFFER", 512)


def consume_part_of_export(client, chunks):
    response = client.get("/claims/export.csv")
    assert response.status_code == 200
    assert response.streaming
    iterator = iter(response.streaming_content)
    received = [next(iterator) for _ in range(chunks)]
    # The client hangs up: the WSGI server calls close(), which closes the export's iterator
    # and fires request_finished (Django then recycles the connection if it needs to).
    response.close()
    return received


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # like a server: autocommit, connections recycled
def test_interrupted_export_leaves_the_server_healthy(client, small_chunks):
    ClaimFactory.create_batch(30, published=True)

    received = consume_part_of_export(client, chunks=2)

    assert received[0].startswith(b"id,claim,")
    assert b"".join(received).count(b"\n") < 31  # it really stopped part-way
    assert client.get("/healthz").status_code == 200
    assert client.get("/claims/").status_code == 200
    full = b"".join(client.get("/claims/export.csv").streaming_content)
    assert full.count(b"\n") == 31


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_interrupted_exports_leave_no_idle_transaction_on_postgres(
    postgres_only, client, small_chunks
):
    ClaimFactory.create_batch(30, published=True)

    for _ in range(3):
        consume_part_of_export(client, chunks=2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        )
        idle_in_transaction = cursor.fetchone()[0]

    assert idle_in_transaction == 0
    assert connection.in_atomic_block is False
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_interrupted_exports_in_parallel_threads_leave_the_server_healthy(
    postgres_only, client, small_chunks
):
    ClaimFactory.create_batch(10, published=True)
    barrier = threading.Barrier(3)
    received, errors = [], []

    def interrupt():
        try:
            barrier.wait(timeout=10)
            received.append(consume_part_of_export(client, chunks=1)[0])
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=interrupt) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(received) == 3
    assert client.get("/healthz").status_code == 200


def test_import_source_interrupted_halfway_writes_nothing(monkeypatch):
    article = settings.BASE_DIR / "fixtures" / "seed" / "kratom-article.txt"
    calls = {"n": 0}
    original_save = Claim.save

    def save_then_fail(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 10:
            raise OperationalError("connection lost halfway through the import")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Claim, "save", save_then_fail)

    with pytest.raises(OperationalError):
        call_command("import_source", str(article), "--title", "Halfway", stdout=StringIO())

    assert calls["n"] == 10  # nine candidates were saved before the failure
    assert list(Source.objects.all()) == []
    assert list(Claim.objects.all()) == []


def test_import_source_of_a_file_with_nul_bytes_is_refused_and_writes_nothing(tmp_path):
    text_file = tmp_path / "article.txt"
    text_file.write_text("Kratom\x00 cures everything.\n", encoding="utf-8")

    with pytest.raises(CommandError, match="NUL bytes"):
        call_command("import_source", str(text_file), "--title", "Null", stdout=StringIO())

    assert list(Source.objects.all()) == []
    assert list(Claim.objects.all()) == []
