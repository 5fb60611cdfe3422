"""Measure the claim matching on the labelled pairs, tuned and held-out halves apart.

    python manage.py evaluate_matching [--pairs FILE] [-v 2]

The pairs' existing claims are written inside a transaction that is rolled back: the
database is left as it was. -v 2 lists the wrong suggestions and the missed paraphrases.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from claims.match_evaluation import evaluate_matching, load_pairs

SPLITS = ("tuned", "held-out", "overall")


class Rollback(Exception):
    """Leaves the evaluation's claims behind in no database."""


class Command(BaseCommand):
    help = "Print precision and recall of the top match suggestion on the labelled pairs."

    def add_arguments(self, parser):
        parser.add_argument(
            "--pairs",
            type=Path,
            default=Path(settings.BASE_DIR) / "fixtures" / "matching" / "pairs.json",
            help="A JSON file of labelled pairs (see fixtures/matching/README.md).",
        )

    def handle(self, *args, **options):
        try:
            pairs = load_pairs(options["pairs"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        try:
            with transaction.atomic():
                scores = evaluate_matching(pairs)
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(f"{'split':<10} {'pairs':>5} {'precision':>16} {'recall':>16}")
        for split in SPLITS:
            if (score := scores.get(split)) is None:
                continue
            self.stdout.write(
                f"{split:<10} {score.pairs:>5} {_pct(score.right, score.suggested):>16} "
                f"{_pct(score.right, score.paraphrases):>16}"
            )
            if options["verbosity"] >= 2:
                for pair, statement, value in score.wrong:
                    self.stdout.write(
                        f"    wrong ({pair.kind}) #{pair.id}: {pair.candidate!r} → "
                        f"{statement!r} ({value:.2f})"
                    )
                for pair in score.missed:
                    self.stdout.write(f"    missed #{pair.id}: {pair.candidate!r}")


def _pct(part: int, whole: int) -> str:
    value = f"{100 * part / whole:.0f} %" if whole else "—"
    return f"{part:>3}/{whole:<3} {value:>5}"
