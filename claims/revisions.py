"""The editorial record: a change to a published claim, or to a work one cites, is proposed
as a revision and goes live only when an editor approves it.

- `propose_revision` stores a change to a published claim (its fields, evidence links and GRADE
  assessment) apart from the claim: the public keeps seeing the live version.
- `approve_revision` makes it the live version, under the publication rules, and adds a
  `PublicChange` to the claim's log: a correction when grade or verdict changed (the editor's
  public note is required), else an update. `return_revision` sends it back with a note;
  `withdraw_revision` drops it.
- `propose_citation_revision` / `approve_citation_revision` do the same for the reference of a
  cited work; an approved one is an update on every published claim citing the work.

Lost updates: a proposal starts from the claim's `version` and from the open revision's own
`version`; a proposal or an approval made from older ones is refused (`StaleRevision`).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from . import services
from .models import (
    REVISED_CITATION_FIELDS,
    REVISED_CLAIM_FIELDS,
    Citation,
    CitationRevision,
    Claim,
    ClaimRevision,
    Evidence,
    GradeAssessment,
    PublicChange,
)
from .scales import ChangeKind, Grade, RevisionStatus, Stance, Status, Verdict

OPEN = services.OPEN
# The assessment's fields a revision carries (its claim is the revision's claim).
ASSESSMENT_FIELDS = tuple(
    f.name
    for f in GradeAssessment._meta.concrete_fields
    if f.name not in ("id", "claim", "created_at", "updated_at")
)


class StaleRevision(Exception):
    """The revision (or the live version under it) changed after the user opened it."""


@dataclass
class Proposal:
    """A whole public version of a claim, as plain values."""

    fields: dict  # REVISED_CLAIM_FIELDS → value
    evidence: list[dict]  # {"citation": id, "stance": code, "finding": text}, in order
    assessment: dict | None  # ASSESSMENT_FIELDS → value; None: no GRADE assessment

    @classmethod
    def live(cls, claim: Claim) -> "Proposal":
        """The claim's live version (its own row, links and assessment)."""
        assessment = GradeAssessment.objects.filter(claim=claim).first()
        return cls(
            fields={name: getattr(claim, name) for name in REVISED_CLAIM_FIELDS},
            evidence=[
                {"citation": link.citation_id, "stance": link.stance, "finding": link.finding}
                for link in claim.evidence.order_by("pk")
            ],
            assessment=(
                {name: getattr(assessment, name) for name in ASSESSMENT_FIELDS}
                if assessment
                else None
            ),
        )

    @classmethod
    def of(cls, revision: ClaimRevision) -> "Proposal":
        return cls(dict(revision.fields), list(revision.evidence), revision.assessment)

    def stances(self) -> list[str]:
        return [link["stance"] for link in self.evidence]


def open_revision(claim: Claim) -> ClaimRevision | None:
    """The claim's revision on its way to an editor (pending or sent back), if any; a proposal
    to merge the claim away is not one (claims/merging.py)."""
    return (
        claim.revisions.filter(status__in=OPEN, merge_into__isnull=True)
        .select_related("proposed_by")
        .first()
    )


def current_proposal(claim: Claim) -> Proposal:
    """What the claim's change form shows: its open revision, else its live version."""
    revision = open_revision(claim)
    return Proposal.of(revision) if revision else Proposal.live(claim)


def _checked(claim: Claim, proposal: Proposal) -> Proposal:
    """The proposal with its grade as the GRADE rule makes it, after checking that its quote,
    citations and stances can be stored (ValidationError, naming the field, if not)."""
    draft = Claim.objects.get(pk=claim.pk)
    for name, value in proposal.fields.items():
        setattr(draft, name, value)
    draft.full_clean(exclude=["slug"])
    cited = [link["citation"] for link in proposal.evidence]
    if len(set(cited)) != len(cited):
        raise ValidationError("The same work is linked twice: keep one link per work.")
    known = set(Citation.objects.filter(pk__in=cited).values_list("pk", flat=True))
    if missing := [pk for pk in cited if pk not in known]:
        raise ValidationError(f"There is no cited work with id {missing[0]}.")
    for link in proposal.evidence:
        if link["stance"] not in Stance.values:
            raise ValidationError(f"“{link['stance']}” is not a stance.")
    fields = dict(proposal.fields)
    if proposal.assessment is not None:
        assessment = GradeAssessment(claim=draft, **proposal.assessment)
        assessment.full_clean(exclude=["claim"])
        fields["grade"] = services.resolve_grade(
            chosen=draft.grade,
            computed=assessment.computed_grade,
            override_reason=assessment.override_reason,
            chosen_explicitly=draft.grade != claim.grade,
        )
    return Proposal(fields, list(proposal.evidence), proposal.assessment)


