"""Flag cited works from the Retraction Watch database, and queue the claims that cite them.

    python manage.py import_retractions retraction_watch.csv [--crossref]

--crossref also asks Crossref for the notices (`update-to`) on every cited DOI; it needs
DJANGO_CITATION_LOOKUPS=true. Re-running with the same file changes nothing.
"""

from django.core.management.base import BaseCommand, CommandError

from claims import lookups, retractions
from claims.models import Citation, Evidence
from claims.scales import Status


class Command(BaseCommand):
    help = "Flag retracted, corrected and concerned cited works from Retraction Watch's CSV."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Retraction Watch's CSV export")
        parser.add_argument(
            "--crossref",
            action="store_true",
            help="also check Crossref's update-to relations of cited DOIs (needs look-ups on)",
        )

    def handle(self, *args, file=None, crossref=False, **options):
        if not file and not crossref:
            raise CommandError("Name the Retraction Watch CSV file (or pass --crossref).")
        notices, skipped = [], []
        if file:
            try:
                # newline="" as the csv module asks: a quoted field may hold line breaks.
                with open(file, encoding="utf-8-sig", newline="") as lines:
                    notices, skipped = retractions.read_csv(lines)
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from None
            except UnicodeDecodeError:
                raise CommandError(f"{file} is not UTF-8 text.") from None
            except retractions.BadFile as bad:
                raise CommandError(f"{file}: {bad}") from None
        if crossref:
            notices += self.crossref_notices()
        result = retractions.apply(notices)
        for reason in skipped[:20]:
            self.stderr.write(f"Skipped {reason}")
        self.stdout.write(
            f"{result.notices} notices read ({len(skipped)} skipped); "
            f"{result.matched} cited works named; {result.flagged} newly flagged; "
            f"{result.changed} changed; {result.claims_queued} published claims queued for "
            "the editors."
        )

    def crossref_notices(self) -> list:
        if not lookups.enabled():
            raise CommandError("--crossref needs DJANGO_CITATION_LOOKUPS=true.")
        notices = []
        # The works published claims cite: a notice on any other reaches no reader.
        cited = Evidence.objects.filter(claim__status=Status.PUBLISHED).values("citation")
        dois = (
            Citation.objects.filter(pk__in=cited)
            .exclude(doi="")
            .values_list("doi", flat=True)
            .order_by("pk")
        )
        for doi in dois.iterator(chunk_size=500):
            try:
                found = lookups.crossref_notices(doi)
            except lookups.LookupFailed as failed:
                self.stderr.write(f"{doi}: {failed}")
                continue
            notices += [
                retractions.Notice(n["status"], n["date"], n["notice_doi"], "", doi, "")
                for n in found
            ]
        return notices
