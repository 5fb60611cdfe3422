"""Keep claims.search_vector current with a PostgreSQL trigger, and index it.

Weights: the statement (A) ranks highest, then subject and outcome (B), then the quote (C).
A trigger rather than Python code, so bulk loads, `.update()` and raw SQL keep it right too.
On SQLite the column stays NULL and search falls back to words-in-text (claims/search.py).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION claims_claim_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.statement, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.subject, '') || ' ' || coalesce(NEW.outcome, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(NEW.quote, '')), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER claims_claim_search_vector_update
    BEFORE INSERT OR UPDATE OF statement, subject, outcome, quote ON claims_claim
    FOR EACH ROW EXECUTE FUNCTION claims_claim_search_vector();

UPDATE claims_claim SET statement = statement;

CREATE INDEX claim_search_vector_idx ON claims_claim USING gin (search_vector);
"""

BACKWARD = """
DROP INDEX IF EXISTS claim_search_vector_idx;
DROP TRIGGER IF EXISTS claims_claim_search_vector_update ON claims_claim;
DROP FUNCTION IF EXISTS claims_claim_search_vector();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
