"""Check the PostgreSQL side tables against what their triggers compute, and rebuild them.

The triggers of migrations 0002, 0004, 0005, 0020, 0021, 0024 and 0025 keep claims_searchdoc,
claims_facetcount, claims_facettotal, claims_claimsummary, claims_rateddowncount,
claims_claimrecord, claims_wordcount, claims_paircount and each claim's search vector exact on
every write, but a write with triggers off (`pg_restore --disable-triggers`,
`session_replication_role = replica`) leaves them silently wrong.

The expected content is computed by the triggers' own SQL, read from the database, never
restated here, so a column or tag added to a trigger later is checked without editing this
module:

- every claim is inserted into a temporary copy of claims_claim that carries the claims
  table's BEFORE INSERT row triggers (the search vector, and any later computed column) and,
  as an AFTER INSERT statement trigger, a temporary copy of `claims_side_tables_insert` whose
  side-table names point at temporary tables;
- a temporary copy of `claims_claimsummary_refresh_after`, pointed the same way, is called
  over every evidence link.

Each real table is then compared with its expected twin on its primary key, every column, in
one REPEATABLE READ snapshot; a check is rolled back and blocks no one. A repair, in one
transaction with the source tables locked against writers (SHARE), deletes the rows that
differ and inserts the expected ones: set-based, and it touches only the drifted rows.
"""

import re
from dataclasses import dataclass, field

from django.db import connection, transaction

CLAIMS = "claims_claim"


@dataclass(frozen=True)
class Fill:
    """A trigger-side function that fills side tables, and how to run it over every row."""

    function: str
    tables: tuple[str, ...]
    reads: tuple[str, ...]  # locked against writers during a repair
    call: str = ""  # arguments of a plain call; empty: replay as the claims' insert trigger


# A new side table: name the function that fills it here (its trigger's SQL, or a function
# that SQL calls). New columns and tags of these need nothing.
FILLS = (
    Fill(
        "claims_side_tables_insert",
        ("claims_searchdoc", "claims_facetcount", "claims_facettotal"),
        # The assessments and appearances too: search tags are drawn from them (rated-down
        # domains; the source of every text that makes the claim).
        reads=(CLAIMS, "claims_gradeassessment", "claims_appearance"),
    ),
    Fill(
        "claims_claimsummary_refresh_after",
        ("claims_claimsummary",),
        reads=("claims_evidence", "claims_citation"),
        call="0",  # every link has an id above 0
    ),
    Fill(
        "claims_claimrecord_fill",
        ("claims_claimrecord",),
        reads=(
            CLAIMS,
            "claims_evidence",
            "claims_citation",
            "claims_appearance",
            "claims_source",
        ),
        call="0",  # every claim has an id above 0
    ),
    Fill(
        "claims_rateddowncount_fill",
        ("claims_rateddowncount",),
        reads=(CLAIMS, "claims_gradeassessment"),
        call="0",  # every claim has an id above 0
    ),
    # Replayed as the claims' insert trigger: the lexemes of each claim's expected search
    # vector (the claims table's own may be what drifted).
    Fill("claims_wordcount_insert", ("claims_wordcount",), reads=(CLAIMS,)),
    Fill("claims_paircount_insert", ("claims_paircount",), reads=(CLAIMS,)),
)
# A delete leaves a count row at n = 0 rather than removing it: the same as no row.
ABSENT_WHEN = {
    "claims_facetcount": "n = 0",
    "claims_facettotal": "n = 0",
    "claims_rateddowncount": "n = 0",
    "claims_wordcount": "n = 0",
    "claims_paircount": "n = 0",
}
EXAMPLES = 5


@dataclass
class Drift:
    table: str
    rows: int = 0  # expected rows
    missing: int = 0
    extra: int = 0
    wrong: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.wrong)

    def describe(self) -> str:
        if self.clean:
            return f"{self.table}: clean ({self.rows:,} rows)"
        parts = [
            f"{n:,} {kind} (e.g. {', '.join(self.examples[kind])})"
            for kind, n in (("missing", self.missing), ("extra", self.extra), ("wrong", self.wrong))
            if n
        ]
        return f"{self.table}: " + ", ".join(parts)


