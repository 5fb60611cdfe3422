"""Measure the claim extraction on the labelled corpus, tuned and held-out halves apart.

    python manage.py evaluate_extraction [--corpus DIR] [-v 2]

-v 2 also lists, per text, the claims missed, the candidates that are not claims and the
claim types suggested wrongly: what to look at when tuning (on the tuned half only).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.evaluation import evaluate, load_corpus

SPLITS = ("tuned", "held-out")


class Command(BaseCommand):
    help = "Print recall, precision and claim-type accuracy of the extraction on the corpus."

    def add_arguments(self, parser):
        parser.add_argument(
            "--corpus",
            type=Path,
            default=Path(settings.BASE_DIR) / "fixtures" / "extraction",
            help="A directory of labelled texts (see its README.md).",
        )

    def handle(self, *args, **options):
        try:
            corpus = load_corpus(options["corpus"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if not corpus:
            raise CommandError(f"No labelled texts (*.txt) in {options['corpus']}.")
        results = evaluate(corpus)
        for split in SPLITS:
            scores = results.get(split)
            if not scores:
                continue
            self.stdout.write(f"\n{split}")
            self.stdout.write(f"  {'text':<34} {'recall':>13} {'precision':>13} {'type right':>13}")
            for name, score in scores.items():
                if name != "overall":
                    self.stdout.write(f"  {name:<34} {_row(score)}")
                    if options["verbosity"] >= 2:
                        self._details(score)
            self.stdout.write(f"  {split + ' overall':<34} {_row(scores['overall'])}")

    def _details(self, score):
        for quote in score.missed:
            self.stdout.write(f"      missed: {quote}")
        for quote in score.spurious:
            self.stdout.write(f"      not a claim: {quote}")
        for wanted, got, quote in score.mistyped:
            self.stdout.write(f"      {got} (labelled {wanted}): {quote}")


def _row(score) -> str:
    return (
        f"{_pct(score.found, score.claims)} {_pct(score.relevant, score.candidates)} "
        f"{_pct(score.typed_right, score.found)}"
    )


def _pct(part: int, whole: int) -> str:
    value = f"{100 * part / whole:.0f} %" if whole else "—"
    return f"{part:>3}/{whole:<3} {value:>5}"
