import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from . import services
from .models import Citation, Claim, normalize_doi, validate_doi, validate_pmid

_PMID_PREFIX_RE = re.compile(
    r"^(?:pmid:?\s*|https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/)",
    re.IGNORECASE,
)


class ClaimAdminForm(forms.ModelForm):
    """The claim change form, with the optimistic-locking version the editor started from."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Claim
        fields = (
            "statement",
            "subject",
            "outcome",
            "claim_type",
            "source",
            "quote",
            "quote_start",
            "quote_end",
            "grade",
            "verdict",
            "rationale",
        )
        widgets = {"statement": forms.TextInput(attrs={"class": "vTextField", "size": 90})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        seen = cleaned.get("seen_version")
        if seen is None:
            raise ValidationError("The form lost track of the claim's version; reload the page.")
        try:
            services.check_version(claim=self.instance, seen_version=seen)
        except services.StaleEdit as stale:
            # Saving again now overwrites their version knowingly: the user has seen the diff.
            self.data = self.data.copy()
            self.data[self.add_prefix("seen_version")] = stale.claim.version
            raise ValidationError(
                f"Not saved: {stale.message} Your input is kept below. Compare it with their "
                "changes, then save again to replace them with yours, or reload the page to "
                "start from their version.",
                code="stale_edit",
            ) from None
        return cleaned


class CitationForm(forms.ModelForm):
    """A DOI may be pasted as `10.x/…`, `doi:10.x/…` or a doi.org link; a PMID as digits,
    `PMID: 123` or a PubMed link. Both are stored bare."""

    # Longer than the stored PMID so a pasted "PMID: 123" or PubMed link reaches clean_pmid.
    pmid = forms.CharField(label="PMID", max_length=100, required=False)
    url = forms.URLField(label="URL", max_length=2000, required=False, assume_scheme="https")

    class Meta:
        model = Citation
        fields = (
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

    def clean_doi(self):
        doi = normalize_doi(self.cleaned_data.get("doi", ""))
        validate_doi(doi)
        return doi

    def clean_pmid(self):
        pmid = _PMID_PREFIX_RE.sub("", (self.cleaned_data.get("pmid") or "").strip()).strip("/ ")
        validate_pmid(pmid)
        return pmid


class AssessmentFormSet(BaseInlineFormSet):
    """Checks the grade against the computed certainty before anything is saved, so a grade
    that contradicts the assessment comes back as a message on the form, not a refusal after
    it. `self.instance` is the claim with the main form's values already applied.
    """

    def clean(self):
        super().clean()
        for form in self.forms:
            if not form.is_valid() or (not form.has_changed() and not form.instance.pk):
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            assessment = form.instance  # holds the submitted values once the form is valid
            try:
                services.assessed_grade(claim=self.instance, assessment=assessment)
            except ValidationError as error:
                form.add_error("override_reason", error.message_dict["grade"])