def has_side_tables() -> bool:
    """PostgreSQL with migration 0004 applied."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('claims_searchdoc') IS NOT NULL")
        return cursor.fetchone()[0]


def check_side_tables(*, repair: bool = False) -> list[Drift]:
    """Compare every side table (and the claims' trigger-set columns) with what the triggers
    compute; with `repair`, make them so. Returns what was found before any repair."""
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            # One snapshot for the expected and the actual rows (a writer may run meanwhile).
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        if repair:
            reads = sorted({table for fill in FILLS for table in fill.reads})
            cursor.execute(f"LOCK TABLE {', '.join(reads)} IN SHARE MODE")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        _build_expected(cursor)
        found = [_compare(cursor, table, _expected(table)) for table in _compared()]
        if not repair:
            # A check changes nothing, whatever a copied trigger function might write.
            transaction.set_rollback(True)
            return found
        for drift in found:
            if not drift.clean:
                _rebuild(cursor, drift.table, _expected(drift.table))
        # Dropped here, not ON COMMIT: a caller's transaction may check again.
        temporary = [name(t) for t in _compared() for name in (_expected, _differing)]
        cursor.execute(f"DROP TABLE {', '.join(temporary)}")
        functions = ", ".join(f"pg_temp.{_expected(fill.function)}" for fill in FILLS)
        cursor.execute(f"DROP FUNCTION {functions}")
    return found


def _expected(name: str) -> str:
    return f"upkeep_{name}"


def _differing(table: str) -> str:
    return f"upkeep_differing_{table}"


def _compared() -> list[str]:
    return [CLAIMS] + [table for fill in FILLS for table in fill.tables]


def _build_expected(cursor) -> None:
    """Fill a temporary twin of every compared table with what the triggers compute."""
    for table in _compared():
        twin = _expected(table)
        cursor.execute(f"CREATE TEMP TABLE {twin} (LIKE {table})")
        cursor.execute(f"ALTER TABLE {twin} ADD PRIMARY KEY ({', '.join(_key(cursor, table))})")
    twin_claims = _expected(CLAIMS)
    cursor.execute(
        "SELECT tgname, tgfoid::regproc::text FROM pg_trigger WHERE tgrelid = %s::regclass "
        "AND NOT tgisinternal AND tgenabled <> 'D' AND tgtype & 7 = 7 ORDER BY tgname",
        [CLAIMS],  # tgtype bits: 1 row, 2 before, 4 insert
    )
    for name, function in cursor.fetchall():
        cursor.execute(
            f'CREATE TRIGGER "{name}" BEFORE INSERT ON pg_temp.{twin_claims} '
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
    for fill in FILLS:
        _copy_function(cursor, fill)
        if not fill.call:
            cursor.execute(
                f'CREATE TRIGGER "upkeep_replay_{fill.function}" AFTER INSERT '
                f"ON pg_temp.{twin_claims} "
                "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION pg_temp.{_expected(fill.function)}()"
            )
    cursor.execute(f"INSERT INTO {twin_claims} SELECT * FROM {CLAIMS}")  # nosec B608 # fixed names
    for fill in FILLS:
        if fill.call:
            cursor.execute(f"SELECT pg_temp.{_expected(fill.function)}({fill.call})")


def _copy_function(cursor, fill: Fill) -> None:
    """A temporary copy of a trigger-side function that writes to the temporary twins."""
    cursor.execute(
        "SELECT p.prosrc, l.lanname, pg_get_function_arguments(p.oid), "
        "pg_get_function_result(p.oid) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
        "WHERE p.oid = %s::regproc",
        [fill.function],
    )
    body, language, arguments, result = cursor.fetchone()
    names = re.compile(r"\b(" + "|".join(map(re.escape, fill.tables)) + r")\b")
    body = names.sub(lambda m: "pg_temp." + _expected(m.group(1)), body)
    cursor.execute(
        f"CREATE FUNCTION pg_temp.{_expected(fill.function)}({arguments}) RETURNS {result} "
        f"LANGUAGE {language} AS $upkeep$ {body} $upkeep$"
    )


def _key(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = %s::regclass AND i.indisprimary "
        "ORDER BY array_position(i.indkey::int2[], a.attnum)",
        [table],
    )
    return [f'"{name}"' for (name,) in cursor.fetchall()]


def _compare(cursor, table: str, twin: str) -> Drift:
    """Count the rows missing, extra and wrong; their keys are kept for the repair."""
    key = _key(cursor, table)
    absent = ABSENT_WHEN.get(table, "false")
    on = " AND ".join(f"a.{k} = e.{k}" for k in key)
    cursor.execute(
        f"""CREATE TEMP TABLE {_differing(table)} AS
            SELECT {", ".join(f"coalesce(a.{k}, e.{k}) AS {k}" for k in key)},
                   CASE WHEN a.{key[0]} IS NULL THEN 'missing'
                        WHEN e.{key[0]} IS NULL THEN 'extra' ELSE 'wrong' END AS kind
            FROM (SELECT * FROM {table} WHERE NOT ({absent})) a
            FULL JOIN {twin} e ON {on}
            WHERE a.{key[0]} IS NULL OR e.{key[0]} IS NULL
               OR ROW(a.*) IS DISTINCT FROM ROW(e.*)"""  # nosec B608 # catalogue names
    )
    label = f"ROW({', '.join(key)})::text" if len(key) > 1 else f"{key[0]}::text"
    cursor.execute(
        f"SELECT kind, count(*), (array_agg({label} ORDER BY {', '.join(key)}))[1:{EXAMPLES}] "
        f"FROM {_differing(table)} GROUP BY kind"  # nosec B608 # catalogue names
    )
    drift = Drift(table)
    for kind, n, examples in cursor.fetchall():
        setattr(drift, kind, n)
        drift.examples[kind] = examples
    cursor.execute(f"SELECT count(*) FROM {twin}")  # nosec B608 # fixed names
    drift.rows = cursor.fetchone()[0]
    return drift


def _rebuild(cursor, table: str, twin: str) -> None:
    """Replace the rows that differ by the expected ones: work in proportion to the drift."""
    key = _key(cursor, table)
    differing = _differing(table)
    on = " AND ".join(f"a.{k} = d.{k}" for k in key)
    expected = f"{twin} e JOIN {differing} d ON " + " AND ".join(f"e.{k} = d.{k}" for k in key)
    if table == CLAIMS:
        # Claims are never deleted or inserted here: only the trigger-set columns are rewritten
        # (the update fires the side-table trigger, whose rows are rebuilt next anyway).
        columns = [c for c in _columns(cursor, table) if c not in key]
        cursor.execute(
            f"UPDATE {table} a SET ({', '.join(columns)}) = ({', '.join(f'e.{c}' for c in columns)})"
            f" FROM {expected} WHERE {on}"  # nosec B608 # catalogue names
        )
        return
    cursor.execute(f"DELETE FROM {table} a USING {differing} d WHERE {on}")  # nosec B608 # catalogue names
    cursor.execute(f"INSERT INTO {table} SELECT e.* FROM {expected}")  # nosec B608 # catalogue names


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        [table],
    )
    return [f'"{name}"' for (name,) in cursor.fetchall()]
