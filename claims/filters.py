"""The /claims/ query string: the filter registry, and `select_claims()`, the one selection.

Each filter is declared once, in `FILTERS`: its parameter, the values it takes, how it narrows
the claims queryset, and how it reads in the terms of the PostgreSQL side tables
(claims/sidetables.py). The filterset, the counts and the bounded search all read these
declarations, so a filter cannot be applied by one and forgotten by another; one declared
without its side-table form fails the system check `claims.E001`.

`select_claims(params)` is the single definition of "the claims /claims/ lists for this query
string, in the page's order". The page (claims/listing.py), the CSV export and the
export_claims_report command all call it, so a download always matches the page.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core import checks
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import QueryDict

from . import grading
from .columns import PAGE_COLUMNS
from .forms import (
    ID_RE,
    ClaimFilterForm,
    LimitedMultipleChoiceField,
    SourceIdsField,
    SubjectField,
)
from .models import Appearance, Claim, Source
from .scales import ClaimType, Grade, Verdict, scale_order
from .search import clean_text, search_claims, search_filter, validate_term_count
from .text import CodepointOrder, Lowered

MAX_QUERY_LENGTH = 300
# Where a page is in the selection: not part of the selection itself.
# `n` rides with `after`: the page number a Next link expects (checked before it is shown).
POSITION_PARAMS = ("page", "after", "before", "n")


# --- the registry ---------------------------------------------------------------------------

# The side tables have a count column for this filter? No: count it on the claims table.
COUNT_CLAIMS = None


@dataclass(frozen=True)
class SideTables:
    """How a filter reads in the PostgreSQL side tables (migration 0004).

    `tag`: the prefix of its values' lexemes in `claims_searchdoc.tags` ("g:" → "g:low"), which
    the bounded search matches in the same index as the words. `count_column`: its column in
    `claims_facetcount`, or COUNT_CLAIMS when the counts must read the claims table instead
    (a column per value would multiply the count rows; the claims table has an index for it).
    """

    tag: str
    count_column: str | None
    # The count table that has `count_column`, when it is not claims_facetcount's; with
    # `bits`, the column holds one bit per code, in `choices` order ("any of" is a mask).
    count_table: str = ""
    bits: bool = False


@dataclass(frozen=True)
class ListFilter:
    """One /claims/ filter: `?<param>=<value>`, repeatable to mean "any of"."""

    param: str
    label: str
    field: str  # the claim column it compares
    kind: str = ""  # what one value is, for messages ("grade", "claim type")
    choices: tuple[tuple[str, str], ...] | None = None  # its codes; None: free values
    form_field: type[forms.Field] | None = None  # for free values
    casefold: bool = False  # compared ignoring case, on both sides, by the database
    faceted: bool = False  # the page counts each of its codes (grade, verdict)
    side: SideTables | None = None
    help_text: str = ""
    narrow_with: Callable[[QuerySet, list], QuerySet] | None = field(default=None, compare=False)

    def narrow(self, queryset: QuerySet, values: list) -> QuerySet:
        """`queryset` keeping the claims whose `field` is any of `values`."""
        if not values:
            return queryset
        if self.narrow_with is not None:
            return self.narrow_with(queryset, values)
        if self.casefold:
            # LOWER() on the column is the expression its index holds (claim_subject_lower_idx);
            # Lowered makes SQLite lower-case "Ä" as PostgreSQL and Python do.
            alias = f"{self.field}_casefold"
            return queryset.alias(**{alias: Lowered(self.field)}).filter(
                **{f"{alias}__in": [value.lower() for value in values]}
            )
        return queryset.filter(**{f"{self.field}__in": values})

    def side_value(self, value) -> str:
        """A value as the side tables store it (lower-cased where the filter ignores case)."""
        return str(value).lower() if self.casefold else str(value)

    def form_field_instance(self) -> forms.Field:
        if self.choices is None:
            return self.form_field(label=self.label, required=False, help_text=self.help_text)
        codes = ", ".join(code for code, _ in self.choices)
        return LimitedMultipleChoiceField(
            label=self.label,
            required=False,
            choices=self.choices,
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "invalid_choice": f"“%(value)s” is not a {self.kind}. Use one of: {codes}.",
                "invalid_list": f"Give the {self.kind} as a code ({codes}).",
            },
        )


# Facet choices leave out the scale values a published claim cannot have.
GRADE_CHOICES = tuple((g.value, g.display) for g in Grade if g != Grade.UNGRADED)
VERDICT_CHOICES = tuple((v.value, v.label) for v in Verdict if v != Verdict.UNRATED)

FILTERS: tuple[ListFilter, ...] = (
    ListFilter(
        "grade",
        "Evidence grade",
        "grade",
        kind="grade",
        choices=GRADE_CHOICES,
        faceted=True,
        side=SideTables(tag="g:", count_column="grade"),
    ),
    ListFilter(
        "verdict",
        "Verdict",
        "verdict",
        kind="verdict",
        choices=VERDICT_CHOICES,
        faceted=True,
        side=SideTables(tag="v:", count_column="verdict"),
    ),
    ListFilter(
        "claim_type",
        "Claim type",
        "claim_type",
        kind="claim type",
        choices=tuple(ClaimType.choices),
        side=SideTables(tag="t:", count_column="claim_type"),
    ),
    ListFilter(
        "subject",
        "Subject",
        "subject",
        form_field=SubjectField,
        casefold=True,
        help_text="Exact, any case, e.g. kratom",
        side=SideTables(tag="s:", count_column="subject_lower"),
    ),
    ListFilter(
        "source",
        "Source",
        "source_id",
        form_field=SourceIdsField,
        help_text="Claims made in this text (any of its appearances)",
        # Tags hold 'src:<id>' for every text a claim appears in (migration 0017).
        side=SideTables(tag="src:", count_column=COUNT_CLAIMS),
        narrow_with=lambda queryset, ids: queryset.filter(appears_in_q(ids)),
    ),
    ListFilter(
        "rated_down",
        "Rated down for",
        "assessment",
        kind="GRADE domain",
        choices=tuple((domain, grading.DOMAIN_LABELS[domain]) for domain in grading.DOWN_DOMAINS),
        help_text="Claims whose GRADE assessment rated the evidence down for this reason",
        # The search table's tags hold 'rd:<domain>' for each domain rated down (migration
        # 0012's triggers on the assessments); the counts, a mask of them (migration 0020).
        side=SideTables(
            tag="rd:", count_column="rated_down", count_table="claims_rateddowncount", bits=True
        ),
        narrow_with=lambda queryset, domains: queryset.filter(rated_down_q(domains)),
    ),
)


def appears_in_q(source_ids) -> Q:
    """Claims with an appearance in any of the sources `source_ids`."""
    return Q(Exists(Appearance.objects.filter(claim=OuterRef("pk"), source__in=source_ids)))


def rated_down_q(domains) -> Q:
    """Claims whose GRADE assessment rated the evidence down for any of `domains`."""
    condition = Q()
    for domain in domains:
        condition |= Q(**{f"assessment__{domain}__lt": 0})
    return condition


def filter_problems(filters) -> list[str]:
    """What keeps each declared filter from working on every path, by name."""
    problems = []
    seen = set()
    for spec in filters:
        if spec.param in seen:
            problems.append(f"filter {spec.param!r} is declared twice")
        seen.add(spec.param)
        if spec.side is None:
            problems.append(
                f"filter {spec.param!r} has no side-table form: declare how the search table "
                "(its tag) and the count table (its column, or COUNT_CLAIMS) read it"
            )
        if spec.choices is None and spec.form_field is None:
            problems.append(f"filter {spec.param!r} takes neither codes nor a form field")
    return problems


@checks.register()
def check_filters(app_configs=None, **kwargs):
    return [checks.Error(problem, id="claims.E001") for problem in filter_problems(FILTERS)]


def filters_by_param() -> dict[str, ListFilter]:
    return {spec.param: spec for spec in FILTERS}


# --- sorting ---------------------------------------------------------------------------------

# ?sort=<column name> → how to order by it. Names are the table's (claims/columns.py).
# Text sorts ignore case. The claim sorts by its stored key (accents removed too), by code
# point, so that SQLite and PostgreSQL give the same order whatever the collation.
SCALE_SORTS = {"grade": Grade, "verdict": Verdict}
SORT_FIELDS = {
    column.name: {
        **{name: scale_order(name, scale) for name, scale in SCALE_SORTS.items()},
        "reviewed_at": F("reviewed_at"),
        "appearances": F("appearance_count"),
        "claim": CodepointOrder(F("statement_sort_key")),
    }.get(column.name, Lowered(column.field))
    for column in PAGE_COLUMNS
}
NULLABLE_SORTS = {"reviewed_at"}
SORT_CHOICES = [(name, name) for name in SORT_FIELDS] + [
    (f"-{name}", f"-{name}") for name in SORT_FIELDS
]


# --- the filterset ---------------------------------------------------------------------------


class RegisteredFilter(django_filters.Filter):
    """A django-filter Filter that applies one ListFilter."""

    def __init__(self, spec: ListFilter):
        self.spec = spec
        super().__init__(field_name=spec.field, label=spec.label)

    @property
    def field(self):
        if not hasattr(self, "_field"):
            self._field = self.spec.form_field_instance()
        return self._field

    def filter(self, qs, value):
        return self.spec.narrow(qs, value)


class BaseClaimFilter(django_filters.FilterSet):
    """The search box and the sort; the registered filters are added by `build_filterset`."""

    q = django_filters.CharFilter(
        label="Search claims",
        method="not_a_filter",  # select_claims() searches once, ranking or not
        max_length=MAX_QUERY_LENGTH,
        validators=[validate_term_count],
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "aria-describedby": "q-hint"}),
        help_text='Words, "an exact phrase", -exclude, or',
        error_messages={
            "max_length": "Your search is too long (%(show_value)d characters). Keep it "
            f"under {MAX_QUERY_LENGTH} characters: a few words work best.",
        },
    )
    sort = django_filters.ChoiceFilter(
        label="Sort",
        choices=SORT_CHOICES,
        method="not_a_filter",  # the order, carried in the form so that filtering keeps it
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": "“%(value)s” is not a column to sort by. Use one of: "
            + ", ".join(SORT_FIELDS)
            + " (with a leading - for descending)."
        },
    )

    class Meta:
        model = Claim
        fields = ()
        form = ClaimFilterForm

    _form_class = None

    def get_form_class(self):
        """The form class, built once per process: django-filter builds a new class from the
        filters' fields on every request, and the fields never change."""
        cls = type(self)
        if cls.__dict__.get("_form_class") is None:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def not_a_filter(self, queryset, name, value):
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


