"""The /claims/ query string: filters, search and sort, and the one function that applies them.

`select_claims(params)` is the single definition of "the claims /claims/ lists for this query
string, in the page's order". The list view, the CSV export and the export_claims_report
command all call it, so a download always matches the page.
"""

import re

import django_filters
from django import forms
from django.db.models import F, QuerySet
from django.db.models.functions import Lower
from django.http import QueryDict
from django.utils.html import format_html_join

from .columns import PAGE_COLUMNS
from .models import Claim, Source
from .scales import ClaimType, Grade, Verdict, scale_order
from .search import clean_text, search_claims, search_filter

MAX_QUERY_LENGTH = 300
ID_RE = re.compile(r"[0-9]{1,18}")  # ASCII digits only: "²".isdigit() is True, int("²") fails
MAX_VALUES = 50  # repeated values per parameter; more is never a real selection

# Facet choices leave out the scale values a published claim cannot have.
GRADE_CHOICES = [(g.value, g.display) for g in Grade if g != Grade.UNGRADED]
VERDICT_CHOICES = [(v.value, v.label) for v in Verdict if v != Verdict.UNRATED]


# ?sort=<column name> → how to order by it. Names are the table's (claims/columns.py).
# Text sorts ignore case, so SQLite and PostgreSQL collations give the same order.
SCALE_SORTS = {"grade": Grade, "verdict": Verdict}
SORT_FIELDS = {
    column.name: {
        **{name: scale_order(name, scale) for name, scale in SCALE_SORTS.items()},
        "reviewed_at": F("reviewed_at"),
    }.get(column.name, Lower(column.field))
    for column in PAGE_COLUMNS
}
NULLABLE_SORTS = {"reviewed_at"}
SORT_CHOICES = [(name, name) for name in SORT_FIELDS] + [
    (f"-{name}", f"-{name}") for name in SORT_FIELDS
]


def _choice_error(kind: str, choices) -> dict:
    codes = ", ".join(code for code, _ in choices)
    return {
        "invalid_choice": f"“%(value)s” is not a {kind}. Use one of: {codes}.",
        "invalid_list": f"Give the {kind} as a code ({codes}).",
    }


class LimitedMultipleChoiceField(forms.MultipleChoiceField):
    def validate(self, value):
        if len(value) > MAX_VALUES:
            raise forms.ValidationError(f"At most {MAX_VALUES} values, please.")
        super().validate(value)


class LimitedMultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = LimitedMultipleChoiceField

    def __init__(self, *args, **kwargs):
        # No join can repeat a claim here, and DISTINCT would stop PostgreSQL from reading
        # the rows in index order (a full sort instead).
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class MultipleTextInput(forms.TextInput):
    """A text box for the first value of a repeatable parameter; the others ride as hidden."""

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)

    def render(self, name, value, attrs=None, renderer=None):
        values = [v for v in (value if isinstance(value, list) else [value]) if v]
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
    """Source ids; each must be a published source (checked in one query by the filterset)."""

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


class SubjectFilter(django_filters.Filter):
    field_class = SubjectField


class SourceFilter(django_filters.Filter):
    field_class = SourceIdsField


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


def _scale_filter(field_name: str, label: str, kind: str, choices) -> LimitedMultipleChoiceFilter:
    """A repeatable filter over one scale's codes (`?grade=low&grade=very_low` = any of)."""
    return LimitedMultipleChoiceFilter(
        field_name=field_name,
        label=label,
        choices=choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages=_choice_error(kind, choices),
    )


class ClaimFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search claims",
        method="filter_q",
        max_length=MAX_QUERY_LENGTH,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "aria-describedby": "q-hint"}),
        help_text='Words, "an exact phrase", -exclude, or',
        error_messages={
            "max_length": "Your search is too long (%(show_value)d characters). Keep it "
            f"under {MAX_QUERY_LENGTH} characters: a few words work best.",
        },
    )
    grade = _scale_filter("grade", "Evidence grade", "grade", GRADE_CHOICES)
    verdict = _scale_filter("verdict", "Verdict", "verdict", VERDICT_CHOICES)
    claim_type = _scale_filter("claim_type", "Claim type", "claim type", ClaimType.choices)
    subject = SubjectFilter(
        label="Subject", method="filter_subject", help_text="Exact, any case, e.g. kratom"
    )
    source = SourceFilter(label="Source", method="filter_source")
    # Not a filter: the sort order, carried in the form so that filtering keeps it.
    sort = django_filters.ChoiceFilter(
        label="Sort",
        choices=SORT_CHOICES,
        method="filter_nothing",
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": "“%(value)s” is not a column to sort by. Use one of: "
            + ", ".join(SORT_FIELDS)
            + " (with a leading - for descending)."
        },
    )

    class Meta:
        model = Claim
        fields = ["q", "grade", "verdict", "claim_type", "subject", "source"]
        form = ClaimFilterForm

    _form_class = None

    def get_form_class(self):
        """The form class, built once per process: django-filter builds a new class from the
        filters' fields on every request, and the fields never change."""
        cls = type(self)
        if cls.__dict__.get("_form_class") is None:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def filter_q(self, queryset, name, value):
        return search_filter(queryset, value)

    def filter_subject(self, queryset, name, value):
        if not value:
            return queryset
        # Lower() matches the claim_subject_lower_idx expression index.
        return queryset.alias(subject_lower=Lower("subject")).filter(
            subject_lower__in=[v.lower() for v in value]
        )

    def filter_source(self, queryset, name, value):
        return queryset.filter(source_id__in=value) if value else queryset

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset, exclude=()):
        """Apply every filter except those named in `exclude` (for the facet counts)."""
        for name, value in self.form.cleaned_data.items():
            if name in exclude:
                continue
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def error_messages(self) -> list[str]:
        """Every problem with the query string, as sentences a reader can act on."""
        messages = []
        for name, errors in self.form.errors.items():
            label = self.form.fields[name].label if name in self.form.fields else name
            for error in errors:
                messages.append(f"{label}: {error}")
        return messages


def published_claims() -> QuerySet:
    """The public list's base rows: published claims with their source title, texts deferred."""
    return (
        Claim.objects.published()
        .select_related("source")
        .defer("source__text", "source__note", "search_vector")
    )


def parse_id(raw: str | None) -> int | None:
    """A database id written as plain ASCII digits (at most 18 of them), else None."""
    raw = (raw or "").strip()
    return int(raw) if ID_RE.fullmatch(raw) else None


def select_claims(params: QueryDict) -> tuple[QuerySet, ClaimFilter]:
    """Return exactly the claims /claims/?<params> lists, in the page's order, and the filterset.

    Order: by `?sort=` (a column name, `-` for descending; ties by id in the same direction),
    else by relevance when `q` is given, else newest first; always with the id last, so pages
    and exports never repeat or drop a row. When the query string is invalid, the queryset is empty and
    `filterset.error_messages` says why (the page shows them; the export answers 400).
    """
    filterset = ClaimFilter(params, queryset=published_claims())
    if not filterset.is_valid():
        return filterset.queryset.none(), filterset
    queryset = filterset.qs
    text = clean_text(filterset.form.cleaned_data.get("q") or "")
    sort = filterset.form.cleaned_data.get("sort") or ""
    if sort:
        name = sort.lstrip("-")
        expression = SORT_FIELDS[name]
        # Ties go in the sort's direction (id ASC / id DESC) and NULLs last only where a
        # column has them, so each ORDER BY matches a claim_pub_*_sort index exactly.
        nulls = {"nulls_last": True} if name in NULLABLE_SORTS else {}
        chosen = filterset.form.cleaned_data.get(name) if name in SCALE_SORTS else None
        if chosen:
            # Sorted by a scale and filtered on it: say the filter in the sort index's terms
            # too, or the index scan walks every claim of the other grades before the first
            # match (0.2 s at a million claims). Same rows.
            scale = SCALE_SORTS[name]
            positions = [i for i, member in enumerate(scale) if member.value in chosen]
            queryset = queryset.alias(scale_position=expression).filter(
                scale_position__in=positions
            )
        if sort.startswith("-"):
            queryset = queryset.order_by(expression.desc(**nulls), "-pk")
        else:
            queryset = queryset.order_by(expression.asc(**nulls), "pk")
    elif text:
        queryset = search_claims(queryset, text)
    else:
        queryset = queryset.order_by("-created_at", "-pk")
    return queryset, filterset
