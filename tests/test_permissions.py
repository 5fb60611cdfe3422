"""The permission matrix, through the admin's real views.

Roles: anonymous, staff in no group, Reviewers, Editors, superuser.
Acts: view a claim, grade it, publish it, delete a graded claim (and a source).
"""

import pytest
from django.urls import reverse

from claims.models import Claim, Source
from claims.scales import Grade, Stance, Status, Verdict
from tests.factories import ClaimFactory, EvidenceFactory, UserFactory, staff_in

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "staff", "reviewer", "editor", "superuser"]


def login_as(client, role):
    if role == "anonymous":
        return None
    user = {
        "staff": lambda: staff_in(None),
        "reviewer": lambda: staff_in("Reviewers"),
        "editor": lambda: staff_in("Editors"),
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
    }[role]()
    client.force_login(user)  # axes needs a request for Client.login()
    return user


def change_form_data(claim, **overrides):
    data = {
        "seen_version": claim.version,
        "statement": claim.statement,
        "subject": claim.subject,
        "outcome": claim.outcome,
        "claim_type": claim.claim_type,
        "quote": claim.quote,
        "quote_start": claim.quote_start,
        "quote_end": claim.quote_end,
        "grade": claim.grade,
        "verdict": claim.verdict,
        "rationale": claim.rationale,
        "assessment-TOTAL_FORMS": 0,
        "assessment-INITIAL_FORMS": 0,
        "assessment-MIN_NUM_FORMS": 0,
        "assessment-MAX_NUM_FORMS": 1,
    }
    links = list(claim.evidence.all())
    data.update(
        {
            "evidence-TOTAL_FORMS": len(links),
            "evidence-INITIAL_FORMS": len(links),
            "evidence-MIN_NUM_FORMS": 0,
            "evidence-MAX_NUM_FORMS": 1000,
        }
    )
    for i, link in enumerate(links):
        data.update(
            {
                f"evidence-{i}-id": link.pk,
                f"evidence-{i}-claim": claim.pk,
                f"evidence-{i}-citation": link.citation_id,
                f"evidence-{i}-stance": link.stance,
                f"evidence-{i}-finding": link.finding,
            }
        )
    data.update(overrides)
    return data


def new_evidence_data(claim, citation, stance, finding=""):
    """change_form_data(claim) with one more evidence row: `citation` with its stance."""
    data = change_form_data(claim)
    i = data["evidence-TOTAL_FORMS"]
    data["evidence-TOTAL_FORMS"] = i + 1
    data.update(
        {
            f"evidence-{i}-claim": claim.pk,
            f"evidence-{i}-citation": citation.pk,
            f"evidence-{i}-stance": stance,
            f"evidence-{i}-finding": finding,
        }
    )
    return data


def ready_claim():
    claim = ClaimFactory(
        status=Status.IN_REVIEW,
        grade=Grade.LOW,
        verdict=Verdict.UNSUPPORTED,
        rationale="No trial.",
    )
    EvidenceFactory(claim=claim, stance=Stance.BACKGROUND)
    return claim


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("staff", 403), ("reviewer", 200), ("editor", 200), ("superuser", 200)],
)
def test_view_claim(client, role, expected):
    claim = ClaimFactory()
    login_as(client, role)

    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))

    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    ("role", "graded"),
    [
        ("anonymous", False),
        ("staff", False),
        ("reviewer", True),
        ("editor", True),
        ("superuser", True),
    ],
)
def test_grade_claim(client, role, graded):
    claim = ClaimFactory(status=Status.IN_REVIEW)
    login_as(client, role)

    client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        change_form_data(claim, grade=Grade.LOW, verdict=Verdict.UNSUPPORTED, rationale="R."),
    )

    claim.refresh_from_db()
    assert (claim.grade == Grade.LOW, claim.verdict == Verdict.UNSUPPORTED) == (graded, graded)


def test_change_without_grade_permission_leaves_grading_fields_alone(client):
    from django.contrib.auth.models import Permission

    user = staff_in(None)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_claim", "change_claim"])
    )
    client.force_login(user)
    claim = ClaimFactory(status=Status.IN_REVIEW)

    client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        change_form_data(claim, subject="mitragynine", grade=Grade.HIGH, rationale="Sneaky."),
    )

    claim.refresh_from_db()
    assert (claim.subject, claim.grade, claim.rationale) == ("mitragynine", Grade.UNGRADED, "")


