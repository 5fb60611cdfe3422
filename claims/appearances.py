"""A claim made in more texts: linking an appearance, and a candidate that repeats a claim.

The writes here keep the quote invariant for every appearance and refuse what would make the
record wrong (a merged claim gaining appearances, the same passage twice). The number of texts
(`Claim.appearance_count`) is kept by the database (migration 0017), whatever writes the rows.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import Truncator

from .models import Appearance, Claim, Source, check_quote
from .scales import Status
from .services import WorkflowError, lock_claim


@transaction.atomic
def add_appearance(
    *,
    claim: Claim,
    source: Source,
    quote: str,
    quote_start: int | None = None,
    quote_end: int | None = None,
    user=None,
) -> Appearance:
    """Record that `source` makes `claim`, in `quote` (located when no offsets are given).

    Refuses (ValidationError) a quote that does not match the text, and the same passage
    linked twice; (WorkflowError) a claim merged away, or a user who may not change claims.
    """
    if user is not None and not user.has_perm("claims.change_claim"):
        raise WorkflowError("you do not have permission to change claims")
    current = lock_claim(claim=claim, seen_version=None)
    if current.status == Status.MERGED:
        raise WorkflowError(
            f"claim #{current.pk} was merged into claim #{current.merged_into_id}: "
            "link the appearance to that claim"
        )
    quote_start, quote_end = check_quote(source.text, quote, quote_start, quote_end)
    appearance = Appearance(
        claim=current,
        source=source,
        quote=quote,
        quote_start=quote_start,
        quote_end=quote_end,
        added_by=user,
    )
    appearance._history_user = user
    if current.appearances.filter(
        source=source, quote_start=quote_start, quote_end=quote_end
    ).exists():
        raise ValidationError(
            f"This passage of “{Truncator(source.title).chars(60)}” is already an appearance "
            f"of claim #{current.pk}."
        )
    try:
        with transaction.atomic():
            appearance.save()
    except IntegrityError as error:  # a concurrent link of the same passage
        raise ValidationError("This passage was linked to the claim a moment ago.") from error
    return appearance


def claim_appearances(claim: Claim) -> list[Appearance]:
    """The claim's appearances, oldest first, each with its source's title and address."""
    return list(
        claim.appearances.oldest_first()
        .select_related("source")
        .defer("source__text", "source__note")
    )
