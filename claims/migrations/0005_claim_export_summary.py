"""The CSV export's evidence columns, kept per claim on write: claims_claimsummary.

PostgreSQL only (SQLite's export counts the evidence itself). One row per claim that has at
least one evidence link (a claim without evidence has no row; the export's LEFT JOIN reads
that as 0, 0 and no citations):

- supporting, contradicting: its links with those stances;
- citations: its citations as `Authors (Year) DOI-or-URL` (title when no authors, `n.d.` when
  no year, the DOI else the URL) joined by ` | ` in the order they were attached (evidence
  id), before the export's formula escaping: `Citation.reference`, in SQL.

With it the full export is one index-ordered scan of the claims joined 1:1 to this table: no
aggregate over 3M evidence links and no sort (claims/export.py).

Statement-level triggers with transition tables keep it exact in the writer's transaction,
one set-based recount of the affected claims per statement (COPY included), under a row lock
on those claims so concurrent writers to one claim cannot overwrite each other's recount:

- claims_evidence INSERT / UPDATE (only rows whose claim, citation or stance changed) /
  DELETE: recount the claims of the old and new rows; TRUNCATE empties the table;
- claims_citation INSERT (a fixture may load evidence before its citations: foreign keys are
  deferred) and UPDATE of authors/title/year/doi/url: recount the claims linked to them.

No foreign key to claims_claim: Django's flush and `TRUNCATE claims_claim, …` name only the
model tables, and a referencing table would make them fail. The evidence's own foreign key
means a claim cannot go (at commit) while it has evidence, and deleting the evidence removes
the row.
"""

from django.db import migrations

# Citation.reference for citation `ci`, and the recount of the claims in `affected`.
REFERENCE = """COALESCE(NULLIF(ci.authors, ''), ci.title)
        || ' (' || COALESCE(ci.year::text, 'n.d.') || ')'
        || CASE WHEN ci.doi = '' AND ci.url = '' THEN ''
                ELSE ' ' || COALESCE(NULLIF(ci.doi, ''), ci.url) END"""

AGGREGATE = f"""
    SELECT e.claim_id,
           (COUNT(*) FILTER (WHERE e.stance = 'supports'))::int,
           (COUNT(*) FILTER (WHERE e.stance = 'contradicts'))::int,
           STRING_AGG({REFERENCE}, ' | ' ORDER BY e.id)
    FROM claims_evidence e JOIN claims_citation ci ON ci.id = e.citation_id"""

