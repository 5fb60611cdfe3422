import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html_join

from . import services
from .models import (
    MAX_REPORT_LENGTH,
    Citation,
    Claim,
    Source,
    normalize_doi,
    validate_doi,
    validate_no_nul,
    validate_pmid,
)

_PMID_PREFIX_RE = re.compile(
    r"^(?:pmid:?\s*|https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/)",
    re.IGNORECASE,
)


class RevisionFields(forms.Form):
    """What a change form of public content adds: the open revision's version the user
    started from (`instance.open_revision`, set by the admin), and an editor's public note."""

    revision_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    public_note = forms.CharField(
        label="Public note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="For an editor who approves or publishes this change: shown to readers in "
        "the corrections log. Required when a claim's grade or verdict changes (a "
        "correction); say what changed and why.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        revision = getattr(self.instance, "open_revision", None)
        self.fields["revision_version"].initial = revision.version if revision else None

    def check_revision_version(self, cleaned: dict) -> None:
        """Refuse, keeping the input, a save over a revision that changed since the page was
        opened (the revision's service checks again under its lock)."""
        if not hasattr(self.instance, "open_revision"):
            return
        revision = self.instance.open_revision
        current = revision.version if revision else None
        if cleaned.get("revision_version") != current:
            self.data = self.data.copy()
            self.data[self.add_prefix("revision_version")] = current
            raise ValidationError(
                "Not saved: the pending revision changed after you opened this page (see it "
                "above). Your input is kept below: save again to replace that revision with "
                "yours, or reload the page to start from it.",
                code="stale_revision",
            )


class ClaimAdminForm(RevisionFields, forms.ModelForm):
    """The claim change form, with the optimistic-locking versions the user started from: the
    claim's, and (on a published claim) its open revision's."""

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
        # Multi-line, so a 300-character statement reads whole; stored as one line.
        widgets = {"statement": forms.Textarea(attrs={"rows": 3, "cols": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def clean_statement(self):
        return " ".join(self.cleaned_data["statement"].split())

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
        self.check_revision_version(cleaned)
        return cleaned


class CitationForm(RevisionFields, forms.ModelForm):
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

    def clean(self):
        cleaned = super().clean()
        self.check_revision_version(cleaned)
        return cleaned

    def clean_pmid(self):
        pmid = _PMID_PREFIX_RE.sub("", (self.cleaned_data.get("pmid") or "").strip()).strip("/ ")
        validate_pmid(pmid)
        return pmid


class ProposalFormSet(BaseInlineFormSet):
    """An inline that, on a published claim, starts from the proposal (its rows as `initial`)
    and is never saved: its rows become the revision.

    Such rows are all "new" rows, and the admin's remove link renumbers the ones after a
    removed row, so a row's initial values say nothing about it: a row counts when its
    `key_field` is filled, and is left out when it is empty. A row may name the same work as
    a live link (the live links are not this form's business).
    """

    key_field = "citation"

    def __init__(self, *args, proposing: bool = False, **kwargs):
        self.proposing = proposing
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.proposing:
            form.validate_unique = lambda: None
            if form.is_bound:
                key = form.add_prefix(self.key_field)
                form.has_changed = lambda: bool(form.data.get(key))
        return form


class AssessmentFormSet(ProposalFormSet):
    """Checks the grade against the computed certainty before anything is saved, so a grade
    that contradicts the assessment comes back as a message on the form, not a refusal after
    it. `self.instance` is the claim with the main form's values already applied.
    """

    key_field = "evidence_base"

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


# --- the /claims/ filters' form (claims/filters.py) ------------------------------------------

ID_RE = re.compile(r"[0-9]{1,18}")  # ASCII digits only: "²".isdigit() is True, int("²") fails
MAX_VALUES = 50  # repeated values per parameter; more is never a real selection


class LimitedMultipleChoiceField(forms.MultipleChoiceField):
    def validate(self, value):
        if len(value) > MAX_VALUES:
            raise forms.ValidationError(f"At most {MAX_VALUES} values, please.")
        super().validate(value)


class MultipleTextInput(forms.TextInput):
    """A text box for the first value of a repeatable parameter; the others ride as hidden."""

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)

    def render(self, name, value, attrs=None, renderer=None):
        values = list(
            dict.fromkeys(v for v in (value if isinstance(value, list) else [value]) if v)
        )
        box = super().render(name, values[0] if values else None, attrs, renderer)
        hidden = format_html_join(
            "", '<input type="hidden" name="{}" value="{}">', ((name, v) for v in values[1:])
        )
        return box + hidden


class SubjectField(forms.Field):
    widget = MultipleTextInput

    def to_python(self, value):
        values = value if isinstance(value, list) else [value] if value else []
        return [v.strip() for v in values if v and v.strip()]

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_VALUES:
            raise forms.ValidationError(f"At most {MAX_VALUES} subjects, please.")
        for subject in value:
            if "\x00" in subject or len(subject) > 100:
                raise forms.ValidationError(
                    "A subject is a short name such as “kratom” (at most 100 characters)."
                )


class SourceIdsField(forms.Field):
    """Source ids; each must be a published source (checked in one query by the form)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list) else [value] if value else []
        ids = []
        for raw in values:
            raw = (raw or "").strip()
            if not raw:
                continue
            if not ID_RE.fullmatch(raw):
                raise forms.ValidationError(
                    f"“{raw[:40]}” is not a source number: use the id from a source page "
                    "(/sources/<id>/)."
                )
            ids.append(int(raw))
        if len(ids) > MAX_VALUES:
            raise forms.ValidationError(f"At most {MAX_VALUES} sources, please.")
        return ids


class ClaimFilterForm(forms.Form):
    """Checks the source ids against the published sources in one query."""

    sources: list[Source] = []

    def clean(self):
        cleaned = super().clean()
        ids = cleaned.get("source") or []
        self.sources = []
        if ids:
            published = Source.objects.with_published_claims().only("pk", "title")
            found = {s.pk: s for s in published.filter(pk__in=ids)}
            missing = [i for i in ids if i not in found]
            if missing:
                self.add_error(
                    "source",
                    f"There is no published source with id {missing[0]}. "
                    "See /sources/ for the sources we cover.",
                )
            self.sources = [found[i] for i in ids if i in found]
        return cleaned


# --- a reader's error report -----------------------------------------------------------------


class ErrorReportForm(forms.Form):
    """What a reader sends about a claim's page. `website` is a honeypot: people leave it empty
    (it is hidden from them), form-filling robots fill it in."""

    text = forms.CharField(
        label="What is wrong?",
        max_length=MAX_REPORT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text="Say what is wrong and, if you can, where the evidence is (a link or a "
        f"reference). At most {MAX_REPORT_LENGTH:,} characters.",
        error_messages={
            "required": "Write what is wrong, please: the report is empty.",
            "max_length": "Your report is too long (%(show_value)d characters). Keep it under "
            f"{MAX_REPORT_LENGTH:,} characters, or link to a longer text.",
        },
    )
    email = forms.EmailField(
        label="Your email (optional)",
        required=False,
        help_text="Only if you want an answer. The editors see it; it is never published.",
        error_messages={"invalid": "This is not an email address; leave it empty if you like."},
    )
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_text(self):
        text = self.cleaned_data["text"]
        validate_no_nul(text)
        return text

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise ValidationError(
                "This report was not sent: a field that people leave empty was filled in."
            )
        return ""
