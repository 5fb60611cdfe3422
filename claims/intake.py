"""A new text in: its source and the candidate claims extraction proposes from it.

The import is one transaction; its candidates are stored in batches (a 5,000-sentence text
in seconds), each validated as a hand-made claim is.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from . import extraction, limits
from .models import Appearance, Claim, Source
from .models.claim import unique_slugs
from .scales import Status
from .services import WorkflowError
from .text import sort_key


@dataclass(frozen=True)
class ImportResult:
    source: Source
    candidates: list[Claim]


CANDIDATE_BATCH = 500


def insert_candidates(*, source: Source, claims: list[Claim], user) -> list[Claim]:
    """Store an import's candidates (rows made by code) in a few statements, with their history.

    One claim at a time costs a slug query, an INSERT and a history row each, which made a
    long text's import slow (docs/extraction.md). Here: the slugs chosen with one query per batch,
    each claim validated in Python as insert_claim does (the quote against the source; the
    table's check constraints are left to the database), then one INSERT per batch for the
    claims and one for their history rows.
    """
    taken: set[str] = set()
    for start in range(0, len(claims), CANDIDATE_BATCH):
        batch = claims[start : start + CANDIDATE_BATCH]
        slugs = unique_slugs([claim.statement for claim in batch], taken)
        for claim, slug in zip(batch, slugs, strict=True):
            if claim.status != Status.CANDIDATE:
                raise WorkflowError("an import stores candidates only")
            claim.source, claim.slug = source, slug
            claim.statement_sort_key = sort_key(claim.statement)
            # The source is the one just stored: checking that it exists is a query a claim.
            claim.full_clean(exclude=["source"], validate_unique=False, validate_constraints=False)
        bulk_create_with_history(batch, Claim, batch_size=CANDIDATE_BATCH, default_user=user)
        # Each candidate's quote is its first appearance (Claim.save() makes it for one claim).
        bulk_create_with_history(
            [
                Appearance(
                    claim=claim,
                    found_at=claim.created_at,
                    added_by=user,
                    **claim.first_appearance_fields(),
                )
                for claim in batch
            ],
            Appearance,
            batch_size=CANDIDATE_BATCH,
            default_user=user,
        )
    return claims


def import_source(
    *,
    text: str,
    title: str,
    url: str = "",
    publisher: str = "",
    user=None,
    dry_run: bool = False,
) -> ImportResult:
    """Store `text` as a new source and propose candidate claims from it, in one transaction.

    Refuses (ValidationError) an empty text or one already stored, a text over the size limit
    and one that yields more candidates than the cap (claims/limits.py). With `dry_run`,
    everything is validated and the candidates computed, then rolled back.
    """
    if not text.strip():
        raise ValidationError("The text is empty: there is nothing to import.")
    limits.check_source_text_size(text)
    existing = Source.objects.filter(text=text).only("pk", "title").first()
    if existing is not None:
        raise ValidationError(
            f"This text is already stored as source #{existing.pk} “{existing.title}”."
        )
    found_candidates = extraction.extract_candidates(text)
    limits.check_candidate_count(len(found_candidates))
    # The queue serves candidates oldest first: stored most check-worthy first, they are
    # read in that order (ties in the text's order).
    found_candidates.sort(key=lambda found: -found.worthiness)
    with transaction.atomic():
        source = Source(title=title, url=url, publisher=publisher, text=text)
        source.full_clean()
        source.save()
        candidates = insert_candidates(
            source=source,
            claims=[
                Claim(
                    source=source,
                    statement=found.statement,
                    quote=found.quote,
                    quote_start=found.start,
                    quote_end=found.end,
                    subject=found.subject,
                    outcome=found.outcome,
                    claim_type=found.claim_type,
                    status=Status.CANDIDATE,
                    hedged=found.hedged,
                    check_worthiness=found.worthiness,
                )
                for found in found_candidates
            ],
            user=user,
        )
        if dry_run:
            transaction.set_rollback(True)
    return ImportResult(source=source, candidates=candidates)
