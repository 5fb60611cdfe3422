"""Exact counts for `?rated_down=` without reading every matching claim (PostgreSQL only).

The count grid of `/claims/?rated_down=risk_of_bias` joined 78,000 assessments to their claims
at 1M claims (one random probe each: 100 ms, twice the page's target). claims_rateddowncount
holds the published claims per (domains rated down, subject, grade, verdict, claim type), only
for claims rated down for at least one domain (about one in ten at 1M: a few hundred rows), so
the grid is a sum over a few hundred rows, whatever the filter matches.

`rated_down` is a bit mask: bit i is DOMAINS[i] (claims/grading.py's DOWN_DOMAINS order), so
"any of these domains" is `rated_down & mask <> 0`.

Statement-level triggers on both tables a row's contribution depends on (the claim's columns,
its assessment's ratings) keep the counts exact, in the writer's transaction: each subtracts
the contributions of the rows it changed as they were (transition table OLD) and adds them as
they are (NEW), joined with the other table as it is; a change that moves nothing (a note, a
rating that stays above zero) nets to zero and writes nothing. `claims_rateddowncount_fill`
computes the whole table from scratch: `check_listing_tables` compares against it and repairs.
"""

from django.db import migrations

DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
MASK = " | ".join(f"(CASE WHEN a.{d} < 0 THEN {1 << i} ELSE 0 END)" for i, d in enumerate(DOMAINS))
KEY = "rated_down, subject_lower, grade, verdict, claim_type"


def contribution(claims: str, assessments: str, sign: int, extra: str = "") -> str:
    """The rows (mask, subject, grade, verdict, type, ±1) of published claims in `claims`
    joined with their assessment in `assessments`."""
    return (
        f"SELECT ({MASK})::smallint AS m, lower(c.subject) AS s, c.grade, c.verdict, "
        f"c.claim_type, {sign} AS d FROM {claims} c JOIN {assessments} a ON a.claim_id = c.id "
        f"WHERE c.status = 'published'{extra}"
    )


def add(*parts: str) -> str:
    """Add the sum of `parts`' rows to the counts; sorted, so that concurrent writers lock
    count rows in the same order (no deadlock)."""
    union = " UNION ALL ".join(parts)
    return f"""
    INSERT INTO claims_rateddowncount AS f ({KEY}, n)
    SELECT m, s, grade, verdict, claim_type, sum(d) FROM ({union}) delta
    WHERE m <> 0 GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ({KEY}) DO UPDATE SET n = f.n + EXCLUDED.n;"""


def changed(side: str) -> str:
    """The claims an update changed in what is counted, as they were (`o`) or are (`n`): a
    save that leaves status, grade, verdict, type and subject alone moves no count."""
    return (
        f"(SELECT {side}.* FROM old_rows o JOIN new_rows n ON n.id = o.id "
        "WHERE (o.status, o.grade, o.verdict, o.claim_type, lower(o.subject)) "
        "IS DISTINCT FROM (n.status, n.grade, n.verdict, n.claim_type, lower(n.subject)))"
    )


