from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims and evidence"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import text

        # SQLite only: the SQL functions our queries call (claims.text).
        connection_created.connect(text.register_sqlite_functions, dispatch_uid="claims_sqlite")
