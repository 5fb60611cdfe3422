"""The editorial record, through the admin's real views and the public pages: a change to a
published claim (or to a work one cites) goes public only when an editor approves it, and
every approved change is in the claim's public log with its date."""

import datetime
import json
import re
from datetime import UTC
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from claims import revisions, services
from claims.models import CitationRevision, Claim, ClaimRevision, Evidence, PublicChange
from claims.scales import ChangeKind, Grade, RevisionStatus, Stance, Status, Verdict

from .admin_forms import page_form_data, without_row
from .factories import CitationFactory, ClaimFactory, EvidenceFactory, staff_in

pytestmark = pytest.mark.django_db

JSON_LD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)
FIRST_PUBLISHED = datetime.datetime(2026, 11, 27, tzinfo=UTC)


def change_url(obj) -> str:
    return reverse(f"admin:claims_{obj._meta.model_name}_change", args=[obj.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def submit(client, user, obj, button: str = "_save", **changes):
    """Open the change page as `user` and submit it with `changes`, as a browser would."""
    client.force_login(user)
    data = page_form_data(client.get(change_url(obj)))
    data.update(changes)
    data[button] = "1"
    return client.post(change_url(obj), data)


def published_claim(**fields) -> Claim:
    claim = ClaimFactory(
        published=True,
        published_at=FIRST_PUBLISHED,
        reviewed_at=FIRST_PUBLISHED,
        subject="kratom",
        **fields,
    )
    EvidenceFactory(claim=claim, stance=Stance.BACKGROUND, citation=CitationFactory(title="Old"))
    return claim


def public_surfaces(client, claim) -> dict:
    """Everything public that shows the claim: its page, the list, a search, the counts, the
    CSV, the sitemap and the JSON-LD."""
    page = client.get(claim.get_absolute_url()).content.decode()
    listing = client.get(reverse("claims:claim-list") + "?q=kratom")
    return {
        "page": page,
        "json_ld": JSON_LD_RE.findall(page),
        "list": [row.record.pk for row in listing.context["page"].table.rows],
        "counts": listing.context["page"].counts,
        "list_html": client.get(reverse("claims:claim-list")).content.decode(),
        "csv": b"".join(client.get(reverse("claims:claim-export")).streaming_content),
        "sitemap": client.get("/sitemap-claims.xml").content,
    }


def json_ld(client, claim) -> dict:
    return json.loads(JSON_LD_RE.findall(client.get(claim.get_absolute_url()).content.decode())[0])


SITEMAP = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def lastmods(client) -> dict:
    """By path: each claim URL's lastmod in the claims sitemap, and that sitemap's own lastmod
    in the index (/sitemap.xml), as search engines read them."""
    found = {}
    for url in ("/sitemap-claims.xml", "/sitemap.xml"):
        for entry in ElementTree.fromstring(client.get(url).content):
            path = urlsplit(entry.findtext("sm:loc", namespaces=SITEMAP)).path
            if path.startswith("/claims/") or path == "/sitemap-claims.xml":
                lastmod = entry.findtext("sm:lastmod", namespaces=SITEMAP)
                found[path] = datetime.datetime.fromisoformat(lastmod)
    return found


def dates_of(client, claim) -> tuple:
    """The claim's dates for search engines: JSON-LD datePublished and dateModified, and its
    URL's lastmod in the sitemap."""
    data = json_ld(client, claim)
    return data["datePublished"], data["dateModified"], lastmods(client)[claim.get_absolute_url()]


def listed(client, query: str = "") -> tuple[dict, dict]:
    """/claims/ (searched for `query`): each row's claim and verdict, and the counts per
    verdict (on PostgreSQL, read from the side tables its triggers keep)."""
    page = client.get(reverse("claims:claim-list"), {"q": query} if query else {}).context["page"]
    rows = {row.record.pk: row.record.verdict for row in page.table.rows}
    return rows, {code: n for code, n in page.counts.facets["verdict"].items() if n}


def public_record(client, claim) -> dict:
    """What the list, two searches (a word every statement has, and one only the proposed
    statement of the test below has), the sitemaps and the claim's JSON-LD say."""
    data = json_ld(client, claim)
    return {
        "list": listed(client),
        "search kratom": listed(client, "kratom"),
        "search follicles": listed(client, "follicles"),
        "lastmods": lastmods(client),
        "json-ld dates": (data["datePublished"], data["dateModified"]),
    }


def test_a_reviewers_edit_of_a_published_claim_waits_for_an_editor(client):
    reviewer, editor = staff_in("Reviewers", username="rita"), staff_in("Editors", username="ed")
    claim = published_claim()
    bystander = published_claim(statement="Kratom eases pain")
    before = public_surfaces(client, claim)
    unsupported = {claim.pk: Verdict.UNSUPPORTED, bystander.pk: Verdict.UNSUPPORTED}
    public_before = {
        "list": (unsupported, {Verdict.UNSUPPORTED: 2}),
        "search kratom": (unsupported, {Verdict.UNSUPPORTED: 2}),
        "search follicles": ({}, {}),
        "lastmods": {
            claim.get_absolute_url(): FIRST_PUBLISHED,
            bystander.get_absolute_url(): FIRST_PUBLISHED,
            "/sitemap-claims.xml": FIRST_PUBLISHED,
        },
        "json-ld dates": ("2026-11-27", "2026-11-27"),
    }
    assert public_record(client, claim) == public_before

    response = submit(
        client,
        reviewer,
        claim,
        statement="Kratom regrows hair follicles",
        verdict=Verdict.MISLEADING,
        rationale="Overstated, we think.",
    )

    assert response.status_code == 302
    assert "Saved as a revision awaiting an editor" in messages_of(response)[0]
    client.logout()
    assert public_surfaces(client, claim) == before
    assert public_record(client, claim) == public_before
    revision = ClaimRevision.objects.get()
    assert (revision.status, revision.proposed_by, revision.fields["verdict"]) == (
        RevisionStatus.PENDING,
        reviewer,
        Verdict.MISLEADING,
    )
    queue = client_as(client, editor).get(
        reverse("admin:claims_claim_changelist") + "?revision=pending"
    )
    assert [c.pk for c in queue.context["cl"].result_list] == [claim.pk]
    diff = client.get(change_url(claim)).content.decode()
    assert "Overstated, we think." in diff
    assert "<del>Unsupported: no evidence found</del>" in diff

    response = submit(
        client, editor, claim, "_approve", public_note="The claim implies more than was found."
    )

    assert messages_of(response) == [
        "Approved: the change is public and listed in the corrections log."
    ]
    client.logout()
    after = public_surfaces(client, claim)
    assert "Overstated, we think." in after["page"]
    assert "Verdict changed from “Unsupported: no evidence found” to “Misleading”." in " ".join(
        after["page"].split()
    )
    assert "The claim implies more than was found." in after["page"]
    assert after["csv"] != before["csv"]
    assert b"Overstated, we think." in after["csv"]
    change = PublicChange.objects.get()
    approved = change.approved_at
    one_misleading = {claim.pk: Verdict.MISLEADING, bystander.pk: Verdict.UNSUPPORTED}
    assert public_record(client, claim) == {
        "list": (one_misleading, {Verdict.UNSUPPORTED: 1, Verdict.MISLEADING: 1}),
        "search kratom": (one_misleading, {Verdict.UNSUPPORTED: 1, Verdict.MISLEADING: 1}),
        "search follicles": ({claim.pk: Verdict.MISLEADING}, {Verdict.MISLEADING: 1}),
        "lastmods": {
            claim.get_absolute_url(): approved.replace(microsecond=0),  # whole seconds
            bystander.get_absolute_url(): FIRST_PUBLISHED,
            "/sitemap-claims.xml": approved,
        },
        "json-ld dates": ("2026-11-27", approved.date().isoformat()),
    }
    data = json_ld(client, claim)
    assert data["reviewRating"]["alternateName"] == "Misleading"
    claim.refresh_from_db()
    assert (claim.verdict, claim.published_at, claim.reviewed_by) == (
        Verdict.MISLEADING,
        FIRST_PUBLISHED,
        reviewer,
    )
    assert (change.kind, change.old_verdict, change.new_verdict, change.approved_by) == (
        ChangeKind.CORRECTION,
        Verdict.UNSUPPORTED,
        Verdict.MISLEADING,
        editor,
    )


def client_as(client, user):
    client.force_login(user)
    return client


def test_a_correction_without_a_public_note_is_not_approved(client):
    editor = staff_in("Editors")
    claim = published_claim()

    response = submit(client, editor, claim, "_approve", grade=Grade.LOW)

    assert (
        "not approved: the grade (Very low ⊕◯◯◯ → Low ⊕⊕◯◯) changes, so this is a "
        in (messages_of(response)[0])
    )
    claim.refresh_from_db()
    assert claim.grade == Grade.VERY_LOW
    assert ClaimRevision.objects.get().status == RevisionStatus.PENDING  # kept, not lost


def test_an_editors_own_edit_without_a_grade_change_goes_live_as_an_update(client):
    editor = staff_in("Editors")
    claim = published_claim()

    submit(client, editor, claim, "_approve", rationale="Clearer wording.")

    change = PublicChange.objects.get()
    assert (change.kind, change.summary, change.note) == (
        ChangeKind.UPDATE,
        "Changed: rationale.",
        "",
    )
    page = " ".join(client.get(claim.get_absolute_url()).content.decode().split())
    assert "<strong>Update.</strong> Changed: rationale." in page


def test_a_cited_works_new_reference_waits_for_an_editor_then_updates_each_claim(client):
    reviewer, editor = staff_in("Reviewers"), staff_in("Editors")
    claim = published_claim()
    other = published_claim(statement="Kratom eases pain")
    citation = claim.evidence.get().citation
    EvidenceFactory(claim=other, citation=citation, stance=Stance.MIXED)
    elsewhere = published_claim(statement="Kratom calms nerves")  # cites another work
    before = public_surfaces(client, claim)
    first = ("2026-11-27", "2026-11-27", FIRST_PUBLISHED)
    assert [dates_of(client, c) for c in (claim, other, elsewhere)] == [first, first, first]

    submit(client, reviewer, citation, title="New title", year=2024, is_retracted="on")

    client.logout()
    assert public_surfaces(client, claim) == before
    assert [dates_of(client, c) for c in (claim, other, elsewhere)] == [first, first, first]
    citation.refresh_from_db()
    assert (citation.title, citation.year, citation.is_retracted) == ("Old", 2020, False)

    response = submit(client, editor, citation, "_approve", public_note="Retraction notice.")

    assert messages_of(response) == [
        "Approved: the change is public and listed in the corrections log."
    ]
    client.logout()
    page = " ".join(client.get(claim.get_absolute_url()).content.decode().split())
    assert f'<cite><a href="/citations/{citation.pk}/">New title</a></cite>' in page
    assert "Retracted</strong>" in page
    assert "A cited work was retracted: “New title”." in page
    assert "Retraction notice." in page
    assert sorted(PublicChange.objects.values_list("claim_id", "kind")) == [
        (claim.pk, ChangeKind.UPDATE),
        (other.pk, ChangeKind.UPDATE),
    ]
    approved = PublicChange.objects.values_list("approved_at", flat=True).distinct().get()
    moved = ("2026-11-27", approved.date().isoformat(), approved.replace(microsecond=0))
    assert [dates_of(client, c) for c in (claim, other, elsewhere)] == [moved, moved, first]


def test_removing_the_last_evidence_link_is_a_revision_refused_at_approval(client):
    reviewer, editor = staff_in("Reviewers"), staff_in("Editors")
    claim = published_claim()
    client.force_login(reviewer)
    data = without_row(page_form_data(client.get(change_url(claim))), "evidence", 0)
    client.post(change_url(claim), data)
    revision = ClaimRevision.objects.get()
    assert revision.evidence == []
    assert claim.evidence.count() == 1  # still public

    response = submit(client, editor, claim, "_approve", public_note="No evidence left.")

    assert messages_of(response) == [
        "Saved as a revision awaiting an editor, but not approved: missing at "
        "least one evidence link."
    ]
    assert claim.evidence.count() == 1
    assert client.get(claim.get_absolute_url()).status_code == 200


def test_the_demo_claims_keep_their_first_publication_after_an_edit_and_an_approval(client):
    call_command("loaddata", "kratom_article", verbosity=0)
    claim = Claim.objects.get(pk=13)
    reviewer, editor = staff_in("Reviewers"), staff_in("Editors")
    new_verdict = Verdict.MISLEADING if claim.verdict != Verdict.MISLEADING else Verdict.UNSUPPORTED

    submit(client, reviewer, claim, verdict=new_verdict)
    submit(client, editor, claim, "_approve", public_note="Re-read the evidence.")

    client.logout()
    response = client.get(claim.get_absolute_url())
    log = response.context["corrections"]
    assert (log[0].kind, log[0].date) == ("published", FIRST_PUBLISHED)
    assert (log[1].kind, log[1].verdict) == (ChangeKind.CORRECTION, new_verdict)
    assert json_ld(client, claim)["datePublished"] == "2026-11-27"
    assert "first published with evidence grade" in response.content.decode()


def test_every_demo_claim_passes_the_publication_rules():
    call_command("loaddata", "kratom_article", verbosity=0)

    problems = {
        claim.pk: services.publication_problems(
            grade=claim.grade,
            verdict=claim.verdict,
            rationale=claim.rationale,
            stances=list(claim.evidence.values_list("stance", flat=True)),
        )
        for claim in Claim.objects.all()
    }

    assert problems == dict.fromkeys(problems, "")
    assert set(Claim.objects.values_list("published_at", flat=True)) == {FIRST_PUBLISHED}


@pytest.mark.parametrize(
    ("verdict", "stances", "message"),
    [
        (
            Verdict.SUPPORTED,
            [Stance.CONTRADICTS],
            "the verdict “Supported” needs at least one supporting work (it has 0 supporting "
            "and 1 contradicting)",
        ),
        (
            Verdict.CONTRADICTED,
            [Stance.SUPPORTS, Stance.MIXED],
            "the verdict “Contradicted by evidence” needs at least one contradicting work (it "
            "has 1 supporting and 0 contradicting)",
        ),
        (
            Verdict.UNSUPPORTED,
            [Stance.SUPPORTS, Stance.BACKGROUND],
            "the verdict “Unsupported: no evidence found” means no work supports or "
            "contradicts the claim (it has 1 supporting and 0 contradicting)",
        ),
    ],
)
def test_publishing_refuses_a_verdict_its_evidence_contradicts(verdict, stances, message):
    claim = ClaimFactory(status=Status.IN_REVIEW, grade=Grade.LOW, verdict=verdict, rationale="R")
    for stance in stances:
        EvidenceFactory(claim=claim, stance=stance)

    with pytest.raises(services.WorkflowError) as refused:
        services.publish_claim(claim=claim, user=staff_in("Editors"))

    assert message in str(refused.value)
    claim.refresh_from_db()
    assert (claim.status, claim.published_at) == (Status.IN_REVIEW, None)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        (
            {"verdict": Verdict.SUPPORTED, "evidence-0-stance": Stance.CONTRADICTS},
            "the verdict “Supported” needs at least one supporting work (it has 0 supporting "
            "and 1 contradicting)",
        ),
        (
            {"verdict": Verdict.CONTRADICTED, "evidence-0-stance": Stance.SUPPORTS},
            "the verdict “Contradicted by evidence” needs at least one contradicting work (it "
            "has 1 supporting and 0 contradicting)",
        ),
        (
            {"evidence-0-stance": Stance.SUPPORTS},  # the verdict stays unsupported
            "the verdict “Unsupported: no evidence found” means no work supports or "
            "contradicts the claim (it has 1 supporting and 0 contradicting)",
        ),
    ],
    ids=["supported", "contradicted", "unsupported"],
)
def test_approval_refuses_a_verdict_its_evidence_contradicts(client, changes, rule):
    claim = published_claim()  # unsupported, one background link
    before = public_surfaces(client, claim)

    response = submit(
        client, staff_in("Editors"), claim, "_approve", public_note="Re-read.", **changes
    )

    [message] = messages_of(response)
    assert message.startswith(f"Saved as a revision awaiting an editor, but not approved: {rule}")
    client.logout()
    assert public_surfaces(client, claim) == before
    claim.refresh_from_db()
    assert (claim.verdict, list(claim.evidence.values_list("stance", flat=True))) == (
        Verdict.UNSUPPORTED,
        [Stance.BACKGROUND],
    )
    assert not PublicChange.objects.exists()
    assert ClaimRevision.objects.get().status == RevisionStatus.PENDING  # kept, not lost


