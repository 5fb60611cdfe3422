"""The site-wide data version: one row that changes whenever anything public pages read changes.

`claims_dataversion` holds one row (id 1): a counter and the time of the last change. Every
conditional response (claims.caching) builds its ETag from it, so answering a revalidation
costs this one primary-key read, never a count or a look at the data itself.

**Why triggers, not a call in every writer.** Public data is written by the services
(publication, approvals, merges), the imports (import_source, the citation import,
import_retractions), loaddata and setup_demo, the benchmark's generator (COPY), the side
tables' repair, migrations and, in an emergency, raw SQL. A service call in each would be
forgotten by the next writer, and loaddata and raw SQL call no service at all; a trigger on
every table a public page reads sees them all. Writes to tables no page reads (sessions,
login attempts, pending revisions, error reports, the history tables) change nothing.

**PostgreSQL: one bump per transaction, at commit.** A statement trigger on each watched table
(also on TRUNCATE) marks the transaction once (a transaction-local setting, then one row in
`claims_datachange`); a deferred constraint trigger on that row bumps the version row when the
transaction commits. So a bulk load of a million claims bumps it once, not per row or per
statement; and the version row's lock is taken only at commit, after every other lock the
transaction wanted, so writers queue for microseconds there and can never deadlock on it (a
bump at the first write would hold the lock for the whole transaction, and two writers that
each locked a claim could wait for each other). A transaction that rolls back bumps nothing;
one that changed nothing visible (a candidate's edit) still bumps: over-invalidation costs one
re-render per page, missing a change would serve a stale page as fresh.

**SQLite** has only row triggers: each written row bumps the row directly (SQLite runs one
writer at a time, so there is no lock to contend for). Django rebuilds a SQLite table to alter
it, which drops the table's triggers: `repair_after_migrate` puts them back.

The counter is what must change; `changed_at` is the responses' Last-Modified. Both go into
the ETag, so a database restored to an older counter and then written to never repeats a tag
it gave before with other data.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connections

from .routing import read_database

TABLE = "claims_dataversion"

# The tables public pages, the API, the exports, feeds and sitemaps read, with the PostgreSQL
# side tables derived from them (their repair writes them directly).
WATCHED = (
    "claims_claim",
    "claims_source",
    "claims_citation",
    "claims_evidence",
    "claims_appearance",
    "claims_gradeassessment",
    "claims_publicchange",
    "claims_publicprofile",
)
SIDE_TABLES = (
    "claims_searchdoc",
    "claims_facetcount",
    "claims_facettotal",
    "claims_claimsummary",
    "claims_rateddowncount",
    "claims_claimrecord",
    "claims_wordcount",
    "claims_paircount",
)

# Fixed SQL made of this module's constants: no value from outside reaches it.
CREATE_TABLE = [
    f"CREATE TABLE {TABLE} (id smallint PRIMARY KEY CHECK (id = 1), "
    "counter bigint NOT NULL, changed_at timestamp with time zone NOT NULL)",
    f"INSERT INTO {TABLE} (id, counter, changed_at) VALUES (1, 1, CURRENT_TIMESTAMP)",  # nosec B608 # constants
]
DROP_TABLE = [f"DROP TABLE IF EXISTS {TABLE}"]

POSTGRES_FUNCTIONS = """
CREATE TABLE claims_datachange (txid bigint PRIMARY KEY);

