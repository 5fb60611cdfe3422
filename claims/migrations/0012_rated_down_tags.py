"""The search table's tags name each GRADE domain a claim's evidence was rated down for
('rd:imprecision'), so `?rated_down=` narrows a search in the same index as the other filters.

The tags come from one function per source (the claim's columns; its assessment), used by the
claims' triggers, by new triggers on the assessments, and by `check_listing_tables`.
PostgreSQL only: SQLite has no side tables.
"""

from django.db import migrations

DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")

ASSESSMENT_TAGS = (
    "SELECT coalesce((SELECT array_to_tsvector(array_remove(ARRAY["
    + ", ".join(f"CASE WHEN a.{d} < 0 THEN 'rd:{d}' END" for d in DOMAINS)
    + "], NULL)) FROM claims_gradeassessment a WHERE a.claim_id = claim), ''::tsvector)"
)

FORWARD = f"""
CREATE FUNCTION claims_assessment_tags(claim bigint) RETURNS tsvector LANGUAGE sql STABLE AS $$
    {ASSESSMENT_TAGS}
$$;

-- Rewrite the tags of these claims' search rows from their columns and their assessment.
CREATE FUNCTION claims_searchdoc_refresh_tags(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    UPDATE claims_searchdoc d
    SET tags = claims_searchdoc_tags(d.grade, d.verdict, d.claim_type, d.subject_lower,
                                     d.source_id) || claims_assessment_tags(d.claim_id)
    WHERE d.claim_id = ANY(ids)
$$;

CREATE OR REPLACE FUNCTION claims_side_tables_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO claims_searchdoc
    SELECT id, coalesce(search_vector, ''::tsvector), grade, verdict, claim_type,
           lower(subject), source_id, created_at,
           claims_searchdoc_tags(grade, verdict, claim_type, subject, source_id)
           || claims_assessment_tags(id)
    FROM new_rows WHERE status = 'published';
    -- Sorted, so concurrent writers lock count rows in the same order (no deadlock).
    WITH delta AS (
        SELECT lower(subject) AS s, grade, verdict, claim_type, 1 AS d
        FROM new_rows WHERE status = 'published'
    ),
    per_subject AS (
        INSERT INTO claims_facetcount AS f
        SELECT s, grade, verdict, claim_type, sum(d) FROM delta
        GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (subject_lower, grade, verdict, claim_type) DO UPDATE SET n = f.n + EXCLUDED.n
    )
    INSERT INTO claims_facettotal AS f
    SELECT grade, verdict, claim_type, sum(d) FROM delta
    GROUP BY 1, 2, 3 HAVING sum(d) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (grade, verdict, claim_type) DO UPDATE SET n = f.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION claims_side_tables_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Search rows: drop the claims no longer published, write the new or changed ones.
    DELETE FROM claims_searchdoc d USING old_rows o
    WHERE d.claim_id = o.id
      AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id AND n.status = 'published');
    INSERT INTO claims_searchdoc AS d
    SELECT n.id, coalesce(n.search_vector, ''::tsvector), n.grade, n.verdict, n.claim_type,
           lower(n.subject), n.source_id, n.created_at,
           claims_searchdoc_tags(n.grade, n.verdict, n.claim_type, n.subject, n.source_id)
           || claims_assessment_tags(n.id)
    FROM new_rows n
    WHERE n.status = 'published' AND NOT EXISTS (
        SELECT 1 FROM old_rows o
        WHERE o.id = n.id AND o.status = 'published'
          AND o.search_vector IS NOT DISTINCT FROM n.search_vector
          AND (o.grade, o.verdict, o.claim_type, o.subject, o.source_id, o.created_at)
              = (n.grade, n.verdict, n.claim_type, n.subject, n.source_id, n.created_at))
    ON CONFLICT (claim_id) DO UPDATE SET
        vector = EXCLUDED.vector, grade = EXCLUDED.grade, verdict = EXCLUDED.verdict,
        claim_type = EXCLUDED.claim_type, subject_lower = EXCLUDED.subject_lower,
        source_id = EXCLUDED.source_id, created_at = EXCLUDED.created_at, tags = EXCLUDED.tags;
    -- Counts: minus each published row that changed or left, plus each that changed or came.
    -- Sorted, so concurrent writers lock count rows in the same order (no deadlock).
    WITH delta AS (
        SELECT s, grade, verdict, claim_type, -1 AS d FROM (
            SELECT id, lower(subject) AS s, grade, verdict, claim_type
            FROM old_rows WHERE status = 'published'
            EXCEPT
            SELECT id, lower(subject), grade, verdict, claim_type
            FROM new_rows WHERE status = 'published') gone
        UNION ALL
        SELECT s, grade, verdict, claim_type, 1 FROM (
            SELECT id, lower(subject) AS s, grade, verdict, claim_type
            FROM new_rows WHERE status = 'published'
            EXCEPT
            SELECT id, lower(subject), grade, verdict, claim_type
            FROM old_rows WHERE status = 'published') came
    ),
    per_subject AS (
        INSERT INTO claims_facetcount AS f
        SELECT s, grade, verdict, claim_type, sum(d) FROM delta
        GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (subject_lower, grade, verdict, claim_type) DO UPDATE SET n = f.n + EXCLUDED.n
    )
    INSERT INTO claims_facettotal AS f
    SELECT grade, verdict, claim_type, sum(d) FROM delta
    GROUP BY 1, 2, 3 HAVING sum(d) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (grade, verdict, claim_type) DO UPDATE SET n = f.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE FUNCTION claims_assessment_tags_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM claims_searchdoc_refresh_tags(ARRAY(SELECT claim_id FROM new_rows));
    RETURN NULL;
END $$;
CREATE FUNCTION claims_assessment_tags_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM claims_searchdoc_refresh_tags(ARRAY(SELECT claim_id FROM old_rows));
    RETURN NULL;
END $$;
CREATE FUNCTION claims_assessment_tags_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM claims_searchdoc_refresh_tags(
        ARRAY(SELECT claim_id FROM old_rows UNION SELECT claim_id FROM new_rows));
    RETURN NULL;
END $$;
CREATE FUNCTION claims_assessment_tags_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE claims_searchdoc d
    SET tags = claims_searchdoc_tags(d.grade, d.verdict, d.claim_type, d.subject_lower,
                                     d.source_id)
    WHERE EXISTS (SELECT 1 FROM unnest(tsvector_to_array(d.tags)) t WHERE left(t, 3) = 'rd:');
    RETURN NULL;
END $$;

CREATE TRIGGER claims_assessment_tags_insert AFTER INSERT ON claims_gradeassessment
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_assessment_tags_new();
CREATE TRIGGER claims_assessment_tags_update AFTER UPDATE ON claims_gradeassessment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_assessment_tags_changed();
CREATE TRIGGER claims_assessment_tags_delete AFTER DELETE ON claims_gradeassessment
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_assessment_tags_old();
CREATE TRIGGER claims_assessment_tags_truncate AFTER TRUNCATE ON claims_gradeassessment
    FOR EACH STATEMENT EXECUTE FUNCTION claims_assessment_tags_truncate();

SELECT claims_searchdoc_refresh_tags(ARRAY(SELECT claim_id FROM claims_gradeassessment));
"""

