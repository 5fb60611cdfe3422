import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils.text import Truncator, slugify
from simple_history.models import HistoricalRecords

from ..scales import ClaimType, Grade, Stance, Status, Verdict, scale_order
from ..text import SORT_KEY_LENGTH, CodepointOrder, sort_key
from .base import TimeStamped, validate_no_nul
from .citation import Evidence
from .source import Source

SLUG_MAX_LENGTH = 80
# The claim's own quote: its first appearance (models/appearance.py).
QUOTE_FIELDS = ("source_id", "quote", "quote_start", "quote_end")


QUOTE_CONTEXT_WIDTH = 400


@dataclass(frozen=True)
class QuoteContext:
    """A quote with the text around it, "…" marking where that text was cut."""

    before: str
    quote: str
    after: str


def quote_context(window: str, offset: int, start: int, end: int, width: int) -> QuoteContext:
    """The quote at `start`–`end` of a text, inside its paragraph, cut to `width` characters on
    each side ("…" where cut), from `window`: the text's characters from `offset` on.

    The window must hold `width` + 1 characters on each side of the quote where the text has
    them (the whole text does); then a paragraph break or the text's end inside it is where
    the context stops, and no break in it means the context is cut.
    """
    start, end = start - offset, end - offset
    para_start = window.rfind("\n", 0, start) + 1
    para_end = window.find("\n", end)
    para_end = len(window) if para_end == -1 else para_end
    before_start = max(para_start, start - width)
    after_end = min(para_end, end + width)
    return QuoteContext(
        before=("…" if before_start > para_start else "") + window[before_start:start],
        quote=window[start:end],
        after=window[end:after_end] + ("…" if after_end < para_end else ""),
    )


class ClaimQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def with_stance_counts(self):
        """Annotate `supporting` and `contradicting`: evidence links counted by stance.

        Counted per claim by a subquery, so only the rows a page shows are counted (a join
        and GROUP BY counted all three million links before the admin could show fifty).
        """

        def links(stance):
            counted = (
                Evidence.objects.filter(claim=models.OuterRef("pk"), stance=stance)
                .order_by()
                .values("claim")
                .annotate(n=models.Count("pk"))
                .values("n")
            )
            return Coalesce(models.Subquery(counted), 0)

        return self.annotate(
            supporting=links(Stance.SUPPORTS), contradicting=links(Stance.CONTRADICTS)
        )


def work_queue_rank() -> models.Case:
    """A claim's place in the reviewers' work queue: claims waiting for someone first (in
    review, to grade; then candidates, to triage), then published, then rejected.

    The admin orders by it, then by age; Claim.Meta indexes the same expression.
    """
    return models.Case(
        models.When(status=Status.IN_REVIEW, then=models.Value(0)),
        models.When(status=Status.CANDIDATE, then=models.Value(1)),
        models.When(status=Status.PUBLISHED, then=models.Value(2)),
        default=models.Value(3),
        output_field=models.IntegerField(),
    )


