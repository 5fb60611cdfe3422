"""Merging claims and linking a candidate as an appearance, through the admin's real views and
the public pages: appearances, evidence and history are kept on the survivor, the quote
invariant holds for every appearance, counts stay right, and a merged address answers 301."""

import datetime
from datetime import UTC

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from claims import merging, services
from claims.appearances import add_appearance
from claims.models import Appearance, Claim, ClaimRevision, Evidence, PublicChange
from claims.scales import ChangeKind, RevisionStatus, Stance, Status, Verdict

from .factories import (
    CitationFactory,
    ClaimFactory,
    EvidenceFactory,
    GradeAssessmentFactory,
    SourceFactory,
    UserFactory,
    staff_in,
)

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.datetime(2026, 1, 5, tzinfo=UTC)
FIRST = "Kratom may help hair regrow after detox."  # factories.SOURCE_TEXT at 0–40


def merge_url(claim) -> str:
    return reverse("admin:claims_claim_merge", args=[claim.pk])


def link_url(claim) -> str:
    return reverse("admin:claims_claim_link", args=[claim.pk])


def change_url(claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def fresh(claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def confirm(client, user, merged, survivor, button: str = "_merge", **changes):
    """Open the merge page as `user`, choose `survivor`, and submit the confirmation form."""
    client.force_login(user)
    page = client.get(merge_url(merged) + f"?survivor={survivor.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None} | changes | {button: "1"}
    return client.post(merge_url(merged), data)


def assert_appearances_hold(claim):
    """Every appearance quotes its text exactly, and the claim's own quote is its oldest."""
    claim = fresh(claim)
    appearances = list(claim.appearances.oldest_first().select_related("source"))
    for appearance in appearances:
        text = appearance.source.text
        assert text[appearance.quote_start : appearance.quote_end] == appearance.quote
    first = appearances[0]
    assert (claim.source_id, claim.quote, claim.quote_start, claim.quote_end) == (
        first.source_id,
        first.quote,
        first.quote_start,
        first.quote_end,
    )
    assert claim.appearance_count == len({a.source_id for a in appearances})
    return appearances


@pytest.fixture
def pair():
    """Two published claims saying the same thing in two texts. The one to merge away is the
    older, cites one work both cite (with another finding) and one of its own, and was also
    linked to the survivor's own passage (dropped at the merge)."""
    text_a, text_b = SourceFactory(title="Text A"), SourceFactory(title="Text B")
    merged = ClaimFactory(published=True, source=text_b, statement="Kratom regrows hair")
    Appearance.objects.filter(claim=merged).update(found_at=LONG_AGO)
    survivor = ClaimFactory(published=True, source=text_a, statement="Kratom aids hair regrowth")
    GradeAssessmentFactory(claim=survivor)
    shared, own = CitationFactory(title="Shared work"), CitationFactory(title="Own work")
    EvidenceFactory(
        claim=survivor, citation=shared, stance=Stance.BACKGROUND, finding="No hair outcome."
    )
    EvidenceFactory(claim=merged, citation=shared, stance=Stance.MIXED, finding="Mixed reports.")
    EvidenceFactory(claim=merged, citation=own, stance=Stance.BACKGROUND, finding="A survey.")
    add_appearance(claim=merged, source=text_a, quote=FIRST, quote_start=0, quote_end=40)
    return {"merged": fresh(merged), "survivor": fresh(survivor), "a": text_a, "b": text_b}


def test_an_editor_merges_two_published_claims_keeping_everything_on_the_survivor(client, pair):
    editor = staff_in("Editors", username="ed")
    merged, survivor = pair["merged"], pair["survivor"]
    survivor_page = client.get(survivor.get_absolute_url()).content.decode()  # cached now
    assert "Merge." not in survivor_page

    response = confirm(client, editor, merged, survivor, note="The same claim, copied.")

    assert response.status_code == 302
    assert response.url == change_url(survivor)
    assert messages_of(response) == [
        f"Claim #{merged.pk} is merged into claim #{survivor.pk}: 1 appearance and 1 evidence "
        "link moved, 1 repeated passage(s) dropped, 1 work(s) both cited kept once; listed in "
        "its corrections log."
    ]
    merged, survivor = fresh(merged), fresh(survivor)
    assert (merged.status, merged.merged_into_id) == (Status.MERGED, survivor.pk)
    assert (merged.statement, merged.source_id, merged.quote) == (
        "Kratom regrows hair",
        pair["b"].pk,
        FIRST,
    )  # its own fields as they were
    assert merged.appearances.count() == 0
    assert merged.appearance_count == 0
    appearances = assert_appearances_hold(survivor)
    assert [(a.source_id, a.quote_start, a.quote_end) for a in appearances] == [
        (pair["b"].pk, 0, 40),  # the merged claim's, older: now the survivor's own quote
        (pair["a"].pk, 0, 40),  # the survivor's; the merged claim's copy of it was dropped
    ]
    assert (survivor.source_id, survivor.appearance_count) == (pair["b"].pk, 2)
    links = {link.citation.title: link for link in survivor.evidence.select_related("citation")}
    assert set(links) == {"Shared work", "Own work"}
    assert links["Shared work"].stance == Stance.BACKGROUND  # the survivor's link kept
    assert links["Shared work"].finding == (
        f"No hair outcome. [From merged claim #{merged.pk}, mixed: Mixed reports.]"
    )
    assert links["Own work"].finding == "A survey."
    assert survivor.assessment is not None  # the survivor's GRADE assessment kept
    # History: every changed row names the editor.
    assert merged.history.first().history_user == editor
    assert merged.history.first().status == Status.MERGED
    assert survivor.history.first().history_user == editor
    moved = Appearance.history.filter(claim_id=survivor.pk, history_type="~")
    assert {record.history_user for record in moved} == {editor}
    dropped = Appearance.history.get(history_type="-")
    assert (dropped.claim_id, dropped.source_id, dropped.history_user) == (
        merged.pk,
        pair["a"].pk,
        editor,
    )
    evidence_records = Evidence.history.filter(history_user=editor)
    assert sorted(r.history_type for r in evidence_records) == ["-", "~", "~"]
    # Public: the merged address answers 301 to the survivor's; the log shows the merge.
    client.logout()
    response = client.get(merged.get_absolute_url())
    assert response.status_code == 301
    assert response["Location"] == survivor.get_absolute_url()
    page = " ".join(client.get(survivor.get_absolute_url()).content.decode().split())
    assert "Merge." in page
    assert "“Kratom regrows hair”" in page
    assert "The same claim, copied." in page
    change = PublicChange.objects.get(claim=survivor)
    assert (change.kind, change.approved_by, change.note) == (
        ChangeKind.MERGE,
        editor,
        "The same claim, copied.",
    )


def test_a_merged_claims_other_addresses_answer_301_and_it_is_listed_nowhere(client, pair):
    editor = staff_in("Editors")
    merged, survivor = pair["merged"], pair["survivor"]
    merging.merge_claims(merged=merged, survivor=survivor, user=editor)

    report = client.get(reverse("claims:claim-report", args=[merged.slug]))
    bib = client.get(reverse("claims:claim-references", args=[merged.slug, "bib"]))

    assert (report.status_code, report["Location"]) == (
        301,
        reverse("claims:claim-report", args=[survivor.slug]),
    )
    assert (bib.status_code, bib["Location"]) == (
        301,
        reverse("claims:claim-references", args=[survivor.slug, "bib"]),
    )
    listing = client.get(reverse("claims:claim-list"))
    assert [row.record.pk for row in listing.context["page"].table.rows] == [survivor.pk]
    assert listing.context["page"].counts.total == 1
    csv = b"".join(client.get(reverse("claims:claim-export")).streaming_content).decode()
    assert merged.slug not in csv
    assert survivor.slug in csv
    assert merged.slug.encode() not in client.get("/sitemap-claims.xml").content


def test_a_never_published_claim_merged_away_stays_a_404(client):
    survivor = ClaimFactory(published=True)
    candidate = ClaimFactory(source=survivor.source)
    merging.merge_claims(merged=candidate, survivor=survivor, user=staff_in("Reviewers"))

    assert client.get(candidate.get_absolute_url()).status_code == 404


def test_a_reviewer_asking_to_merge_a_published_claim_gets_a_proposal_an_editor_approves(
    client, pair
):
    reviewer, editor = staff_in("Reviewers", username="rita"), staff_in("Editors", username="ed")
    merged, survivor = pair["merged"], pair["survivor"]

    response = confirm(client, reviewer, merged, survivor, note="Same words, other site.")

    assert response.status_code == 302
    assert response.url == change_url(merged)
    assert "awaits an editor's approval" in messages_of(response)[0]
    assert fresh(merged).status == Status.PUBLISHED
    assert client.get(merged.get_absolute_url()).status_code == 200
    proposal = ClaimRevision.objects.get()
    assert (proposal.claim, proposal.merge_into, proposal.status, proposal.proposed_by) == (
        merged,
        survivor,
        RevisionStatus.PENDING,
        reviewer,
    )
    # The claim's page and the editors' queue link to the merge page, which shows it.
    client.force_login(editor)
    assert "A merge into claim" in client.get(change_url(merged)).content.decode()
    queue = client.get(reverse("admin:claims_claimrevision_changelist")).content.decode()
    assert merge_url(merged) in queue
    page = client.get(merge_url(merged))
    assert page.context["chosen"] == survivor
    assert "Same words, other site." in page.content.decode()
    assert 'name="_approve"' in page.content.decode()

    response = confirm(client, editor, merged, survivor, "_approve", note="One claim.")

    assert response.status_code == 302
    assert response.url == change_url(survivor)
    assert messages_of(response)[0].startswith("Approved. Claim #")
    assert fresh(merged).status == Status.MERGED
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (RevisionStatus.APPROVED, editor)
    change = PublicChange.objects.get(claim=survivor)
    assert (change.kind, change.claim_revision, change.note) == (
        ChangeKind.MERGE,
        proposal,
        "One claim.",
    )
    client.logout()
    assert client.get(merged.get_absolute_url()).status_code == 301
    assert "One claim." in client.get(survivor.get_absolute_url()).content.decode()
    assert_appearances_hold(survivor)


def test_an_editor_sends_a_merge_proposal_back_and_nothing_moves(client, pair):
    reviewer, editor = staff_in("Reviewers"), staff_in("Editors")
    merged, survivor = pair["merged"], pair["survivor"]
    confirm(client, reviewer, merged, survivor)

    response = confirm(client, editor, merged, survivor, "_send_back", note="Not the same dose.")

    assert messages_of(response) == ["The merge proposal is sent back with your note."]
    proposal = ClaimRevision.objects.get()
    assert (proposal.status, proposal.decision_note) == (
        RevisionStatus.RETURNED,
        "Not the same dose.",
    )
    assert fresh(merged).status == Status.PUBLISHED
    assert merged.appearances.count() == 2
    assert survivor.appearances.count() == 1


@pytest.mark.parametrize("into", ["itself", "merged"])
def test_a_merge_into_itself_or_into_a_merged_claim_is_refused_as_a_form_error(client, into):
    editor = staff_in("Editors")
    claim = ClaimFactory(published=True)
    target = claim if into == "itself" else ClaimFactory(status=Status.MERGED)
    before = fresh(claim).version

    response = confirm(client, editor, claim, target)

    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    expected = "merged into itself" if into == "itself" else "was merged away"
    assert expected in errors
    assert "This merge is refused" in response.content.decode()
    assert (fresh(claim).status, fresh(claim).version) == (Status.PUBLISHED, before)
    assert not PublicChange.objects.exists()


def test_merging_a_claim_already_merged_is_refused():
    merged = ClaimFactory(status=Status.MERGED)
    other = ClaimFactory(published=True)

    with pytest.raises(services.WorkflowError, match="already"):
        merging.merge_claims(merged=merged, survivor=other, user=staff_in("Editors"))


def test_a_stale_merge_is_refused_and_nothing_changes(client, pair):
    editor = staff_in("Editors")
    merged, survivor = pair["merged"], pair["survivor"]
    client.force_login(editor)
    page = client.get(merge_url(merged) + f"?survivor={survivor.pk}")
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    services.grade_claim(  # a second editor changes the survivor meanwhile
        claim=survivor,
        reviewer=staff_in("Editors", username="other"),
        grade=survivor.grade,
        verdict=survivor.verdict,
        rationale="Reworded meanwhile.",
        seen_version=survivor.version,
    )

    response = client.post(merge_url(merged), data | {"_merge": "1"})

    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert f"Not merged: claim #{survivor.pk}: other changed this claim" in errors
    assert fresh(merged).status == Status.PUBLISHED
    assert fresh(survivor).appearances.count() == 1


def test_a_reviewer_links_a_candidate_as_an_appearance_of_a_published_claim(client):
    reviewer = staff_in("Reviewers")
    claim = ClaimFactory(published=True)
    elsewhere = SourceFactory(title="A copy elsewhere")
    candidate = ClaimFactory(source=elsewhere, statement="Kratom helps hair regrow")
    client.force_login(reviewer)

    response = client.post(link_url(candidate), {"target": claim.pk})

    assert response.status_code == 302
    assert response.url == change_url(claim)
    assert messages_of(response) == [
        f"Claim #{candidate.pk} is merged into claim #{claim.pk}: 1 appearance and 0 evidence "
        "links moved."
    ]
    candidate = fresh(candidate)
    assert (candidate.status, candidate.merged_into_id) == (Status.MERGED, claim.pk)
    appearances = assert_appearances_hold(claim)
    assert [a.source_id for a in appearances] == [claim.source_id, elsewhere.pk]
    assert fresh(claim).appearance_count == 2
    assert not PublicChange.objects.exists()  # a text more, no change of the public record
    assert Appearance.history.filter(claim_id=claim.pk).first().history_user == reviewer
    # The linked candidate's address was never public.
    client.logout()
    assert client.get(candidate.get_absolute_url()).status_code == 404
    listing = client.get(reverse("claims:claim-list") + f"?source={elsewhere.pk}")
    assert [row.record.pk for row in listing.context["page"].table.rows] == [claim.pk]


def test_linking_a_candidate_with_evidence_into_a_published_claim_awaits_an_editor(client):
    reviewer = staff_in("Reviewers")
    claim = ClaimFactory(published=True)
    EvidenceFactory(claim=claim, stance=Stance.BACKGROUND)
    candidate = ClaimFactory(source=claim.source, quote="Users report it is well tolerated.",
                             quote_start=88, quote_end=122)  # fmt: skip
    EvidenceFactory(claim=candidate, stance=Stance.BACKGROUND)
    client.force_login(reviewer)

    response = client.post(link_url(candidate), {"target": claim.pk})

    assert response.status_code == 302
    assert response.url == change_url(claim)
    assert "awaits an editor's approval" in messages_of(response)[0]
    assert fresh(candidate).status == Status.CANDIDATE
    assert ClaimRevision.objects.get().merge_into == claim


def test_linking_a_passage_older_than_a_published_claims_quote_awaits_an_editor(client):
    """The claim's quote and source are its oldest appearance: an older passage would replace
    them on the public page, so that link is an approval, logged when an editor makes it."""
    reviewer, editor = staff_in("Reviewers"), staff_in("Editors")
    claim = ClaimFactory(published=True)
    EvidenceFactory(claim=claim, stance=Stance.BACKGROUND)
    public = (claim.source_id, claim.quote, claim.quote_start, claim.quote_end)
    elsewhere = SourceFactory(title="An older text")
    candidate = ClaimFactory(source=elsewhere, statement="Kratom helps hair regrow")
    Appearance.objects.filter(claim=candidate).update(found_at=LONG_AGO)
    client.force_login(reviewer)

    response = client.post(link_url(candidate), {"target": claim.pk})

    assert "awaits an editor's approval" in messages_of(response)[0]
    claim = fresh(claim)
    assert (claim.source_id, claim.quote, claim.quote_start, claim.quote_end) == public
    assert fresh(candidate).status == Status.CANDIDATE
    assert not PublicChange.objects.exists()
    page = client.get(claim.get_absolute_url())
    assert "An older text" not in page.content.decode()

    result = merging.approve_merge(
        revision=ClaimRevision.objects.get(), editor=editor, seen_revision=1, note="Found earlier."
    )

    assert result.quote_replaced
    claim = fresh(claim)
    assert claim.source_id == elsewhere.pk
    assert_appearances_hold(claim)
    change = PublicChange.objects.get(claim=claim)
    assert "The quote is now from “An older text”" in change.summary
    assert change.note == "Found earlier."


def test_merging_an_unpublished_claim_with_an_older_copy_of_the_same_passage_needs_no_editor():
    claim = ClaimFactory(published=True)
    copy = ClaimFactory(source=claim.source, quote=claim.quote, quote_start=claim.quote_start,
                        quote_end=claim.quote_end)  # fmt: skip
    Appearance.objects.filter(claim=copy).update(found_at=LONG_AGO)

    assert not merging.needs_editor(fresh(copy), fresh(claim))


def test_the_link_endpoint_refuses_without_change_permission_and_explains_bad_targets(client):
    claim = ClaimFactory(published=True)
    candidate = ClaimFactory(source=claim.source)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_claim"))
    client.force_login(viewer)

    assert client.post(link_url(candidate), {"target": claim.pk}).status_code == 403
    assert client.get(merge_url(candidate)).status_code == 403
    assert fresh(candidate).status == Status.CANDIDATE

    client.force_login(staff_in("Reviewers"))
    assert client.get(link_url(candidate)).status_code == 405
    for target in ["", "nope", str(candidate.pk)]:
        response = client.post(link_url(candidate), {"target": target})
        assert response.status_code == 302
        assert response.url == change_url(candidate)
        assert messages_of(response)[-1].startswith("Not linked:")
    published = ClaimFactory(published=True, source=claim.source)
    response = client.post(link_url(published), {"target": claim.pk})
    assert "only a candidate or a claim in review is linked" in messages_of(response)[-1]
    assert (fresh(candidate).status, fresh(published).status) == (
        Status.CANDIDATE,
        Status.PUBLISHED,
    )


def test_claims_merged_before_follow_to_the_new_survivor_in_one_hop(client):
    editor = staff_in("Editors")
    first = ClaimFactory(published=True)
    middle = ClaimFactory(published=True, source=first.source)
    last = ClaimFactory(published=True, source=SourceFactory())
    for claim in (first, middle, last):
        EvidenceFactory(claim=claim, stance=Stance.BACKGROUND)
    merging.merge_claims(merged=first, survivor=middle, user=editor)

    merging.merge_claims(merged=middle, survivor=last, user=editor)

    assert fresh(first).merged_into_id == last.pk
    assert fresh(first).history.first().history_user == editor
    response = client.get(first.get_absolute_url())
    assert (response.status_code, response["Location"]) == (301, last.get_absolute_url())
    assert_appearances_hold(last)
    assert fresh(last).appearance_count == 2  # two texts: first and middle quote the same one


def test_a_merge_that_would_break_the_survivors_verdict_rule_is_refused():
    survivor = ClaimFactory(published=True)  # "unsupported: no evidence found"
    EvidenceFactory(claim=survivor, stance=Stance.BACKGROUND)
    merged = ClaimFactory(source=survivor.source, status=Status.IN_REVIEW)
    EvidenceFactory(claim=merged, stance=Stance.SUPPORTS)

    with pytest.raises(services.WorkflowError, match="Unsupported"):
        merging.merge_claims(merged=merged, survivor=survivor, user=staff_in("Editors"))

    assert fresh(merged).status == Status.IN_REVIEW
    assert fresh(survivor).verdict == Verdict.UNSUPPORTED
    assert merged.evidence.count() == 1
    assert survivor.evidence.count() == 1


def test_a_published_claim_is_not_merged_into_an_unpublished_one():
    published = ClaimFactory(published=True)
    draft = ClaimFactory(source=published.source, status=Status.IN_REVIEW)

    with pytest.raises(services.WorkflowError, match="its public page would lead nowhere"):
        merging.merge_claims(merged=published, survivor=draft, user=staff_in("Editors"))


def test_the_change_page_links_to_the_merge_page_and_a_merged_claim_is_read_only(client, pair):
    editor = staff_in("Editors")
    client.force_login(editor)
    page = client.get(change_url(pair["merged"])).content.decode()
    assert merge_url(pair["merged"]) in page
    merging.merge_claims(merged=pair["merged"], survivor=pair["survivor"], user=editor)

    page = client.get(change_url(pair["merged"]))

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert f'merged into <a href="{change_url(pair["survivor"])}"' in page.content.decode()


def test_the_merge_page_finds_the_claim_to_keep_by_words(client):
    claim = ClaimFactory(status=Status.IN_REVIEW, statement="Kratom regrows hair")
    other = ClaimFactory(published=True, statement="Kratom aids hair regrowth")
    client.force_login(staff_in("Reviewers"))

    by_words = client.get(merge_url(claim) + "?survivor=kratom")
    by_address = client.get(merge_url(claim) + f"?survivor={other.get_absolute_url()}")

    assert [c.pk for c in by_words.context["choices"]] == [other.pk]
    assert by_address.context["chosen"] == other
    assert "Merge claim" in by_address.content.decode()


def test_after_a_merge_the_side_tables_agree_with_their_triggers(postgres_only, pair):
    from claims import upkeep

    merging.merge_claims(merged=pair["merged"], survivor=pair["survivor"], user=staff_in("Editors"))

    assert [drift.describe() for drift in upkeep.check_side_tables() if not drift.clean] == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_editors_merging_a_pair_both_ways_at_once_one_wins(postgres_only):
    """Locks in id order: no deadlock; the second merge finds its claim merged and is refused."""
    import threading

    from django.db import connections

    first, second = ClaimFactory(published=True), ClaimFactory(published=True)
    for claim in (first, second):
        EvidenceFactory(claim=claim, stance=Stance.BACKGROUND)
    editors = {}
    for name in ("one", "two"):
        editors[name] = UserFactory(is_staff=True)
        editors[name].user_permissions.add(
            *Permission.objects.filter(codename__in=["change_claim", "publish_claim"])
        )
    ways = {"one": (first, second), "two": (second, first)}
    barrier, outcomes = threading.Barrier(2), {}

    def merge(name):
        try:
            barrier.wait(timeout=10)
            merged, survivor = ways[name]
            merging.merge_claims(merged=merged, survivor=survivor, user=editors[name])
            outcomes[name] = "merged"
        except services.WorkflowError as refused:
            outcomes[name] = "refused" if "merged" in str(refused) else repr(refused)
        except Exception as exc:  # reported by the assertion below
            outcomes[name] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=merge, args=(name,)) for name in ways]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["merged", "refused"]
    statuses = sorted(Claim.objects.values_list("status", flat=True))
    assert statuses == [Status.MERGED, Status.PUBLISHED]
    kept = Claim.objects.get(status=Status.PUBLISHED)
    assert len(assert_appearances_hold(kept)) == 2  # two texts, one claim
    assert kept.evidence.count() == 2


def test_a_reviewer_merges_two_unpublished_claims_at_once_with_nothing_logged(client):
    reviewer = staff_in("Reviewers")
    survivor = ClaimFactory(status=Status.IN_REVIEW)
    merged = ClaimFactory(status=Status.IN_REVIEW, source=SourceFactory())
    EvidenceFactory(claim=merged, stance=Stance.SUPPORTS)

    response = confirm(client, reviewer, merged, survivor)

    assert response.url == change_url(survivor)
    assert fresh(merged).status == Status.MERGED
    assert fresh(survivor).evidence.count() == 1
    assert len(assert_appearances_hold(survivor)) == 2
    assert not PublicChange.objects.exists()
    assert not ClaimRevision.objects.exists()


def test_readers_open_reports_follow_the_merged_claim_to_the_survivor(client, pair):
    from claims.models import ErrorReport
    from claims.scales import ReportStatus

    merged, survivor = pair["merged"], pair["survivor"]
    open_report = ErrorReport.objects.create(claim=merged, text="The quote is wrong.")
    closed = ErrorReport.objects.create(
        claim=merged, text="Typo.", status=ReportStatus.CLOSED, closing_note="Fixed."
    )

    response = confirm(client, staff_in("Editors", username="ed2"), merged, survivor)

    assert response.status_code == 302
    open_report.refresh_from_db()
    closed.refresh_from_db()
    assert (open_report.claim_id, closed.claim_id) == (survivor.pk, merged.pk)
