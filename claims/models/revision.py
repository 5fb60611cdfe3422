"""The editorial record: changes proposed to what the public sees, and the approved ones.

A published claim's own row (with its evidence links and GRADE assessment) is its live
version, the last one an editor approved; every public page reads only that. A change to it
is proposed as a `ClaimRevision` (a cited work's as a `CitationRevision`), which goes live only
when an editor approves it (claims/revisions.py). Each approval leaves a `PublicChange` on the
claims it touched: the corrections log readers see.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest

from ..scales import ChangeKind, Grade, RevisionStatus, Verdict
from .base import TimeStamped, validate_no_nul

# The claim fields a revision may change: everything the public sees of the claim itself.
REVISED_CLAIM_FIELDS = (
    "statement",
    "subject",
    "outcome",
    "claim_type",
    "quote",
    "quote_start",
    "quote_end",
    "grade",
    "verdict",
    "rationale",
)
# The cited work's reference: what a claim page shows of it.
REVISED_CITATION_FIELDS = (
    "title",
    "authors",
    "year",
    "venue",
    "doi",
    "pmid",
    "url",
    "study_design",
    "design_note",
    "is_retracted",
)


class Revision(TimeStamped):
    """What claim and citation revisions share: who proposed, who decided, and the lost-update
    check (`version`, bumped on every edit of the proposal; an editor approves the version they
    read, or nothing)."""

    status = models.CharField(max_length=16, choices=RevisionStatus, default=RevisionStatus.PENDING)
    version = models.PositiveIntegerField(default=1)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Why an editor sent it back (for the reviewer), or the approval's public note.
    decision_note = models.TextField(blank=True, validators=[validate_no_nul])

    class Meta:
        abstract = True

    @property
    def is_open(self) -> bool:
        return self.status in (RevisionStatus.PENDING, RevisionStatus.RETURNED)


class ClaimRevision(Revision):
    """A proposed new version of a published claim: its fields, evidence links and GRADE
    assessment, as plain values (the claim's own rows stay the live version meanwhile)."""

    claim = models.ForeignKey("Claim", models.CASCADE, related_name="revisions")
    # The claim's `version` the proposal started from: approving it over a newer live
    # version would silently undo that version's change.
    base_version = models.PositiveIntegerField()
    fields = models.JSONField()  # REVISED_CLAIM_FIELDS → value
    evidence = models.JSONField(blank=True)  # [{"citation": id, "stance": code, "finding": text}]
    assessment = models.JSONField(null=True, blank=True)  # GradeAssessment fields, or none
    # A proposal to merge the claim into this one (claims/merging.py), not an edit: its
    # `fields` hold only the proposer's note, and approving it runs the merge.
    merge_into = models.ForeignKey(
        "Claim", models.CASCADE, related_name="merge_proposals", null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RevisionStatus.values), name="claimrevision_status_valid"
            ),
            # One open proposal per claim: a second reviewer edits that one, or waits.
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(status__in=[RevisionStatus.PENDING, RevisionStatus.RETURNED])
                & Q(merge_into__isnull=True),
                name="claimrevision_one_open_per_claim",
            ),
            # And one open merge proposal per claim, beside it.
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(status__in=[RevisionStatus.PENDING, RevisionStatus.RETURNED])
                & Q(merge_into__isnull=False),
                name="claimrevision_one_open_merge_per_claim",
            ),
            models.CheckConstraint(
                condition=~Q(merge_into=models.F("claim")),
                name="claimrevision_not_merged_into_itself",
            ),
        ]
        indexes = [
            # The editors' queue: open revisions, oldest first.
            models.Index(
                fields=["status", "created_at"],
                name="claimrevision_open_idx",
                condition=Q(status__in=[RevisionStatus.PENDING, RevisionStatus.RETURNED]),
            )
        ]

    def __str__(self):
        status = self.get_status_display().lower()
        if self.merge_into_id is not None:
            return f"Merge of claim #{self.claim_id} into #{self.merge_into_id} ({status})"
        return f"Revision of claim #{self.claim_id} ({status})"


class CitationRevision(Revision):
    """A proposed new reference for a work that a published claim cites."""

    citation = models.ForeignKey("Citation", models.CASCADE, related_name="revisions")
    base = models.JSONField()  # the live reference it started from (REVISED_CITATION_FIELDS)
    fields = models.JSONField()  # the proposed reference

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RevisionStatus.values),
                name="citationrevision_status_valid",
            ),
            models.UniqueConstraint(
                fields=["citation"],
                condition=Q(status__in=[RevisionStatus.PENDING, RevisionStatus.RETURNED]),
                name="citationrevision_one_open_per_work",
            ),
        ]

    def __str__(self):
        return f"Revision of citation #{self.citation_id} ({self.get_status_display().lower()})"


class PublicChangeQuerySet(models.QuerySet):
    def corrections(self):
        return self.filter(kind=ChangeKind.CORRECTION)


class PublicChange(models.Model):
    """One approved change to a published claim, as its corrections log shows it.

    A correction changed the grade or the verdict (old → new, with the editor's public note);
    an update changed anything else readers see (`summary` says what; the note is optional).
    """

    claim = models.ForeignKey("Claim", models.CASCADE, related_name="public_changes")
    kind = models.CharField(max_length=16, choices=ChangeKind)
    approved_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, related_name="+", null=True, blank=True
    )
    old_grade = models.CharField(max_length=16, choices=Grade)
    new_grade = models.CharField(max_length=16, choices=Grade)
    old_verdict = models.CharField(max_length=24, choices=Verdict)
    new_verdict = models.CharField(max_length=24, choices=Verdict)
    summary = models.CharField(max_length=500, blank=True, validators=[validate_no_nul])
    note = models.TextField(blank=True, validators=[validate_no_nul])
    claim_revision = models.ForeignKey(
        ClaimRevision, models.SET_NULL, related_name="public_changes", null=True, blank=True
    )
    citation_revision = models.ForeignKey(
        CitationRevision, models.SET_NULL, related_name="public_changes", null=True, blank=True
    )

    objects = PublicChangeQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "approved_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ChangeKind.values), name="publicchange_kind_valid"
            ),
            # A correction is a change of grade or verdict, and says why in public.
            models.CheckConstraint(
                condition=~Q(kind=ChangeKind.CORRECTION)
                | (
                    (~Q(old_grade=models.F("new_grade")) | ~Q(old_verdict=models.F("new_verdict")))
                    & ~Q(note="")
                ),
                name="publicchange_correction_has_change_and_note",
            ),
        ]
        indexes = [
            # The claim page reads its claim's log, oldest first.
            models.Index(fields=["claim", "approved_at"], name="publicchange_claim_idx"),
            # The newest approved changes first (the corrections feed, the sitemap's lastmod).
            models.Index(F("approved_at").desc(), F("id").desc(), name="publicchange_approved_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of claim #{self.claim_id} on {self.approved_at:%Y-%m-%d}"


def last_public_change_at() -> Greatest:
    """For a Claim queryset: when what the public sees of the claim last changed, its last
    approved change, else its first publication (a sitemap's lastmod, a feed entry's update).

    One probe of publicchange_claim_idx per row: annotate only the rows a page shows. Both
    arguments are non-null, as SQLite's GREATEST (MAX) needs; a change is never older than
    the first publication, but GREATEST keeps the date right if one were.
    """
    last = PublicChange.objects.filter(claim=OuterRef("pk")).order_by("-approved_at")
    return Greatest(
        "published_at", Coalesce(Subquery(last.values("approved_at")[:1]), "published_at")
    )