def trigger_function(name: str, body: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{body}
    RETURN NULL;
END $$;"""


CLAIMS = "claims_claim"
ASSESSMENTS = "claims_gradeassessment"

FORWARD = f"""
CREATE TABLE claims_rateddowncount (
    rated_down smallint NOT NULL CHECK (rated_down > 0),
    subject_lower varchar(100) NOT NULL,
    grade varchar(16) NOT NULL,
    verdict varchar(24) NOT NULL,
    claim_type varchar(16) NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY ({KEY})
);

-- Every published claim's contribution with an id above `after_claim` (0: the whole table).
CREATE FUNCTION claims_rateddowncount_fill(after_claim bigint) RETURNS void LANGUAGE sql AS $$
    {add(contribution(CLAIMS, ASSESSMENTS, 1, " AND c.id > after_claim"))}
$$;

CREATE FUNCTION claims_rateddowncount_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM claims_rateddowncount;
    PERFORM claims_rateddowncount_fill(0);
    RETURN NULL;
END $$;
{trigger_function("claims_rateddowncount_claims_insert",
                  add(contribution("new_rows", ASSESSMENTS, 1)))}
{trigger_function("claims_rateddowncount_claims_delete",
                  add(contribution("old_rows", ASSESSMENTS, -1)))}
{trigger_function("claims_rateddowncount_claims_update", add(
    contribution(changed("o"), ASSESSMENTS, -1), contribution(changed("n"), ASSESSMENTS, 1)
))}
{trigger_function("claims_rateddowncount_assessments_insert",
                  add(contribution(CLAIMS, "new_rows", 1)))}
{trigger_function("claims_rateddowncount_assessments_delete",
                  add(contribution(CLAIMS, "old_rows", -1)))}
{trigger_function("claims_rateddowncount_assessments_update",
                  add(contribution(CLAIMS, "old_rows", -1), contribution(CLAIMS, "new_rows", 1)))}

CREATE TRIGGER claims_rateddowncount_claims_insert AFTER INSERT ON claims_claim
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_rateddowncount_claims_insert();
CREATE TRIGGER claims_rateddowncount_claims_update AFTER UPDATE ON claims_claim
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_rateddowncount_claims_update();
CREATE TRIGGER claims_rateddowncount_claims_delete AFTER DELETE ON claims_claim
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_rateddowncount_claims_delete();
CREATE TRIGGER claims_rateddowncount_claims_truncate AFTER TRUNCATE ON claims_claim
    FOR EACH STATEMENT EXECUTE FUNCTION claims_rateddowncount_rebuild();
CREATE TRIGGER claims_rateddowncount_assessments_insert AFTER INSERT ON claims_gradeassessment
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_rateddowncount_assessments_insert();
CREATE TRIGGER claims_rateddowncount_assessments_update AFTER UPDATE ON claims_gradeassessment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_rateddowncount_assessments_update();
CREATE TRIGGER claims_rateddowncount_assessments_delete AFTER DELETE ON claims_gradeassessment
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_rateddowncount_assessments_delete();
CREATE TRIGGER claims_rateddowncount_assessments_truncate AFTER TRUNCATE ON claims_gradeassessment
    FOR EACH STATEMENT EXECUTE FUNCTION claims_rateddowncount_rebuild();

SELECT claims_rateddowncount_fill(0);
ANALYZE claims_rateddowncount;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS claims_rateddowncount_claims_insert ON claims_claim;
DROP TRIGGER IF EXISTS claims_rateddowncount_claims_update ON claims_claim;
DROP TRIGGER IF EXISTS claims_rateddowncount_claims_delete ON claims_claim;
DROP TRIGGER IF EXISTS claims_rateddowncount_claims_truncate ON claims_claim;
DROP TRIGGER IF EXISTS claims_rateddowncount_assessments_insert ON claims_gradeassessment;
DROP TRIGGER IF EXISTS claims_rateddowncount_assessments_update ON claims_gradeassessment;
DROP TRIGGER IF EXISTS claims_rateddowncount_assessments_delete ON claims_gradeassessment;
DROP TRIGGER IF EXISTS claims_rateddowncount_assessments_truncate ON claims_gradeassessment;
DROP FUNCTION IF EXISTS claims_rateddowncount_claims_insert();
DROP FUNCTION IF EXISTS claims_rateddowncount_claims_update();
DROP FUNCTION IF EXISTS claims_rateddowncount_claims_delete();
DROP FUNCTION IF EXISTS claims_rateddowncount_assessments_insert();
DROP FUNCTION IF EXISTS claims_rateddowncount_assessments_update();
DROP FUNCTION IF EXISTS claims_rateddowncount_assessments_delete();
DROP FUNCTION IF EXISTS claims_rateddowncount_rebuild();
DROP FUNCTION IF EXISTS claims_rateddowncount_fill(bigint);
DROP TABLE IF EXISTS claims_rateddowncount;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("claims", "0019_appearance_permissions")]

    operations = [migrations.RunPython(forward, backward)]
