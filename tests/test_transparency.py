"""Readers see who checked a claim (when the site names people) and never an account name."""

import json
import re

import pytest
from django.urls import reverse

from claims import services
from claims.models import PublicProfile
from claims.scales import Grade, Stance, Status, Verdict

from .factories import ClaimFactory, EvidenceFactory, UserFactory, staff_in

pytestmark = pytest.mark.django_db

JSON_LD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def checked_claim():
    """A claim graded by `rita_r` and published by `ed_e`, both with public profiles."""
    reviewer = staff_in("Reviewers", username="rita_r")
    editor = staff_in("Editors", username="ed_e")
    PublicProfile.objects.create(
        user=reviewer, public_name="Dr Rita Rao", conflicts="Consults for a kratom vendor."
    )
    PublicProfile.objects.create(user=editor, public_name="Ed Evans")
    claim = ClaimFactory(status=Status.IN_REVIEW)
    EvidenceFactory(claim=claim, stance=Stance.BACKGROUND)
    services.grade_claim(
        claim=claim,
        reviewer=reviewer,
        grade=Grade.VERY_LOW,
        verdict=Verdict.UNSUPPORTED,
        rationale="No study.",
        seen_version=1,
    )
    return services.publish_claim(claim=claim, user=editor)


def page_and_json_ld(client, claim):
    html = client.get(claim.get_absolute_url()).content.decode()
    return html, json.loads(JSON_LD_RE.findall(html)[0])


def test_by_default_only_the_organisation_is_named(client, settings):
    claim = checked_claim()

    html, data = page_and_json_ld(client, claim)

    assert "Dr Rita Rao" not in html
    assert "rita_r" not in html
    assert "contributor" not in data
    assert data["author"]["name"] == settings.SITE_NAME


def test_when_named_each_reviewer_and_editor_appears_with_their_conflicts(client, settings):
    settings.PUBLIC_REVIEWERS = True
    claim = checked_claim()

    html, data = page_and_json_ld(client, claim)
    text = " ".join(html.split())

    assert "Reviewed by" in text
    assert "Dr Rita Rao" in text
    assert "(conflicts of interest: Consults for a kratom vendor.)" in text
    assert "Approved for publication by" in text
    assert "Ed Evans" in text
    assert data["author"]["@type"] == "Organization"
    assert data["contributor"] == [
        {"@type": "Person", "name": "Dr Rita Rao"},
        {"@type": "Person", "name": "Ed Evans"},
    ]
    assert "rita_r" not in html
    assert "ed_e" not in html


def test_a_person_without_a_public_profile_is_counted_not_named(client, settings):
    settings.PUBLIC_REVIEWERS = True
    claim = checked_claim()
    PublicProfile.objects.filter(public_name="Ed Evans").delete()

    html, data = page_and_json_ld(client, claim)
    text = " ".join(html.split())

    assert "And 1 member of our team who is not named in public." in text
    assert "ed_e" not in html
    assert data["contributor"] == [{"@type": "Person", "name": "Dr Rita Rao"}]


def test_a_reviewer_keeps_their_own_profile_and_no_one_elses(client):
    rita = staff_in("Reviewers", username="rita_r")
    other = PublicProfile.objects.create(user=UserFactory(), public_name="Someone Else")
    client.force_login(rita)

    client.post(
        reverse("admin:claims_publicprofile_add"),
        {"public_name": "Dr Rita Rao", "conflicts": "", "user": other.user_id},
    )
    listed = client.get(reverse("admin:claims_publicprofile_changelist"))
    foreign = client.get(reverse("admin:claims_publicprofile_change", args=[other.pk]))

    assert PublicProfile.objects.get(public_name="Dr Rita Rao").user == rita
    assert [p.public_name for p in listed.context["cl"].result_list] == ["Dr Rita Rao"]
    assert foreign.status_code == 302  # not theirs: the admin sends them back


def test_an_administrator_keeps_anyones_profile(client):
    profile = PublicProfile.objects.create(user=UserFactory(), public_name="Old Name")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    client.post(
        reverse("admin:claims_publicprofile_change", args=[profile.pk]),
        {"user": profile.user_id, "public_name": "New Name", "conflicts": "None."},
    )

    profile.refresh_from_db()
    assert (profile.public_name, profile.conflicts) == ("New Name", "None.")
