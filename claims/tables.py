"""The /claims/ table, its columns taken from claims/columns.py (PAGE_COLUMNS).

Rows arrive already filtered, searched and ordered by filters.select_claims(); the table only
renders them (PreOrderedColumn keeps tables2 from re-sorting) and never queries: rows carry
their source through select_related.
"""

import html
import inspect
from functools import cache
from urllib.parse import urlencode

import django_tables2 as tables
from django.http import QueryDict
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

    def cell(self, value, record, table) -> str:
        """The cell's HTML for a present value, escaped: render_cell(), without SafeString
        wrapping (body_html joins plain strings)."""
        if type(self).render is tables.Column.render:
            return html.escape(str(value))
        return str(conditional_escape(self.render_cell(value, record, table)))


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

    def cell(self, value, record, table) -> str:
        if table.highlight_pattern is not None:
            return str(self.render(value, record, table))
        return f'<a href="{html.escape(table.url_of(record))}">{html.escape(value)}</a>'


@cache
def grade_badge(code: str) -> str:
    return render_to_string("claims/_grade.html", {"grade": Grade(code)})


@cache
def verdict_badge(code: str) -> str:
    return render_to_string("claims/_verdict.html", {"verdict": Verdict(code)})


class GradeColumn(PreOrderedColumn):
    def render(self, record):
        return grade_badge(record.grade)

    def cell(self, value, record, table) -> str:
        return grade_badge(value)


class VerdictColumn(PreOrderedColumn):
    def render(self, record):
        return verdict_badge(record.verdict)

    def cell(self, value, record, table) -> str:
        return verdict_badge(value)


class SourceColumn(PreOrderedColumn):
    def render(self, value, record, table):
        return format_html('<a href="{}">{}</a>', table.url_of(record.source), value)

    def cell(self, value, record, table) -> str:
        return f'<a href="{html.escape(table.url_of(record.source))}">{html.escape(value)}</a>'


class ReviewedColumn(PreOrderedColumn):
    def render(self, value):
        return format_html('<time datetime="{}">{}</time>', value.date().isoformat(), value.date())

    def cell(self, value, record, table) -> str:
        day = html.escape(value.date().isoformat())
        return f'<time datetime="{day}">{day}</time>'


_ACCESSORS = {spec.name: tuple(spec.field.split("__")) for spec in PAGE_COLUMNS}
_COLUMN_CLASSES = {
    "claim": ClaimColumn,
    "grade": GradeColumn,
    "verdict": VerdictColumn,
    "source_title": SourceColumn,
    "reviewed_at": ReviewedColumn,
}


class BaseClaimTable(tables.Table):
    def __init__(self, *args, highlight_pattern=None, params=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.highlight_pattern = highlight_pattern
        self.params = params if params is not None else QueryDict()  # the page's query string
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

    def header_html(self) -> SafeString:
        """The header cells: each a link that sorts by its column (ascending, or descending
        when already ascending), keeping the other parameters but not the page position.

        What _table.html wrote with a loop over tables2's bound columns and its
        querystring_replace tag (a few milliseconds a page), from the same bound columns.
        """
        base = dict(self.params)
        for position in ("page", "after", "before"):
            base.pop(position, None)
        cells = []
        for column in self.columns:
            attrs = column.attrs["th"].as_html()
            ordered = column.is_ordered
            descending = ordered and column.order_by_alias.is_descending
            sort = ' aria-sort="descending"' if descending else ""
            if ordered and not descending:
                sort = ' aria-sort="ascending"'
            header = conditional_escape(column.header)
            if column.orderable:
                query = base | {self.prefixed_order_by_field: column.order_by_alias.next}
                href = escape("?" + urlencode(query, doseq=True))
                direction = "ascending" if not ordered or descending else "descending"
                arrow = f'<span aria-hidden="true"> {"▼" if descending else "▲"}</span>'
                inner = (
                    f'<a href="{href}">{header}<span class="visually-hidden">, sort '
                    f"{direction}</span>{arrow if ordered else ''}</a>"
                )
            else:
                inner = header
            cells.append(f"\n      <th {attrs}{sort}>\n        {inner}\n      </th>\n    ")
        # Attributes come from tables2's as_html (escaped), text through escape above.
        return mark_safe("".join(cells))

    def body_html(self) -> SafeString:
        """The <tbody> rows as one piece of HTML, the same cells tables2 would render.

        tables2 renders each cell through signature inspection and per-cell attribute
        lookups (about 12 ms for a page of 25 rows); the columns here are fixed, so each cell
        is its column's cell() (render() as an escaped string) between tags made once.
        """
        columns = []
        for i, (name, column) in enumerate(self.base_columns.items()):
            tag = "th" if i == 0 else "td"
            extra = ' scope="row"' if i == 0 else f' data-label="{escape(column.verbose_name)}"'
            opening = f'<{tag}{extra} class="col-{name}">'
            default = str(conditional_escape(column.default))
            columns.append((_ACCESSORS[name], column.cell, opening, default, f"</{tag}>"))
        rows = []
        for record in self.data:
            cells = ["<tr>"]
            for path, cell, opening, default, closing in columns:
                value = record
                for part in path:
                    value = getattr(value, part)
                if value is None or value == "":
                    cells.append(f"{opening}{default}{closing}")
                else:
                    cells.append(f"{opening}{cell(value, record, self)}{closing}")
            cells.append("</tr>")
            rows.append("".join(cells))
        # Every cell's text went through html.escape / conditional_escape in cell().
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
