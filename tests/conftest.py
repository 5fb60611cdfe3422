import os
import shutil
import time

import pytest
from django.db import connection

from tests import pgservers

# Playwright runs an event loop in the test thread; the ORM calls in browser tests are still
# synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
# Run the session's database connections through PgBouncer (transaction pooling); CI runs the
# listing, search, CSV and NDJSON tests so (.ci/run).
THROUGH_PGBOUNCER = os.environ.get("TEST_THROUGH_PGBOUNCER", "").strip() in {"1", "true"}


def _flushes_the_database(item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    return transactional or bool({"live_server", "transactional_db"} & set(item.fixturenames))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    skip_browser = pytest.mark.skip(
        reason=f"browser test: {CHROMIUM} not found (apt-get install -y chromium)"
    )
    for item in items:
        if "browser" in item.keywords and not shutil.which(CHROMIUM):
            item.add_marker(skip_browser)
    # Tests that flush the database run last, as pytest-django orders them: a flush empties
    # what data migrations made (the Reviewers and Editors groups). pytest's grouping by
    # parametrized fixtures (the browser tests' [chromium]) moved them in between again.
    # The browser tests come last of all: once Playwright's event loop runs in a worker,
    # Django's connection is another object per context, without the serialized rollback's
    # copy of the database, so a serialized-rollback test after them would restore nothing
    # (or fail on the content types the flush re-created).
    items.sort(key=lambda item: (_flushes_the_database(item), "browser" in item.keywords))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, through PgBouncer with TEST_THROUGH_PGBOUNCER=1.

    Through PgBouncer (transaction pooling, started here on a free port, tests/pgservers.py):
    the database is created directly, as Django's runner must, then every connection goes
    through the pooler until the end, when the pooler stops before the database is dropped.
    """
    if not THROUGH_PGBOUNCER:
        yield
        _wait_until_test_database_is_free(django_db_blocker)
        return
    from django.conf import settings

    if connection.vendor != "postgresql" or not settings.DB_TRANSACTION_POOLING:
        pytest.exit(
            "TEST_THROUGH_PGBOUNCER=1 needs DATABASE_URL=postgres://… and "
            "DJANGO_DB_TRANSACTION_POOLING=true",
            returncode=2,
        )
    if reason := pgservers.missing(pgbouncer=True):
        pytest.exit(f"TEST_THROUGH_PGBOUNCER=1: {reason}", returncode=2)
    database = connection.settings_dict
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # JIT off: behind PgBouncer it is the database's setting, not a startup option.
        cursor.execute(f'ALTER DATABASE "{database["NAME"]}" SET jit = off')
    connection.close()
    with pgservers.pgbouncer(host=database["HOST"], port=int(database["PORT"])) as port:
        direct = database["HOST"], database["PORT"]
        database["HOST"], database["PORT"] = "127.0.0.1", str(port)
        try:
            yield
        finally:
            connection.close()
            database["HOST"], database["PORT"] = direct
    _wait_until_test_database_is_free(django_db_blocker)


def _wait_until_test_database_is_free(django_db_blocker):
    """Wait, at the end, until no other session uses the test database, so it can be dropped.

    Tests that write from threads or subprocesses close their connections, but PostgreSQL
    ends a closed session's backend a moment later; when such a test ran last, Django's
    DROP DATABASE could meet it ("is being accessed by other users") and fail the run.
    """
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for _ in range(100):  # at most ten seconds
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.1)


@pytest.fixture(autouse=True)
def _no_rendered_pages_from_other_tests():
    """Claim pages are cached by content (claims.detail.PAGES): a test's first look at a page
    renders it, whatever an earlier test rendered."""
    from claims import detail

    detail.PAGES.clear()


@pytest.fixture(autouse=True)
def _data_version_read_each_request(settings):
    """A test that writes and then reads sees its write in the ETag at once (the held
    version has tests of its own, tests/test_caching.py)."""
    from claims import dataversion, pagers

    settings.CLAIMS_DATA_VERSION_CACHE_MS = 0
    dataversion.forget()
    pagers.forget_counts()  # a rolled-back test's version number comes round again


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
