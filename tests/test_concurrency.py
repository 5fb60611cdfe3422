"""Two reviewers save the same claim from the same version: the second is refused, nothing lost."""

import threading

import pytest
from django.contrib.auth.models import Permission
from django.db import connections
from django.urls import reverse

from claims.models import Claim
from claims.scales import Grade, Status, Verdict
from claims.services import StaleEdit, grade_claim
from tests.factories import ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db


def reviewer(username):
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="claims", codename="grade_claim"),
        Permission.objects.get(content_type__app_label="claims", codename="change_claim"),
        Permission.objects.get(content_type__app_label="claims", codename="view_claim"),
    )
    return user


EDITS = {
    "alice": {"grade": Grade.LOW, "verdict": Verdict.MISLEADING, "rationale": "Alice's reading."},
    "bob": {"grade": Grade.HIGH, "verdict": Verdict.SUPPORTED, "rationale": "Bob's reading."},
}


def snapshot(claim_pk):
    claim = Claim.objects.get(pk=claim_pk)
    return (claim.grade, claim.verdict, claim.rationale, claim.version, claim.reviewed_by_id)


def test_second_reviewer_from_a_stale_version_is_refused_and_nothing_is_lost():
    claim = ClaimFactory(published=True)
    alice, bob = reviewer("alice"), reviewer("bob")
    seen = claim.version
    history_before = claim.history.count()

    grade_claim(claim=claim, reviewer=alice, seen_version=seen, **EDITS["alice"])
    with pytest.raises(StaleEdit) as refused:
        grade_claim(claim=claim, reviewer=bob, seen_version=seen, **EDITS["bob"])

    assert snapshot(claim.pk) == (
        Grade.LOW,
        Verdict.MISLEADING,
        "Alice's reading.",
        seen + 1,
        alice.pk,
    )
    assert claim.history.count() == history_before + 1
    assert claim.history.first().history_user == alice
    assert "alice" in str(refused.value)
    assert f"version {seen}" in str(refused.value)


def test_reviewer_who_reloads_can_save_after_the_refusal():
    claim = ClaimFactory(published=True)
    alice, bob = reviewer("alice"), reviewer("bob")
    seen = claim.version
    grade_claim(claim=claim, reviewer=alice, seen_version=seen, **EDITS["alice"])

    grade_claim(claim=claim, reviewer=bob, seen_version=seen + 1, **EDITS["bob"])

    assert snapshot(claim.pk) == (
        Grade.HIGH,
        Verdict.SUPPORTED,
        "Bob's reading.",
        seen + 2,
        bob.pk,
    )
    assert [h.history_user.username for h in claim.history.all()[:2]] == ["bob", "alice"]


def test_two_reviewers_in_the_admin_the_second_save_is_refused(client):
    claim = ClaimFactory(status=Status.IN_REVIEW)  # published claims change by revision
    alice, bob = reviewer("alice"), reviewer("bob")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    client.force_login(alice)
    form_alice = client.get(url).context["adminform"].form
    client.force_login(bob)
    form_bob = client.get(url).context["adminform"].form

    def post(user, form, statement):
        client.force_login(user)
        data = _form_data(form)
        data["statement"] = statement
        return client.post(url, data)

    first = post(alice, form_alice, "Alice's edit of the statement")
    second = post(bob, form_bob, "Bob's edit of the statement")

    claim.refresh_from_db()
    assert first.status_code == 302
    assert second.status_code == 200
    assert "after you opened it" in second.content.decode()
    assert claim.statement == "Alice's edit of the statement"


def _form_data(form):
    """The values a browser would submit for this admin change form, inline formsets included."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        data[name] = value
    for prefix in ("evidence", "assessment", "evidence_set"):
        for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data.setdefault(f"{prefix}-{key}", "0")
    return data


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_in_parallel_threads_one_wins_one_is_refused(postgres_only):
    claim = ClaimFactory(published=True)
    users = {"alice": reviewer("alice"), "bob": reviewer("bob")}
    seen = claim.version
    history_before = claim.history.count()
    barrier = threading.Barrier(2)
    outcomes = {}

    def save(name):
        try:
            barrier.wait(timeout=10)
            grade_claim(
                claim=Claim.objects.get(pk=claim.pk),
                reviewer=users[name],
                seen_version=seen,
                **EDITS[name],
            )
            outcomes[name] = "saved"
        except StaleEdit:
            outcomes[name] = "refused"
        except Exception as exc:  # reported by the assertion below
            outcomes[name] = repr(exc)
        finally:
            connections.close_all()  # each thread opened its own connection

    threads = [threading.Thread(target=save, args=(name,)) for name in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["refused", "saved"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    edit = EDITS[winner]
    assert snapshot(claim.pk) == (
        edit["grade"],
        edit["verdict"],
        edit["rationale"],
        seen + 1,
        users[winner].pk,
    )
    history = Claim.objects.get(pk=claim.pk).history.all()
    assert history.count() == history_before + 1
    assert history.first().history_user == users[winner]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_many_parallel_reviewers_exactly_one_wins(postgres_only):
    claim = ClaimFactory(published=True)
    names = [f"reviewer{n}" for n in range(6)]
    users = {name: reviewer(name) for name in names}
    seen = claim.version
    barrier = threading.Barrier(len(names))
    outcomes = {}

    def save(name):
        try:
            barrier.wait(timeout=10)
            grade_claim(
                claim=Claim.objects.get(pk=claim.pk),
                reviewer=users[name],
                seen_version=seen,
                grade=Grade.MODERATE,
                verdict=Verdict.PARTLY_SUPPORTED,
                rationale=f"{name} was here.",
            )
            outcomes[name] = "saved"
        except StaleEdit:
            outcomes[name] = "refused"
        except Exception as exc:  # reported by the assertion below
            outcomes[name] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [name for name, outcome in outcomes.items() if outcome == "saved"]
    assert sorted(outcomes.values()) == ["refused"] * 5 + ["saved"]
    assert snapshot(claim.pk)[2:4] == (f"{winners[0]} was here.", seen + 1)
