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


def add(*parts: str) -> str:
    union = " UNION ALL ".join(parts)
    return f"""
    INSERT INTO claims_wordcount AS f ({KEY}, n)
    SELECT lexeme, grade, verdict, sum(d) FROM ({union}) delta
    GROUP BY 1, 2, 3 HAVING sum(d) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT ({KEY}) DO UPDATE SET n = f.n + EXCLUDED.n;"""


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


FORWARD = f"""
CREATE TABLE claims_wordcount (
    lexeme text NOT NULL,
    grade varchar(16) NOT NULL,
    verdict varchar(24) NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY ({KEY})
);

-- Every published claim's lexemes, for claims with an id above `after_claim` (0: all).
CREATE FUNCTION claims_wordcount_fill(after_claim bigint) RETURNS void LANGUAGE sql AS $$
    {add(contribution("claims_claim", 1, " AND c.id > after_claim"))}
$$;

CREATE FUNCTION claims_wordcount_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM claims_wordcount;
    PERFORM claims_wordcount_fill(0);
    RETURN NULL;
END $$;
{trigger_function("claims_wordcount_insert", add(contribution("new_rows", 1)))}
{trigger_function("claims_wordcount_delete", add(contribution("old_rows", -1)))}
{trigger_function("claims_wordcount_update",
                  add(contribution(changed("o"), -1), contribution(changed("n"), 1)))}

CREATE TRIGGER claims_wordcount_insert AFTER INSERT ON claims_claim
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_wordcount_insert();
CREATE TRIGGER claims_wordcount_update AFTER UPDATE ON claims_claim
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_wordcount_update();
CREATE TRIGGER claims_wordcount_delete AFTER DELETE ON claims_claim
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_wordcount_delete();
CREATE TRIGGER claims_wordcount_truncate AFTER TRUNCATE ON claims_claim
    FOR EACH STATEMENT EXECUTE FUNCTION claims_wordcount_rebuild();

SET LOCAL work_mem = '256MB';
SELECT claims_wordcount_fill(0);
ANALYZE claims_wordcount;
{dataversion.postgres_trigger("claims_wordcount")};
"""

BACKWARD = """
DROP TRIGGER IF EXISTS claims_wordcount_insert ON claims_claim;
DROP TRIGGER IF EXISTS claims_wordcount_update ON claims_claim;
DROP TRIGGER IF EXISTS claims_wordcount_delete ON claims_claim;
DROP TRIGGER IF EXISTS claims_wordcount_truncate ON claims_claim;
DROP FUNCTION IF EXISTS claims_wordcount_insert();
DROP FUNCTION IF EXISTS claims_wordcount_update();
DROP FUNCTION IF EXISTS claims_wordcount_delete();
DROP FUNCTION IF EXISTS claims_wordcount_rebuild();
DROP FUNCTION IF EXISTS claims_wordcount_fill(bigint);
DROP TABLE IF EXISTS claims_wordcount;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("claims", "0023_publication_indexes")]

    operations = [migrations.RunPython(forward, backward)]
