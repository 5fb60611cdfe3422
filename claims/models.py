import re

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator, slugify
from simple_history.models import HistoricalRecords

from . import grading
from .scales import (
    ClaimType,
    EvidenceBase,
    Grade,
    LargeEffect,
    RateDown,
    RateUp,
    SourceKind,
    Stance,
    Status,
    StudyDesign,
    Verdict,
    scale_order,
)

DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
PMID_RE = re.compile(r"^[1-9]\d{0,9}$")
SLUG_MAX_LENGTH = 80
# PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded as UTF-8 at all:
# refuse both everywhere, with a message, before the database does it with an error.
_NUL_RE = re.compile(r"\x00")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


def normalize_doi(value: str) -> str:
    """Return the bare, lowercase DOI ("10.1000/xyz") from a DOI, `doi:` or doi.org URL.

    DOIs are case-insensitive by definition, so lowercase is the canonical stored form and the
    unique constraint then catches the same work pasted twice in different cases.
    """
    value = (value or "").strip()
    value = _DOI_PREFIX_RE.sub("", value).strip()
    return value.lower()


def validate_doi(value: str) -> None:
    if value and not DOI_RE.match(value):
        raise ValidationError(
            "%(value)r is not a DOI: expected something like 10.1016/j.drugalcdep.2019.05.005 "
            "(a https://doi.org/… link is accepted too).",
            code="invalid_doi",
            params={"value": value},
        )


def validate_pmid(value: str) -> None:
    if value and not PMID_RE.match(value):
        raise ValidationError(
            "%(value)r is not a PubMed ID: expected digits only, such as 31284119.",
            code="invalid_pmid",
            params={"value": value},
        )


def validate_no_nul(value: str) -> None:
    """Refuse text that no database can store: NUL characters and lone surrogates."""
    if not value or not isinstance(value, str):
        return
    if _NUL_RE.search(value):
        raise ValidationError(
            "This text contains a null character (\\x00), which cannot be stored. "
            "Remove it and try again.",
            code="null_character",
        )
    if _SURROGATE_RE.search(value):
        raise ValidationError(
            "This text contains an invalid character (a lone UTF-16 surrogate, "
            "U+D800–U+DFFF), which cannot be stored. Paste the text again from its source.",
            code="invalid_character",
        )


