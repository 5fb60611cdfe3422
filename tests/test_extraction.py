"""The extraction on texts it was not written for: what it proposes, what it leaves out, what
it suggests, the held-out figures it must keep, and linear time on hostile text."""

import signal
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from claims.evaluation import evaluate, load_corpus, parse_labelled
from claims.extraction import extract_candidates
from claims.models import Claim
from claims.scales import ClaimType
from claims.sentences import sentence_spans

CORPUS = Path(settings.BASE_DIR) / "fixtures" / "extraction"
# Measured on the held-out half (four texts the rules were not tuned on): recall 60/64
# (94 %), precision 61/64 (95 %), claim type right 49/60 (82 %). The floors sit a little
# below, so a change that loses a claim or two fails here, not in a reviewer's queue.
HELD_OUT_FLOORS = {"recall": 0.92, "precision": 0.92, "type_accuracy": 0.80}
ASHWAGANDHA = """How ashwagandha helps you relax
Clinical studies show that ashwagandha reduces cortisol levels by up to 30 %.
It may also improve sleep quality and help you fall asleep faster.
Side effects are rare.
Packed with antioxidants, ashwagandha can reverse ageing.
Experts recommend it for anyone who feels stressed.
Is it right for you?
Take two capsules a day with food.
Read on to find out more.
3. It lowers blood pressure.
How to take it
Buy now and save 20 %!"""


def quotes(text):
    return [c.quote for c in extract_candidates(text)]


def test_every_assertion_is_proposed_and_only_assertions():
    assert list(dict.fromkeys(quotes(ASHWAGANDHA))) == [
        "Clinical studies show that ashwagandha reduces cortisol levels by up to 30 %.",
        "It may also improve sleep quality and help you fall asleep faster.",
        "Side effects are rare.",
        "Packed with antioxidants, ashwagandha can reverse ageing.",
        "Experts recommend it for anyone who feels stressed.",
        "It lowers blood pressure.",  # the list number is not part of the quote
    ]


def test_suggestions_type_subject_outcome_and_a_statement_without_the_framing():
    found = {c.statement: c for c in extract_candidates(ASHWAGANDHA)}

    cortisol = found["Ashwagandha reduces cortisol levels by up to 30 %"]
    assert (cortisol.claim_type, cortisol.subject, cortisol.outcome, cortisol.hedged) == (
        ClaimType.EFFICACY,
        "ashwagandha",
        "cortisol levels",
        False,
    )
    # "can" states an ability; "may", "might", "could" hedge.
    assert not found["Ashwagandha reverses ageing"].hedged
    assert found["Side effects are rare"].claim_type == ClaimType.SAFETY
    assert found["Experts recommend it for anyone who feels stressed"].claim_type == "other"
    assert "Ashwagandha lowers blood pressure" in found


def test_two_effects_joined_by_and_are_two_candidates_with_one_quote():
    sleep = [c for c in extract_candidates(ASHWAGANDHA) if "sleep quality" in c.quote]

    assert [c.statement for c in sleep] == [
        "Ashwagandha improves sleep quality",
        "Ashwagandha helps you fall asleep faster",
    ]
    assert sleep[0].quote == sleep[1].quote
    assert sleep[0].start == sleep[1].start
    assert all(c.hedged for c in sleep)


def test_a_number_or_an_effect_ranks_above_a_vague_line():
    ranked = {c.quote: c.worthiness for c in extract_candidates(ASHWAGANDHA)}

    number = ranked["Clinical studies show that ashwagandha reduces cortisol levels by up to 30 %."]
    assert number > ranked["Experts recommend it for anyone who feels stressed."]
    assert number > ranked["Packed with antioxidants, ashwagandha can reverse ageing."]


@pytest.mark.django_db
def test_an_import_stores_hedges_and_queues_the_most_check_worthy_first(tmp_path):
    path = tmp_path / "ashwagandha.txt"
    path.write_text(ASHWAGANDHA, encoding="utf-8")

    call_command("import_source", str(path), "--title", "Ashwagandha", stdout=StringIO())

    queue = list(Claim.objects.order_by("created_at", "pk"))
    assert [c.check_worthiness for c in queue] == sorted(
        (c.check_worthiness for c in queue), reverse=True
    )
    assert queue[0].quote.startswith("Clinical studies show")
    assert {c.statement: c.hedged for c in queue}["Ashwagandha improves sleep quality"] is True
    assert all(c.source.text[c.quote_start : c.quote_end] == c.quote for c in queue)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- Reduces wrinkles by 36 % in 12 weeks", "Reduces wrinkles by 36 % in 12 weeks"),
        ("• Helps regrow thinning hair", "Helps regrow thinning hair"),
        ("Q: Is it safe?\nA: It is safe for children.", "It is safe for children."),
        ("Myth: Detox teas burn fat.", "Detox teas burn fat."),
        ('"My knee pain disappeared." — Karen, Ohio', '"My knee pain disappeared."'),
    ],
)
def test_bullets_labels_and_attributions_are_never_part_of_a_quote(text, expected):
    assert quotes(text) == [expected]


def test_the_splitter_keeps_abbreviations_initials_and_list_numbers_in_their_sentence():
    text = "Dr. Lee, e.g. in 2019, found it works.\n1. It is safe. J. Smith agreed!"

    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Dr. Lee, e.g. in 2019, found it works.",
        "1. It is safe.",
        "J. Smith agreed!",
    ]


def test_the_corpus_rebuilds_each_text_with_its_labels_in_place():
    labelled = parse_labelled("t", "# split: tuned\n\n[-] A heading\n\n[safety] It is safe. \n")

    assert labelled.text == "A heading\nIt is safe."
    assert [(labelled.text[u.start : u.end], u.label) for u in labelled.units] == [
        ("A heading", "-"),
        ("It is safe.", "safety"),
    ]


def test_held_out_figures_stay_at_what_was_measured():
    corpus = load_corpus(CORPUS)
    assert {t.split for t in corpus} == {"tuned", "held-out"}
    assert sum(t.split == "held-out" for t in corpus) >= 4

    held_out = evaluate(corpus)["held-out"]["overall"]

    assert held_out.claims >= 60
    for name, floor in HELD_OUT_FLOORS.items():
        assert getattr(held_out, name) >= floor, (name, held_out.missed, held_out.spurious)


def test_evaluate_extraction_prints_both_halves():
    out = StringIO()
    call_command("evaluate_extraction", stdout=out)

    printed = out.getvalue()
    assert "tuned overall" in printed
    assert "held-out overall" in printed
    assert "08-cbd-oil-product" in printed


@contextmanager
def deadline(seconds):
    """Fail a call that runs past `seconds` (an alarm: a quadratic splitter takes hours)."""

    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: not linear")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.django_db
@pytest.mark.parametrize("unit", ["e.g. ", "!!!!", "1. ", "- "])
def test_a_megabyte_of_hostile_text_imports_in_linear_time(tmp_path, unit, settings):
    # The one timed test: it guards complexity (a megabyte took hours before), not speed;
    # the limit is generous for a slow CI machine.
    path = tmp_path / "hostile.txt"
    path.write_text("Kratom eases pain. " + unit * (1_000_000 // len(unit)), encoding="utf-8")

    with deadline(60):
        call_command("import_source", str(path), "--title", "Hostile", stdout=StringIO())

    assert Claim.objects.filter(quote="Kratom eases pain.").exists()
