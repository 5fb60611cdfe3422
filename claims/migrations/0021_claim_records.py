"""Each published claim's line of the NDJSON dump, ready (PostgreSQL only).

Building each claim's record in the dump's query ran at 14,000-22,000 claims/s at 1M, and
reading its evidence and texts ready-made (with the claim's own fields escaped in the query)
at 45,000: PostgreSQL escaped and copied ~3.5 kB a claim, each work's JSON again for every
claim citing it. claims_claimrecord keeps each published claim's whole line, exactly as
claims/dump.py and claims/api/representations.py write it (tests/test_dump.py compares the
two writers byte for byte, and every line with the API's document): the dump reads one row
per claim by primary key and copies it out, 210,000 claims/s. The cost is the table (about
3 GB at 1M claims: lines stay uncompressed in the row, `toast_tuple_target`, so reading one
is a copy) and a line rebuilt on each write that changes it.

The URLs in a line start with the byte \x01 where the site's address goes: the dump writes
DJANGO_SITE_URL in its place, so what is stored does not depend on a setting. JSON text never
holds a raw \x01 (to_json escapes it as \u0001), so the placeholder cannot be confused with
data. The paths are the URLconf's (claims/urls.py, claims/api/urls.py).

Statement-level triggers rebuild the lines of the claims a write touches: claims (insert,
update, delete), links (insert, update, delete), works (update: every claim citing them),
appearances, texts (a new title or URL). A claim that is not published has no line.
`claims_claimrecord_fill(after_claim)` computes the lines of claims above an id from scratch:
check_listing_tables compares the table with it, and repairs.
"""

from django.db import migrations

COLUMNS = "claim_id, line"
SITE = "chr(1)"  # the placeholder for DJANGO_SITE_URL

# A work as representations.citation_item (row_to_json: keys in the aliases' order), then its
# page and API URLs appended after the last key, where the placeholder stays a raw byte.
CITATION = f"""
    left(row_to_json(x)::text, -1)
    || ',"page_url":"' || {SITE} || '/citations/' || x.id || '/"'
    || ',"api_url":"' || {SITE} || '/api/v1/citations/' || x.id || '/"}}'"""
CITATION_ROW = """
    SELECT w.id AS id,
        COALESCE(NULLIF(w.authors, ''), w.title) || ' (' || COALESCE(w.year::text, 'n.d.')
        || ')' || CASE WHEN w.doi = '' AND w.url = '' THEN ''
                       ELSE ' ' || COALESCE(NULLIF(w.doi, ''), w.url) END AS reference,
        COALESCE(w.title, '') AS title, COALESCE(w.authors, '') AS authors, w.year AS year,
        COALESCE(w.venue, '') AS venue, COALESCE(w.doi, '') AS doi, COALESCE(w.pmid, '') AS pmid,
        COALESCE(w.url, '') AS url, COALESCE(w.study_design, '') AS study_design,
        COALESCE(w.design_note, '') AS design_note, w.is_retracted AS is_retracted,
        COALESCE(w.retraction_status, '') AS retraction_status,
        w.retraction_date AS retraction_date
    FROM claims_citation w WHERE w.id = e.citation_id"""
LINK = """concat('{"id":', e.id, ',"stance":', to_json(e.stance), ',"finding":',
                 to_json(COALESCE(e.finding, '')), ',"citation":', e.j, '}')"""
SHOWN = f"""concat('{{"id":', a.id, ',"source_id":', a.source_id, ',"source_title":',
                  to_json(a.source_title), ',"source_url":', to_json(COALESCE(a.source_url, '')),
                  ',"quote":', to_json(a.quote), ',"quote_start":', a.quote_start,
                  ',"quote_end":', a.quote_end, ',"found_at":',
                  COALESCE('"' || to_char(a.found_at AT TIME ZONE 'UTC',
                                          'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '"', 'null'),
                  ',"page_url":"', {SITE}, '/sources/', a.source_id, '/#appearance-', a.id,
                  '"}}')"""


def text(sql: str) -> str:
    return f"to_json(COALESCE({sql}, ''))"


def code(sql: str) -> str:
    return f"COALESCE(to_json({sql})::text, 'null')"


