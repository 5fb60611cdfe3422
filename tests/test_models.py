import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims.models import Citation, Claim, Evidence, Source, locate_quote, normalize_doi
from claims.scales import Grade, Status, StudyDesign, Verdict
from tests.factories import (
    SOURCE_TEXT,
    CitationFactory,
    ClaimFactory,
    EvidenceFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def assert_db_refuses(queryset, **values):
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**values)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "draft"),
        ("grade", "excellent"),
        ("verdict", "true"),
        ("claim_type", "cure"),
        ("statement", ""),
        ("version", 0),
    ],
)
def test_claim_constraints_reject_bad_values(field, value):
    claim = ClaimFactory()

    assert_db_refuses(Claim.objects.filter(pk=claim.pk), **{field: value})


def test_claim_constraint_rejects_offsets_out_of_order():
    claim = ClaimFactory()

    assert_db_refuses(Claim.objects.filter(pk=claim.pk), quote_start=10, quote_end=5)


@pytest.mark.parametrize(
    "missing",
    [{"grade": Grade.UNGRADED}, {"verdict": Verdict.UNRATED}, {"rationale": ""}],
)
def test_published_claim_must_be_graded_rated_and_explained(missing):
    claim = ClaimFactory(published=True)

    assert_db_refuses(Claim.objects.filter(pk=claim.pk), **missing)


def test_source_and_citation_and_evidence_constraints_reject_bad_values():
    evidence = EvidenceFactory()

    assert_db_refuses(Source.objects.filter(pk=evidence.claim.source_id), kind="blog")
    assert_db_refuses(Citation.objects.filter(pk=evidence.citation_id), study_design="anecdote")
    assert_db_refuses(Citation.objects.filter(pk=evidence.citation_id), doi="10.1000/ABC")
    assert_db_refuses(Citation.objects.filter(pk=evidence.citation_id), doi="not-a-doi")
    assert_db_refuses(Citation.objects.filter(pk=evidence.citation_id), year=1200)
    assert_db_refuses(
        Citation.objects.filter(pk=evidence.citation_id), study_design=StudyDesign.OTHER
    )
    assert_db_refuses(Evidence.objects.filter(pk=evidence.pk), stance="agrees")


def test_evidence_is_unique_per_claim_and_citation():
    evidence = EvidenceFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(claim=evidence.claim, citation=evidence.citation, stance="mixed")


def test_doi_and_pmid_are_unique_when_present():
    CitationFactory(doi="10.1000/same", pmid="123")
    CitationFactory(doi="", pmid="")

    with pytest.raises(IntegrityError), transaction.atomic():
        CitationFactory(doi="10.1000/same")
    with pytest.raises(IntegrityError), transaction.atomic():
        CitationFactory(pmid="123")
    assert CitationFactory(doi="", pmid="").pk


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1016/J.DRUGALCDEP.2019.05.005", "10.1016/j.drugalcdep.2019.05.005"),
        ("https://doi.org/10.1000/ABC", "10.1000/abc"),
        ("http://dx.doi.org/10.1000/abc", "10.1000/abc"),
        ("doi: 10.1000/abc ", "10.1000/abc"),
        ("  ", ""),
    ],
)
def test_normalize_doi(raw, expected):
    assert normalize_doi(raw) == expected


def test_citation_full_clean_stores_the_bare_lowercase_doi():
    citation = CitationFactory.build(doi="https://doi.org/10.3389/FPSYT.2020.00411")

    citation.full_clean()

    assert citation.doi == "10.3389/fpsyt.2020.00411"


def test_citation_full_clean_refuses_a_malformed_doi_and_pmid():
    citation = CitationFactory.build(doi="hello", pmid="PMC123")

    with pytest.raises(ValidationError) as error:
        citation.full_clean()

    assert set(error.value.message_dict) == {"doi", "pmid"}


def test_citation_of_other_design_needs_a_note():
    citation = CitationFactory.build(study_design=StudyDesign.OTHER, design_note=" ")

    with pytest.raises(ValidationError) as error:
        citation.full_clean()

    assert list(error.value.message_dict) == ["design_note"]


def test_quote_mismatch_message_shows_the_text_at_the_offsets():
    claim = ClaimFactory.build(source=SourceFactory(), quote="Kratom cures everything.")

    with pytest.raises(ValidationError) as error:
        claim.full_clean()

    message = error.value.message_dict["quote"][0]
    assert "0–40" in message
    assert "“Kratom may help hair regrow after detox.”" in message


def test_quote_offsets_count_unicode_characters_not_bytes():
    source = SourceFactory(text="Café — “kratom’s” effect is real.")
    claim = ClaimFactory.build(source=source, quote="“kratom’s”", quote_start=7, quote_end=17)

    claim.full_clean()

    assert source.text[claim.quote_start : claim.quote_end] == claim.quote


def test_quote_without_offsets_is_located_when_it_occurs_once():
    claim = ClaimFactory.build(
        source=SourceFactory(),
        quote="Users report it is well tolerated.",
        quote_start=None,
        quote_end=None,
    )

    claim.full_clean()

    assert (claim.quote_start, claim.quote_end) == (88, 122)
    assert SOURCE_TEXT[88:122] == claim.quote


