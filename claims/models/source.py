from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.text import Truncator

from .. import limits
from ..scales import SourceKind, Status
from .base import TimeStamped, validate_no_nul


class SourceQuerySet(models.QuerySet):
    def with_published_claims(self):
        """Sources that make at least one published claim (any of its appearances): the only
        ones the public sees."""
        from .appearance import Appearance
        from .claim import Claim

        # Most such texts are a published claim's first appearance (its own source): an
        # index-only probe (claim_pub_source_idx). Only the others are asked of the
        # appearances, each of which needs its claim's status (a join per text on /sources/).
        return self.filter(
            models.Exists(
                Claim.objects.filter(source=models.OuterRef("pk"), status=Status.PUBLISHED)
            )
            | models.Exists(
                Appearance.objects.filter(
                    source=models.OuterRef("pk"), claim__status=Status.PUBLISHED
                )
            )
        )


class Source(TimeStamped):
    title = models.CharField(max_length=300, validators=[validate_no_nul])
    kind = models.CharField(max_length=16, choices=SourceKind, default=SourceKind.WEB_ARTICLE)
    url = models.URLField("URL", max_length=2000, blank=True)
    publisher = models.CharField(max_length=200, blank=True, validators=[validate_no_nul])
    author = models.CharField(max_length=300, blank=True, validators=[validate_no_nul])
    published_on = models.DateField("date published", null=True, blank=True)
    text = models.TextField(
        help_text="The full text. Claims quote it by character offsets, so once a claim quotes "
        "it, only edits that keep every quote in place are accepted.",
        validators=[validate_no_nul],
    )
    note = models.TextField(blank=True, validators=[validate_no_nul])

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values), name="source_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="source_title_not_empty"),
        ]
        # /sources/ and ?sort=source_title on /claims/ order by the title, ignoring case, then
        # id: read from this index instead of sorting every source.
        indexes = [models.Index(Lower("title"), F("id"), name="source_title_lower_idx")]

    def __str__(self):
        return Truncator(self.title).chars(80)

    def get_absolute_url(self):
        return reverse("claims:source-detail", args=[self.pk])

    def clean(self):
        super().clean()
        limits.check_source_text_size(self.text)
        if self.pk is None:
            return
        # A claim's quote is addressed by offsets into this text: an edit that moves or changes
        # a quoted passage would silently make the claim quote something else.
        broken = [
            claim
            for claim in self.claims.only(
                "pk", "statement", "quote", "quote_start", "quote_end", "source_id"
            )
            if self.text[claim.quote_start : claim.quote_end] != claim.quote
        ]
        if broken:
            names = "; ".join(f"#{c.pk} “{Truncator(c.statement).chars(50)}”" for c in broken[:5])
            more = f" and {len(broken) - 5} more" if len(broken) > 5 else ""
            raise ValidationError(
                {
                    "text": f"This edit would break the quotes of {len(broken)} claim(s): "
                    f"{names}{more}. Keep each quoted passage at its place, or change "
                    "those claims first."
                }
            )