def build_filterset(filters) -> type[BaseClaimFilter]:
    """The FilterSet class for `filters`: the search box, one filter each, then the sort."""
    attrs = {spec.param: RegisteredFilter(spec) for spec in filters}
    return type("ClaimFilter", (BaseClaimFilter,), {"__module__": __name__, **attrs})


ClaimFilter = build_filterset(FILTERS)


# --- the selection ---------------------------------------------------------------------------


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


@dataclass
class Selection:
    """One /claims/ query string, checked: what it selects, and the parts it was made of."""

    params: QueryDict
    filterset: BaseClaimFilter
    queryset: QuerySet  # exactly the claims listed, in the page's order; empty when invalid
    text: str = ""  # the search, cleaned; "" when none
    sort: str = ""  # a SORT_CHOICES value; "" when none
    values: dict[str, list] = field(default_factory=dict)  # each active filter's values

    @property
    def errors(self) -> list[str]:
        return self.filterset.error_messages

    @property
    def usable_params(self) -> QueryDict:
        """The known parameters that validated: what the page's links and forms carry, so a
        bad value is neither resubmitted nor echoed into every link of an error page."""
        failed = set(self.filterset.form.errors)
        usable = QueryDict(mutable=True)
        for key in known_params():
            if key not in failed:
                usable.setlist(key, self.params.getlist(key))
        return usable

    @property
    def active(self) -> list[ListFilter]:
        """The declared filters this query string uses, in declaration order."""
        return [spec for spec in FILTERS if self.values.get(spec.param)]

    @property
    def sources(self) -> list[Source]:
        """The sources `?source=` names (checked to be published), in the order given."""
        return self.filterset.form.sources

    @property
    def newest_first(self) -> bool:
        """In the default order (newest first), which pages by keyset."""
        return not self.text and not self.sort