FORWARD = f"""
CREATE TABLE claims_claimsummary (
    claim_id bigint PRIMARY KEY,
    supporting integer NOT NULL,
    contradicting integer NOT NULL,
    citations text NOT NULL
);

INSERT INTO claims_claimsummary (claim_id, supporting, contradicting, citations)
{AGGREGATE}
    GROUP BY e.claim_id ORDER BY e.claim_id;
ANALYZE claims_claimsummary;

-- Recount the claims in `ids`. A recount is not a delta: two writers adding links to one
-- claim at once would each count only their own. So each first locks the claims' rows (in id
-- order, so writers queue rather than deadlock; NO KEY UPDATE, which a foreign-key check's
-- KEY SHARE does not wait for): the second waits for the first to commit, and its recount,
-- a new statement with a new snapshot, sees both. Row locks live in the rows, not in shared
-- memory, so a bulk write over a million claims cannot run out of lock slots.
CREATE FUNCTION claims_claimsummary_refresh(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    SELECT id FROM claims_claim WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM claims_claimsummary s
    WHERE s.claim_id = ANY(ids)
      AND NOT EXISTS (SELECT 1 FROM claims_evidence e
                      JOIN claims_citation ci ON ci.id = e.citation_id
                      WHERE e.claim_id = s.claim_id);
    INSERT INTO claims_claimsummary AS s (claim_id, supporting, contradicting, citations)
{AGGREGATE}
        JOIN unnest(ids) AS affected(id) ON e.claim_id = affected.id
    GROUP BY e.claim_id ORDER BY e.claim_id
    ON CONFLICT (claim_id) DO UPDATE SET
        supporting = EXCLUDED.supporting,
        contradicting = EXCLUDED.contradicting,
        citations = EXCLUDED.citations
    WHERE (s.supporting, s.contradicting, s.citations)
          IS DISTINCT FROM (EXCLUDED.supporting, EXCLUDED.contradicting, EXCLUDED.citations);
$$;

-- The same for every claim that has a link with id > last_id, in one grouped pass: for bulk
-- loads (claims/generate.py loads with the insert trigger off, then calls this once).
CREATE FUNCTION claims_claimsummary_refresh_after(last_id bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO claims_claimsummary AS s (claim_id, supporting, contradicting, citations)
{AGGREGATE}
    WHERE e.claim_id IN (SELECT claim_id FROM claims_evidence WHERE id > last_id)
    GROUP BY e.claim_id ORDER BY e.claim_id
    ON CONFLICT (claim_id) DO UPDATE SET
        supporting = EXCLUDED.supporting,
        contradicting = EXCLUDED.contradicting,
        citations = EXCLUDED.citations;
$$;

CREATE FUNCTION claims_claimsummary_evidence_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM claims_claimsummary_refresh(
        ARRAY(SELECT DISTINCT claim_id FROM new_rows ORDER BY 1));
    RETURN NULL;
END $$;

CREATE FUNCTION claims_claimsummary_evidence_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM claims_claimsummary_refresh(
        ARRAY(SELECT DISTINCT claim_id FROM old_rows ORDER BY 1));
    RETURN NULL;
END $$;

CREATE FUNCTION claims_claimsummary_evidence_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only the links whose claim, citation or stance changed (not a finding's text).
    PERFORM claims_claimsummary_refresh(ARRAY(
        SELECT claim_id FROM (
            (SELECT id, claim_id, citation_id, stance FROM old_rows
             EXCEPT SELECT id, claim_id, citation_id, stance FROM new_rows)
            UNION
            (SELECT id, claim_id, citation_id, stance FROM new_rows
             EXCEPT SELECT id, claim_id, citation_id, stance FROM old_rows)
        ) changed
        GROUP BY claim_id ORDER BY 1));
    RETURN NULL;
END $$;

CREATE FUNCTION claims_claimsummary_evidence_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE claims_claimsummary;
    RETURN NULL;
END $$;

CREATE FUNCTION claims_claimsummary_citation_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM claims_claimsummary_refresh(ARRAY(
        SELECT DISTINCT e.claim_id FROM claims_evidence e JOIN new_rows n ON n.id = e.citation_id
        ORDER BY 1));
    RETURN NULL;
END $$;

CREATE FUNCTION claims_claimsummary_citation_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only citations whose reference text can have changed.
    PERFORM claims_claimsummary_refresh(ARRAY(
        SELECT DISTINCT e.claim_id FROM claims_evidence e
        JOIN (
            SELECT id, authors, title, year, doi, url FROM new_rows
            EXCEPT SELECT id, authors, title, year, doi, url FROM old_rows
        ) changed ON changed.id = e.citation_id
        ORDER BY 1));
    RETURN NULL;
END $$;

CREATE TRIGGER claims_claimsummary_evidence_insert AFTER INSERT ON claims_evidence
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claimsummary_evidence_insert();
CREATE TRIGGER claims_claimsummary_evidence_update AFTER UPDATE ON claims_evidence
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claimsummary_evidence_update();
CREATE TRIGGER claims_claimsummary_evidence_delete AFTER DELETE ON claims_evidence
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claimsummary_evidence_delete();
CREATE TRIGGER claims_claimsummary_evidence_truncate AFTER TRUNCATE ON claims_evidence
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claimsummary_evidence_truncate();
CREATE TRIGGER claims_claimsummary_citation_insert AFTER INSERT ON claims_citation
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claimsummary_citation_insert();
CREATE TRIGGER claims_claimsummary_citation_update AFTER UPDATE ON claims_citation
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claimsummary_citation_update();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS claims_claimsummary_evidence_insert ON claims_evidence;
DROP TRIGGER IF EXISTS claims_claimsummary_evidence_update ON claims_evidence;
DROP TRIGGER IF EXISTS claims_claimsummary_evidence_delete ON claims_evidence;
DROP TRIGGER IF EXISTS claims_claimsummary_evidence_truncate ON claims_evidence;
DROP TRIGGER IF EXISTS claims_claimsummary_citation_insert ON claims_citation;
DROP TRIGGER IF EXISTS claims_claimsummary_citation_update ON claims_citation;
DROP FUNCTION IF EXISTS claims_claimsummary_evidence_insert();
DROP FUNCTION IF EXISTS claims_claimsummary_evidence_update();
DROP FUNCTION IF EXISTS claims_claimsummary_evidence_delete();
DROP FUNCTION IF EXISTS claims_claimsummary_evidence_truncate();
DROP FUNCTION IF EXISTS claims_claimsummary_citation_insert();
DROP FUNCTION IF EXISTS claims_claimsummary_citation_update();
DROP FUNCTION IF EXISTS claims_claimsummary_refresh(bigint[]);
DROP FUNCTION IF EXISTS claims_claimsummary_refresh_after(bigint);
DROP TABLE IF EXISTS claims_claimsummary;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("claims", "0004_listing_speed")]

    operations = [migrations.RunPython(forward, backward)]
