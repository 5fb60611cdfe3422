"""Two claims that say the same thing become one: merging, and linking a candidate as an
appearance of a claim (one definition of what moves where).

`merge_claims` moves everything the merged claim holds to the survivor, in one transaction
under both claims' row locks: its appearances (a passage the survivor already has is dropped),
its evidence links (a work both cite keeps the survivor's link, the merged finding appended),
and the claims merged into it before (so a merged address is one redirect away from a live
claim). The survivor keeps its own grade, verdict, rationale and GRADE assessment; its own
quote stays its oldest appearance, which may now be one the merged claim brought. The merged
claim keeps its own fields (its history stays readable) and becomes `merged`, naming the
survivor; its public address answers 301 there (`survivor_slug`).

Editorial rule: a merge that changes a published claim's public record (a published claim
merged away, evidence added to a published survivor, or a published survivor's quote and
source replaced by an older appearance the merged claim brings) is an approval like any other: only an
editor makes it, and it is logged in the survivor's corrections log (a `PublicChange` of kind
"merge"). A reviewer asking for one gets a pending proposal instead (`propose_merge`), which an
editor approves (`approve_merge`) or sends back (`revisions.return_revision`). Adding only
texts to a published claim (`link_candidate`, a candidate without evidence whose passage is
newer than the claim's quote) is a reviewer's work and needs no editor.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from . import revisions, services
from .models import Claim, ClaimRevision, ErrorReport, Evidence, PublicChange
from .scales import ChangeKind, ReportStatus, RevisionStatus, Stance, Status
from .services import OPEN, StaleEdit, WorkflowError

# What can be merged, either way; a rejected claim is not a claim, a merged one is gone.
MERGEABLE = (Status.CANDIDATE, Status.IN_REVIEW, Status.PUBLISHED)
# What link_candidate links: claims not yet public.
LINKABLE = (Status.CANDIDATE, Status.IN_REVIEW)


class EditorNeeded(WorkflowError):
    """The merge changes a published claim's public record, and the user is not an editor."""


@dataclass
class Merge:
    """What a merge did."""

    merged: Claim
    survivor: Claim
    appearances_moved: int = 0
    appearances_dropped: int = 0  # passages the survivor already had
    evidence_moved: int = 0
    evidence_combined: int = 0  # works both cited: the survivor's link kept
    repointed: int = 0  # claims merged into the merged claim before, now into the survivor
    merged_was_published: bool = False
    quote_replaced: bool = (
        False  # the survivor's quote is now an appearance the merged claim brought
    )
    public_change: PublicChange | None = None

    def describe(self) -> str:
        texts = self.appearances_moved
        works = self.evidence_moved
        return (
            f"Claim #{self.merged.pk} is merged into claim #{self.survivor.pk}: "
            f"{texts} appearance{'s' if texts != 1 else ''} and {works} evidence "
            f"link{'s' if works != 1 else ''} moved"
            + (f", {self.appearances_dropped} repeated passage(s) dropped" if self.appearances_dropped else "")
            + (f", {self.evidence_combined} work(s) both cited kept once" if self.evidence_combined else "")
            + ("; listed in its corrections log." if self.public_change else ".")
        )  # fmt: skip


@dataclass
class Outcome:
    """What `request_merge` did: the merge, or a proposal waiting for an editor."""

    merge: Merge | None = None
    proposal: ClaimRevision | None = None

    @property
    def message(self) -> str:
        if self.merge is not None:
            return self.merge.describe()
        return (
            f"Merging claim #{self.proposal.claim_id} into claim #{self.proposal.merge_into_id} "
            "changes a published claim's public record, so it awaits an editor's approval; "
            "nothing changed yet."
        )


def needs_editor(merged: Claim, survivor: Claim) -> bool:
    """Does merging `merged` into `survivor` change what the public reads of a published claim
    beyond one more text making it? A published claim's page goes away, a published survivor
    gains evidence, or its quote and source become another text's: all are approvals."""
    if merged.status == Status.PUBLISHED:
        return True
    if survivor.status != Status.PUBLISHED:
        return False
    return merged.evidence.exists() or replaces_quote(merged, survivor)


def replaces_quote(merged: Claim, survivor: Claim) -> bool:
    """Would the merge give `survivor` another quote? Its own quote and source are a copy of
    its oldest appearance, so a passage the merged claim found earlier would take their place."""

    def oldest(claim):
        return (
            claim.appearances.oldest_first()
            .values_list("found_at", "pk", "source_id", "quote_start", "quote_end")
            .first()
        )

    theirs, mine = oldest(merged), oldest(survivor)
    if theirs is None or mine is None:
        return theirs is not None
    return theirs[:2] < mine[:2] and theirs[2:] != mine[2:]