class TimeStamped(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        """Also refuse unstorable characters in text fields without their own validator (URLs)."""
        try:
            super().clean_fields(exclude=exclude)
            errors = {}
        except ValidationError as error:
            errors = error.error_dict
        for field in self._meta.concrete_fields:
            if (
                not isinstance(field, models.CharField | models.TextField)
                or validate_no_nul in field.validators
                or field.name in errors
                or (exclude and field.name in exclude)
            ):
                continue
            try:
                validate_no_nul(getattr(self, field.attname))
            except ValidationError as error:
                errors[field.name] = error.error_list
        if errors:
            raise ValidationError(errors)


class SourceQuerySet(models.QuerySet):
    def with_published_claims(self):
        """Sources that at least one published claim quotes: the only ones the public sees."""
        return self.filter(
            models.Exists(
                Claim.objects.filter(source=models.OuterRef("pk"), status=Status.PUBLISHED)
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
        if self.pk is None:
            return
        # A claim's quote is addressed by offsets into this text: an edit that moves or changes
        # a quoted passage would silently make the claim quote something else.
        broken = [
            claim
            for claim in Claim.objects.filter(source_id=self.pk).only(
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
    # Optimistic locking: every save through a service bumps it; a save that started from an
    # older version is refused (see services.StaleEdit).
    version = models.PositiveIntegerField(default=1, editable=False)
    citations = models.ManyToManyField("Citation", through="Evidence", related_name="claims")
    # Filled by a PostgreSQL trigger (migration 0002); stays NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search_vector", "updated_at"])
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
            # Public claims must be complete: graded, rated and explained.
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED)
                | (~Q(grade=Grade.UNGRADED) & ~Q(verdict=Verdict.UNRATED) & ~Q(rationale="")),
                name="claim_published_is_complete",
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
            # ?sort=claim / ?sort=subject on the public list: ORDER BY lower(col), id, both
            # directions (a backward scan serves the descending sort).
            models.Index(
                Lower("statement"),
                F("id"),
                name="claim_pub_statement_sort_idx",
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
            # ?sort=reviewed_at has two more, PostgreSQL only (NULLS LAST): migration 0004.
        ]

    def __str__(self):
        return Truncator(self.statement).chars(60)

    def save(self, *args, **kwargs):
        # The slug is an identity, made once from the statement: links must survive later edits
        # of the statement, so it is only ever filled in, never recomputed.
        if not self.slug:
            self.slug = unique_slug(self.statement)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("claims:claim-detail", args=[self.slug])

    @property
    def grade_choice(self) -> Grade:
        return Grade(self.grade)

    @property
    def verdict_choice(self) -> Verdict:
        return Verdict(self.verdict)

    @property
    def is_public(self) -> bool:
        return self.status == Status.PUBLISHED

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
        text = self.source.text
        if self.quote_start is None and self.quote_end is None:
            self.quote_start, self.quote_end = locate_quote(text, self.quote)
            return
        if self.quote_start is None or self.quote_end is None:
            raise ValidationError(
                "Give both quote offsets, or leave both empty to locate the quote in the source."
            )
        if not 0 <= self.quote_start < self.quote_end <= len(text):
            raise ValidationError(
                {
                    "quote_end": f"The offsets {self.quote_start}–{self.quote_end} fall outside "
                    f"the source text, which has {len(text)} characters."
                }
            )
        actual = text[self.quote_start : self.quote_end]
        if actual != self.quote:
            raise ValidationError(
                {
                    "quote": f"The quote does not match the source at offsets "
                    f"{self.quote_start}–{self.quote_end}: the text there is “"
                    f"{Truncator(actual).chars(200)}”. Fix the offsets, or clear them to "
                    "locate the quote automatically."
                }
            )


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


def unique_slug(statement: str) -> str:
    """A slug from the statement, unique among claims ("kratom-aids-hair-regrowth-2")."""
    base = slugify(statement)[: SLUG_MAX_LENGTH - 8].strip("-") or "claim"
    taken = set(Claim.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


class Citation(TimeStamped):
    title = models.CharField(max_length=500, validators=[validate_no_nul])
    authors = models.CharField(
        max_length=1000,
        blank=True,
        help_text="As the work lists them.",
        validators=[validate_no_nul],
    )
    year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1600), MaxValueValidator(2100)],
        help_text="Leave empty when unknown.",
    )
    venue = models.CharField(max_length=300, blank=True, validators=[validate_no_nul])
    doi = models.CharField(
        "DOI",
        max_length=255,
        blank=True,
        validators=[validate_doi],
        help_text="Bare (10.1016/…) or as a https://doi.org/… link; stored bare and lowercase.",
    )
    pmid = models.CharField("PMID", max_length=10, blank=True, validators=[validate_pmid])
    url = models.URLField("URL", max_length=2000, blank=True)
    study_design = models.CharField(max_length=24, choices=StudyDesign)
    design_note = models.CharField(
        max_length=300,
        blank=True,
        help_text="Required when the design is “Other”: say what kind of evidence it is.",
        validators=[validate_no_nul],
    )
    is_retracted = models.BooleanField("retracted", default=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["doi"], condition=~Q(doi=""), name="citation_doi_unique"
            ),
            models.UniqueConstraint(
                fields=["pmid"], condition=~Q(pmid=""), name="citation_pmid_unique"
            ),
            models.CheckConstraint(
                condition=Q(doi="") | (Q(doi__startswith="10.") & Q(doi=Lower("doi"))),
                name="citation_doi_normalised",
            ),
            models.CheckConstraint(
                condition=Q(study_design__in=StudyDesign.values), name="citation_design_valid"
            ),
            models.CheckConstraint(
                condition=~Q(study_design=StudyDesign.OTHER) | ~Q(design_note=""),
                name="citation_other_design_has_note",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="citation_title_not_empty"),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1600, year__lte=2100),
                name="citation_year_plausible",
            ),
        ]

    def __str__(self):
        year = self.year or "n.d."
        lead = (
            self.authors.split(",")[0].strip() if self.authors else Truncator(self.title).chars(60)
        )
        return f"{lead} ({year}) {Truncator(self.title).chars(60)}"

    def clean_fields(self, exclude=None):
        self.doi = normalize_doi(self.doi)
        self.pmid = (self.pmid or "").strip()
        super().clean_fields(exclude=exclude)

    def clean(self):
        super().clean()
        if self.study_design == StudyDesign.OTHER and not self.design_note.strip():
            raise ValidationError(
                {"design_note": "Say what kind of evidence this is when the design is “Other”."}
            )

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""

    @property
    def reference(self) -> str:
        """`Authors (Year) DOI-or-URL`, the form the CSV report lists citations in."""
        return citation_reference(
            authors=self.authors, title=self.title, year=self.year, doi=self.doi, url=self.url
        )