class Claim(TimeStamped):
    source = models.ForeignKey(
        Source,
        models.PROTECT,  # deleting a source must not erase the claims and evidence that quote it
        related_name="claims",
    )
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True, editable=False)
    statement = models.CharField(
        max_length=300,
        help_text="One checkable statement, normalised: “Kratom aids hair regrowth after "
        "opioid withdrawal”.",
        validators=[validate_no_nul],
    )
    quote = models.TextField(
        help_text="The exact words of the source. Leave the offsets empty to have the quote "
        "located in the source text (it must occur exactly once).",
        validators=[validate_no_nul],
    )
    quote_start = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Offset of the quote's first character (Unicode characters).",
    )
    quote_end = models.PositiveIntegerField(
        null=True, blank=True, help_text="Offset just past the quote's last character."
    )
    subject = models.CharField(max_length=100, blank=True, validators=[validate_no_nul])
    outcome = models.CharField(max_length=200, blank=True, validators=[validate_no_nul])
    claim_type = models.CharField(max_length=16, choices=ClaimType, default=ClaimType.OTHER)
    # Suggested by the extraction (claims/extraction.py), for the reviewer: whether the quote
    # hedges ("may", "could": a weaker claim, still checkable), and how much it deserves
    # checking first (an effect, a safety statement or a number above a vague line).
    # db_default too: rows written by COPY (bench/generate.py) name only the columns they fill.
    hedged = models.BooleanField(
        default=False,
        db_default=False,
        help_text="The quote hedges (“may”, “could”, “might”).",
    )
    check_worthiness = models.PositiveSmallIntegerField(
        default=0,
        db_default=0,
        editable=False,
        help_text="0–9, from the extraction: higher is more worth checking first.",
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.CANDIDATE)
    grade = models.CharField(max_length=16, choices=Grade, default=Grade.UNGRADED)
    verdict = models.CharField(max_length=24, choices=Verdict, default=Verdict.UNRATED)
    rationale = models.TextField(blank=True, validators=[validate_no_nul])
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_claims",
        editable=False,
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When it first went public; never moves (ClaimReview's datePublished). Later approved
    # changes are its PublicChange rows.
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="published_claims",
        editable=False,
    )
    # Optimistic locking: every save through a service bumps it; a save that started from an
    # older version is refused (see services.StaleEdit).
    version = models.PositiveIntegerField(default=1, editable=False)
    citations = models.ManyToManyField("Citation", through="Evidence", related_name="claims")
    # Filled by a PostgreSQL trigger (migration 0002); stays NULL on SQLite, where the full-text
    # index is the FTS5 table claims_claimfts (migration 0012, claims.fts).
    search_vector = SearchVectorField(null=True, editable=False)
    # ?sort=claim orders by this (claims.text.sort_key of the statement), the same on both
    # databases. save() keeps it; writers that bypass save() compute it themselves.
    statement_sort_key = models.CharField(max_length=SORT_KEY_LENGTH, default="", editable=False)
    # In how many texts the claim is made: distinct sources of its appearances, kept by
    # triggers on claims_appearance (migration 0017), whatever writes them.
    appearance_count = models.PositiveIntegerField(default=1, db_default=1, editable=False)
    # Set when merged into another claim (status "merged"): its address redirects there.
    merged_into = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_claims",
        editable=False,
    )

    history = HistoricalRecords(
        excluded_fields=["search_vector", "statement_sort_key", "updated_at", "appearance_count"]
    )
    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("grade_claim", "Can grade claims (grade, verdict, rationale, GRADE assessment)"),
            ("publish_claim", "Can publish and unpublish claims"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="claim_status_valid"
            ),
            models.CheckConstraint(condition=Q(grade__in=Grade.values), name="claim_grade_valid"),
            models.CheckConstraint(
                condition=Q(verdict__in=Verdict.values), name="claim_verdict_valid"
            ),
            models.CheckConstraint(
                condition=Q(claim_type__in=ClaimType.values), name="claim_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(quote_start__isnull=False, quote_end__isnull=False)
                & Q(quote_end__gt=models.F("quote_start")),
                name="claim_quote_offsets_ordered",
            ),
            models.CheckConstraint(condition=~Q(statement=""), name="claim_statement_not_empty"),
            models.CheckConstraint(condition=~Q(slug=""), name="claim_slug_not_empty"),
            models.CheckConstraint(condition=Q(version__gte=1), name="claim_version_positive"),
            # Merged exactly when it names the claim it went into, never itself.
            models.CheckConstraint(
                condition=Q(status=Status.MERGED, merged_into__isnull=False)
                | (~Q(status=Status.MERGED) & Q(merged_into__isnull=True)),
                name="claim_merged_names_survivor",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=F("id")), name="claim_not_merged_into_itself"
            ),
            # Public claims must be complete: graded, rated and explained.
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED)
                | (~Q(grade=Grade.UNGRADED) & ~Q(verdict=Verdict.UNRATED) & ~Q(rationale="")),
                name="claim_published_is_complete",
            ),
            # Its first publication is part of the public record (ClaimReview datePublished).
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | Q(published_at__isnull=False),
                name="claim_published_has_date",
            ),
        ]
        indexes = [
            # The public list: published claims in the default order (newest first).
            models.Index(fields=["status", "-created_at", "-id"], name="claim_status_created_idx"),
            # Admin work queue and public facet counts.
            models.Index(fields=["status", "grade", "verdict"], name="claim_status_grade_idx"),
            models.Index(fields=["source", "quote_start"], name="claim_source_quote_idx"),
            # ?subject= is exact and case-insensitive.
            models.Index(Lower("subject"), name="claim_subject_lower_idx"),
            # ?sort=claim / ?sort=subject on the public list: ORDER BY the key (by code point)
            # or lower(subject), then id, both directions (a backward scan serves descending).
            models.Index(
                CodepointOrder("statement_sort_key"),
                F("id"),
                name="claim_pub_statement_key_idx",
                condition=Q(status=Status.PUBLISHED),
            ),
            models.Index(
                Lower("subject"),
                F("id"),
                name="claim_pub_subject_sort_idx",
                condition=Q(status=Status.PUBLISHED),
            ),
            # Does a source have published claims, and how many: an index-only probe each
            # (/sources/ asks for every source, to count the pages).
            models.Index(
                fields=["source"],
                name="claim_pub_source_idx",
                condition=Q(status=Status.PUBLISHED),
            ),
            # Is this claim published: an index-only probe by id, without the claim's wide
            # row (a cited work's page asks it of each link it reads, claims.citation_page).
            models.Index(
                fields=["id"], name="claim_published_id_idx", condition=Q(status=Status.PUBLISHED)
            ),
            # Newest publications first (the claims feed, sitemap lastmod) without sorting them all.
            models.Index(
                F("published_at").desc(),
                F("id").desc(),
                name="claim_pub_published_idx",
                condition=Q(status=Status.PUBLISHED),
            ),  # fmt: skip
            # The admin's work queue: its order, read from an index at any page.
            models.Index(work_queue_rank(), F("created_at"), F("id"), name="claim_work_queue_idx"),
            # ?sort=grade / ?sort=verdict order by the scale (high before low), both directions.
            # The column itself is included so that picking a deep page's ids is an index-only
            # scan (the planner wants every column an expression reads in the index).
            models.Index(
                scale_order("grade", Grade),
                F("id"),
                name="claim_pub_grade_sort_idx",
                condition=Q(status=Status.PUBLISHED),
                include=["grade"],
            ),
            models.Index(
                scale_order("verdict", Verdict),
                F("id"),
                name="claim_pub_verdict_sort_idx",
                condition=Q(status=Status.PUBLISHED),
                include=["verdict"],
            ),
            # ?sort=appearances: the most widely made claims first (or last).
            models.Index(
                F("appearance_count"),
                F("id"),
                name="claim_pub_appearances_idx",
                condition=Q(status=Status.PUBLISHED),
            ),
            # ?sort=reviewed_at has two more, PostgreSQL only (NULLS LAST): migration 0004.
        ]

    def __str__(self):
        return Truncator(self.statement).chars(60)

    @classmethod
    def from_db(cls, db, field_names, values):
        claim = super().from_db(db, field_names, values)
        # The first appearance as loaded, so that save() knows whether it moved.
        claim._loaded_quote = claim._quote_key() if set(QUOTE_FIELDS) <= set(field_names) else None
        return claim

    def _quote_key(self) -> tuple:
        return tuple(getattr(self, name) for name in QUOTE_FIELDS)

    def save(self, *args, **kwargs):
        # The slug is an identity, made once from the statement: links must survive later edits
        # of the statement, so it is only ever filled in, never recomputed.
        if not self.slug:
            self.slug = unique_slug(self.statement)
        self.statement_sort_key = sort_key(self.statement)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "statement" in update_fields:
            kwargs["update_fields"] = {*update_fields, "statement_sort_key"}
        adding = self._state.adding
        whole = update_fields is None
        if whole and not adding and not kwargs.get("force_insert"):
            # The number of texts is the database's (triggers, migration 0017): a claim loaded
            # before an appearance was added or moved must not write its old count back.
            # Nor its first appearance's copy, unless this edit changed the quote: the
            # triggers may have moved it to an older text since the claim was loaded.
            kept = {"appearance_count"}
            if getattr(self, "_loaded_quote", None) == self._quote_key():
                kept |= {"source", "quote", "quote_start", "quote_end"}
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in kept
            ]
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if adding or whole or set(update_fields) & set(QUOTE_FIELDS):
            self._keep_first_appearance(adding)

    def _keep_first_appearance(self, adding: bool) -> None:
        """The claim's own quote is its first appearance: create it with the claim, and move it
        when the quote is edited (one query, and none when nothing moved)."""
        from .appearance import Appearance

        key = self._quote_key()
        if not adding and getattr(self, "_loaded_quote", None) == key:
            return
        fields = dict(zip(QUOTE_FIELDS, key, strict=True))
        first = None if adding else self.appearances.oldest_first().first()
        if first is None:
            Appearance.objects.create(claim=self, found_at=self.created_at, **fields)
        else:
            for name, value in fields.items():
                setattr(first, name, value)
            first.save()
        self._loaded_quote = key

    def first_appearance_fields(self) -> dict:
        return dict(zip(QUOTE_FIELDS, self._quote_key(), strict=True))

    def get_absolute_url(self):
        return reverse("claims:claim-detail", args=[self.slug])

    @property
    def grade_choice(self) -> Grade:
        return Grade(self.grade)

    @property
    def verdict_choice(self) -> Verdict:
        return Verdict(self.verdict)

    def quote_context(self, width: int = QUOTE_CONTEXT_WIDTH) -> QuoteContext:
        """The quote inside its paragraph, cut to `width` characters on each side.

        Reads `self.source.text` (select the source with the claim); the claim page reads only
        a window of it (claims.detail). Linear in the paragraph's length, whatever the text.
        """
        return quote_context(self.source.text, 0, self.quote_start, self.quote_end, width)

    def clean(self):
        super().clean()
        if not self.slug and self.statement:
            self.slug = unique_slug(self.statement)
        self.clean_quote()

    def clean_quote(self):
        """Enforce `source.text[quote_start:quote_end] == quote`, locating the quote if needed.

        Offsets count Unicode characters (Python string indices), not bytes.
        """
        if not self.quote or self.source_id is None:
            return  # the field errors (required) say it better
        self.quote_start, self.quote_end = check_quote(
            self.source.text, self.quote, self.quote_start, self.quote_end
        )