def test_a_stale_approval_is_refused_and_nothing_is_lost(client):
    reviewer, editor = staff_in("Reviewers"), staff_in("Editors")
    claim = published_claim()
    submit(client, reviewer, claim, rationale="First proposal.")
    client.force_login(editor)
    opened_by_editor = page_form_data(client.get(change_url(claim)))  # reads revision 1
    submit(client, reviewer, claim, rationale="Second proposal.")  # revision 2

    client.force_login(editor)
    response = client.post(
        change_url(claim), {**opened_by_editor, "public_note": "Fine.", "_approve": "1"}
    )

    assert response.status_code == 200
    assert "the pending revision changed after you opened this page" in response.content.decode()
    revision = ClaimRevision.objects.get()
    assert (revision.status, revision.version, revision.fields["rationale"]) == (
        RevisionStatus.PENDING,
        2,
        "Second proposal.",
    )
    claim.refresh_from_db()
    assert claim.rationale == "No study has looked at kratom and hair regrowth."


def test_the_approval_service_refuses_a_revision_read_at_an_older_version():
    reviewer, editor = staff_in("Reviewers"), staff_in("Editors")
    claim = published_claim()
    proposal = revisions.Proposal.live(claim)
    proposal.fields["rationale"] = "One."
    revision = revisions.propose_revision(
        claim=claim, user=reviewer, seen_version=1, seen_revision=None, proposal=proposal
    )
    proposal.fields["rationale"] = "Two."
    revisions.propose_revision(
        claim=claim, user=reviewer, seen_version=1, seen_revision=1, proposal=proposal
    )

    with pytest.raises(revisions.StaleRevision, match="you read revision 1, it is now at 2"):
        revisions.approve_revision(revision=revision, editor=editor, seen_revision=1)

    assert Claim.objects.get(pk=claim.pk).rationale != "Two."


