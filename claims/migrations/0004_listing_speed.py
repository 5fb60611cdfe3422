"""Fast /claims/ pages at a million claims: sort indexes, a search table and facet counts.

PostgreSQL only (SQLite counts and searches the claims table directly):

- claims_searchdoc: one narrow row per PUBLISHED claim (its search vector and the columns the
  list filters on). A search reads this table, a fraction of the claims table's size.
- claims_facetcount: the number of published claims per (subject, grade, verdict, claim
  type), and claims_facettotal the same summed over subjects, so the list's total and its
  grade/verdict counts are a sum over a few hundred rows at most.

Statement-level triggers on claims_claim keep the three exact on every INSERT (COPY included),
UPDATE, DELETE and TRUNCATE, in the writer's transaction; each statement pays one set-based
update, not one per row.
"""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

FORWARD = """
-- ?sort=reviewed_at / -reviewed_at: NULLS LAST both ways, so one index per direction
-- (SQLite has no NULLS LAST in indexes, hence here and not in Claim.Meta).
CREATE INDEX claim_pub_reviewed_asc_idx ON claims_claim (reviewed_at ASC NULLS LAST, id ASC)
    WHERE status = 'published';
CREATE INDEX claim_pub_reviewed_desc_idx ON claims_claim (reviewed_at DESC NULLS LAST, id DESC)
    WHERE status = 'published';

CREATE TABLE claims_searchdoc (
    claim_id bigint PRIMARY KEY,
    vector tsvector NOT NULL,
    grade varchar(16) NOT NULL,
    verdict varchar(24) NOT NULL,
    claim_type varchar(16) NOT NULL,
    subject_lower varchar(100) NOT NULL,
    source_id bigint NOT NULL,
    created_at timestamptz NOT NULL,
    -- The filter values as lexemes ('g:low', 'v:supported', 't:safety', 's:kratom',
    -- 'src:12'), in the same GIN index as the vector: a search narrowed by filters reads
    -- only the rows that pass them all.
    tags tsvector NOT NULL
);
CREATE TABLE claims_facetcount (
    subject_lower varchar(100) NOT NULL,
    grade varchar(16) NOT NULL,
    verdict varchar(24) NOT NULL,
    claim_type varchar(16) NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (subject_lower, grade, verdict, claim_type)
);
-- The same counts summed over subjects (about a hundred rows): the unfiltered list's numbers.
CREATE TABLE claims_facettotal (
    grade varchar(16) NOT NULL,
    verdict varchar(24) NOT NULL,
    claim_type varchar(16) NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (grade, verdict, claim_type)
);

CREATE FUNCTION claims_searchdoc_tags(grade text, verdict text, claim_type text,
                                      subject text, source_id bigint)
RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
    SELECT array_to_tsvector(ARRAY['g:' || grade, 'v:' || verdict, 't:' || claim_type,
                                   's:' || lower(subject), 'src:' || source_id])
$$;

INSERT INTO claims_searchdoc
SELECT id, coalesce(search_vector, ''::tsvector), grade, verdict, claim_type, lower(subject),
       source_id, created_at, claims_searchdoc_tags(grade, verdict, claim_type, subject, source_id)
FROM claims_claim WHERE status = 'published';
INSERT INTO claims_facetcount
SELECT lower(subject), grade, verdict, claim_type, count(*)
FROM claims_claim WHERE status = 'published' GROUP BY 1, 2, 3, 4;
INSERT INTO claims_facettotal
SELECT grade, verdict, claim_type, sum(n) FROM claims_facetcount GROUP BY 1, 2, 3;
CREATE INDEX claims_searchdoc_vector_idx ON claims_searchdoc USING gin (vector, tags);
ANALYZE claims_searchdoc;
ANALYZE claims_facetcount;
ANALYZE claims_facettotal;

CREATE FUNCTION claims_side_tables_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO claims_searchdoc
    SELECT id, coalesce(search_vector, ''::tsvector), grade, verdict, claim_type,
           lower(subject), source_id, created_at,
           claims_searchdoc_tags(grade, verdict, claim_type, subject, source_id)
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

CREATE FUNCTION claims_side_tables_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM claims_searchdoc d USING old_rows o WHERE d.claim_id = o.id;
    -- Sorted, so concurrent writers lock count rows in the same order (no deadlock).
    WITH delta AS (
        SELECT lower(subject) AS s, grade, verdict, claim_type, -1 AS d
        FROM old_rows WHERE status = 'published'
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

CREATE FUNCTION claims_side_tables_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Search rows: drop the claims no longer published, write the new or changed ones.
    DELETE FROM claims_searchdoc d USING old_rows o
    WHERE d.claim_id = o.id
      AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id AND n.status = 'published');
    INSERT INTO claims_searchdoc AS d
    SELECT n.id, coalesce(n.search_vector, ''::tsvector), n.grade, n.verdict, n.claim_type,
           lower(n.subject), n.source_id, n.created_at,
           claims_searchdoc_tags(n.grade, n.verdict, n.claim_type, n.subject, n.source_id)
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

CREATE FUNCTION claims_side_tables_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE claims_searchdoc, claims_facetcount, claims_facettotal;
    RETURN NULL;
END $$;

CREATE TRIGGER claims_side_tables_insert AFTER INSERT ON claims_claim
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_side_tables_insert();
CREATE TRIGGER claims_side_tables_update AFTER UPDATE ON claims_claim
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_side_tables_update();
CREATE TRIGGER claims_side_tables_delete AFTER DELETE ON claims_claim
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_side_tables_delete();
CREATE TRIGGER claims_side_tables_truncate AFTER TRUNCATE ON claims_claim
    FOR EACH STATEMENT EXECUTE FUNCTION claims_side_tables_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS claims_side_tables_insert ON claims_claim;
DROP TRIGGER IF EXISTS claims_side_tables_update ON claims_claim;
DROP TRIGGER IF EXISTS claims_side_tables_delete ON claims_claim;
DROP TRIGGER IF EXISTS claims_side_tables_truncate ON claims_claim;
DROP FUNCTION IF EXISTS claims_side_tables_insert();
DROP FUNCTION IF EXISTS claims_side_tables_update();
DROP FUNCTION IF EXISTS claims_side_tables_delete();
DROP FUNCTION IF EXISTS claims_side_tables_truncate();
DROP TABLE IF EXISTS claims_searchdoc;
DROP FUNCTION IF EXISTS claims_searchdoc_tags(text, text, text, text, bigint);
DROP TABLE IF EXISTS claims_facetcount;
DROP TABLE IF EXISTS claims_facettotal;
DROP INDEX IF EXISTS claim_pub_reviewed_asc_idx;
DROP INDEX IF EXISTS claim_pub_reviewed_desc_idx;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0003_reviewer_groups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                django.db.models.functions.text.Lower("statement"),
                models.F("id"),
                condition=models.Q(("status", "published")),
                name="claim_pub_statement_sort_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                django.db.models.functions.text.Lower("subject"),
                models.F("id"),
                condition=models.Q(("status", "published")),
                name="claim_pub_subject_sort_idx",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
