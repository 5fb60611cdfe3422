"""The editorial record for the synthetic claims, so the benchmark measures pages with it: a
share of published claims carry corrections and updates in their public log, and a few have a
revision pending an editor (the work queue's "revision" items).

One published claim in CORRECTED gets a correction of its grade (from the grade next to it to
the one it has, with a public note), one in UPDATED an update, and one in PENDING a pending
revision of its rationale that holds its live evidence and assessment, as
`revisions.Proposal.live` stores them. Claims that already have a log or a revision keep
theirs, so running it twice adds nothing. Written in batches through the ORM (a few tens of
thousands of rows at 1M), on either database.
"""

from datetime import timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from claims.models import Claim, ClaimRevision, PublicChange
from claims.revisions import Proposal
from claims.scales import ChangeKind, Grade, RevisionStatus, SourceKind, Status

CORRECTED = 25  # one published claim in CORRECTED
UPDATED = 40
PENDING = 500
BATCH = 5_000

NOTE = "Synthetic note: why the editors changed the grade."
SUMMARY = "Synthetic update: the rationale was reworded."
REVISED = " (Synthetic revision: reworded.)"
# The grade a corrected claim had before: the one next to it on the scale.
_BEFORE = {
    Grade.HIGH: Grade.MODERATE,
    Grade.MODERATE: Grade.LOW,
    Grade.LOW: Grade.VERY_LOW,
    Grade.VERY_LOW: Grade.LOW,
    Grade.UNGRADED: Grade.VERY_LOW,
}


def add_editorial_record() -> tuple[int, int]:
    """Add the missing synthetic log entries and pending revisions; returns how many of each."""
    published = Claim.objects.filter(
        source__kind=SourceKind.SYNTHETIC, status=Status.PUBLISHED, published_at__isnull=False
    )
    logged = published.exclude(Exists(PublicChange.objects.filter(claim=OuterRef("pk"))))
    chosen = logged.alias(c=F("pk") % CORRECTED, u=F("pk") % UPDATED).filter(Q(c=0) | Q(u=0))
    now, changes, batch = timezone.now(), 0, []
    rows = chosen.values_list("pk", "grade", "verdict", "published_at").order_by("pk")
    for pk, grade, verdict, published_at in rows.iterator(chunk_size=BATCH):
        corrected = pk % CORRECTED == 0
        batch.append(
            PublicChange(
                claim_id=pk,
                kind=ChangeKind.CORRECTION if corrected else ChangeKind.UPDATE,
                approved_at=min(published_at + timedelta(days=1 + pk % 60), now),
                old_grade=_BEFORE[grade] if corrected else grade,
                new_grade=grade,
                old_verdict=verdict,
                new_verdict=verdict,
                summary="" if corrected else SUMMARY,
                note=NOTE if corrected else "",
            )
        )
        if len(batch) == BATCH:
            changes += len(PublicChange.objects.bulk_create(batch))
            batch = []
    changes += len(PublicChange.objects.bulk_create(batch))

    unrevised = published.exclude(Exists(ClaimRevision.objects.filter(claim=OuterRef("pk"))))
    revisions = []
    for claim in unrevised.alias(p=F("pk") % PENDING).filter(p=0):
        live = Proposal.live(claim)
        revisions.append(
            ClaimRevision(
                claim=claim,
                status=RevisionStatus.PENDING,
                base_version=claim.version,
                fields=live.fields | {"rationale": claim.rationale + REVISED},
                evidence=live.evidence,
                assessment=live.assessment,
            )
        )
    return changes, len(ClaimRevision.objects.bulk_create(revisions, batch_size=1_000))