def test_quote_without_offsets_is_refused_when_missing_or_ambiguous():
    source = SourceFactory(text="It helps. It helps. It hurts.")

    with pytest.raises(ValidationError, match="does not occur"):
        locate_quote(source.text, "It heals.")
    with pytest.raises(ValidationError, match="occurs 2 times"):
        locate_quote(source.text, "It helps.")


def test_quote_offsets_outside_the_text_are_refused():
    claim = ClaimFactory.build(source=SourceFactory(), quote_start=100, quote_end=500)

    with pytest.raises(ValidationError, match="outside the source text"):
        claim.full_clean()


def test_overlapping_quotes_are_allowed():
    source = SourceFactory()
    ClaimFactory(source=source, quote="Kratom may help hair regrow", quote_start=0, quote_end=27)
    overlapping = ClaimFactory.build(
        source=source, quote="hair regrow after detox.", quote_start=16, quote_end=40
    )

    overlapping.full_clean()
    overlapping.save()

    spans = [(c.quote_start, c.quote_end) for c in source.claims.order_by("quote_start")]
    assert spans == [(0, 27), (16, 40)]


def test_source_text_edit_that_breaks_a_quote_is_refused():
    claim = ClaimFactory()
    source = claim.source
    source.text = "Prefix. " + source.text

    with pytest.raises(ValidationError) as error:
        source.full_clean()

    assert "break the quotes of 1 claim(s)" in error.value.message_dict["text"][0]


def test_source_text_edit_that_keeps_quotes_in_place_is_accepted():
    claim = ClaimFactory()
    source = claim.source
    source.text = source.text + " An appended paragraph."

    source.full_clean()
    source.save()

    claim.refresh_from_db()
    assert claim.source.text.endswith(" An appended paragraph.")
    assert claim.source.text[claim.quote_start : claim.quote_end] == claim.quote


def test_slug_is_made_once_and_unique():
    first = ClaimFactory(statement="Kratom aids hair regrowth")
    second = ClaimFactory(statement="Kratom aids hair regrowth")

    first.statement = "Kratom aids hair regrowth after opioid withdrawal"
    first.save()
    first.refresh_from_db()

    assert (first.slug, second.slug) == ("kratom-aids-hair-regrowth", "kratom-aids-hair-regrowth-2")


def test_a_new_slug_comes_from_the_normalised_statement_cut_at_a_word():
    aside = ClaimFactory(
        statement="Kratom (via its main alkaloid mitragynine) relieves opioid withdrawal symptoms"
    )
    long = ClaimFactory(
        statement="Mitragynine and 7-hydroxymitragynine act on opioid receptors in the brain "
        "and spinal cord to reduce pain"
    )

    assert aside.slug == "kratom-relieves-opioid-withdrawal-symptoms"
    assert long.slug == "mitragynine-and-7-hydroxymitragynine-act-on-opioid-receptors-in-the"


def test_null_character_is_refused_with_a_message():
    claim = ClaimFactory.build(source=SourceFactory(), rationale="bad\x00byte")

    with pytest.raises(ValidationError) as error:
        claim.full_clean()

    assert "null character" in error.value.message_dict["rationale"][0]


def test_history_records_the_user_who_changed_a_claim():
    reviewer = UserFactory()
    claim = ClaimFactory()

    claim.grade = Grade.LOW
    claim._history_user = reviewer
    claim.save()

    latest = claim.history.first()
    assert (latest.grade, latest.history_user, latest.history_type) == ("low", reviewer, "~")
    assert claim.history.count() == 2


def test_history_records_evidence_changes():
    reviewer = UserFactory()
    evidence = EvidenceFactory()

    evidence.stance = "contradicts"
    evidence._history_user = reviewer
    evidence.save()

    assert [(h.stance, h.history_user) for h in evidence.history.all()] == [
        ("contradicts", reviewer),
        ("supports", None),
    ]


def test_published_queryset_holds_only_published_claims():
    published = ClaimFactory(published=True)
    for status in (Status.CANDIDATE, Status.IN_REVIEW, Status.REJECTED):
        ClaimFactory(status=status)

    assert list(Claim.objects.published()) == [published]


def test_quote_context_is_the_quotes_paragraph():
    source = SourceFactory(text="Heading\nBefore it. Kratom eases pain. After it.\nNext paragraph.")
    claim = ClaimFactory(source=source, quote="Kratom eases pain.", quote_start=19, quote_end=37)

    context = claim.quote_context()

    assert (context.before, context.quote, context.after) == (
        "Before it. ",
        "Kratom eases pain.",
        " After it.",
    )


def test_quote_context_is_cut_to_its_width_with_ellipses():
    text = "a" * 50 + "QUOTE" + "b" * 50
    claim = ClaimFactory(
        source=SourceFactory(text=text), quote="QUOTE", quote_start=50, quote_end=55
    )

    context = claim.quote_context(width=10)

    assert (context.before, context.after) == ("…" + "a" * 10, "b" * 10 + "…")