def check_quote(text: str, quote: str, start: int | None, end: int | None) -> tuple[int, int]:
    """The offsets of `quote` in `text`: checked when given, located when both are None.

    The one quote rule of claims and their appearances; raises ValidationError naming the fix.
    """
    if start is None and end is None:
        return locate_quote(text, quote)
    if start is None or end is None:
        raise ValidationError(
            "Give both quote offsets, or leave both empty to locate the quote in the source."
        )
    if not 0 <= start < end <= len(text):
        raise ValidationError(
            {
                "quote_end": f"The offsets {start}–{end} fall outside the source text, which "
                f"has {len(text)} characters."
            }
        )
    actual = text[start:end]
    if actual != quote:
        raise ValidationError(
            {
                "quote": f"The quote does not match the source at offsets {start}–{end}: the "
                f"text there is “{Truncator(actual).chars(200)}”. Fix the offsets, or clear "
                "them to locate the quote automatically."
            }
        )
    return start, end


def locate_quote(text: str, quote: str) -> tuple[int, int]:
    """Return (start, end) of `quote` in `text`; refuse a quote found zero or several times."""
    first = text.find(quote)
    if first == -1:
        raise ValidationError(
            {
                "quote": "This quote does not occur in the source text. Copy it exactly, "
                "including punctuation such as curly apostrophes (’) and dashes (—)."
            }
        )
    second = text.find(quote, first + 1)
    if second != -1:
        count = text.count(quote)
        raise ValidationError(
            {
                "quote": f"This quote occurs {count} times in the source text (first at offsets "
                f"{first} and {second}). Quote a longer passage, or give the offsets."
            }
        )
    return first, first + len(quote)


