"""Write the CSV report (or the NDJSON dump) of the claims /claims/ lists for a query string.

    python manage.py export_claims_report -o kratom.csv --query 'q=hair&grade=low'
    python manage.py export_claims_report --grade low --grade very_low --sort -reviewed_at
    python manage.py export_claims_report --format ndjson -o claims.ndjson

The bytes are the same as /claims/export.csv?<the same query string> (or, with `--format
ndjson`, /api/v1/claims.ndjson?<the same query string>): both call
`claims.filters.select_claims` and `claims.export.iter_csv` (or `claims.dump.iter_ndjson`).
"""

import time
from pathlib import Path
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from claims.dump import iter_ndjson
from claims.export import iter_csv
from claims.filters import FILTERS, select_claims

# Parameters of /claims/ that the command offers as options of their own (repeatable ones last).
SINGLE_PARAMETERS = ("q", "sort")
REPEATABLE_PARAMETERS = tuple(spec.param for spec in FILTERS)
PROGRESS_EVERY = 1.0  # seconds between progress lines


class Command(BaseCommand):
    help = (
        "Write the CSV report (or, with --format ndjson, the NDJSON dump: one JSON record per "
        "claim with its evidence and appearances) of the published claims that /claims/?<query> "
        "lists, every page, to stdout or a file. Options given one by one are added to --query."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="write here instead of stdout (`-`: stdout)"
        )
        parser.add_argument(
            "--query",
            default="",
            metavar="QUERY_STRING",
            help="the /claims/ query string, e.g. 'q=hair&grade=low' (a leading ? is allowed)",
        )
        parser.add_argument(
            "--format",
            choices=("csv", "ndjson"),
            default="csv",
            help="csv (the report, default) or ndjson (the dump, as /api/v1/claims.ndjson)",
        )
        parser.add_argument(
            "--excel",
            action="store_true",
            help="start with a UTF-8 byte-order mark for Excel (CSV only)",
        )
        parser.add_argument("--q", help="search text, web-search syntax")
        parser.add_argument("--sort", help="a column name, - for descending: -reviewed_at")
        for name in REPEATABLE_PARAMETERS:
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                dest=name,
                action="append",
                default=[],
                help=f"{name} filter; repeat for any of several",
            )

    def handle(self, *args, **options):
        ndjson = options["format"] == "ndjson"
        if ndjson and options["excel"]:
            raise CommandError(
                "--excel applies to the CSV report only: the NDJSON dump is UTF-8 without a "
                "byte-order mark. Drop --excel, or use --format csv."
            )
        params = build_query(options)
        selection = select_claims(params)
        if selection.errors:
            problems = "; ".join(selection.errors)
            raise CommandError(f"Bad query {params.urlencode()!r}: {problems}")

        output = options["output"]
        if output and output != "-":
            try:
                stream = Path(output).open("wb")  # noqa: SIM115 - closed in the finally below
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror}") from None
        else:
            # Bytes straight to the binary stream under stdout, so nothing re-encodes them.
            self.stdout.flush()
            stream = getattr(self.stdout._out, "buffer", None)
        show_progress = options["verbosity"] > 0 and self.stderr._out.isatty()
        self.written = 0
        try:
            if ndjson:
                chunks = iter_ndjson(selection.queryset)
            else:
                chunks = iter_csv(selection.queryset, excel=options["excel"])
            self.write(chunks, stream, show_progress)
        except Exception as exc:
            last_line = 'an {"error": …} line' if ndjson else "a '# EXPORT INCOMPLETE' line"
            raise CommandError(
                f"The export stopped after {self.written:,} bytes ({type(exc).__name__}: {exc}); "
                f"the output is incomplete and ends with {last_line}."
            ) from exc
        finally:
            if output and output != "-":
                stream.close()
        if output and output != "-" and options["verbosity"] > 0:
            self.stderr.write(f"Wrote {self.written:,} bytes to {output}.")

    def write(self, chunks, stream, show_progress: bool) -> None:
        """Copy `chunks` to `stream`, or as text to self.stdout when it has no binary side."""
        started = last = time.monotonic()
        for chunk in chunks:
            if stream is None:
                self.stdout._out.write(chunk.decode())
            else:
                stream.write(chunk)
            self.written += len(chunk)
            now = time.monotonic()
            if show_progress and now - last >= PROGRESS_EVERY:
                last = now
                self.stderr._out.write(
                    f"\r{self.written / 1e6:,.1f} MB written, {now - started:,.0f} s"
                )
                self.stderr._out.flush()
        if stream is not None:
            stream.flush()
        if show_progress and last != started:
            self.stderr._out.write("\n")


def build_query(options: dict) -> QueryDict:
    """--query plus the one-by-one options, as the QueryDict /claims/ would receive."""
    raw = (options.get("query") or "").strip().removeprefix("?")
    params = QueryDict(raw, mutable=True)
    for name in SINGLE_PARAMETERS:
        if options.get(name) is not None:
            params[name] = options[name]
    for name in REPEATABLE_PARAMETERS:
        for value in options.get(name) or ():
            params.appendlist(name, value)
    return QueryDict(urlencode(list(params.lists()), doseq=True))
