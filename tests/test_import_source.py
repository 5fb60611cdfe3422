import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from claims import intake
from claims.extraction import extract_candidates, normalise_statement
from claims.models import Claim, Source
from claims.scales import ClaimType, Status
from tests.factories import ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db

SEED = Path(settings.BASE_DIR) / "fixtures" / "seed"
ARTICLE = SEED / "kratom-article.txt"
# The seed article's 20 curated claims are a selection, not every claim in it: the extraction
# must find all 20 (it also proposes the article's other claims, so precision is measured on
# the labelled corpus in fixtures/extraction/, see test_extraction.py).
SEED_CANDIDATES = 32


def overlaps(a_start, a_end, b_start, b_end):
    return a_start < b_end and b_start < a_end


def run_import(path, *extra):
    out = StringIO()
    call_command("import_source", str(path), "--title", "An article", *extra, stdout=out)
    return out.getvalue()


def test_import_seed_article_finds_every_curated_claim():
    curated = json.loads((SEED / "kratom-claims.json").read_text(encoding="utf-8"))["claims"]

    run_import(ARTICLE, "--url", "https://example.org/kratom", "--publisher", "Example")

    source = Source.objects.get()
    candidates = list(source.claims.all())
    found = [
        c
        for c in curated
        if any(
            overlaps(x.quote_start, x.quote_end, c["quote_start"], c["quote_end"])
            for x in candidates
        )
    ]
    assert (len(found), len(curated), len(candidates)) == (20, 20, SEED_CANDIDATES)
    assert (source.url, source.publisher) == ("https://example.org/kratom", "Example")


def test_imported_candidates_quote_the_source_exactly():
    run_import(ARTICLE)

    source = Source.objects.get()
    claims = list(source.claims.all())
    assert {c.status for c in claims} == {Status.CANDIDATE}
    assert all(source.text[c.quote_start : c.quote_end] == c.quote for c in claims)
    assert all(c.subject and c.statement for c in claims)
    assert {c.subject for c in claims} >= {"kratom"}


def test_extraction_works_on_another_health_text():
    text = (
        "Turmeric: what you need to know\n"
        "Turmeric is a spice used in curries. "
        "Curcumin, its main compound, reduces inflammation in the joints. "
        "Some people report stomach upset as a side effect. "
        "Joint pain affects about 20% of adults over fifty. "
        "This article explores the history of the spice. "
        "You should consult your doctor before taking supplements. "
        "Where can you buy it?"
    )

    candidates = extract_candidates(text)

    assert [(c.quote, c.claim_type) for c in candidates] == [
        ("Turmeric is a spice used in curries.", ClaimType.OTHER),
        ("Curcumin, its main compound, reduces inflammation in the joints.", ClaimType.MECHANISM),
        ("Some people report stomach upset as a side effect.", ClaimType.SAFETY),
        ("Joint pain affects about 20% of adults over fifty.", ClaimType.PREVALENCE),
    ]
    assert candidates[1].outcome == "inflammation"
    assert all(text[c.start : c.end] == c.quote for c in candidates)


def test_dry_run_writes_nothing():
    output = run_import(ARTICLE, "--dry-run")

    assert f"Dry run: would store the source and {SEED_CANDIDATES} candidate(s)." in output
    assert (Source.objects.count(), Claim.objects.count()) == (0, 0)


def test_duplicate_text_is_refused(tmp_path):
    run_import(ARTICLE)
    copy = tmp_path / "copy.txt"
    copy.write_bytes(ARTICLE.read_bytes())

    with pytest.raises(CommandError, match="already stored as source #"):
        run_import(copy)

    assert (Source.objects.count(), Claim.objects.count()) == (1, SEED_CANDIDATES)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"   \n\n  ", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("Kratom hilft gegen Haarausfall.".encode("latin-1") + b"\xe4", "not UTF-8"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        run_import(path)

    assert (Source.objects.count(), Claim.objects.count()) == (0, 0)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run_import(tmp_path / "nope.txt")


def test_bad_url_is_refused_and_nothing_is_written():
    with pytest.raises(CommandError, match="url: Enter a valid URL"):
        run_import(ARTICLE, "--url", "not a url")

    assert Source.objects.count() == 0


def test_normalise_statement_cleans_and_capitalises():
    assert normalise_statement(' "kratom  eases\nwithdrawal." ') == "Kratom eases withdrawal"


def test_candidates_get_unique_slugs_and_one_history_row_each():
    ClaimFactory(statement="Kratom cures pain.", slug="kratom-cures-pain")
    ClaimFactory(statement="Kratom cures pain!", slug="kratom-cures-pain-2")
    user = UserFactory()
    text = "Kratom cures pain. Kratom cures pain. Kratom cures pain today."

    result = intake.import_source(text=text, title="Repeated", user=user)

    slugs = [claim.slug for claim in result.candidates]
    assert len(set(slugs)) == len(slugs)
    assert not {"kratom-cures-pain", "kratom-cures-pain-2"} & set(slugs)
    for claim in result.candidates:
        stored = Claim.objects.get(pk=claim.pk)
        assert stored.statement_sort_key
        assert [h.history_user for h in stored.history.all()] == [user]