# A parenthesised aside ("Kratom (via its main alkaloid) relieves …") is not the claim.
_ASIDE_RE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")


def slug_base(statement: str) -> str:
    """The normalised statement as an address: asides dropped, cut at a word boundary, room
    left for a "-2" suffix. Only new claims get one: a slug never changes once given."""
    slug = slugify(_ASIDE_RE.sub("", statement)) or slugify(statement)
    limit = SLUG_MAX_LENGTH - 8
    if len(slug) > limit:
        slug = slug[: limit + 1].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    return slug.strip("-") or "claim"


def unique_slug(statement: str) -> str:
    """A slug from the statement, unique among claims ("kratom-aids-hair-regrowth-2")."""
    return unique_slugs([statement], set())[0]


def unique_slugs(statements: list[str], taken: set[str]) -> list[str]:
    """A unique slug for each statement, unique among claims, `taken` and one another.

    One indexed lookup of the bases for all of them; only a base already used is looked up
    again for its numbered forms ("…-2"). `taken` gains the slugs given out.
    """
    bases = [slug_base(statement) for statement in statements]
    used = set(Claim.objects.filter(slug__in=set(bases)).values_list("slug", flat=True))
    for base in used:
        taken |= set(Claim.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slugs = []
    for base in bases:
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        slugs.append(slug)
    return slugs
