"""The site behind PgBouncer in transaction pooling mode: listing, search, CSV, NDJSON.

Each transaction may run on another server connection there, so nothing may lean on a
session: these tests run in autocommit (transactional), through a PgBouncer whose
consecutive transactions go round the server connections (tests/pgservers.py), with the
connection configured as DJANGO_DB_TRANSACTION_POOLING=true configures it. The whole session
can also run through PgBouncer (TEST_THROUGH_PGBOUNCER=1; CI runs the listing, search, CSV and
NDJSON tests so); then these use that one.
"""

import copy
import gc
import json
import threading

import psycopg
import pytest
from django.db import OperationalError, ProgrammingError, connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim
from tracker.settings import database_config

from . import pgservers
from .conftest import THROUGH_PGBOUNCER
from .factories import ClaimFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="session")
def own_pgbouncer(django_db_setup, django_db_blocker):
    """This worker's PgBouncer in front of the test database (None: the session's is used)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if THROUGH_PGBOUNCER:
        yield None
        return
    if reason := pgservers.missing(pgbouncer=True):
        pytest.skip(reason)
    database = connection.settings_dict
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # Behind PgBouncer JIT is off by the database's setting (docs/replicas.md).
        cursor.execute(f'ALTER DATABASE "{database["NAME"]}" SET jit = off')
    with pgservers.pgbouncer(
        host=database["HOST"] or "127.0.0.1", port=int(database["PORT"] or 5432)
    ) as port:
        yield port


@pytest.fixture
def pooled(own_pgbouncer, settings):
    """Django's connection through PgBouncer, as DJANGO_DB_TRANSACTION_POOLING configures it."""
    settings.DB_TRANSACTION_POOLING = True
    if own_pgbouncer is None:
        yield connection.settings_dict["PORT"]
        return
    database = connection.settings_dict
    saved = copy.deepcopy(database)
    pooled_config = database_config("test", "postgres://x@h/db", transaction_pooling=True)
    connection.close()
    database.update(HOST="127.0.0.1", PORT=str(own_pgbouncer))
    database["DISABLE_SERVER_SIDE_CURSORS"] = pooled_config["DISABLE_SERVER_SIDE_CURSORS"]
    database["OPTIONS"] = {**pooled_config["OPTIONS"]}
    try:
        yield own_pgbouncer
    finally:
        connection.close()
        database.clear()
        database.update(saved)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_connections_go_through_the_pooler_with_jit_off_and_utc(pooled):
    _two_server_connections(pooled)
    seen = set()
    with connection.cursor() as cursor:
        for _ in range(4):  # each its own transaction, round the server connections
            cursor.execute(
                "SELECT inet_server_port(), current_setting('jit'), current_setting('TimeZone')"
            )
            seen.add(cursor.fetchone())

    assert len(seen) == 1
    server_port, jit, zone = seen.pop()
    assert str(server_port) != str(pooled)  # PgBouncer's port is not PostgreSQL's
    assert jit == "off"
    # Django sets the session's time zone once per connection; PgBouncer carries it (a
    # parameter it tracks) to whichever server connection the next transaction gets.
    assert zone == "UTC"
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "options" not in connection.settings_dict["OPTIONS"]  # PgBouncer refuses it


def test_listing_search_csv_and_ndjson_work_through_the_pooler(pooled, client):
    claims = [
        ClaimFactory(published=True, statement=f"Kratom regrows hair, pooled {n}") for n in range(3)
    ]

    for _ in range(3):  # transactions spread over the pool's server connections
        listing = client.get("/claims/")
        search = client.get("/claims/", {"q": "regrows hair"})
        csv = client.get("/claims/export.csv", {"q": "pooled"})
        ndjson = client.get("/api/v1/claims.ndjson")
        api = client.get("/api/v1/claims/", {"q": "pooled"})
        page = client.get(claims[0].get_absolute_url())

        assert [r.status_code for r in (listing, search, csv, ndjson, api, page)] == [200] * 6
        for claim in claims:
            assert claim.statement in listing.content.decode()
            assert claim.get_absolute_url() in search.content.decode()  # words are marked
        assert len(body(csv).decode().splitlines()) == 1 + 3
        lines = body(ndjson).decode().splitlines()
        assert sorted(json.loads(line)["claim"] for line in lines) == sorted(
            claim.statement for claim in claims
        )
        assert len(api.json()["results"]) == 3


def test_the_exports_settings_stay_in_their_transaction(pooled, client):
    """COPY_SETTINGS are SET LOCAL: behind a pooler a session-wide SET would reach other
    clients' transactions on the same server connection."""
    ClaimFactory(published=True)
    _two_server_connections(pooled)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem')")
        before = cursor.fetchone()[0]
        for path in ("/claims/export.csv", "/api/v1/claims.ndjson"):
            assert body(client.get(path))
            for _ in range(2):
                cursor.execute("SELECT current_setting('work_mem')")
                assert cursor.fetchone()[0] == before


def test_the_claim_page_prepares_no_statement_behind_the_pooler(pooled, client):
    claim = ClaimFactory(published=True)

    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert client.get(claim.get_absolute_url()).status_code == 200

    assert not [q["sql"] for q in queries if q["sql"].startswith(("PREPARE", "EXECUTE"))]


def test_iterating_a_queryset_uses_no_held_cursor(pooled):
    ClaimFactory.create_batch(5)

    assert len(list(Claim.objects.iterator(chunk_size=1))) == 5


def _two_server_connections(port) -> None:
    """Make PgBouncer open two server connections (two clients in transactions at once)."""
    barrier = threading.Barrier(2)

    def hold():
        conninfo = (
            f"host=127.0.0.1 port={port} user=postgres dbname={connection.settings_dict['NAME']}"
        )
        with psycopg.connect(conninfo) as held:
            held.execute("SELECT 1")  # in a transaction: a server connection of its own
            barrier.wait(timeout=10)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# The broken cursor cannot be closed (the server connection that had it is elsewhere).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_held_server_side_cursor_would_break_behind_the_pooler(pooled, monkeypatch):
    """Why DISABLE_SERVER_SIDE_CURSORS: Django declares its cursor WITH HOLD in autocommit,
    and the next FETCH, a transaction of its own, meets another server connection."""
    ClaimFactory.create_batch(5)
    _two_server_connections(pooled)
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", False)

    try:
        list(Claim.objects.iterator(chunk_size=1))
    except (OperationalError, ProgrammingError, psycopg.Error) as error:
        message = str(error)
    else:
        message = "no error"
    gc.collect()  # the broken cursor goes now, its warning with this test (filtered above)

    assert "does not exist" in message
