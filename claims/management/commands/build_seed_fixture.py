"""Regenerate fixtures/kratom_article.json from the seed in fixtures/seed/."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.seed import build_fixture, dump_fixture


class Command(BaseCommand):
    help = "Convert a seed JSON file (source + curated claims) into a loaddata fixture."

    def add_arguments(self, parser):
        fixtures = Path(settings.BASE_DIR) / "fixtures"
        parser.add_argument("--seed", type=Path, default=fixtures / "seed" / "kratom-claims.json")
        parser.add_argument("-o", "--output", type=Path, default=fixtures / "kratom_article.json")
        parser.add_argument("--check", action="store_true", help="Fail if the fixture is stale.")

    def handle(self, *args, seed: Path, output: Path, check: bool, **options):
        try:
            content = dump_fixture(build_fixture(seed))
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"Cannot read the seed {seed}: {exc}") from exc
        if check:
            if not output.exists() or output.read_text(encoding="utf-8") != content:
                raise CommandError(f"{output} is stale: run build_seed_fixture")
            self.stdout.write(self.style.SUCCESS(f"{output} is current."))
            return
        output.write_text(content, encoding="utf-8")
        if options["verbosity"]:
            self.stdout.write(self.style.SUCCESS(f"Wrote {output}."))
