"""The site-wide data version (claims/dataversion.py): its one row, and the triggers on every
table public pages read that move it. The validators of public responses are built from it."""

from django.db import migrations


def forward(apps, schema_editor):
    from claims import dataversion

    dataversion.install(schema_editor.connection)


def backward(apps, schema_editor):
    from claims import dataversion

    dataversion.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("claims", "0021_claim_records")]

    operations = [migrations.RunPython(forward, backward)]
