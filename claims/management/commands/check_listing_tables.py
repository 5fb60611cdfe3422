"""Check the PostgreSQL side tables against what their triggers compute; `--repair` rebuilds.

    python manage.py check_listing_tables            # exit 1 when a table has drifted
    python manage.py check_listing_tables --repair   # rebuild the drifted rows, then re-check

Run it after a restore with triggers disabled (`pg_restore --disable-triggers`, or writes under
`session_replication_role = replica`): those leave the side tables silently wrong.
The work is in claims/upkeep.py.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from claims.upkeep import check_side_tables, has_side_tables


class Command(BaseCommand):
    help = (
        "Compare the listing's side tables (claims_searchdoc, the facet counts, the CSV "
        "summary) and the claims' search vectors with what their triggers compute. Exits 1 "
        "when something differs, also after --repair has fixed it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair",
            action="store_true",
            help="rebuild the rows that differ, in one transaction, then check again",
        )

    def handle(self, *args, repair: bool, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("No side tables on this database (SQLite): nothing to check.")
            return
        if not has_side_tables():
            raise CommandError("The side tables do not exist yet: run migrate first.")
        started = time.perf_counter()
        found = check_side_tables(repair=repair)
        for drift in found:
            if options["verbosity"] or not drift.clean:
                self.stdout.write(drift.describe())
        elapsed = time.perf_counter() - started
        if all(drift.clean for drift in found):
            self.stdout.write(
                self.style.SUCCESS(f"Side tables match their triggers ({elapsed:.1f} s).")
            )
            return
        if not repair:
            raise CommandError(
                f"Side tables differ from what their triggers compute ({elapsed:.1f} s): "
                "run check_listing_tables --repair.",
                returncode=1,
            )
        self.stdout.write(f"Repaired ({elapsed:.1f} s); checking again…")
        again = [drift for drift in check_side_tables() if not drift.clean]
        if again:
            raise CommandError(
                "Still different after the repair: " + "; ".join(d.describe() for d in again),
                returncode=2,
            )
        # Non-zero even so: the drift had a cause (a restore, a write with triggers off).
        raise CommandError(
            "Side tables had drifted; repaired, and a re-check is clean.", returncode=1
        )