def check_mergeable(merged: Claim, survivor: Claim) -> None:
    """Refuse (WorkflowError, saying why) a merge the rules do not allow."""
    if merged.pk == survivor.pk:
        raise WorkflowError("a claim cannot be merged into itself")
    if merged.status == Status.MERGED:
        raise WorkflowError(
            f"claim #{merged.pk} was merged into claim #{merged.merged_into_id} already"
        )
    if survivor.status == Status.MERGED:
        raise WorkflowError(
            f"claim #{survivor.pk} was merged away (into claim #{survivor.merged_into_id}): "
            "merge into that claim instead"
        )
    for claim in (merged, survivor):
        if claim.status not in MERGEABLE:
            raise WorkflowError(
                f"claim #{claim.pk} is {claim.get_status_display().lower()}: only candidates, "
                "claims in review and published claims are merged"
            )
    if merged.status == Status.PUBLISHED and survivor.status != Status.PUBLISHED:
        raise WorkflowError(
            f"claim #{merged.pk} is published and claim #{survivor.pk} is not: its public page "
            "would lead nowhere. Publish the claim to keep first, or merge the other way"
        )


def _lock_pair(merged: Claim, survivor: Claim, seen_versions) -> tuple[Claim, Claim]:
    """Both claims, locked in id order (two merges of the same pair cannot deadlock); refused
    (StaleEdit) when either moved past the version the user saw, `(merged's, survivor's)`."""
    if merged.pk == survivor.pk:
        raise WorkflowError("a claim cannot be merged into itself")
    locked = {
        pk: services.lock_claim(claim=Claim(pk=pk), seen_version=None)
        for pk in sorted((merged.pk, survivor.pk))
    }
    pair = locked[merged.pk], locked[survivor.pk]
    if seen_versions is not None:
        for claim, seen in zip(pair, seen_versions, strict=True):
            if seen is not None and claim.version != seen:
                raise StaleEdit(claim, seen)
    return pair


@transaction.atomic
def merge_claims(
    *,
    merged: Claim,
    survivor: Claim,
    user,
    note: str = "",
    seen_versions: tuple[int | None, int | None] | None = None,
    revision: ClaimRevision | None = None,
) -> Merge:
    """Merge `merged` into `survivor` (see the module's docstring), as `user`.

    `seen_versions` is `(merged's version, survivor's version)` as the user saw them (None: no
    check). `note` is the editor's public note in the survivor's log; `revision` the merge
    proposal being approved (approve_merge). Refused, changing nothing: WorkflowError (a merge
    into itself or a merged claim, a rejected claim, a published claim into an unpublished one,
    a user who may not change claims, EditorNeeded; a published survivor whose evidence would
    break the publication rules), StaleEdit.
    """
    if not user.has_perm("claims.change_claim"):
        raise WorkflowError("you do not have permission to merge claims")
    merged, survivor = _lock_pair(merged, survivor, seen_versions)
    check_mergeable(merged, survivor)
    approval = needs_editor(merged, survivor)
    if approval and not user.has_perm("claims.publish_claim"):
        raise EditorNeeded(
            "merging these claims changes a published claim's public record, so only an editor "
            "merges them"
        )
    result = Merge(
        merged=merged, survivor=survivor, merged_was_published=merged.status == Status.PUBLISHED
    )
    _close_revisions(merged, survivor, user, revision)
    _move_appearances(result, user)
    _move_evidence(result, user)
    result.repointed = _repoint(merged, survivor, user)
    # Readers' open reports were about what the survivor now shows: its editors answer them.
    ErrorReport.objects.filter(claim=merged, status=ReportStatus.OPEN).update(claim=survivor)
    passage = (survivor.source_id, survivor.quote_start, survivor.quote_end)
    _keep_first_appearance(survivor)
    result.quote_replaced = passage != (
        survivor.source_id,
        survivor.quote_start,
        survivor.quote_end,
    )
    if approval and survivor.status == Status.PUBLISHED:
        stances = list(survivor.evidence.values_list("stance", flat=True))
        if problems := services.publication_problems(
            grade=survivor.grade,
            verdict=survivor.verdict,
            rationale=survivor.rationale,
            stances=stances,
        ):
            raise WorkflowError(f"not merged: claim #{survivor.pk} would break a rule: {problems}")
    merged.status, merged.merged_into = Status.MERGED, survivor
    services.save_new_version(merged, user=user)
    services.save_new_version(survivor, user=user)
    if approval and survivor.status == Status.PUBLISHED:
        result.public_change = _log(result, user, note, revision)
    return result