def number(sql: str) -> str:
    return f"COALESCE(({sql})::text, 'null')"


def timestamp(sql: str) -> str:
    return (
        f"""COALESCE('"' || to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') """
        """|| '"', 'null')"""
    )


# A line's keys in representations.claim_record's order, each with its value as JSON text.
PIECES = (
    ("id", "c.id"),
    ("slug", text("c.slug")),
    ("claim", text("c.statement")),
    ("subject", text("c.subject")),
    ("outcome", text("c.outcome")),
    ("claim_type", code("c.claim_type")),
    ("grade", code("c.grade")),
    ("verdict", code("c.verdict")),
    ("status", code("c.status")),
    ("source_title", text("s.title")),
    ("source_url", text("s.url")),
    ("source_id", "c.source_id"),
    ("quote", text("c.quote")),
    ("rationale", text("c.rationale")),
    ("supporting", "COALESCE(ev.supporting, 0)"),
    ("contradicting", "COALESCE(ev.contradicting, 0)"),
    ("citations", "COALESCE(ev.citations, '[]')"),
    ("appearance_count", number("c.appearance_count")),
    ("reviewed_at", timestamp("c.reviewed_at")),
    ("url", f"""'"' || {SITE} || '/claims/' || c.slug || '/"'"""),
    ("api_url", f"""'"' || {SITE} || '/api/v1/claims/' || c.slug || '/"'"""),
    ("published_at", timestamp("c.published_at")),
    ("evidence", "COALESCE(ev.evidence, '[]')"),
    ("appearances", "COALESCE(ap.appearances, '[]')"),
)
LINE = "concat(" + ", ".join(
    f"""'{"{" if i == 0 else ","}"{key}":', {sql}""" for i, (key, sql) in enumerate(PIECES)
) + ", '}')"


def records(where: str) -> str:
    """(claim id, line) of the published claims `c` that `where` picks."""
    return f"""
    SELECT c.id, {LINE}
    FROM claims_claim c JOIN claims_source s ON s.id = c.source_id
    LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE e.stance = 'supports') AS supporting,
               count(*) FILTER (WHERE e.stance = 'contradicts') AS contradicting,
               '[' || string_agg(to_json(e.reference)::text, ',') || ']' AS citations,
               '[' || string_agg({LINK}, ',') || ']' AS evidence
        -- The aggregates read the sorted subquery's rows in its order (links by id).
        FROM (SELECT e.id, e.stance, e.finding, x.reference, {CITATION} AS j
              FROM claims_evidence e CROSS JOIN LATERAL ({CITATION_ROW}) x
              WHERE e.claim_id = c.id ORDER BY e.id OFFSET 0) e
    ) ev ON TRUE
    LEFT JOIN LATERAL (
        SELECT '[' || string_agg({SHOWN}, ',') || ']' AS appearances
        FROM (SELECT a.id, a.source_id, t.title AS source_title, t.url AS source_url, a.quote,
                     a.quote_start, a.quote_end, a.found_at
              FROM claims_appearance a JOIN claims_source t ON t.id = a.source_id
              WHERE a.claim_id = c.id ORDER BY a.found_at, a.id OFFSET 0) a
    ) ap ON TRUE
    WHERE c.status = 'published' AND ({where})"""


UPSERT = "ON CONFLICT (claim_id) DO UPDATE SET line = EXCLUDED.line"


def refreshing(ids: str) -> str:
    """A trigger function body: refresh the rows of the claims whose ids `ids` selects."""
    return f"""
BEGIN
    PERFORM claims_claimrecord_refresh(ARRAY({ids}));
    RETURN NULL;
END"""


