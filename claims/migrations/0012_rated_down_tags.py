"""The search table's tags name each GRADE domain a claim's evidence was rated down for
('rd:imprecision'), so `?rated_down=` narrows a search in the same index as the other filters.

The tags come from one function per source (the claim's columns; its assessment), used by the
claims' triggers, by new triggers on the assessments, and by `check_listing_tables`.
PostgreSQL only: SQLite has no side tables.
"""

from importlib import import_module

from django.db import migrations

# Migration 0004's claims triggers, whose tags this migration extends.
LISTING = import_module("claims.migrations.0004_listing_speed").FORWARD
TAGS = "claims_searchdoc_tags(grade, verdict, claim_type, subject, source_id)"
NEW_TAGS = "claims_searchdoc_tags(n.grade, n.verdict, n.claim_type, n.subject, n.source_id)"


def claims_trigger_functions(with_assessment: bool) -> str:
    """0004's insert and update trigger functions, as CREATE OR REPLACE; with the assessment's
    tags added to the claim's own when `with_assessment`."""
    functions = []
    for name, following, tags, claim_id in (
        ("claims_side_tables_insert", "claims_side_tables_delete", TAGS, "id"),
        ("claims_side_tables_update", "claims_side_tables_truncate", NEW_TAGS, "n.id"),
    ):
        body = LISTING[
            LISTING.index(f"CREATE FUNCTION {name}()") : LISTING.index(
                f"CREATE FUNCTION {following}()"
            )
        ]
        if with_assessment:
            body = body.replace(tags, f"{tags}\n           || claims_assessment_tags({claim_id})")
        functions.append(body.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    return "".join(functions)


DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")

ASSESSMENT_TAGS = (
    "SELECT coalesce((SELECT array_to_tsvector(array_remove(ARRAY["
    + ", ".join(f"CASE WHEN a.{d} < 0 THEN 'rd:{d}' END" for d in DOMAINS)
    + "], NULL)) FROM claims_gradeassessment a WHERE a.claim_id = claim), ''::tsvector)"
)

ASSESSMENT_FUNCTIONS = f"""
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
        schema_editor.execute(ASSESSMENT_FUNCTIONS)
        schema_editor.execute(claims_trigger_functions(with_assessment=True))


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The claims' triggers go back to the tags of their own columns (migration 0004's form).
    schema_editor.execute(BACKWARD + claims_trigger_functions(with_assessment=False))
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
