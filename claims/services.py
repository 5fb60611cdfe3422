"""Writes that enforce the editorial rules: the admin, views and commands all call these.

Every edit of a claim goes through `save_new_version`, which bumps `version` (optimistic locking)
and records the acting user on the history row; an edit from the admin or in code is one
call of `save_claim`, which holds the claim's row lock for the whole edit.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from . import extraction
from .models import Claim, Evidence, GradeAssessment, PublicChange, Source
from .scales import ChangeKind, ClaimType, Grade, RevisionStatus, Stance, Status, Verdict

# Fields a grader owns; a change to any of them stamps reviewed_by/reviewed_at.
GRADING_FIELDS = ("grade", "verdict", "rationale")
# A revision still on its way to an editor.
OPEN = (RevisionStatus.PENDING, RevisionStatus.RETURNED)
# Fields shown when a stale edit is refused (what the other person changed).
_DIFF_EXCLUDED = ["slug", "version", "created_at", "search_vector", "updated_at"]


class StaleEdit(Exception):
    """Someone saved the claim after the version this edit started from."""

    def __init__(self, claim: Claim, seen_version: int):
        self.claim = claim
        self.seen_version = seen_version
        self.changes = describe_changes_since(claim, seen_version)
        records = list(
            claim.history.filter(version__gt=seen_version).select_related("history_user")
        )
        latest = records[0] if records else None
        self.changed_by = str(latest.history_user) if latest and latest.history_user else "someone"
        self.changed_at = latest.history_date if latest else claim.updated_at
        super().__init__(self.message)

    @property
    def message(self) -> str:
        when = timezone.localtime(self.changed_at).strftime("%Y-%m-%d %H:%M %Z")
        what = "; ".join(self.changes) or "no visible field changes"
        return (
            f"{self.changed_by} changed this claim at {when}, after you opened it "
            f"(you started from version {self.seen_version}, it is now version "
            f"{self.claim.version}). Their changes: {what}."
        )


class WorkflowError(Exception):
    """A status change the rules refuse; the message says why."""


def describe_changes_since(claim: Claim, seen_version: int) -> list[str]:
    """Readable changes of the claim and its evidence since `seen_version`, from its history."""
    history = claim.history.order_by("-history_date", "-history_id")
    old = history.filter(version__lte=seen_version).first()
    new = history.first()
    changes = []
    if old is not None and new is not None and old.pk != new.pk:
        delta = new.diff_against(old, excluded_fields=_DIFF_EXCLUDED)
        for change in delta.changes:
            field = Claim._meta.get_field(change.field)
            old_value, new_value = _display(field, change.old), _display(field, change.new)
            changes.append(f"{field.verbose_name}: “{old_value}” → “{new_value}”")
    since = old.history_date if old is not None else claim.created_at
    evidence_records = Evidence.history.filter(claim_id=claim.pk, history_date__gt=since)
    for record in evidence_records.select_related("citation").order_by("history_date"):
        verb = {"+": "added", "~": "changed", "-": "removed"}[record.history_type]
        changes.append(f"evidence {verb}: {record.get_stance_display()} – {record.citation}")
    return changes


def _display(field, value) -> str:
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        return str(field.related_model._default_manager.filter(pk=value).first() or "—")
    return Truncator(str(value)).chars(120) if value not in (None, "") else "—"


def check_version(*, claim: Claim, seen_version: int) -> None:
    """Refuse (StaleEdit) when the stored claim moved past `seen_version`; locks nothing.

    The admin's form calls it so that a reviewer who opened an old version sees the other
    person's changes beside their own input; `save_claim` checks again under the lock.
    """
    current = Claim.objects.only("version").get(pk=claim.pk)
    if current.version != seen_version:
        raise StaleEdit(Claim.objects.get(pk=claim.pk), seen_version)


def lock_claim(*, claim: Claim, seen_version: int | None) -> Claim:
    """Lock the claim's row until the transaction ends; refuse if it moved past `seen_version`.

    Must run inside `transaction.atomic`. `seen_version=None` skips the check (actions that
    act on the current state, such as publishing from the list).
    """
    current = Claim.objects.select_for_update().get(pk=claim.pk)
    if seen_version is not None and current.version != seen_version:
        raise StaleEdit(current, seen_version)
    return current


def save_new_version(claim: Claim, *, user) -> Claim:
    claim.version += 1
    claim._history_user = user
    claim.full_clean()
    claim.save()
    return claim


def resolve_grade(
    *, chosen: str, computed: Grade, override_reason: str, chosen_explicitly: bool
) -> Grade:
    """The claim's grade when it has a GRADE assessment.

    The computed certainty decides, unless the reviewer explicitly chose another grade and gave
    an override reason. Raises ValidationError when a different grade comes without a reason.
    """
    if override_reason.strip():
        if chosen == Grade.UNGRADED:
            raise ValidationError(
                {"grade": "An override reason is given, so choose the grade it justifies."}
            )
        return Grade(chosen)
    if chosen_explicitly and chosen not in (computed, Grade.UNGRADED):
        raise ValidationError(
            {
                "grade": f"The GRADE assessment computes {computed.display}, but you chose "
                f"{Grade(chosen).display}. Give an override reason in the assessment, or keep "
                "the computed grade."
            }
        )
    return computed


def assessed_grade(*, claim: Claim, assessment: GradeAssessment) -> Grade:
    """The grade `claim` (holding an edit's values) gets from `assessment`: see resolve_grade.

    A grade is chosen explicitly when the edit changes the stored one.
    """
    stored = Claim.objects.filter(pk=claim.pk).values_list("grade", flat=True).first()
    return resolve_grade(
        chosen=claim.grade,
        computed=assessment.computed_grade,
        override_reason=assessment.override_reason,
        chosen_explicitly=claim.grade != (stored or Grade.UNGRADED),
    )


def save_claim(
    *, claim: Claim, user, seen_version: int | None, save_related: Callable[[Claim], None]
) -> Claim:
    """Save an edited claim with its evidence links and GRADE assessment, as one edit.

    `claim` holds the edit's values; `save_related(claim)` saves what belongs to it (the
    admin's inlines). In one transaction, under the claim's row lock: refuse a stale
    `seen_version` (StaleEdit: nothing is saved), save the related rows, let the assessment
    decide the grade unless it is overridden with a reason, stamp the reviewer when grade,
    verdict or rationale changed, and bump the version once, with one history row.
    A new claim (no pk) is stored through `insert_claim` first and starts in review: a
    reviewer who adds a claim by hand has accepted it.
    """
    with transaction.atomic():
        if claim.pk is None:
            claim.status = Status.IN_REVIEW
            stored = None
            insert_claim(claim=claim, user=user)
        else:
            stored = lock_claim(claim=claim, seen_version=seen_version)
            claim.version = stored.version
        save_related(claim)
        if (assessment := GradeAssessment.objects.filter(claim=claim).first()) is not None:
            claim.grade = assessed_grade(claim=claim, assessment=assessment)
        before = stored or Claim()  # a new claim is compared with an ungraded one
        if any(getattr(claim, f) != getattr(before, f) for f in GRADING_FIELDS):
            claim.reviewed_by, claim.reviewed_at = user, timezone.now()
        return save_new_version(claim, user=user)


def grade_claim(
    *,
    claim: Claim,
    reviewer,
    grade: str,
    verdict: str,
    rationale: str,
    seen_version: int,
    assessment: dict | None = None,
) -> Claim:
    """Set grade, verdict, rationale (and optionally the GRADE assessment) of a claim.

    `assessment` holds GradeAssessment field values; when given, the computed certainty
    decides the grade unless `assessment["override_reason"]` explains a different one.
    The same edit as the admin's (save_claim), refused with StaleEdit if someone saved the
    claim after `seen_version`.
    """
    if not reviewer.has_perm("claims.grade_claim"):
        raise WorkflowError("You do not have permission to grade claims.")
    edited = Claim.objects.get(pk=claim.pk)
    edited.grade, edited.verdict, edited.rationale = grade, verdict, rationale

    def save_assessment(saved: Claim) -> None:
        if assessment is None:
            return
        record = GradeAssessment.objects.filter(claim=saved).first() or GradeAssessment(claim=saved)
        for name, value in assessment.items():
            setattr(record, name, value)
        record._history_user = reviewer
        record.full_clean()
        record.save()

    return save_claim(
        claim=edited, user=reviewer, seen_version=seen_version, save_related=save_assessment
    )


def publication_problems(*, grade: str, verdict: str, rationale: str, stances: list[str]) -> str:
    """Why a version of a claim (its grade, verdict, rationale and its links' stances) cannot
    be public, in one sentence naming each rule it breaks; "" when it can."""
    missing = []
    if grade == Grade.UNGRADED:
        missing.append("a grade")
    if verdict == Verdict.UNRATED:
        missing.append("a verdict")
    if not rationale.strip():
        missing.append("a rationale")
    if not stances:
        missing.append("at least one evidence link")
    problems = ["missing " + ", ".join(missing)] if missing else []
    if rule := verdict_evidence_problem(verdict, stances):
        problems.append(rule)
    return "; ".join(problems)


def verdict_evidence_problem(verdict: str, stances: list[str]) -> str:
    """The consistency rule between a verdict and its evidence: "supported" needs a supporting
    work, "contradicted" a contradicting one, and "unsupported: no evidence found" has neither
    (a work that bears on it either way is evidence found)."""
    supporting, contradicting = stances.count(Stance.SUPPORTS), stances.count(Stance.CONTRADICTS)
    counts = f"it has {supporting} supporting and {contradicting} contradicting"
    label = Verdict(verdict).label
    if verdict == Verdict.SUPPORTED and not supporting:
        return f"the verdict “{label}” needs at least one supporting work ({counts})"
    if verdict == Verdict.CONTRADICTED and not contradicting:
        return f"the verdict “{label}” needs at least one contradicting work ({counts})"
    if verdict == Verdict.UNSUPPORTED and (supporting or contradicting):
        return (
            f"the verdict “{label}” means no work supports or contradicts the claim ({counts}):"
            " choose “Misleading” or “Contradicted by evidence”, or mark those links"
            " mixed or background"
        )
    return ""


def _transition(
    claim: Claim, *, user, permission: str, allowed_from: tuple[str, ...], to: str, verb: str
) -> Claim:
    """Lock the claim and move it to `to`, if `user` may and its status allows; not saved."""
    if not user.has_perm(permission):
        action = permission.split(".")[1].removesuffix("_claim")  # "change", "publish"
        raise WorkflowError(f"you do not have permission to {action} claims")
    current = lock_claim(claim=claim, seen_version=None)
    if current.status not in allowed_from:
        raise WorkflowError(f"cannot {verb} a claim that is {current.get_status_display().lower()}")
    current.status = to
    return current


@transaction.atomic
def send_to_review(*, claim: Claim, user) -> Claim:
    """Move a candidate (accepting it) or a rejected claim into the review queue."""
    current = _transition(
        claim,
        user=user,
        permission="claims.change_claim",
        allowed_from=(Status.CANDIDATE, Status.REJECTED),
        to=Status.IN_REVIEW,
        verb="send to review",
    )
    current.statement = extraction.normalise_statement(current.statement)
    return save_new_version(current, user=user)


@transaction.atomic
def reject_claim(*, claim: Claim, user) -> Claim:
    """Reject a candidate or claim in review: it is not a checkable claim."""
    current = _transition(
        claim,
        user=user,
        permission="claims.change_claim",
        allowed_from=(Status.CANDIDATE, Status.IN_REVIEW),
        to=Status.REJECTED,
        verb="reject",
    )
    return save_new_version(current, user=user)


@transaction.atomic
def publish_claim(*, claim: Claim, user, note: str = "") -> Claim:
    """Publish a claim in review; refused (WorkflowError naming each broken rule) otherwise.

    The first publication dates the claim (`published_at`, never moved again). Publishing it
    again after it was taken off adds to its public log: a correction when its grade or verdict
    differ from its last public version (which needs the editor's public `note`), else an
    update.
    """
    current = _transition(
        claim,
        user=user,
        permission="claims.publish_claim",
        allowed_from=(Status.IN_REVIEW,),
        to=Status.PUBLISHED,
        verb="publish",
    )
    stances = list(current.evidence.values_list("stance", flat=True))
    if problems := publication_problems(
        grade=current.grade, verdict=current.verdict, rationale=current.rationale, stances=stances
    ):
        raise WorkflowError(problems)
    now = timezone.now()
    if current.published_at is None:
        current.published_at, current.published_by = now, user
        return save_new_version(current, user=user)
    last = current.history.filter(status=Status.PUBLISHED).order_by("-history_date").first()
    old_grade, old_verdict = (
        (last.grade, last.verdict) if last else (current.grade, current.verdict)
    )
    correction = (old_grade, old_verdict) != (current.grade, current.verdict)
    if correction and not note.strip():
        raise WorkflowError(
            f"it was public before as {Grade(old_grade).display} / {Verdict(old_verdict).label}:"
            " publishing it with another grade or verdict is a correction, so write a public"
            " note saying why (on its change page)"
        )
    saved = save_new_version(current, user=user)
    PublicChange.objects.create(
        claim=saved,
        kind=ChangeKind.CORRECTION if correction else ChangeKind.UPDATE,
        approved_at=now,
        approved_by=user,
        old_grade=old_grade,
        new_grade=saved.grade,
        old_verdict=old_verdict,
        new_verdict=saved.verdict,
        summary="Published again after a review.",
        note=note.strip(),
    )
    return saved


@transaction.atomic
def unpublish_claim(*, claim: Claim, user) -> Claim:
    """Take a published claim off the public site, back into review; an open revision of it
    is withdrawn (the claim is edited directly while unpublished)."""
    current = _transition(
        claim,
        user=user,
        permission="claims.publish_claim",
        allowed_from=(Status.PUBLISHED,),
        to=Status.IN_REVIEW,
        verb="unpublish",
    )
    current.revisions.filter(status__in=OPEN).update(
        status=RevisionStatus.WITHDRAWN,
        decided_by=user,
        decided_at=timezone.now(),
        decision_note="Withdrawn: the claim was taken off the public site.",
    )
    return save_new_version(current, user=user)


@transaction.atomic
def create_claim(
    *,
    source: Source,
    statement: str,
    quote: str,
    user=None,
    quote_start: int | None = None,
    quote_end: int | None = None,
    subject: str = "",
    outcome: str = "",
    claim_type: str = ClaimType.OTHER,
    status: str = Status.CANDIDATE,
    hedged: bool = False,
    check_worthiness: int = 0,
    validate_constraints: bool = True,
) -> Claim:
    """A new (unpublished) claim quoting `source`; the quote is located when offsets are omitted."""
    claim = Claim(
        source=source,
        statement=statement,
        quote=quote,
        quote_start=quote_start,
        quote_end=quote_end,
        subject=subject,
        outcome=outcome,
        claim_type=claim_type,
        status=status,
        hedged=hedged,
        check_worthiness=check_worthiness,
    )
    return insert_claim(claim=claim, user=user, validate_constraints=validate_constraints)


def insert_claim(*, claim: Claim, user, validate_constraints: bool = True) -> Claim:
    """Store a new claim (never published at birth), its quote checked against its source.

    `validate_constraints=False` leaves the table's check constraints to the database (they
    still refuse a bad row, as an IntegrityError): checking them in Python costs a query
    each, ten per claim, which a long text's import multiplies by thousands.
    """
    if claim.status == Status.PUBLISHED:
        raise WorkflowError("a new claim cannot start published; publish it after review")
    claim._history_user = user
    claim.full_clean(validate_constraints=validate_constraints)
    claim.save()
    return claim
