"""The /claims/ table, its columns taken from claims/columns.py (PAGE_COLUMNS).

Rows arrive already filtered, searched and ordered by filters.select_claims(); the table only
renders them (PreOrderedColumn keeps tables2 from re-sorting) and never queries: rows carry
their source through select_related.
"""

import inspect
from functools import cache

import django_tables2 as tables
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django_tables2.data import TableListData

from .columns import PAGE_COLUMNS
from .models import Claim
from .scales import Grade, Verdict
from .search import excerpt, highlight


class PreOrderedColumn(tables.Column):
    """Sortable header, but the rows come ordered by select_claims() (same order as the CSV)."""

    def order(self, queryset, is_descending):
        return queryset, True

    def render_cell(self, value, record, table):
        """render() with the arguments this column's render() takes (see body_html)."""
        if type(self).render is tables.Column.render:
            return value
        names = self._render_args
        args = {"value": value, "record": record, "table": table}
        return self.render(**{name: args[name] for name in names})

    @cached_property
    def _render_args(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self.render).parameters)


class ClaimColumn(PreOrderedColumn):
    def render(self, value, record, table):
        pattern = table.highlight_pattern
        quote = excerpt(record.quote, pattern) if pattern else ""
        return format_html(
            '<a href="{}">{}</a>{}',
            table.url_of(record),
            highlight(value, pattern),
            format_html('<span class="match-quote">Quote: “{}”</span>', highlight(quote, pattern))
            if quote
            else "",
        )


@cache
def grade_badge(code: str) -> str:
    return render_to_string("claims/_grade.html", {"grade": Grade(code)})


@cache
def verdict_badge(code: str) -> str:
    return render_to_string("claims/_verdict.html", {"verdict": Verdict(code)})


class GradeColumn(PreOrderedColumn):
    def render(self, record):
        return grade_badge(record.grade)


class VerdictColumn(PreOrderedColumn):
    def render(self, record):
        return verdict_badge(record.verdict)


class SourceColumn(PreOrderedColumn):
    def render(self, value, record, table):
        return format_html('<a href="{}">{}</a>', table.url_of(record.source), value)


class ReviewedColumn(PreOrderedColumn):
    def render(self, value):
        return format_html('<time datetime="{}">{}</time>', value.date().isoformat(), value.date())


_ACCESSORS = {spec.name: tuple(spec.field.split("__")) for spec in PAGE_COLUMNS}
_COLUMN_CLASSES = {
    "claim": ClaimColumn,
    "grade": GradeColumn,
    "verdict": VerdictColumn,
    "source_title": SourceColumn,
    "reviewed_at": ReviewedColumn,
}


class BaseClaimTable(tables.Table):
    def __init__(self, *args, highlight_pattern=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.highlight_pattern = highlight_pattern
        self._url_patterns = {}

    def url_of(self, obj) -> str:
        """obj.get_absolute_url() for a claim (by slug) or a source (by id), reversing each
        URL pattern once per table rather than once per row."""
        if isinstance(obj, Claim):
            key, arg = "claim", obj.slug
        else:
            key, arg = "source", obj.pk
        if key not in self._url_patterns:
            name = "claims:claim-detail" if key == "claim" else "claims:source-detail"
            self._url_patterns[key] = reverse(name, args=["0"]).rsplit("0", 1)
        head, tail = self._url_patterns[key]
        return f"{head}{arg}{tail}"

    def body_html(self) -> SafeString:
        """The <tbody> rows as one piece of HTML, the same cells tables2 would render.

        tables2 renders each cell through signature inspection and per-cell attribute
        lookups (about 12 ms for a page of 25 rows); the columns here are fixed, so each cell
        calls its column's render() directly.
        """
        columns = [(name, column, _ACCESSORS[name]) for name, column in self.base_columns.items()]
        rows = []
        for record in self.data:
            cells = []
            for i, (name, column, path) in enumerate(columns):
                value = record
                for part in path:
                    value = getattr(value, part)
                if value is None or value == "":
                    html = column.default
                else:
                    html = column.render_cell(value, record, self)
                tag = "th" if i == 0 else "td"
                extra = ' scope="row"' if i == 0 else f' data-label="{escape(column.verbose_name)}"'
                cells.append(f'<{tag}{extra} class="col-{name}">{conditional_escape(html)}</{tag}>')
            rows.append("<tr>" + "".join(cells) + "</tr>")
        # Every cell went through conditional_escape (render() returns SafeStrings).
        return mark_safe("\n".join(rows))

    class Meta:
        orderable = True
        order_by_field = "sort"
        empty_text = "No published claims match this selection."
        attrs = {"class": "claims"}


def _column(spec) -> tables.Column:
    column_class = _COLUMN_CLASSES.get(spec.name, PreOrderedColumn)
    return column_class(
        verbose_name=spec.label,
        accessor=spec.field,
        default="—",
        attrs={"th": {"scope": "col"}, "td": {"class": f"col-{spec.name}"}},
    )


ClaimTable = type(
    "ClaimTable",
    (BaseClaimTable,),
    {spec.name: _column(spec) for spec in PAGE_COLUMNS}
    | {"__module__": __name__, "Meta": BaseClaimTable.Meta},
)
ClaimTable.__doc__ = "Published claims, one row each; columns in PAGE_COLUMNS order."


class OrderedRows(TableListData):
    """A page of rows already in the page's order: tables2 must not re-sort them in Python
    (it would sort grade and verdict alphabetically, not by scale)."""

    def order_by(self, aliases):
        return None