def test_a_stale_citation_approval_is_refused_and_nothing_is_lost(client):
    reviewer, editor = staff_in("Reviewers"), staff_in("Editors")
    claim = published_claim()
    citation = claim.evidence.get().citation
    submit(client, reviewer, citation, title="First proposal")
    client.force_login(editor)
    opened_by_editor = page_form_data(client.get(change_url(citation)))  # reads revision 1
    submit(client, reviewer, citation, title="Second proposal")  # revision 2
    client.logout()
    before = public_surfaces(client, claim)

    client.force_login(editor)
    response = client.post(
        change_url(citation), {**opened_by_editor, "public_note": "Fine.", "_approve": "1"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "the pending revision changed after you opened this page" in page
    assert "<ins>Second proposal</ins>" in page  # the editor is shown what is pending now
    revision = CitationRevision.objects.get()
    assert (revision.status, revision.version, revision.proposed_by, revision.fields["title"]) == (
        RevisionStatus.PENDING,
        2,
        reviewer,
        "Second proposal",
    )
    citation.refresh_from_db()
    assert citation.title == "Old"
    assert not PublicChange.objects.exists()
    client.logout()
    assert public_surfaces(client, claim) == before


def test_the_approval_service_refuses_a_citation_revision_read_at_an_older_version():
    reviewer, editor = staff_in("Reviewers"), staff_in("Editors")
    citation = published_claim().evidence.get().citation
    fields = revisions.reference_of(citation) | {"title": "One"}
    revision = revisions.propose_citation_revision(
        citation=citation, user=reviewer, seen_revision=None, fields=fields
    )
    revisions.propose_citation_revision(
        citation=citation, user=reviewer, seen_revision=1, fields=fields | {"title": "Two"}
    )

    with pytest.raises(revisions.StaleRevision, match="you read revision 1, it is now at 2"):
        revisions.approve_citation_revision(revision=revision, editor=editor, seen_revision=1)

    citation.refresh_from_db()
    assert citation.title == "Old"
    assert CitationRevision.objects.get().fields["title"] == "Two"


def test_a_revision_sent_back_carries_the_note_and_can_be_resubmitted(client):
    reviewer, editor = staff_in("Reviewers"), staff_in("Editors")
    claim = published_claim()
    submit(client, reviewer, claim, rationale="Draft.")

    submit(client, editor, claim, "_send_back", public_note="Cite the 2023 survey.")

    revision = ClaimRevision.objects.get()
    assert (revision.status, revision.decision_note) == (
        RevisionStatus.RETURNED,
        "Cite the 2023 survey.",
    )
    client.force_login(reviewer)
    page = client.get(change_url(claim)).content.decode()
    assert "Cite the 2023 survey." in page
    assert "Draft." in page
    submit(client, reviewer, claim, rationale="Draft, with the 2023 survey.")
    revision.refresh_from_db()
    assert (revision.status, revision.fields["rationale"]) == (
        RevisionStatus.PENDING,
        "Draft, with the 2023 survey.",
    )


def test_a_reviewer_cannot_approve_and_may_withdraw_their_revision(client):
    reviewer = staff_in("Reviewers")
    claim = published_claim()
    submit(client, reviewer, claim, "_approve", rationale="Mine.")

    revision = ClaimRevision.objects.get()
    assert revision.status == RevisionStatus.PENDING
    claim.refresh_from_db()
    assert claim.rationale != "Mine."

    submit(client, reviewer, claim, "_withdraw")

    revision.refresh_from_db()
    assert revision.status == RevisionStatus.WITHDRAWN
    assert Evidence.objects.filter(claim=claim).count() == 1


def test_unpublishing_withdraws_the_open_revision_and_publishing_again_is_logged(client):
    reviewer, editor = staff_in("Reviewers"), staff_in("Editors")
    claim = published_claim()
    submit(client, reviewer, claim, rationale="Pending.")
    services.unpublish_claim(claim=claim, user=editor)
    assert ClaimRevision.objects.get().status == RevisionStatus.WITHDRAWN
    claim.refresh_from_db()
    claim.grade = Grade.LOW
    claim.save()

    with pytest.raises(services.WorkflowError, match="is a correction, so write a public note"):
        services.publish_claim(claim=claim, user=editor)
    services.publish_claim(claim=claim, user=editor, note="Graded again after review.")

    claim.refresh_from_db()
    change = PublicChange.objects.get()
    assert (claim.published_at, change.kind, change.old_grade, change.new_grade) == (
        FIRST_PUBLISHED,
        ChangeKind.CORRECTION,
        Grade.VERY_LOW,
        Grade.LOW,
    )


@pytest.mark.parametrize("group", ["Editors", "Reviewers"])
def test_a_claim_revisions_page_shows_its_diff_to_editors_and_reviewers(client, group):
    """The queue's change page (every staff account got a 500: its claim field ordered by the
    claim queue's annotation, which only the claim list makes)."""
    claim = published_claim(rationale="Before.")
    submit(client, staff_in("Reviewers", username="rita"), claim, rationale="After the trial.")
    revision = ClaimRevision.objects.get()
    client.force_login(staff_in(group))

    response = client.get(change_url(revision))

    assert response.status_code == 200
    page = " ".join(response.content.decode().split())
    assert "Awaiting an editor</strong>: revision 1 by rita" in page
    assert "<td><del>Before.</del></td><td><ins>After the trial.</ins></td>" in page
    assert reverse("admin:claims_claim_change", args=[claim.pk]) in page
    assert 'name="_save"' not in page  # read here, decided on the claim's page


@pytest.mark.parametrize("group", ["Editors", "Reviewers"])
def test_a_cited_works_revisions_page_shows_its_diff_to_editors_and_reviewers(client, group):
    claim = published_claim()
    citation = claim.evidence.get().citation
    submit(client, staff_in("Reviewers", username="rita"), citation, title="New title")
    revision = citation.revisions.get()
    client.force_login(staff_in(group))

    response = client.get(change_url(revision))

    assert response.status_code == 200
    page = " ".join(response.content.decode().split())
    assert "Awaiting an editor</strong>: revision 1 by rita" in page
    assert "<td><del>Old</del></td><td><ins>New title</ins></td>" in page
    assert reverse("admin:claims_citation_change", args=[citation.pk]) in page


def test_a_merge_proposals_page_says_where_it_is_decided(client):
    from claims import merging

    merged, survivor = published_claim(), published_claim(statement="Kratom eases pain")
    reviewer = staff_in("Reviewers", username="rita")
    merging.propose_merge(merged=merged, survivor=survivor, user=reviewer, note="Same claim.")
    client.force_login(staff_in("Editors"))

    response = client.get(change_url(ClaimRevision.objects.get()))

    assert response.status_code == 200
    page = " ".join(response.content.decode().split())
    assert f"A proposal to merge this claim into claim #{survivor.pk}" in page
    assert "Note: “Same claim.”" in page
    assert reverse("admin:claims_claim_merge", args=[merged.pk]) in page


def test_a_decided_revisions_page_says_its_diff_is_against_the_live_version_now(client):
    claim = published_claim()
    submit(client, staff_in("Reviewers"), claim, rationale="After the trial.")
    submit(client, staff_in("Editors"), claim, "_approve", public_note="Trial added.")
    revision = ClaimRevision.objects.get()
    assert revision.status == RevisionStatus.APPROVED

    page = " ".join(client.get(change_url(revision)).content.decode().split())

    assert "Decided: compared with the live version now" in page
    assert "Trial added." in page  # the decision's note
