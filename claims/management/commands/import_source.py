"""Store a text as a new source and propose candidate claims from it.

    python manage.py import_source article.txt --title "Kratom for withdrawal" \
        --url https://example.org/kratom --publisher "Example" [--dry-run]
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from claims import intake, limits


def read_text_file(path: Path) -> str:
    """The file's text, decoded as UTF-8 with newlines normalised; CommandError if unusable.

    Reads at most one byte past the size limit, so an endless or huge file (/dev/zero, a
    disk image) is refused without being read into memory.
    """
    limit = limits.source_text_max_bytes()
    try:
        with path.open("rb") as file:
            raw = file.read(limit + 1)
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if len(raw) > limit:
        raise CommandError(
            f"{path} is larger than {limit:,} bytes, the limit for a source's text "
            "(DJANGO_SOURCE_TEXT_MAX_BYTES). Split it into parts and import each."
        )
    if b"\x00" in raw:
        raise CommandError(f"{path} looks like a binary file (it contains NUL bytes), not text.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path} is not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} at byte "
            f"{exc.start}). Convert it, e.g. `iconv -f latin1 -t utf-8`."
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\t")
    if controls > len(text) // 100:
        raise CommandError(f"{path} looks like a binary file (many control characters).")
    if not text.strip():
        raise CommandError(f"{path} is empty: there is nothing to import.")
    return text


class Command(BaseCommand):
    help = "Store a text file as a new source and propose candidate claims from its sentences."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A UTF-8 text file.")
        parser.add_argument("--title", required=True, help="The source's title.")
        parser.add_argument("--url", default="", help="Where the text was published.")
        parser.add_argument("--publisher", default="", help="Who published it.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the candidates; write nothing."
        )

    def handle(self, *args, **options):
        text = read_text_file(options["file"])
        try:
            result = intake.import_source(
                text=text,
                title=options["title"].strip(),
                url=options["url"].strip(),
                publisher=options["publisher"].strip(),
                dry_run=options["dry_run"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(_messages(exc))) from None
        if options["verbosity"] >= 2:
            for claim in result.candidates:
                self.stdout.write(
                    f"  [{claim.quote_start}–{claim.quote_end}] {claim.claim_type}: {claim.quote}"
                )
        count = len(result.candidates)
        if options["dry_run"]:
            self.stdout.write(
                self.style.WARNING(f"Dry run: would store the source and {count} candidate(s).")
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Stored source #{result.source.pk} “{result.source.title}” with {count} "
                "candidate claim(s). Accept or reject them in the admin (Claims, status "
                "Candidate)."
            )
        )


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {msg}" for field, msgs in error.message_dict.items() for msg in msgs]
    return error.messages