def _close_revisions(merged: Claim, survivor: Claim, user, approving) -> None:
    """The merged claim's open revisions are withdrawn (it is not edited any more); proposals
    to merge other claims into it now propose the survivor."""
    now = timezone.now()
    merged.revisions.filter(status__in=OPEN).exclude(pk=approving.pk if approving else None).update(
        status=RevisionStatus.WITHDRAWN,
        decided_by=user,
        decided_at=now,
        decision_note=f"Withdrawn: the claim was merged into claim #{survivor.pk}.",
    )
    into_merged = ClaimRevision.objects.filter(merge_into=merged, status__in=OPEN)
    into_merged.exclude(claim=survivor).update(merge_into=survivor)
    into_merged.filter(claim=survivor).update(
        status=RevisionStatus.WITHDRAWN,
        decided_by=user,
        decided_at=now,
        decision_note=f"Withdrawn: claim #{merged.pk} was merged into this claim instead.",
    )


def _move_appearances(result: Merge, user) -> None:
    """Each appearance of the merged claim becomes the survivor's (its history row says who),
    except a passage the survivor already has, which is dropped."""
    survivor = result.survivor
    taken = set(survivor.appearances.values_list("source_id", "quote_start", "quote_end"))
    # Newest first: the merged claim keeps its oldest appearance to the last, so the triggers
    # that copy a claim's oldest appearance into its own fields leave them as they were.
    for appearance in result.merged.appearances.order_by("-found_at", "-pk"):
        appearance._history_user = user
        passage = (appearance.source_id, appearance.quote_start, appearance.quote_end)
        if passage in taken:
            appearance.delete()
            result.appearances_dropped += 1
            continue
        appearance.claim = survivor
        appearance.save()
        taken.add(passage)
        result.appearances_moved += 1


def _move_evidence(result: Merge, user) -> None:
    """Each evidence link of the merged claim becomes the survivor's. For a work both cite,
    the survivor's link (its stance) stays, and the merged link's finding is appended to its
    finding when it says something else, so no reviewer's reading is lost."""
    merged, survivor = result.merged, result.survivor
    kept = {link.citation_id: link for link in survivor.evidence.all()}
    for link in merged.evidence.order_by("pk"):
        link._history_user = user
        own = kept.get(link.citation_id)
        if own is None:
            link.claim = survivor
            link.full_clean()
            link.save()
            kept[link.citation_id] = link
            result.evidence_moved += 1
            continue
        if finding := combined_finding(own, link, merged):
            own.finding = finding
            own._history_user = user
            own.full_clean()
            own.save()
        link.delete()
        result.evidence_combined += 1


def combined_finding(own: Evidence, other: Evidence, merged: Claim) -> str:
    """The survivor's finding with the merged link's appended ("" when nothing is added)."""
    theirs = other.finding.strip()
    if not theirs or theirs in own.finding:
        return ""
    stance = f", {Stance(other.stance).label.lower()}" if other.stance != own.stance else ""
    added = f"[From merged claim #{merged.pk}{stance}: {theirs}]"
    return f"{own.finding.rstrip()} {added}".strip()


def _repoint(merged: Claim, survivor: Claim, user) -> int:
    """Claims merged into the merged claim before now name the survivor (one redirect hop)."""
    count = 0
    for earlier in Claim.objects.select_for_update().filter(merged_into=merged).order_by("pk"):
        earlier.merged_into = survivor
        services.save_new_version(earlier, user=user)
        count += 1
    return count


def _keep_first_appearance(survivor: Claim) -> None:
    """The survivor's own source, quote and offsets, as the triggers left them: its oldest
    appearance, which may now be one the merged claim brought (it was made earlier)."""
    survivor.refresh_from_db(fields=["source", "quote", "quote_start", "quote_end"])
    # The appearance already holds these values: Claim.save() need not write it again.
    survivor._loaded_quote = survivor._quote_key()


def _log(result: Merge, user, note: str, revision: ClaimRevision | None) -> PublicChange:
    survivor = result.survivor
    statement = Truncator(result.merged.statement).chars(200)
    was = "a published claim" if result.merged_was_published else "a claim"
    summary = f"Merged into this claim: {was}, “{statement}”, with its texts and evidence."
    if result.quote_replaced:
        summary += f" The quote is now from “{Truncator(survivor.source.title).chars(120)}”, where the claim was found first."
    change = PublicChange(
        claim=survivor,
        kind=ChangeKind.MERGE,
        approved_at=timezone.now(),
        approved_by=user,
        old_grade=survivor.grade,
        new_grade=survivor.grade,
        old_verdict=survivor.verdict,
        new_verdict=survivor.verdict,
        summary=summary,
        note=note.strip(),
        claim_revision=revision,
    )
    change.full_clean()
    change.save()
    return change