def select_claims(params: QueryDict) -> Selection:
    """Exactly the claims /claims/?<params> lists, in the page's order.

    Order: by `?sort=` (a column name, `-` for descending; ties by id in the same direction),
    else by relevance when `q` is given, else newest first; always with the id last, so pages
    and exports never repeat or drop a row. When the query string is invalid the queryset is
    empty and `errors` says why (the page shows them; the export answers 400).
    """
    filterset = ClaimFilter(params, queryset=published_claims())
    if not filterset.is_valid():
        return Selection(params, filterset, filterset.queryset.none())
    cleaned = filterset.form.cleaned_data
    selection = Selection(
        params,
        filterset,
        filterset.qs,
        text=clean_text(cleaned.get("q") or ""),
        sort=cleaned.get("sort") or "",
        values={spec.param: cleaned[spec.param] for spec in FILTERS if cleaned.get(spec.param)},
    )
    queryset = selection.queryset
    if selection.sort:
        queryset = _sorted(search_filter(queryset, selection.text), selection)
    elif selection.text:
        queryset = search_claims(queryset, selection.text)
    else:
        queryset = queryset.order_by("-created_at", "-pk")
    selection.queryset = queryset
    return selection


def _sorted(queryset: QuerySet, selection: Selection) -> QuerySet:
    name = selection.sort.lstrip("-")
    expression = SORT_FIELDS[name]
    # Ties go in the sort's direction (id ASC / id DESC) and NULLs last only where a column
    # has them, so each ORDER BY matches a claim_pub_*_sort index exactly.
    nulls = {"nulls_last": True} if name in NULLABLE_SORTS else {}
    if chosen := selection.values.get(name) if name in SCALE_SORTS else None:
        queryset = keep_scale_codes(queryset, name, chosen)
    if selection.sort.startswith("-"):
        return queryset.order_by(expression.desc(**nulls), "-pk")
    return queryset.order_by(expression.asc(**nulls), "pk")


