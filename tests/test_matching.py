import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from claims.admin.matches import matches_context
from claims.match_evaluation import evaluate_matching, load_pairs
from claims.matching import THRESHOLD, compare, read, suggest_matches
from claims.scales import Status
from tests.factories import ClaimFactory

PAIRS = Path(settings.BASE_DIR) / "fixtures" / "matching" / "pairs.json"


def claim(statement, subject="", **fields):
    return ClaimFactory(statement=statement, subject=subject, **fields)


@pytest.mark.django_db
def test_labelled_pairs_keep_the_target():
    pairs = load_pairs(PAIRS)
    assert len(pairs) >= 60
    scores = evaluate_matching(pairs)
    overall = scores["overall"]
    assert overall.precision >= 0.90
    assert overall.recall >= 0.70
    assert scores["held-out"].precision >= 0.90
    assert scores["held-out"].recall >= 0.70


def test_opposite_direction_is_not_the_same_claim():
    score, reason = compare(
        read("Kratom causes hair loss"), read("Kratom aids hair regrowth", "kratom")
    )
    assert (score, reason) == (0.0, "opposite direction")


def test_negation_and_subject_rule_a_pair_out():
    relieves = read("Magnesium relieves muscle cramps", "magnesium")
    assert compare(read("Magnesium does not relieve muscle cramps"), relieves)[0] == 0
    assert compare(read("Calcium relieves muscle cramps"), relieves)[1] == "different subject"


def test_paraphrase_scores_above_the_threshold():
    score, _ = compare(
        read("Turmeric eases pain in the joints"), read("Turmeric reduces joint pain")
    )
    assert score >= THRESHOLD


@pytest.mark.django_db
def test_suggests_the_same_claim_not_the_opposite_one():
    same = claim("Kratom aids hair regrowth after opioid withdrawal", "kratom")
    claim("Kratom causes hair loss", "kratom", status=Status.IN_REVIEW)
    candidate = claim("Kratom helps hair regrow after quitting opioids", "kratom")
    assert [m.claim.pk for m in suggest_matches(candidate)] == [same.pk]


@pytest.mark.django_db
def test_never_suggests_itself_merged_rejected_or_what_it_was_merged_into():
    survivor = claim("Turmeric reduces joint pain", "turmeric", status=Status.IN_REVIEW)
    claim("Turmeric reduces joint pain", "turmeric", status=Status.REJECTED)
    claim("Turmeric reduces joint pain", "turmeric", status=Status.MERGED, merged_into=survivor)
    candidate = claim("Turmeric eases pain in the joints", "turmeric")
    assert [m.claim.pk for m in suggest_matches(candidate)] == [survivor.pk]
    merged = claim("Turmeric eases joint pain", "turmeric", status=Status.MERGED,
                   merged_into=survivor)  # fmt: skip
    assert suggest_matches(merged) == []


@pytest.mark.django_db
def test_one_suggestion_is_one_query():
    for n in range(20):
        claim(f"Kratom reduces hair loss in group {n}", "kratom")
    candidate = claim("Kratom lowers hair loss", "kratom")
    with CaptureQueriesContext(connection) as captured:
        matches = suggest_matches(candidate)
    assert len(captured.captured_queries) == 1
    assert len(matches) == 5


@pytest.mark.django_db
def test_panel_lists_suggestions_with_score_and_link_form(rf):
    existing = claim("Honey soothes a sore throat", "honey", status=Status.IN_REVIEW)
    candidate = claim("A spoonful of honey soothes sore throats", "honey")
    context = matches_context(candidate)
    assert context["matches_shown"]
    [row] = context["matches"]
    assert (row["id"], row["status"], row["appearances"]) == (existing.pk, "In review", 1)
    assert 70 <= row["percent"] <= 100
    html = render_to_string(
        "admin/claims/claim/_matches.html",
        {**context, "link_url": "/admin/link/"},
        request=rf.get("/"),
    )
    assert "Same claim already checked?" in html
    assert "<caption>" in html
    # Inside the change form (forms do not nest): the button sends that form, with its CSRF
    # token, to the link address.
    assert "<form" not in html
    assert 'formaction="/admin/link/" formmethod="post"' in html
    assert f'name="target" value="{existing.pk}"' in html
    assert "Link as an appearance of this claim" in html


@pytest.mark.django_db
def test_panel_is_not_shown_for_published_claims():
    published = ClaimFactory.build(status=Status.PUBLISHED, pk=1)
    assert matches_context(published)["matches_shown"] is False


@pytest.mark.django_db
def test_a_reviewer_links_a_suggested_claim_from_the_candidates_page(client):
    """Through the real change page: the panel's button posts the change form to the link
    address, and the candidate becomes an appearance of the claim it repeats."""
    from claims.models import Claim

    from .factories import staff_in

    existing = claim("Honey soothes a sore throat", "honey", published=True)
    candidate = claim("A spoonful of honey soothes sore throats", "honey")
    client.force_login(staff_in("Reviewers"))
    page = client.get(f"/admin/claims/claim/{candidate.pk}/change/")
    html = page.content.decode()
    assert "Same claim already checked?" in html
    action = re.search(r'formaction="([^"]+)" formmethod="post"', html).group(1)
    token = page.cookies["csrftoken"].value

    response = client.post(action, {"target": existing.pk, "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    candidate = Claim.objects.get(pk=candidate.pk)
    assert (candidate.status, candidate.merged_into_id) == (Status.MERGED, existing.pk)
    assert Claim.objects.get(pk=existing.pk).appearance_count == 2
