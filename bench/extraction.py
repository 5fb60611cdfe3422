"""Time the claim extraction where it used to be slow: hostile text (a megabyte of "e.g. ",
which made the old splitter quadratic) and a long ordinary text (5,000 sentences), through
the import and the admin pages that show a source's text."""

import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from claims import intake, services
from claims.evaluation import load_corpus
from claims.extraction import extract_candidates
from claims.models import Claim, Source
from claims.sentences import sentence_spans

CORPUS = Path(settings.BASE_DIR) / "fixtures" / "extraction"


class Rollback(Exception):
    """Leaves the measured rows behind in no database."""


def hostile_text(size: int) -> str:
    return "Kratom eases pain. " + "e.g. " * (size // 5)


def long_text(sentences: int) -> str:
    """`sentences` sentences of the labelled corpus, repeated with a running number so no two
    paragraphs are the same, in paragraphs of ten."""
    pool = [
        labelled.text[unit.start : unit.end]
        for labelled in load_corpus(CORPUS)
        for unit in labelled.units
        if unit.label != "-" and unit.end - unit.start > 30
    ]
    lines, paragraph = [], []
    for number in range(sentences):
        paragraph.append(f"{pool[number % len(pool)].rstrip('.')} ({number}).")
        if len(paragraph) == 10:
            lines.append(" ".join(paragraph))
            paragraph = []
    lines.append(" ".join(paragraph))
    return "\n".join(lines)


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def measure(*, hostile_bytes: int, sentences: int) -> dict:
    hostile = hostile_text(hostile_bytes)
    text = long_text(sentences)
    results = {
        "hostile_bytes": len(hostile.encode()),
        "split_hostile_s": timed(lambda: sentence_spans(hostile))[0],
        "extract_hostile_s": timed(lambda: extract_candidates(hostile))[0],
        "sentences": sentences,
        "long_text_bytes": len(text.encode()),
    }
    # Every candidate of the long text is stored (the cap raised for the measurement); the
    # import's own transaction is rolled back (dry run), as are the admin's rows below.
    with override_settings(CLAIMS_IMPORT_MAX_CANDIDATES=4 * sentences):
        seconds, imported = timed(
            lambda: intake.import_source(text=text, title="Benchmark", dry_run=True)
        )
    results["import_long_text_s"] = seconds
    results["import_long_text_candidates"] = len(imported.candidates)
    try:
        with transaction.atomic():
            results.update(_admin_pages(hostile))
            raise Rollback
    except Rollback:
        pass
    return results


def _admin_pages(hostile: str) -> dict:
    source = Source.objects.create(title="Hostile", text=hostile)
    claim = services.create_claim(
        source=source,
        statement="Kratom eases pain",
        quote="Kratom eases pain.",
        quote_start=0,
        quote_end=18,
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.create_superuser("bench-extraction", password=None))
    pages = {
        "admin_source_hostile_s": reverse("admin:claims_source_change", args=[source.pk]),
        "admin_claim_hostile_s": reverse("admin:claims_claim_change", args=[claim.pk]),
    }
    results = {}
    for name, url in pages.items():
        seconds, response = timed(lambda url=url: client.get(url))
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        results[name] = seconds
    assert Claim.objects.filter(source=source).count() == 1  # nosec B101 # a sanity check
    return results