@pytest.mark.parametrize(
    ("role", "published"),
    [
        ("anonymous", False),
        ("staff", False),
        ("reviewer", False),
        ("editor", True),
        ("superuser", True),
    ],
)
def test_publish_claim_by_action(client, role, published):
    claim = ready_claim()
    login_as(client, role)

    client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "publish_action", "_selected_action": [claim.pk]},
    )

    claim.refresh_from_db()
    assert (claim.status == Status.PUBLISHED) == published


@pytest.mark.parametrize(
    ("role", "deleted"),
    [
        ("anonymous", False),
        ("staff", False),
        ("reviewer", False),
        ("editor", False),
        ("superuser", True),
    ],
)
def test_delete_graded_claim(client, role, deleted):
    claim = ready_claim()
    login_as(client, role)

    client.post(reverse("admin:claims_claim_delete", args=[claim.pk]), {"post": "yes"})

    assert Claim.objects.filter(pk=claim.pk).exists() == (not deleted)


@pytest.mark.parametrize(
    ("role", "deleted"),
    [("staff", False), ("reviewer", False), ("editor", False), ("superuser", True)],
)
def test_delete_source(client, role, deleted):
    source = ClaimFactory().source
    Claim.objects.all().delete()
    login_as(client, role)

    client.post(reverse("admin:claims_source_delete", args=[source.pk]), {"post": "yes"})

    assert Source.objects.filter(pk=source.pk).exists() == (not deleted)


@pytest.mark.parametrize(
    ("role", "sees_claims"),
    [("staff", False), ("reviewer", True), ("editor", True), ("superuser", True)],
)
def test_admin_index_shows_claims_only_to_members(client, role, sees_claims):
    login_as(client, role)

    response = client.get(reverse("admin:index"))

    assert (reverse("admin:claims_claim_changelist") in response.content.decode()) == sees_claims


@pytest.mark.parametrize(("role", "can_add"), [("reviewer", False), ("editor", True)])
def test_only_editors_add_sources(client, role, can_add):
    login_as(client, role)

    response = client.get(reverse("admin:claims_source_add"))

    assert response.status_code == (200 if can_add else 403)


def test_groups_come_with_their_permissions():
    from django.contrib.auth.models import Group

    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    reviewers = set(
        Group.objects.get(name="Reviewers").permissions.values_list("codename", flat=True)
    )

    assert editors - reviewers == {
        "publish_claim",
        "add_source",
        "change_source",
        "change_errorreport",  # editors close readers' reports
    }
    assert {"grade_claim", "change_claim", "add_evidence"} <= reviewers
    assert {"view_claimrevision", "view_citationrevision", "view_errorreport"} <= reviewers
    assert not {p for p in editors if p in ("delete_source", "delete_claim")}


def test_setup_demo_loads_data_and_resets_accounts_idempotently():
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    first, second = StringIO(), StringIO()
    call_command("setup_demo", stdout=first)
    call_command("setup_demo", stdout=second)

    users = get_user_model().objects.order_by("username")
    assert [(u.username, u.is_superuser, [g.name for g in u.groups.all()]) for u in users] == [
        ("admin", True, []),
        ("editor", False, ["Editors"]),
        ("reviewer", False, ["Reviewers"]),
    ]
    assert (Source.objects.count(), Claim.objects.count()) == (1, 20)
    assert "Loaded the demo article" not in second.getvalue()
    password = second.getvalue().split("reviewer")[1].split()[0]
    assert users.get(username="reviewer").check_password(password)


def test_setup_demo_lifts_a_demo_accounts_lockout(client):
    from io import StringIO

    from django.core.management import call_command

    call_command("setup_demo", stdout=StringIO())
    login = reverse("admin:login")
    for _ in range(5):
        client.post(login, {"username": "reviewer", "password": "wrong"})
    assert client.post(login, {"username": "reviewer", "password": "wrong"}).status_code == 429
    output = StringIO()

    call_command("setup_demo", stdout=output)

    password = output.getvalue().split("reviewer")[1].split()[0]
    response = client.post(login, {"username": "reviewer", "password": password})
    assert response.status_code == 302
