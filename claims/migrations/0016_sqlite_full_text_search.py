"""Full-text search on SQLite: the FTS5 index claims_claimfts and its triggers (claims.fts).

SQLite only; on PostgreSQL this does nothing (it searches `search_vector`, migration 0002).
Creating the index also indexes every claim already stored.
"""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        from claims import fts

        fts.install(schema_editor.connection)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        from claims import fts

        fts.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("claims", "0015_claim_statement_sort_key")]

    operations = [migrations.RunPython(forward, backward)]