@transaction.atomic
def propose_merge(
    *,
    merged: Claim,
    survivor: Claim,
    user,
    note: str = "",
    seen_versions: tuple[int | None, int | None] | None = None,
) -> ClaimRevision:
    """Store the merge as the merged claim's open merge proposal, pending an editor (a new one,
    or its open one changed); nothing else changes."""
    if not user.has_perm("claims.change_claim"):
        raise WorkflowError("you do not have permission to merge claims")
    merged, survivor = _lock_pair(merged, survivor, seen_versions)
    check_mergeable(merged, survivor)
    revision = (
        merged.revisions.select_for_update()
        .filter(status__in=OPEN, merge_into__isnull=False)
        .first()
    ) or ClaimRevision(claim=merged, version=0, evidence=[], assessment=None)
    revision.merge_into = survivor
    revision.base_version = merged.version
    revision.fields = {"note": note.strip()}
    revision.status, revision.proposed_by = RevisionStatus.PENDING, user
    revision.decided_by = revision.decided_at = None
    revision.version += 1
    revision.full_clean()
    revision.save()
    return revision


def request_merge(
    *,
    merged: Claim,
    survivor: Claim,
    user,
    note: str = "",
    seen_versions: tuple[int | None, int | None] | None = None,
) -> Outcome:
    """Merge now when `user` may; when only an editor may, propose it for one instead."""
    try:
        return Outcome(
            merge=merge_claims(
                merged=merged, survivor=survivor, user=user, note=note, seen_versions=seen_versions
            )
        )
    except EditorNeeded:
        return Outcome(
            proposal=propose_merge(
                merged=merged, survivor=survivor, user=user, note=note, seen_versions=seen_versions
            )
        )


def link_candidate(*, candidate: Claim, claim: Claim, user, note: str = "") -> Outcome:
    """Link a candidate (or a claim in review) that says what `claim` says as `claim`'s
    appearance, in one action: the merge of the candidate into `claim`.

    A reviewer may link into a published claim, since only a text making it is added; a
    candidate carrying evidence would change a published claim's evidence, so that link waits
    for an editor (the Outcome's proposal).
    """
    status = Claim.objects.filter(pk=candidate.pk).values_list("status", flat=True).first()
    if status is None:
        raise WorkflowError(f"there is no claim #{candidate.pk}")
    if status not in LINKABLE:
        raise WorkflowError(
            f"claim #{candidate.pk} is {Status(status).label.lower()}: only a candidate or a "
            "claim in review is linked as an appearance (merge the claims instead)"
        )
    return request_merge(merged=candidate, survivor=claim, user=user, note=note)


@transaction.atomic
def approve_merge(
    *,
    revision: ClaimRevision,
    editor,
    seen_revision: int,
    note: str = "",
    seen_versions: tuple[int | None, int | None] | None = None,
) -> Merge:
    """An editor approves a merge proposal: the merge happens, logged with the public note."""
    revision = revisions._editor_lock(revision, ClaimRevision, editor, seen_revision)
    if revision.merge_into_id is None:
        raise WorkflowError("this revision is an edit, not a merge: approve it on its claim's page")
    result = merge_claims(
        merged=revision.claim,
        survivor=revision.merge_into,
        user=editor,
        note=note,
        seen_versions=seen_versions,
        revision=revision,
    )
    revisions._decide(revision, RevisionStatus.APPROVED, editor, note.strip())
    return result


def open_merge_proposal(claim: Claim) -> ClaimRevision | None:
    """The claim's merge proposal waiting for an editor (or sent back), if any."""
    return (
        claim.revisions.filter(status__in=OPEN, merge_into__isnull=False)
        .select_related("proposed_by", "decided_by", "merge_into")
        .first()
    )


def survivor_slug(slug: str) -> str | None:
    """Where a merged claim's public address now leads: its survivor's slug, when the merged
    claim was public once and its survivor is public now; else None (a candidate's address
    was never public, and stays a 404 like any unpublished claim's)."""
    row = (
        Claim.objects.filter(slug=slug, status=Status.MERGED, published_at__isnull=False)
        .values_list("merged_into__slug", "merged_into__status")
        .first()
    )
    if row is None or row[1] != Status.PUBLISHED:
        return None
    return row[0]