def _lock_open_revision(claim: Claim, seen_revision: int | None) -> ClaimRevision | None:
    revision = (
        claim.revisions.select_for_update().filter(status__in=OPEN, merge_into__isnull=True).first()
    )
    if revision is not None and seen_revision != revision.version:
        who = revision.proposed_by or "someone"
        raise StaleRevision(
            f"{who} changed this claim's pending revision after you opened it (it is now at "
            f"revision {revision.version}). Reload the page to see it, then make your change."
        )
    if revision is None and seen_revision:
        raise StaleRevision(
            "The revision you opened was approved, sent back or withdrawn meanwhile. Reload the "
            "page to see the claim as it is now."
        )
    return revision


@transaction.atomic
def propose_revision(
    *, claim: Claim, user, seen_version: int, seen_revision: int | None, proposal: Proposal
) -> ClaimRevision | None:
    """Store `proposal` as the published claim's open revision (new, or the open one edited),
    pending an editor; the live version does not change. Returns None, withdrawing any open
    revision, when the proposal is the live version itself (nothing left to approve).
    """
    live = services.lock_claim(claim=claim, seen_version=seen_version)
    if live.status != Status.PUBLISHED:
        raise services.WorkflowError("only a published claim's changes wait for an editor")
    if not user.has_perm("claims.change_claim"):
        raise services.WorkflowError("you do not have permission to change claims")
    revision = _lock_open_revision(live, seen_revision)
    proposal = _checked(live, proposal)
    if proposal == Proposal.live(live):
        if revision is not None:
            _decide(
                revision, RevisionStatus.WITHDRAWN, user, "Withdrawn: back to the live version."
            )
        return None
    if revision is None:
        revision = ClaimRevision(claim=live, base_version=live.version, version=0)
    elif Proposal.of(revision) == proposal:  # saved as it was shown (an editor deciding on it)
        if revision.status == RevisionStatus.PENDING:
            return revision
    else:
        revision.proposed_by = None  # set below: whoever wrote this version
    revision.fields, revision.evidence = proposal.fields, proposal.evidence
    revision.assessment = proposal.assessment
    revision.status = RevisionStatus.PENDING
    revision.proposed_by = revision.proposed_by or user
    revision.version += 1
    revision.full_clean()
    revision.save()
    return revision


def _decide(revision, status: str, user, note: str) -> None:
    revision.status, revision.decided_by = status, user
    revision.decided_at, revision.decision_note = timezone.now(), note
    revision.save()


def _editor_lock(revision, model, user, seen_revision: int):
    if not user.has_perm("claims.publish_claim"):
        raise services.WorkflowError("only an editor approves or sends back a revision")
    locked = model.objects.select_for_update().get(pk=revision.pk)
    if locked.status != RevisionStatus.PENDING:
        raise StaleRevision(
            f"This revision is {locked.get_status_display().lower()} now: reload the page."
        )
    if locked.version != seen_revision:
        raise StaleRevision(
            f"{locked.proposed_by or 'Someone'} changed this revision after you opened it (you "
            f"read revision {seen_revision}, it is now at {locked.version}): reload the page "
            "and read it again before approving."
        )
    return locked


@transaction.atomic
def approve_revision(
    *, revision: ClaimRevision, editor, seen_revision: int, note: str = ""
) -> PublicChange:
    """Make the revision the claim's live version and log it publicly.

    Refused (WorkflowError, StaleRevision) when the editor may not approve, when the revision or
    the live version changed since it was read, when the new version breaks a publication rule
    (complete, with evidence consistent with its verdict), or when it corrects the grade or
    verdict without a public note.
    """
    revision = _editor_lock(revision, ClaimRevision, editor, seen_revision)
    claim = services.lock_claim(claim=revision.claim, seen_version=None)
    if claim.version != revision.base_version:
        raise StaleRevision(
            "Another change to this claim went live after this revision was proposed: it would "
            "undo that change. Send it back so that it is redone from the live version."
        )
    proposal = _checked(claim, Proposal.of(revision))
    new = proposal.fields
    if problems := services.publication_problems(
        grade=new["grade"],
        verdict=new["verdict"],
        rationale=new["rationale"],
        stances=proposal.stances(),
    ):
        raise services.WorkflowError(problems)
    old = Proposal.live(claim)
    correction = (new["grade"], new["verdict"]) != (claim.grade, claim.verdict)
    if correction and not note.strip():
        raise services.WorkflowError(
            f"the {_what_corrected(claim, new)} changes, so this is a correction:"
            " write a public note saying why"
        )
    change = PublicChange(
        claim=claim,
        kind=ChangeKind.CORRECTION if correction else ChangeKind.UPDATE,
        approved_at=timezone.now(),
        approved_by=editor,
        old_grade=claim.grade,
        new_grade=new["grade"],
        old_verdict=claim.verdict,
        new_verdict=new["verdict"],
        summary=describe_claim_change(old, proposal),
        note=note.strip(),
        claim_revision=revision,
    )
    _apply(claim, proposal, editor=editor, reviewer=revision.proposed_by)
    change.full_clean()
    change.save()
    _decide(revision, RevisionStatus.APPROVED, editor, note.strip())
    return change


