"""Time the extraction on hostile and long texts: `python manage.py bench_extraction`.

Standalone (not part of `benchmark`, which needs PostgreSQL and a million claims): it runs on
any migrated database and leaves no rows behind. Targets: a megabyte of hostile text in
linear time (seconds, not hours), a 5,000-sentence import under 10 s.
"""

import json

from django.core.management.base import BaseCommand

from bench.extraction import measure


class Command(BaseCommand):
    help = "Time sentence splitting, extraction, import and the admin pages on hostile text."

    def add_arguments(self, parser):
        parser.add_argument("--hostile-bytes", type=int, default=1_000_000)
        parser.add_argument("--sentences", type=int, default=5000)

    def handle(self, *args, **options):
        results = measure(hostile_bytes=options["hostile_bytes"], sentences=options["sentences"])
        self.stdout.write(json.dumps(results, indent=2))
