"""Fill the database with deterministic synthetic claims for benchmarks (see bench/generate.py)."""

from django.core.management.base import BaseCommand, CommandError

from bench.generate import generate_claims


class Command(BaseCommand):
    help = (
        "Replace the synthetic data set with N generated claims (sources of kind `synthetic`, "
        "citations, 0–6 evidence links per claim). The same --seed gives the same data. "
        "Refuses to run when the database holds non-synthetic claims, unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="Number of claims.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even if the database holds real (non-synthetic) claims; they are kept.",
        )

    def handle(self, *args, count: int, seed: int, force: bool, **options):
        verbosity = options["verbosity"]

        def log(line: str) -> None:
            if verbosity >= 2:
                self.stdout.write(line)

        if verbosity:
            self.stdout.write(f"Generating {count:,} synthetic claims (seed {seed})…")
        try:
            report = generate_claims(count=count, seed=seed, force=force, log=log)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity:
            timings = ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items())
            replaced = (
                f" (replaced {report.deleted_claims:,} earlier synthetic claims)"
                if report.deleted_claims
                else ""
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Generated {report.claims:,} claims in {report.sources:,} sources, "
                    f"{report.citations:,} citations, {report.evidence:,} evidence links, "
                    f"{report.appearances:,} appearances, {report.assessments:,} GRADE "
                    f"assessments, {report.public_changes:,} corrections and updates, "
                    f"{report.revisions:,} revisions pending{replaced}. Timings: {timings}."
                )
            )
