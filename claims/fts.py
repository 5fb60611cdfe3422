"""SQLite's full-text index of the claims: the FTS5 table claims_claimfts (migration 0012).

An external-content table over claims_claim (rowid = claim id): it stores only the index of the
statement, subject, outcome and quote, tokenized like PostgreSQL's English configuration as far
as FTS5 goes (Porter stemmer; case folded; accents kept, as PostgreSQL keeps them). Triggers on
claims_claim keep it exact on every write, through the ORM or not (bulk_create, update(), raw
SQL, loaddata). PostgreSQL has none of this: it searches `claims_claim.search_vector`.

Django rebuilds a SQLite table to alter it (a copy, DROP, RENAME), and the DROP takes the
table's triggers with it. `repair_after_migrate` (post_migrate) puts them back and rebuilds
the index whenever a migration has done that.

The MATCH expressions come from claims.search, which builds them from parsed terms (every term
a quoted string): user input never reaches MATCH as syntax.
"""

from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

TABLE = "claims_claimfts"
# bm25 weight of each column, in the table's column order: the ratios of PostgreSQL's ts_rank
# weights for A (statement), B (subject, outcome) and C (quote).
WEIGHTS = {"statement": 1.0, "subject": 0.4, "outcome": 0.4, "quote": 0.2}
COLUMNS = ", ".join(WEIGHTS)
TRIGGERS = ("claims_claimfts_insert", "claims_claimfts_delete", "claims_claimfts_update")

_OLD = ", ".join(f"old.{column}" for column in WEIGHTS)
_NEW = ", ".join(f"new.{column}" for column in WEIGHTS)
_CHANGED = " OR ".join(f"old.{column} IS NOT new.{column}" for column in WEIGHTS)

# Fixed SQL made of this module's constants: no value from outside reaches it.
INSTALL = [
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5({COLUMNS}, content='claims_claim', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 0')",
    (
        "CREATE TRIGGER claims_claimfts_insert AFTER INSERT ON claims_claim BEGIN "
        f"INSERT INTO {TABLE} (rowid, {COLUMNS}) VALUES (new.id, {_NEW}); END"  # nosec B608 # constants
    ),
    # An external-content index forgets a row by being told the row's old values.
    (
        "CREATE TRIGGER claims_claimfts_delete AFTER DELETE ON claims_claim BEGIN "
        f"INSERT INTO {TABLE} ({TABLE}, rowid, {COLUMNS}) VALUES ('delete', old.id, {_OLD}); END"  # nosec B608 # constants
    ),
    # Every ORM save writes every column: skip the index when no searched text changed.
    (
        "CREATE TRIGGER claims_claimfts_update AFTER UPDATE ON claims_claim "
        f"WHEN old.id IS NOT new.id OR {_CHANGED} BEGIN "
        f"INSERT INTO {TABLE} ({TABLE}, rowid, {COLUMNS}) VALUES ('delete', old.id, {_OLD}); "  # nosec B608 # constants
        f"INSERT INTO {TABLE} (rowid, {COLUMNS}) VALUES (new.id, {_NEW}); END"
    ),
    # Index the claims already there.
    f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')",  # nosec B608 # constants
]
UNINSTALL = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS),
    f"DROP TABLE IF EXISTS {TABLE}",
]


def install(connection) -> None:
    """(Re)create the index and its triggers on a SQLite connection, and fill the index."""
    with connection.cursor() as cursor:
        for statement in [*UNINSTALL, *INSTALL]:
            cursor.execute(statement)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for statement in UNINSTALL:
            cursor.execute(statement)


def state(connection) -> tuple[bool, set[str]]:
    """Whether the index exists, and which of its triggers do."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name FROM sqlite_master WHERE name = %s OR (type = 'trigger' "
            "AND tbl_name = 'claims_claim')",
            [TABLE],
        )
        found = cursor.fetchall()
    table = any(kind == "table" for kind, _ in found)
    return table, {name for kind, name in found if kind == "trigger"} & set(TRIGGERS)


def repair_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver: after a migration rebuilt claims_claim (and so dropped the
    triggers), recreate them and reindex; nothing to do otherwise, nor before migration 0012."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    table, triggers = state(connection)
    if table and triggers != set(TRIGGERS):
        install(connection)


def matching(expression: str) -> RawSQL:
    """The ids of the claims whose text matches an FTS5 `expression` (for `pk__in`)."""
    sql = f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s"  # nosec B608 # constants; bound value
    return RawSQL(sql, [expression])  # nosec B611 # fixed SQL; the expression is bound


def ranked(queryset: QuerySet, expression: str) -> QuerySet:
    """`queryset` joined to its index rows matching `expression`, with `rank` (higher is
    better: bm25 with WEIGHTS, negated) in one pass over the matches.

    A join, not a rank subquery per claim: FTS5 would evaluate the whole MATCH again for each.
    extra() is the ORM's one way to join a table that no model maps; the result must stay a
    top-level query (its SQL names claims_claim), which select_claims' are on SQLite.
    """
    claim = queryset.model._meta.db_table
    weights = ", ".join(str(weight) for weight in WEIGHTS.values())
    return queryset.extra(  # nosec B610 # fixed SQL; the expression is bound
        select={"rank": f"-bm25({TABLE}, {weights})"},
        tables=[TABLE],
        where=[f'{TABLE}.rowid = "{claim}"."id"', f"{TABLE} MATCH %s"],
        params=[expression],
    )