def citation_reference(*, authors: str, title: str, year: int | None, doi: str, url: str) -> str:
    """`Authors (Year) DOI-or-URL`: title when no authors, `n.d.` when no year, bare DOI.

    From plain values, so the CSV's generic writer can use it without model instances (the
    PostgreSQL writer builds the same text in SQL, migration 0005).
    """
    link = doi or url
    reference = f"{authors or title} ({year or 'n.d.'})"
    return f"{reference} {link}" if link else reference


class Evidence(TimeStamped):
    """A citation bearing on one claim, with its stance on that claim."""

    claim = models.ForeignKey(Claim, models.CASCADE, related_name="evidence")
    citation = models.ForeignKey(
        Citation,
        models.PROTECT,  # a citation in use is part of a published evidence trail
        related_name="evidence",
    )
    stance = models.CharField(max_length=16, choices=Stance)
    finding = models.TextField(
        blank=True,
        help_text="One line: what this work found that bears on the claim.",
        validators=[validate_no_nul],
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["claim", "pk"]
        verbose_name_plural = "evidence"
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "citation"], name="evidence_claim_citation_unique"
            ),
            models.CheckConstraint(
                condition=Q(stance__in=Stance.values), name="evidence_stance_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_stance_display()}: {self.citation}"


class GradeAssessment(TimeStamped):
    """A structured GRADE assessment of the body of evidence for one claim.

    When a claim has one, its computed certainty decides the claim's grade, unless the reviewer
    overrides it and says why.
    """

    claim = models.OneToOneField(Claim, models.CASCADE, related_name="assessment")
    evidence_base = models.CharField(
        "starting level", max_length=16, choices=EvidenceBase, default=EvidenceBase.OBSERVATIONAL
    )
    risk_of_bias = models.SmallIntegerField(choices=RateDown, default=RateDown.NOT_SERIOUS)
    risk_of_bias_note = models.TextField(blank=True, validators=[validate_no_nul])
    inconsistency = models.SmallIntegerField(choices=RateDown, default=RateDown.NOT_SERIOUS)
    inconsistency_note = models.TextField(blank=True, validators=[validate_no_nul])
    indirectness = models.SmallIntegerField(choices=RateDown, default=RateDown.NOT_SERIOUS)
    indirectness_note = models.TextField(blank=True, validators=[validate_no_nul])
    imprecision = models.SmallIntegerField(choices=RateDown, default=RateDown.NOT_SERIOUS)
    imprecision_note = models.TextField(blank=True, validators=[validate_no_nul])
    publication_bias = models.SmallIntegerField(choices=RateDown, default=RateDown.NOT_SERIOUS)
    publication_bias_note = models.TextField(blank=True, validators=[validate_no_nul])
    large_effect = models.SmallIntegerField(choices=LargeEffect, default=LargeEffect.NONE)
    large_effect_note = models.TextField(blank=True, validators=[validate_no_nul])
    dose_response = models.SmallIntegerField(choices=RateUp, default=RateUp.NO)
    dose_response_note = models.TextField(blank=True, validators=[validate_no_nul])
    plausible_confounding = models.SmallIntegerField(choices=RateUp, default=RateUp.NO)
    plausible_confounding_note = models.TextField(blank=True, validators=[validate_no_nul])
    override_reason = models.TextField(
        blank=True,
        help_text="Required when the claim's grade differs from the computed certainty.",
        validators=[validate_no_nul],
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["claim", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(evidence_base__in=EvidenceBase.values),
                name="assessment_base_valid",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{domain}__in": RateDown.values}),
                    name=f"assessment_{domain}_valid",
                )
                for domain in grading.DOWN_DOMAINS
            ],
            models.CheckConstraint(
                condition=Q(large_effect__in=LargeEffect.values),
                name="assessment_large_effect_valid",
            ),
            models.CheckConstraint(
                condition=Q(dose_response__in=RateUp.values),
                name="assessment_dose_response_valid",
            ),
            models.CheckConstraint(
                condition=Q(plausible_confounding__in=RateUp.values),
                name="assessment_confounding_valid",
            ),
        ]

    def __str__(self):
        return f"GRADE assessment: {self.claim}"

    @property
    def computed_grade(self) -> Grade:
        return grading.compute_certainty(
            evidence_base=self.evidence_base,
            **{d: getattr(self, d) for d in (*grading.DOWN_DOMAINS, *grading.UP_DOMAINS)},
        )
