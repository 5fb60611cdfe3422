"""Which requests may read from a replica, and the read-your-writes cookie (any database).

The same on a real streaming replica: tests/test_replicas.py.
"""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from claims import replicas, routing
from claims.replicas import Status

from .factories import ClaimFactory


@pytest.fixture
def one_replica(settings, monkeypatch):
    """Routing on, with replica_1 taken as usable (its checks are tests/test_replicas.py's)."""
    settings.READ_REPLICAS = ["replica_1"]
    settings.DATABASE_ROUTERS = ["claims.routing.PrimaryReplicaRouter"]
    settings.READ_YOUR_WRITES_SECONDS = 30
    monkeypatch.setattr(replicas, "statuses", lambda: [Status("replica_1", replicas.OK, 0.0)])


def run(request, view=None):
    chosen = {}

    def record(request):
        chosen["reads"] = routing.read_database()
        return (view or (lambda r: HttpResponse("ok")))(request)

    response = routing.ReadRoutingMiddleware(record)(request)
    return chosen["reads"], response


def test_an_anonymous_get_reads_from_a_replica(one_replica):
    reads, response = run(RequestFactory().get("/claims/"))

    assert reads == "replica_1"
    assert routing.COOKIE not in response.cookies


@pytest.mark.parametrize(
    ("request_for", "because"),
    [
        (lambda rf: rf.post("/claims/x/report/"), "method"),
        (lambda rf: rf.get("/admin/"), "admin"),
        (lambda rf: rf.get("/admin/login/"), "admin"),
    ],
)
def test_writes_and_the_admin_read_from_the_primary(one_replica, request_for, because):
    request = request_for(RequestFactory())

    assert routing.primary_because(request) == because
    assert run(request)[0] == "default"


def test_a_staff_session_reads_from_the_primary(one_replica, settings):
    request = RequestFactory().get("/claims/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "anything"

    assert run(request)[0] == "default"


def test_a_successful_post_sets_the_signed_write_cookie_for_the_window(one_replica):
    _, response = run(RequestFactory().post("/claims/x/report/"))
    morsel = response.cookies[routing.COOKIE]
    later = RequestFactory().get("/claims/")
    later.COOKIES[routing.COOKIE] = morsel.value

    assert morsel["max-age"] == 30
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert routing.primary_because(later) == "recent write"
    assert run(later)[0] == "default"


def test_a_refused_post_that_wrote_nothing_sets_no_cookie(one_replica):
    _, response = run(RequestFactory().post("/x/"), lambda r: HttpResponse(status=400))

    assert routing.COOKIE not in response.cookies


@pytest.mark.django_db
def test_a_refused_post_that_wrote_sets_the_cookie(one_replica):
    def view(request):
        ClaimFactory()  # the router sees the write
        return HttpResponse(status=429)

    _, response = run(RequestFactory().post("/x/"), view)

    assert routing.COOKIE in response.cookies


@pytest.mark.parametrize("value", ["1", "1:forged:signature", ""])
def test_an_unsigned_or_forged_cookie_is_ignored(one_replica, value):
    request = RequestFactory().get("/claims/")
    request.COOKIES[routing.COOKIE] = value

    assert run(request)[0] == "replica_1"


def test_an_expired_cookie_is_ignored(one_replica, settings):
    request = RequestFactory().get("/claims/")
    _, response = run(RequestFactory().post("/x/"))
    request.COOKIES[routing.COOKIE] = response.cookies[routing.COOKIE].value
    settings.READ_YOUR_WRITES_SECONDS = -1  # the window has passed

    assert run(request)[0] == "replica_1"


def test_no_usable_replica_means_the_primary(settings, monkeypatch):
    settings.READ_REPLICAS = ["replica_1"]
    monkeypatch.setattr(replicas, "statuses", lambda: [Status("replica_1", replicas.DOWN)])

    assert run(RequestFactory().get("/claims/"))[0] == "default"


@pytest.mark.django_db
def test_without_replicas_nothing_changes(client):
    ClaimFactory(published=True)

    response = client.post("/claims/not-a-claim/report/", {})

    assert routing.COOKIE not in response.cookies
    assert routing.read_database() == "default"


def test_a_replica_that_fails_a_request_is_retried_on_the_primary_and_skipped(
    one_replica, monkeypatch
):
    failed = []
    monkeypatch.setattr(replicas, "mark_failed", failed.append)
    answers = iter([HttpResponse(status=503), HttpResponse("from the primary")])

    reads, response = run(RequestFactory().get("/claims/"), lambda r: next(answers))

    assert failed == ["replica_1"]
    assert response.content == b"from the primary"
    assert reads == "default"  # the second attempt read from the primary


def test_a_lag_status_names_no_host_or_error():
    assert Status("replica_2", replicas.DOWN).describe() == "replica replica_2: down"
    assert Status("replica_1", replicas.LAGGING, 42.25).describe() == (
        "replica replica_1: lagging, 42.2 s behind"
    )
