"""Taking a claim by selecting text on a source's admin page, through the admin's own views."""

import pytest
from django.urls import reverse

from claims.models import Claim
from claims.scales import Status
from tests.factories import ClaimFactory, SourceFactory, staff_in
from tests.test_admin import messages_of

pytestmark = pytest.mark.django_db

TEXT = (
    "Packed with antioxidants, moringa can reverse ageing. Side effects are rare 😀 "
    "and mild.\nBuy now!"
)


def take_url(source):
    return reverse("admin:claims_source_take_claim", args=[source.pk])


def utf16_offset(text, index):
    return len(text[:index].encode("utf-16-le")) // 2


@pytest.fixture
def reviewer(client):
    client.force_login(staff_in("Reviewers"))
    return client


def test_a_selection_becomes_a_claim_with_its_exact_quote(reviewer):
    source = SourceFactory(text=TEXT)
    start, end = TEXT.index("Side"), TEXT.index(" and")  # ends after the emoji

    form = reviewer.get(
        take_url(source),
        {"start": utf16_offset(TEXT, start), "end": utf16_offset(TEXT, end), "unit": "utf16"},
    )
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert (initial["start"], initial["end"]) == (start, end)
    assert initial["claim_type"] == "safety"

    response = reviewer.post(
        take_url(source),
        {**initial, "statement": "Moringa's side effects are rare", "subject": "moringa"},
    )

    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:claims_claim_change", args=[claim.pk])
    assert claim.quote == "Side effects are rare 😀" == TEXT[claim.quote_start : claim.quote_end]
    assert (claim.quote_start, claim.quote_end) == (start, end)
    assert (claim.statement, claim.status) == ("Moringa's side effects are rare", Status.IN_REVIEW)


def test_the_statement_is_prefilled_without_the_marketing_framing(reviewer):
    source = SourceFactory(text=TEXT)
    sentence = "Packed with antioxidants, moringa can reverse ageing."

    form = reviewer.get(take_url(source), {"start": 0, "end": len(sentence)})

    assert form.context["form"].initial["statement"] == "Moringa reverses ageing"
    assert form.context["quote"] == sentence


def test_the_numbered_sentence_list_links_each_sentence_without_its_bullet(reviewer):
    source = SourceFactory(text="- Moringa lowers blood sugar.\n2. It is safe for children.")

    page = reviewer.get(reverse("admin:claims_source_change", args=[source.pk]))

    html = page.content.decode()
    assert f"{take_url(source)}?start=2&amp;end=29&amp;unit=char" in html
    assert f"{take_url(source)}?start=33&amp;end=57&amp;unit=char" in html
    assert 'src="/static/js/take-claim.js"' in html


def test_existing_claims_are_marked_in_the_text(reviewer):
    claim = ClaimFactory()

    page = reviewer.get(reverse("admin:claims_source_change", args=[claim.source.pk]))

    assert f'<mark title="Claim #{claim.pk}">{claim.quote}</mark>' in page.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": 0, "end": len(TEXT) + 1}, "runs past the end"),
        ({"start": 0, "end": utf16_offset(TEXT, len(TEXT)) + 3, "unit": "utf16"}, "past the end"),
        ({"start": 0, "end": utf16_offset(TEXT, TEXT.index("😀")) + 1, "unit": "utf16"}, "splits"),
        ({"start": 5, "end": 5}, "Nothing is selected"),
        ({"start": "x", "end": 4}, "position is missing"),
        ({"end": 4}, "position is missing"),
        ({"start": TEXT.index("\n"), "end": TEXT.index("\n") + 1}, "only spaces"),
    ],
)
def test_a_bad_selection_is_refused_with_a_message_and_nothing_is_written(reviewer, query, message):
    source = SourceFactory(text=TEXT)

    for response in (
        reviewer.get(take_url(source), query),
        reviewer.post(
            take_url(source), {**query, "statement": "A statement", "claim_type": "other"}
        ),
    ):
        assert response.status_code == 302
        assert response.url == reverse("admin:claims_source_change", args=[source.pk])
        assert any(message in m for m in messages_of(response))
    assert Claim.objects.count() == 0


def test_a_user_who_may_not_add_claims_cannot_take_one(client):
    client.force_login(staff_in(None))
    source = SourceFactory(text=TEXT)

    response = client.post(
        take_url(source), {"start": 0, "end": 10, "statement": "X", "claim_type": "other"}
    )

    assert response.status_code == 403
    assert Claim.objects.count() == 0
