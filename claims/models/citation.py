from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.text import Truncator
from simple_history.models import HistoricalRecords

from ..scales import RetractionStatus, Stance, StudyDesign
from .base import TimeStamped, normalize_doi, validate_doi, validate_no_nul, validate_pmid


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
    # The latest notice on the work, as import_retractions (or a Crossref look-up) found it.
    # db_default too: bulk loaders that COPY only the older columns still fill them.
    retraction_status = models.CharField(
        "notice", max_length=16, choices=RetractionStatus, blank=True, default="", db_default=""
    )
    retraction_date = models.DateField("notice date", null=True, blank=True)
    retraction_notice_doi = models.CharField(
        "notice DOI",
        max_length=255,
        blank=True,
        default="",
        db_default="",
        validators=[validate_no_nul],
    )
    retraction_reasons = models.TextField(
        "notice reasons", blank=True, default="", db_default="", validators=[validate_no_nul]
    )

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
                condition=Q(retraction_status__in=RetractionStatus.values),
                name="citation_retraction_status_valid",
            ),
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

    claim = models.ForeignKey("Claim", models.CASCADE, related_name="evidence")
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
        indexes = [
            # A cited work's public page: its claims by stance, a page at a time (10,000+).
            models.Index(fields=["citation", "stance", "claim"], name="evidence_citation_page_idx"),
        ]
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
