"""Where a claim is made: each text that makes it, with the exact quote (an `Appearance`).

The same marketing claim is copied from site to site; it is one claim, graded once, made in
many texts. A claim's first appearance is its oldest (by `found_at`, then id): the text
it was taken from, unless an older one was linked or merged in. The claim's own `source`,
`quote` and offsets are a copy of it, which the list, the CSV and search read without a join:
`Claim.save()` writes a claim's quote through to its oldest appearance, and database triggers
on this table (migration 0017) copy the oldest appearance back and keep
`Claim.appearance_count` (the number of texts), so any writer keeps every count, page and
export right. Later appearances are linked by reviewers (claims/appearances.py) or moved in
by a merge.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .base import validate_no_nul
from .source import Source


class AppearanceQuerySet(models.QuerySet):
    def oldest_first(self):
        return self.order_by("found_at", "pk")


class Appearance(models.Model):
    # Both keys are indexed by the composite indexes below (the claim's first).
    claim = models.ForeignKey("Claim", models.CASCADE, related_name="appearances", db_index=False)
    source = models.ForeignKey(
        Source,
        models.PROTECT,  # a source that makes a claim is part of its record
        related_name="appearances",
        db_index=False,
    )
    quote = models.TextField(
        help_text="The exact words of this text that make the claim.",
        validators=[validate_no_nul],
    )
    # Blank in forms: clean() locates the quote when both are left empty.
    quote_start = models.PositiveIntegerField(
        blank=True, help_text="Offset of the quote's first character (Unicode characters)."
    )
    quote_end = models.PositiveIntegerField(
        blank=True, help_text="Offset just past the quote's last character."
    )
    found_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords()
    objects = AppearanceQuerySet.as_manager()

    class Meta:
        ordering = ["found_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quote_end__gt=F("quote_start")),
                name="appearance_quote_offsets_ordered",
            ),
            # The same passage of the same text makes a claim once.
            models.UniqueConstraint(
                fields=["claim", "source", "quote_start", "quote_end"],
                name="appearance_unique_passage",
            ),
        ]
        indexes = [
            # A claim's appearances, oldest first (its page, its JSON-LD, the first one).
            models.Index(fields=["claim", "found_at", "id"], name="appearance_claim_found_idx"),
            # ?source= and a source's page: the claims a text makes.
            models.Index(fields=["source", "claim"], name="appearance_source_claim_idx"),
        ]

    def __str__(self):
        return f"#{self.claim_id} in source #{self.source_id} at {self.quote_start}"

    def clean(self):
        super().clean()
        if self.quote and self.source_id is not None:
            from .claim import check_quote

            self.quote_start, self.quote_end = check_quote(
                self.source.text, self.quote, self.quote_start, self.quote_end
            )