def _what_corrected(claim: Claim, new: dict) -> str:
    parts = []
    if new["grade"] != claim.grade:
        parts.append(f"grade ({Grade(claim.grade).display} → {Grade(new['grade']).display})")
    if new["verdict"] != claim.verdict:
        parts.append(f"verdict ({Verdict(claim.verdict).label} → {Verdict(new['verdict']).label})")
    return " and the ".join(parts)


def _apply(claim: Claim, proposal: Proposal, *, editor, reviewer) -> None:
    """Write the proposal over the live claim, its links and its assessment."""
    grading_before = [getattr(claim, name) for name in services.GRADING_FIELDS]
    for name, value in proposal.fields.items():
        setattr(claim, name, value)
    if [getattr(claim, name) for name in services.GRADING_FIELDS] != grading_before:
        claim.reviewed_by, claim.reviewed_at = reviewer or editor, timezone.now()
    links = {link.citation_id: link for link in claim.evidence.all()}
    for row in proposal.evidence:
        link = links.pop(row["citation"], None) or Evidence(
            claim=claim, citation_id=row["citation"]
        )
        if link.pk and (link.stance, link.finding) == (row["stance"], row["finding"]):
            continue
        link.stance, link.finding = row["stance"], row["finding"]
        link._history_user = editor
        link.full_clean()
        link.save()
    for link in links.values():
        link._history_user = editor
        link.delete()
    assessment = GradeAssessment.objects.filter(claim=claim).first()
    if proposal.assessment is None and assessment is not None:
        assessment._history_user = editor
        assessment.delete()
    elif proposal.assessment is not None:
        assessment = assessment or GradeAssessment(claim=claim)
        for name, value in proposal.assessment.items():
            setattr(assessment, name, value)
        assessment._history_user = editor
        assessment.full_clean()
        assessment.save()
    services.save_new_version(claim, user=editor)


def describe_claim_change(old: Proposal, new: Proposal) -> str:
    """What changed between two versions, in a line a reader understands."""
    labels = {name: Claim._meta.get_field(name).verbose_name for name in REVISED_CLAIM_FIELDS}
    labels |= {"quote_start": "quote", "quote_end": "quote"}
    changed = []
    for name in REVISED_CLAIM_FIELDS:
        if old.fields[name] != new.fields[name] and labels[name] not in changed:
            changed.append(labels[name])
    before = {link["citation"]: link for link in old.evidence}
    after = {link["citation"]: link for link in new.evidence}
    added = len(after.keys() - before.keys())
    removed = len(before.keys() - after.keys())
    altered = sum(1 for pk in after.keys() & before.keys() if after[pk] != before[pk])
    counts = [(added, "added"), (removed, "removed"), (altered, "changed")]
    if evidence := [f"{n} {'work' if n == 1 else 'works'} {verb}" for n, verb in counts if n]:
        changed.append("evidence (" + ", ".join(evidence) + ")")
    if old.assessment != new.assessment:
        changed.append("GRADE assessment")
    return ("Changed: " + "; ".join(changed) + ".") if changed else ""


@transaction.atomic
def return_revision(*, revision: ClaimRevision, editor, seen_revision: int, note: str) -> None:
    """Send the revision back to its reviewer with the editor's note (required)."""
    if not note.strip():
        raise services.WorkflowError("say what to change: a note is required to send it back")
    revision = _editor_lock(revision, ClaimRevision, editor, seen_revision)
    _decide(revision, RevisionStatus.RETURNED, editor, note.strip())