BACKWARD = """
DROP TRIGGER IF EXISTS claims_assessment_tags_insert ON claims_gradeassessment;
DROP TRIGGER IF EXISTS claims_assessment_tags_update ON claims_gradeassessment;
DROP TRIGGER IF EXISTS claims_assessment_tags_delete ON claims_gradeassessment;
DROP TRIGGER IF EXISTS claims_assessment_tags_truncate ON claims_gradeassessment;
DROP FUNCTION IF EXISTS claims_assessment_tags_new();
DROP FUNCTION IF EXISTS claims_assessment_tags_old();
DROP FUNCTION IF EXISTS claims_assessment_tags_changed();
DROP FUNCTION IF EXISTS claims_assessment_tags_truncate();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The claims' triggers go back to the tags of their own columns (migration 0004's form).
    from importlib import import_module

    listing = import_module("claims.migrations.0004_listing_speed")
    start = listing.FORWARD.index("CREATE FUNCTION claims_side_tables_insert()")
    end = listing.FORWARD.index("CREATE FUNCTION claims_side_tables_delete()")
    insert = listing.FORWARD[start:end].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    start = listing.FORWARD.index("CREATE FUNCTION claims_side_tables_update()")
    end = listing.FORWARD.index("CREATE FUNCTION claims_side_tables_truncate()")
    update = listing.FORWARD[start:end].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    schema_editor.execute(BACKWARD + insert + update)
    schema_editor.execute(
        "UPDATE claims_searchdoc d SET tags = claims_searchdoc_tags(d.grade, d.verdict, "
        "d.claim_type, d.subject_lower, d.source_id)"
    )
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS claims_searchdoc_refresh_tags(bigint[]); "
        "DROP FUNCTION IF EXISTS claims_assessment_tags(bigint);"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_assessment_rates_up_only_from_low"),
    ]

    operations = [migrations.RunPython(forward, backward)]
