"""Exact counts for a one-word search without reading its matches (PostgreSQL only).

A search for a common word narrowed by a grade (`/claims/?q=kratom&grade=low`) counted its
grade × verdict grid over the first `CLAIMS_SEARCH_BOUND` + 1 matches, and still paid for the
GIN index to find every match of both conditions first: 25 ms at 1M claims, growing with the
data, and only a lower bound. claims_wordcount holds the published claims per (lexeme, grade,
verdict): a one-word search filtered by nothing but grade and verdict (claims/sidetables.py
`_word_grid`) sums at most twenty rows, exactly, at any size. About 3,400 lexemes and 48,000
rows at 1M synthetic claims; a real vocabulary of 100,000 words would make 2M narrow rows.

Statement-level triggers on claims_claim keep it exact in the writer's transaction, as
migration 0020's do: each subtracts the lexemes of the changed rows as they were and adds
them as they are; a save that leaves the status, grade, verdict and search vector alone moves
nothing. The upsert is sorted, so concurrent writers lock count rows in the same order. A row
whose count falls to 0 stays (the same as no row). `claims_wordcount_fill` computes the table
from scratch: `check_listing_tables` compares against it and repairs.
"""

from django.db import migrations

from claims import dataversion

KEY = "lexeme, grade, verdict"


def contribution(claims: str, sign: int, extra: str = "") -> str:
    """(lexeme, grade, verdict, ±1) for every lexeme of every published claim in `claims`."""
    return (
        f"SELECT w.lexeme, c.grade, c.verdict, {sign} AS d FROM {claims} c "
        "CROSS JOIN LATERAL unnest(coalesce(c.search_vector, ''::tsvector)) w "
        f"WHERE c.status = 'published'{extra}"
    )


def changed(side: str) -> str:
    """The claims an update changed in what is counted, as they were (`o`) or are (`n`)."""
    return (
        f"(SELECT {side}.* FROM old_rows o JOIN new_rows n ON n.id = o.id "
        "WHERE (o.status, o.grade, o.verdict, o.search_vector) "
        "IS DISTINCT FROM (n.status, n.grade, n.verdict, n.search_vector))"
    )


def trigger_function(name: str, body: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{body}
    RETURN NULL;
END $$;"""


def kept_by_triggers(table: str, columns: str, key: str, contribution) -> tuple[str, str]:
    """FORWARD and BACKWARD SQL of a count table of published claims per (`key`, n), kept by
    statement triggers on claims_claim. `columns` declares the key's columns but grade and
    verdict; `contribution(claims, sign, extra)` is a SELECT of (key..., ±1) for the published
    claims in `claims`."""

    def add(*parts: str) -> str:
        union = " UNION ALL ".join(parts)
        width = ", ".join(str(i + 1) for i in range(len(key.split(", "))))
        return f"""
    INSERT INTO {table} AS f ({key}, n)
    SELECT {key}, sum(d) FROM ({union}) delta
    GROUP BY {width} HAVING sum(d) <> 0 ORDER BY {width}
    ON CONFLICT ({key}) DO UPDATE SET n = f.n + EXCLUDED.n;"""

    events = (("insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
              ("update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
              ("delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
              ("truncate", "TRUNCATE", ""))  # fmt: skip
    triggers = "\n".join(
        f"CREATE TRIGGER {table}_{name} AFTER {event} ON claims_claim {tables}\n"
        f"    FOR EACH STATEMENT EXECUTE FUNCTION "
        f"{table}_{'rebuild' if name == 'truncate' else name}();"
        for name, event, tables in events
    )
    forward = f"""
CREATE TABLE {table} (
    {columns},
    grade varchar(16) NOT NULL,
    verdict varchar(24) NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY ({key})
);

-- Every published claim's keys, for claims with an id above `after_claim` (0: all).
CREATE FUNCTION {table}_fill(after_claim bigint) RETURNS void LANGUAGE sql AS $$
    {add(contribution("claims_claim", 1, " AND c.id > after_claim"))}
$$;

CREATE FUNCTION {table}_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {table};
    PERFORM {table}_fill(0);
    RETURN NULL;
END $$;
{trigger_function(f"{table}_insert", add(contribution("new_rows", 1)))}
{trigger_function(f"{table}_delete", add(contribution("old_rows", -1)))}
{
        trigger_function(
            f"{table}_update", add(contribution(changed("o"), -1), contribution(changed("n"), 1))
        )
    }

{triggers}

SET LOCAL work_mem = '256MB';
SELECT {table}_fill(0);
ANALYZE {table};
{dataversion.postgres_trigger(table)};
"""
    backward = "".join(
        f"DROP TRIGGER IF EXISTS {table}_{name} ON claims_claim;\n" for name, _, _ in events
    )
    backward += "".join(
        f"DROP FUNCTION IF EXISTS {table}_{name}();\n"
        for name in ("insert", "update", "delete", "rebuild")
    )
    backward += f"DROP FUNCTION IF EXISTS {table}_fill(bigint);\nDROP TABLE IF EXISTS {table};\n"
    return forward, backward


FORWARD, BACKWARD = kept_by_triggers("claims_wordcount", "lexeme text NOT NULL", KEY, contribution)


def on_postgres(forward_sql: str, backward_sql: str) -> migrations.RunPython:
    """The SQL both ways, run on PostgreSQL only (SQLite counts without side tables)."""

    def run(sql):
        def operation(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return operation

    return migrations.RunPython(run(forward_sql), run(backward_sql))


class Migration(migrations.Migration):
    dependencies = [("claims", "0023_publication_indexes")]

    operations = [on_postgres(FORWARD, BACKWARD)]