TRIGGERS = {
    # (table, event, transition tables): the claim ids whose rows to refresh
    ("claims_claim", "INSERT", "NEW TABLE AS new_rows"): "SELECT id FROM new_rows",
    ("claims_claim", "UPDATE", "NEW TABLE AS new_rows"): "SELECT id FROM new_rows",
    ("claims_evidence", "INSERT", "NEW TABLE AS new_rows"):
        "SELECT DISTINCT claim_id FROM new_rows",
    ("claims_evidence", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"):
        "SELECT claim_id FROM old_rows UNION SELECT claim_id FROM new_rows",
    ("claims_evidence", "DELETE", "OLD TABLE AS old_rows"):
        "SELECT DISTINCT claim_id FROM old_rows",
    ("claims_citation", "UPDATE", "NEW TABLE AS new_rows"):
        "SELECT DISTINCT e.claim_id FROM claims_evidence e "
        "WHERE e.citation_id IN (SELECT id FROM new_rows)",
    ("claims_appearance", "INSERT", "NEW TABLE AS new_rows"):
        "SELECT DISTINCT claim_id FROM new_rows",
    ("claims_appearance", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"):
        "SELECT claim_id FROM old_rows UNION SELECT claim_id FROM new_rows",
    ("claims_appearance", "DELETE", "OLD TABLE AS old_rows"):
        "SELECT DISTINCT claim_id FROM old_rows",
    ("claims_source", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"):
        "SELECT DISTINCT a.claim_id FROM claims_appearance a WHERE a.source_id IN ("
        "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "WHERE (o.title, o.url) IS DISTINCT FROM (n.title, n.url))",
    ("claims_claim", "DELETE", "OLD TABLE AS old_rows"): "SELECT id FROM old_rows",
}


def _name(table: str, event: str) -> str:
    return f"claims_claimrecord_{table.removeprefix('claims_')}_{event.lower()}"


FORWARD = f"""
-- Lines up to ~8 kB stay in the row uncompressed: reading one is a copy, not a detoast.
CREATE TABLE claims_claimrecord (
    claim_id bigint PRIMARY KEY,
    line text NOT NULL
) WITH (toast_tuple_target = 8160);

CREATE FUNCTION claims_claimrecord_fill(after_claim bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO claims_claimrecord AS r ({COLUMNS})
    {records("c.id > after_claim")}
    ORDER BY 1
    {UPSERT}
$$;

-- Sorted, so that concurrent writers lock rows in the same order (no deadlock).
CREATE FUNCTION claims_claimrecord_refresh(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM claims_claimrecord WHERE claim_id = ANY(ids);
    INSERT INTO claims_claimrecord AS r ({COLUMNS})
    {records("c.id = ANY(ids)")}
    ORDER BY 1
    {UPSERT}
$$;

CREATE FUNCTION claims_claimrecord_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM claims_claimrecord;
    PERFORM claims_claimrecord_fill(0);
    RETURN NULL;
END $$;
""" + "".join(
    f"""
CREATE FUNCTION {_name(table, event)}() RETURNS trigger LANGUAGE plpgsql AS $$
{refreshing(ids)} $$;
CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table}
    REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {_name(table, event)}();
"""
    for (table, event, transition), ids in TRIGGERS.items()
) + "".join(
    f"""
CREATE TRIGGER claims_claimrecord_{table.removeprefix('claims_')}_truncate AFTER TRUNCATE
    ON {table} FOR EACH STATEMENT EXECUTE FUNCTION claims_claimrecord_rebuild();
"""
    for table in ("claims_claim", "claims_evidence", "claims_appearance")
) + """
SELECT claims_claimrecord_fill(0);
ANALYZE claims_claimrecord;
"""

BACKWARD = "".join(
    f"DROP TRIGGER IF EXISTS {_name(table, event)} ON {table};\n"
    f"DROP FUNCTION IF EXISTS {_name(table, event)}();\n"
    for (table, event, _) in TRIGGERS
) + "".join(
    f"DROP TRIGGER IF EXISTS claims_claimrecord_{table.removeprefix('claims_')}_truncate "
    f"ON {table};\n"
    for table in ("claims_claim", "claims_evidence", "claims_appearance")
) + """
DROP FUNCTION IF EXISTS claims_claimrecord_rebuild();
DROP FUNCTION IF EXISTS claims_claimrecord_refresh(bigint[]);
DROP FUNCTION IF EXISTS claims_claimrecord_fill(bigint);
DROP TABLE IF EXISTS claims_claimrecord;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("claims", "0020_rated_down_counts")]

    operations = [migrations.RunPython(forward, backward)]
