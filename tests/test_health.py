import logging

import pytest
from django.db import InterfaceError, OperationalError, connection

pytestmark = pytest.mark.django_db


def refuse_cursor(error):
    def cursor(*args, **kwargs):
        raise error("could not connect to server: Connection refused (host db.internal:5432)")

    return cursor


def test_healthz_is_ok_with_the_database_reachable(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain"
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_healthz_runs_select_1(client, django_assert_num_queries):
    with django_assert_num_queries(1) as queries:
        client.get("/healthz")

    assert queries.captured_queries[0]["sql"] == "SELECT 1"


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_healthz_is_503_without_details_when_the_database_is_away(
    client, monkeypatch, caplog, error
):
    monkeypatch.setattr(connection, "cursor", refuse_cursor(error))

    with caplog.at_level(logging.ERROR, logger="claims.health"):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.content == b"unavailable\n"
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    logged = [r for r in caplog.records if r.name == "claims.health"]
    assert [r.getMessage() for r in logged] == [
        "Health check failed: the database did not answer SELECT 1"
    ]
    assert "db.internal" in logged[0].exc_text  # the cause is logged, not sent


def test_healthz_answers_head_and_refuses_post(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
