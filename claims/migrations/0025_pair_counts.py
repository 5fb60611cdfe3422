"""Exact counts for a two-word phrase without reading its matches (PostgreSQL only).

A phrase search (`/claims/?q="hair loss"`) counted its grade × verdict grid over the first
`CLAIMS_SEARCH_BOUND` + 1 matches, after the GIN index had found every claim holding both words
and each candidate's vector had been read again to check that they stand side by side: a cost
that grows with the data (four times from 1M to 5M claims), for a lower bound. claims_paircount
holds the published claims per (lexeme, next lexeme, grade, verdict), the lexemes at adjacent
positions of the claim's search vector, which is what `'first' <-> 'second'` matches: a
two-word phrase filtered by nothing but grade and verdict (claims/sidetables.py `_word_grid`)
sums at most twenty rows, exactly, at any size.

Kept like migration 0024's word counts, by statement-level triggers on claims_claim in the
writer's transaction; `claims_paircount_fill` computes it from scratch, and
`check_listing_tables` compares against it and repairs.
"""

from importlib import import_module

from django.db import migrations

from claims import dataversion

# The same trigger shapes as the word counts'.
words = import_module("claims.migrations.0024_word_counts")
changed, trigger_function = words.changed, words.trigger_function

KEY = "first, second, grade, verdict"


def positions(vector: str) -> str:
    return f"(SELECT u.lexeme, pos FROM unnest({vector}) u, unnest(u.positions) pos)"


def contribution(claims: str, sign: int, extra: str = "") -> str:
    """(first, second, grade, verdict, ±1) for every pair of lexemes at adjacent positions of
    every published claim in `claims`, once a claim."""
    vector = "coalesce(c.search_vector, ''::tsvector)"
    return (
        f"SELECT pair.first, pair.second, c.grade, c.verdict, {sign} AS d FROM {claims} c "
        "CROSS JOIN LATERAL (SELECT DISTINCT a.lexeme AS first, b.lexeme AS second "
        f"FROM {positions(vector)} a JOIN {positions(vector)} b ON b.pos = a.pos + 1) pair "
        f"WHERE c.status = 'published'{extra}"
    )


def add(*parts: str) -> str:
    union = " UNION ALL ".join(parts)
    return f"""
    INSERT INTO claims_paircount AS f ({KEY}, n)
    SELECT first, second, grade, verdict, sum(d) FROM ({union}) delta
    GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT ({KEY}) DO UPDATE SET n = f.n + EXCLUDED.n;"""


FORWARD = f"""
CREATE TABLE claims_paircount (
    first text NOT NULL,
    second text NOT NULL,
    grade varchar(16) NOT NULL,
    verdict varchar(24) NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY ({KEY})
);

-- Every published claim's adjacent pairs, for claims with an id above `after_claim` (0: all).
CREATE FUNCTION claims_paircount_fill(after_claim bigint) RETURNS void LANGUAGE sql AS $$
    {add(contribution("claims_claim", 1, " AND c.id > after_claim"))}
$$;

CREATE FUNCTION claims_paircount_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM claims_paircount;
    PERFORM claims_paircount_fill(0);
    RETURN NULL;
END $$;
{trigger_function("claims_paircount_insert", add(contribution("new_rows", 1)))}
{trigger_function("claims_paircount_delete", add(contribution("old_rows", -1)))}
{
    trigger_function(
        "claims_paircount_update",
        add(contribution(changed("o"), -1), contribution(changed("n"), 1)),
    )
}

CREATE TRIGGER claims_paircount_insert AFTER INSERT ON claims_claim
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_paircount_insert();
CREATE TRIGGER claims_paircount_update AFTER UPDATE ON claims_claim
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_paircount_update();
CREATE TRIGGER claims_paircount_delete AFTER DELETE ON claims_claim
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_paircount_delete();
CREATE TRIGGER claims_paircount_truncate AFTER TRUNCATE ON claims_claim
    FOR EACH STATEMENT EXECUTE FUNCTION claims_paircount_rebuild();

SET LOCAL work_mem = '256MB';
SELECT claims_paircount_fill(0);
ANALYZE claims_paircount;
{dataversion.postgres_trigger("claims_paircount")};
"""

BACKWARD = """
DROP TRIGGER IF EXISTS claims_paircount_insert ON claims_claim;
DROP TRIGGER IF EXISTS claims_paircount_update ON claims_claim;
DROP TRIGGER IF EXISTS claims_paircount_delete ON claims_claim;
DROP TRIGGER IF EXISTS claims_paircount_truncate ON claims_claim;
DROP FUNCTION IF EXISTS claims_paircount_insert();
DROP FUNCTION IF EXISTS claims_paircount_update();
DROP FUNCTION IF EXISTS claims_paircount_delete();
DROP FUNCTION IF EXISTS claims_paircount_rebuild();
DROP FUNCTION IF EXISTS claims_paircount_fill(bigint);
DROP TABLE IF EXISTS claims_paircount;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("claims", "0024_word_counts")]

    operations = [migrations.RunPython(forward, backward)]
