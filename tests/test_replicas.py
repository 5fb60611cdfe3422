"""Reads on a real streaming replica: the router, read-your-writes, lag and failures.

A throwaway primary and its replica (pg_basebackup -R) on free ports, made once per test
worker (tests/pgservers.py) with a copy of the test database, and removed at the end. For
each test, Django's `default` connection points at that primary and `replica_1` at the
replica, with the router on. The tests write for real (autocommit: replication needs
commits) in the throwaway pair, never in the test database.
"""

import contextlib
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from claims import dataversion, replicas, routing
from claims.models import Claim

from . import pgservers
from .factories import ClaimFactory, SourceFactory

# Transactional: the test database must exist (the pair starts as its copy), and nothing may
# hold a transaction open on `default` while it points at the pair.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REPLICA = "replica_1"
REPORT = {"text": "The survey you cite reports withdrawal, not hair regrowth.", "email": ""}


@pytest.fixture(scope="session")
def replica_pair(django_db_setup, django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if reason := pgservers.missing(cluster=True):
        pytest.skip(f"cannot make a primary and a replica here: {reason}")
    test_db = connection.settings_dict
    source = (
        f"postgresql://{test_db['USER'] or 'postgres'}@{test_db['HOST'] or '127.0.0.1'}:"
        f"{test_db['PORT'] or 5432}/{test_db['NAME']}"
    )
    with pgservers.replica_pair(dbname="claims", load_from=source) as pair:
        yield pair


@pytest.fixture
def replicated(replica_pair, settings, django_db_blocker):
    """Django on the pair: `default` is its primary, `replica_1` its replica, routing on."""
    primary = connection.settings_dict
    saved = dict(primary)
    with django_db_blocker.unblock():
        connection.close()
        primary.update(HOST="127.0.0.1", PORT=str(replica_pair.primary.port), NAME="claims")
        primary.update(USER="postgres", PASSWORD="")
        connections.settings[REPLICA] = {
            **primary,
            "PORT": str(replica_pair.replica.port),
            "OPTIONS": dict(primary["OPTIONS"]),
        }
        settings.READ_REPLICAS = [REPLICA]
        settings.DATABASE_ROUTERS = ["claims.routing.PrimaryReplicaRouter"]
        settings.REPLICA_MAX_LAG = 30
        settings.REPLICA_CHECK_SECONDS = 0  # every request checks: no waiting in tests
        settings.READ_YOUR_WRITES_SECONDS = 60
        replicas.forget()
        ContentType.objects.clear_cache()  # its ids are the test database's
        try:
            _resume(replica_pair)
            yield replica_pair
        finally:
            _resume(replica_pair)
            replicas.forget()
            ContentType.objects.clear_cache()
            for alias in ("default", REPLICA):
                connections[alias].close()
            with contextlib.suppress(AttributeError):  # never opened in this thread
                del connections[REPLICA]
            del connections.settings[REPLICA]
            primary.clear()
            primary.update(saved)


def _resume(pair) -> None:
    """Replay on (a test may have paused it), running, streaming, and caught up."""
    for cluster in (pair.primary, pair.replica):
        if not (cluster.data / "postmaster.pid").exists():
            cluster.start()
    with pair.replica.connect() as replica:
        replica.execute("SELECT pg_wal_replay_resume()")
    pgservers.wait_streaming(pair.replica)
    caught_up(pair)


def caught_up(pair) -> None:
    with pair.primary.connect("claims") as primary:
        position = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
    deadline = time.monotonic() + 30
    with pair.replica.connect("claims") as replica:
        while not replica.execute(
            "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position]
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)


def pause_replay(pair) -> None:
    with pair.replica.connect() as replica:
        replica.execute("SELECT pg_wal_replay_pause()")


def standby() -> bool:
    """Whether the server the ORM reads from now is in recovery (a replica). A raw query
    goes through the router like any read, and needs no row in any table."""
    return next(iter(Claim.objects.raw("SELECT 1 AS id, pg_is_in_recovery() AS standby"))).standby


def through_middleware(request, view):
    """Run `view` as the routing middleware would for `request`; returns the response."""
    return routing.ReadRoutingMiddleware(view)(request)


def published(statement: str) -> Claim:
    return ClaimFactory(published=True, statement=statement)


# --- the router ----------------------------------------------------------------------------


def test_anonymous_reads_are_served_by_the_replica_and_writes_go_to_the_primary(replicated):
    seen = {}

    def view(request):
        seen["read on a standby"] = standby()
        source = SourceFactory(title="Written during a replica-read request")
        seen["written to"] = source._state.db
        with transaction.atomic():
            seen["read in a transaction on a standby"] = standby()
        return HttpResponse("ok")

    through_middleware(RequestFactory().get("/claims/"), view)

    assert seen == {
        "read on a standby": True,
        "written to": "default",
        "read in a transaction on a standby": False,
    }
    with replicated.primary.connect("claims") as primary:
        assert primary.execute(
            "SELECT count(*) FROM claims_source WHERE title = %s",
            ["Written during a replica-read request"],
        ).fetchone() == (1,)
    assert standby() is False  # outside a request: the primary


@pytest.mark.parametrize(
    ("method", "path", "cookies", "because"),
    [
        ("post", "/claims/", {}, "method"),
        ("get", "/admin/claims/claim/", {}, "admin"),
        ("get", "/claims/", {"sessionid": "abc"}, "session"),
    ],
)
def test_staff_the_admin_and_writes_read_from_the_primary(
    replicated, method, path, cookies, because
):
    request = getattr(RequestFactory(), method)(path)
    request.COOKIES.update(cookies)
    seen = {}

    def view(request):
        seen["standby"] = standby()
        return HttpResponse(status=400)  # a refused form: no read-your-writes cookie

    assert routing.primary_because(request) == because
    through_middleware(request, view)

    assert seen == {"standby": False}


# --- pages on a replica, and read-your-writes -----------------------------------------------


def test_a_reader_gets_the_replicas_page_and_a_writer_reads_its_own_write(replicated):
    old = published("Kratom regrows hair on a replica")
    caught_up(replicated)
    pause_replay(replicated)  # the replica stops here, within the lag bound
    published("Zebra mussels cure baldness")  # on the primary only

    reader = Client()
    page = reader.get("/claims/")
    etag = page["ETag"]

    assert page.status_code == 200
    assert old.statement in page.content.decode()
    assert "Zebra mussels" not in page.content.decode()  # the replica served it
    # The ETag names the replica's data version: revalidating there is a 304.
    assert reader.get("/claims/", headers={"if-none-match": etag}).status_code == 304

    writer = Client()
    sent = writer.post(reverse("claims:claim-report", args=[old.slug]), REPORT)
    after = writer.get("/claims/")

    assert sent.status_code in (200, 302)
    assert routing.COOKIE in sent.cookies
    assert sent.cookies[routing.COOKIE]["max-age"] == 60
    assert sent.cookies[routing.COOKIE]["httponly"]
    assert "Zebra mussels" in after.content.decode()  # the primary served the writer
    assert after["ETag"] != etag
    assert "Zebra mussels" not in Client().get("/claims/").content.decode()

    _resume(replicated)
    assert "Zebra mussels" in Client().get("/claims/").content.decode()


def test_the_held_data_version_is_each_databases_own(replicated, settings):
    """dataversion.recent() holds the version per process: per database, or a replica's page
    would carry the primary's newer version and a revalidation would keep it as fresh."""
    settings.CLAIMS_DATA_VERSION_CACHE_MS = 60_000
    dataversion.forget()
    claim = published("Kratom thickens hair, held")
    caught_up(replicated)
    pause_replay(replicated)
    published("Newts restore hairlines")
    reader = Client().get("/claims/")
    writer = Client()
    writer.post(reverse("claims:claim-report", args=[claim.slug]), REPORT)
    written = writer.get("/claims/")
    again = Client().get("/claims/")

    assert "Newts restore" not in reader.content.decode()
    assert "Newts restore" in written.content.decode()
    assert written["ETag"] != reader["ETag"]
    assert again["ETag"] == reader["ETag"]
    assert "Newts restore" not in again.content.decode()


def test_read_your_writes_ends_with_its_window(replicated, settings):
    settings.READ_YOUR_WRITES_SECONDS = 1
    claim = published("Kratom cures everything, briefly")
    caught_up(replicated)
    pause_replay(replicated)
    published("Yaks prevent hair loss")
    writer = Client()
    writer.post(reverse("claims:claim-report", args=[claim.slug]), REPORT)

    within = writer.get("/claims/").content.decode()
    time.sleep(2.1)  # the signature's timestamp has whole seconds
    after = writer.get("/claims/").content.decode()

    assert "Yaks prevent" in within
    assert "Yaks prevent" not in after


def test_a_forged_write_cookie_does_not_pin_reads_on_the_primary(replicated):
    request = RequestFactory().get("/claims/")
    request.COOKIES[routing.COOKIE] = "1"

    assert routing.primary_because(request) is None


# --- a lagging, a stopped replica, a stopped primary -----------------------------------------


def test_a_lagging_replica_is_skipped_and_reported(replicated, settings):
    settings.REPLICA_MAX_LAG = 0.5
    pause_replay(replicated)
    published("Walruses regrow hair")
    time.sleep(1)

    page = Client().get("/claims/").content.decode()
    health = Client().get("/healthz")

    assert "Walruses regrow hair" in page  # from the primary
    assert health.status_code == 200
    lines = health.content.decode().splitlines()
    assert lines[0] == "ok"
    # "lagging, N s behind"; just "lagging" if it replayed no commit since it started
    assert lines[1].startswith("replica replica_1: lagging")

    _resume(replicated)
    assert Client().get("/healthz").content.decode() == "ok\nreplica replica_1: ok, 0.0 s behind\n"


def test_a_stopped_replica_is_skipped_and_reported_without_failing(replicated):
    published("Otters grow hair back")
    replicated.replica.stop()

    page = Client().get("/claims/")
    health = Client().get("/healthz")

    assert page.status_code == 200
    assert "Otters grow hair back" in page.content.decode()
    assert (health.status_code, health.content) == (200, b"ok\nreplica replica_1: down\n")


def test_a_replica_that_fails_mid_period_costs_a_retry_on_the_primary_not_an_error(
    replicated, settings
):
    settings.REPLICA_CHECK_SECONDS = 3600
    published("Beavers regrow fur")
    caught_up(replicated)
    assert "Beavers regrow fur" in Client().get("/claims/").content.decode()  # checked: ok
    replicated.replica.stop()

    page = Client().get("/claims/")

    assert page.status_code == 200
    assert "Beavers regrow fur" in page.content.decode()
    assert [status.state for status in replicas.statuses()] == ["down"]


def test_with_the_primary_down_readers_still_get_pages_from_the_replica(replicated):
    published("Moles regrow hair")
    caught_up(replicated)
    replicated.primary.stop()

    page = Client().get("/claims/")
    health = Client().get("/healthz")

    assert page.status_code == 200
    assert "Moles regrow hair" in page.content.decode()
    assert health.status_code == 200
    assert health.content.decode().splitlines() == [
        "degraded: the primary is unavailable",
        "replica replica_1: ok, lag unknown (primary unreachable)",
    ]