CREATE FUNCTION claims_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('claims.data_changed', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('claims.data_changed', 'yes', true);
        INSERT INTO claims_datachange VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION claims_data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM claims_datachange WHERE txid = NEW.txid;
    UPDATE claims_dataversion SET counter = counter + 1, changed_at = clock_timestamp()
    WHERE id = 1;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER claims_datachange_commit AFTER INSERT ON claims_datachange
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION claims_data_version_bump();
"""
POSTGRES_DROP = """
DROP TABLE IF EXISTS claims_datachange;
DROP FUNCTION IF EXISTS claims_data_version_bump();
DROP FUNCTION IF EXISTS claims_data_changed() CASCADE;
"""

SQLITE_BUMP = (
    f"UPDATE {TABLE} SET counter = counter + 1, "  # nosec B608 # constants
    "changed_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = 1;"
)
SQLITE_EVENTS = ("insert", "update", "delete")


def trigger_name(table: str, event: str = "") -> str:
    return f"{table}_data_version{'_' + event if event else ''}"


def postgres_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {trigger_name(table)} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION claims_data_changed()"
    )


def sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {trigger_name(table, event)} AFTER {event.upper()} ON {table} "
        f"BEGIN {SQLITE_BUMP} END"
        for event in SQLITE_EVENTS
    ]


def _tables(cursor, connection) -> set[str]:
    return set(connection.introspection.table_names(cursor))


def install(connection) -> None:
    """Create the version row and the triggers on every watched table that exists."""
    with connection.cursor() as cursor:
        for statement in CREATE_TABLE:
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTIONS)
        install_triggers(connection, cursor)


def install_triggers(connection, cursor) -> None:
    present = _tables(cursor, connection)
    for table in (*WATCHED, *SIDE_TABLES):
        if table not in present:
            continue
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger_name(table)} ON {table}")
            cursor.execute(postgres_trigger(table))
        else:
            for event in SQLITE_EVENTS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger_name(table, event)}")
            for statement in sqlite_triggers(table):
                cursor.execute(statement)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        present = _tables(cursor, connection)
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_DROP)  # CASCADE takes the table triggers with it
        else:
            for table in (*WATCHED, *SIDE_TABLES):
                if table in present:
                    for event in SQLITE_EVENTS:
                        cursor.execute(f"DROP TRIGGER IF EXISTS {trigger_name(table, event)}")
        for statement in DROP_TABLE:
            cursor.execute(statement)


def repair_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver (SQLite): a migration that rebuilt a watched table dropped its
    triggers; put them back. Nothing to do on PostgreSQL, nor before migration 0022."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        present = _tables(cursor, connection)
        if TABLE not in present:
            return
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {name for (name,) in cursor.fetchall()}
        wanted = {
            trigger_name(table, event)
            for table in WATCHED
            if table in present
            for event in SQLITE_EVENTS
        }
        if not wanted <= triggers:
            install_triggers(connection, cursor)
            cursor.execute(SQLITE_BUMP)  # whatever the rebuild changed, pages may differ


@dataclass(frozen=True)
class Version:
    counter: int
    changed_at: datetime


def current(using: str | None = None) -> Version:
    """The data version now: one primary-key read, by default where this request's reads go
    (a replica's version for a replica's pages; claims.routing)."""
    with connections[using or read_database()].cursor() as cursor:
        cursor.execute(f"SELECT counter, changed_at FROM {TABLE} WHERE id = 1")  # nosec B608 # constant
        counter, changed_at = cursor.fetchone()
    if isinstance(changed_at, str):  # SQLite keeps UTC text
        changed_at = datetime.fromisoformat(changed_at).replace(tzinfo=UTC)
    elif changed_at.tzinfo is None:
        changed_at = changed_at.replace(tzinfo=UTC)
    return Version(counter, changed_at)


# Per process and database alias: (monotonic time of the read, the version read).
_recent: dict[str, tuple[float, Version]] = {}


def recent(using: str | None = None) -> Version:
    """The data version as read at most CLAIMS_DATA_VERSION_CACHE_MS ago by this process.

    Every anonymous request needs the version (its ETag), and reading it is a round trip to
    the database, a fifth of a cached claim page's time. Held for a moment per process, a
    burst of requests reads it once. The cost is that moment of staleness, in the safe
    direction only: the time is taken before the read, so a page is never older than its ETag
    says; a revalidation may get a 304 for up to the window after a change, as a CDN's
    max-age allows for far longer. 0 reads it on every request.
    """
    using = using or read_database()  # each replica's version is its own
    window = settings.CLAIMS_DATA_VERSION_CACHE_MS / 1000
    now = time.monotonic()
    held = _recent.get(using)
    if held is not None and now - held[0] < window:
        return held[1]
    version = current(using)
    _recent[using] = (now, version)
    return version


def forget() -> None:
    """Read the version afresh next time (after this process wrote: the writer's next look)."""
    _recent.clear()
