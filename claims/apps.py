from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims and evidence"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # clientip registers the deploy check on the proxy count.
        from . import appearances, clientip, dataversion, fts, text  # noqa: F401

        # For SQLite (each receiver does nothing elsewhere): the SQL functions our queries call
        # (claims.text), and the full-text index's triggers put back after a migration rebuilt
        # the claims table (claims.fts).
        connection_created.connect(text.register_sqlite_functions, dispatch_uid="claims_sqlite")
        post_migrate.connect(fts.repair_after_migrate, sender=self, dispatch_uid="claims_fts")
        # The appearances' counting triggers likewise (claims.appearances).
        post_migrate.connect(
            appearances.repair_after_migrate, sender=self, dispatch_uid="claims_appearances"
        )
        # And the data version's triggers (claims.dataversion).
        post_migrate.connect(
            dataversion.repair_after_migrate, sender=self, dispatch_uid="claims_data_version"
        )