@transaction.atomic
def withdraw_revision(*, revision, user) -> None:
    """Drop an open revision (its proposer or an editor): the live version stays."""
    locked = type(revision).objects.select_for_update().get(pk=revision.pk)
    if locked.status not in OPEN:
        raise StaleRevision(f"This revision is {locked.get_status_display().lower()} already.")
    if locked.proposed_by_id != user.pk and not user.has_perm("claims.publish_claim"):
        raise services.WorkflowError("only its reviewer or an editor withdraws a revision")
    _decide(locked, RevisionStatus.WITHDRAWN, user, "Withdrawn.")


# --- cited works -----------------------------------------------------------------------------


def cited_by_published(citation: Citation) -> bool:
    """Does a published claim cite the work? Then its reference changes through an editor."""
    return citation.evidence.filter(claim__status=Status.PUBLISHED).exists()


def open_citation_revision(citation: Citation) -> CitationRevision | None:
    return citation.revisions.filter(status__in=OPEN).select_related("proposed_by").first()


def reference_of(citation: Citation) -> dict:
    return {name: getattr(citation, name) for name in REVISED_CITATION_FIELDS}


@transaction.atomic
def propose_citation_revision(
    *, citation: Citation, user, seen_revision: int | None, fields: dict
) -> CitationRevision | None:
    """Store a new reference for a cited work as its open revision, pending an editor."""
    if not user.has_perm("claims.change_citation"):
        raise services.WorkflowError("you do not have permission to change cited works")
    live = Citation.objects.select_for_update().get(pk=citation.pk)
    revision = live.revisions.select_for_update().filter(status__in=OPEN).first()
    if revision is not None and seen_revision != revision.version:
        raise StaleRevision(
            f"{revision.proposed_by or 'Someone'} changed this work's pending revision after "
            "you opened it: reload the page to see it, then make your change."
        )
    draft = Citation(pk=live.pk, **fields)
    draft._state.adding = False  # the live work itself: its own DOI is not a duplicate
    draft.full_clean()
    fields = reference_of(draft)
    if fields == reference_of(live):
        if revision is not None:
            _decide(
                revision, RevisionStatus.WITHDRAWN, user, "Withdrawn: back to the live version."
            )
        return None
    if revision is None:
        revision = CitationRevision(citation=live, base=reference_of(live), version=0)
    revision.fields, revision.status, revision.proposed_by = fields, RevisionStatus.PENDING, user
    revision.version += 1
    revision.save()
    return revision


@transaction.atomic
def approve_citation_revision(
    *, revision: CitationRevision, editor, seen_revision: int, note: str = ""
) -> list[PublicChange]:
    """Make the proposed reference live, logged as an update on every published claim citing
    the work."""
    revision = _editor_lock(revision, CitationRevision, editor, seen_revision)
    citation = Citation.objects.select_for_update().get(pk=revision.citation_id)
    if reference_of(citation) != revision.base:
        raise StaleRevision(
            "This work's reference changed after the revision was proposed: send it back so "
            "that it is redone from the live reference."
        )
    summary = describe_reference_change(revision.base, revision.fields, citation)
    for name, value in revision.fields.items():
        setattr(citation, name, value)
    citation._history_user = editor
    citation.full_clean()
    citation.save()
    now = timezone.now()
    claims = Claim.objects.published().filter(evidence__citation=citation).distinct()
    changes = PublicChange.objects.bulk_create(
        PublicChange(
            claim_id=pk,
            kind=ChangeKind.UPDATE,
            approved_at=now,
            approved_by=editor,
            old_grade=grade,
            new_grade=grade,
            old_verdict=verdict,
            new_verdict=verdict,
            summary=summary,
            note=note.strip(),
            citation_revision=revision,
        )
        for pk, grade, verdict in claims.values_list("pk", "grade", "verdict").iterator()
    )
    _decide(revision, RevisionStatus.APPROVED, editor, note.strip())
    return changes


def describe_reference_change(old: dict, new: dict, citation: Citation) -> str:
    title = Truncator(new.get("title") or citation.title).chars(80)
    if not old.get("is_retracted") and new.get("is_retracted"):
        return f"A cited work was retracted: “{title}”."
    labels = {name: Citation._meta.get_field(name).verbose_name for name in REVISED_CITATION_FIELDS}
    changed = [str(labels[name]) for name in REVISED_CITATION_FIELDS if old[name] != new[name]]
    return f"The reference of a cited work was updated ({', '.join(changed)}): “{title}”."


@transaction.atomic
def return_citation_revision(
    *, revision: CitationRevision, editor, seen_revision: int, note: str
) -> None:
    if not note.strip():
        raise services.WorkflowError("say what to change: a note is required to send it back")
    revision = _editor_lock(revision, CitationRevision, editor, seen_revision)
    _decide(revision, RevisionStatus.RETURNED, editor, note.strip())