def keep_scale_codes(queryset: QuerySet, name: str, codes) -> QuerySet:
    """`queryset`, sorted by the scale `name`, kept to its `codes` in the sort index's terms:
    else the index scan walks every claim of the other codes before the first match (a filter
    on the scale itself; or, claims/listing.py, the codes the counts found none of)."""
    scale = SCALE_SORTS[name]
    positions = [i for i, member in enumerate(scale) if member.value in codes]
    return queryset.alias(**{f"{name}_position": SORT_FIELDS[name]}).filter(
        **{f"{name}_position__in": positions}
    )


# --- links that keep the selection ----------------------------------------------------------


def known_params() -> tuple[str, ...]:
    """The parameters a /claims/ link carries: the search, the filters, the sort. Anything
    else in the address is dropped from the page's links rather than echoed into each."""
    return ("q", *(spec.param for spec in FILTERS), "sort")


def querystring(params: QueryDict, **changes) -> str:
    """`params` (the known ones) with the given keys replaced (a list) or dropped (None/[]),
    and without the page position: a changed selection starts at its top."""
    data = {key: _distinct(params.getlist(key)) for key in known_params()}
    data.update(changes)
    pairs = [(key, value) for key, values in data.items() if key not in POSITION_PARAMS
             for value in values or ()]  # fmt: skip
    for key in POSITION_PARAMS:
        if values := changes.get(key):
            pairs.extend((key, value) for value in values)
    encoded = urlencode(pairs)
    return f"?{encoded}" if encoded else "?"


def toggled(params: QueryDict, name: str, value: str) -> str:
    """The link that adds `value` to filter `name`, or removes it when already chosen."""
    values = _distinct(params.getlist(name))
    values = [v for v in values if v != value] if value in values else [*values, value]
    return querystring(params, **{name: values})


def _distinct(values: list[str]) -> list[str]:
    """The non-empty values, each once, in order: a value repeated in the address is carried
    once (`grade=low` fifty times selects what it selects once)."""
    return list(dict.fromkeys(v for v in values if v))
