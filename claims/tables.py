"""The /claims/ table, its columns taken from claims/columns.py (PAGE_COLUMNS).

Rows arrive already filtered, searched and ordered by filters.select_claims(); the table only
renders them (PreOrderedColumn keeps tables2 from re-sorting) and never queries: rows carry
their source through select_related.
"""

import django_tables2 as tables
from django.template.loader import render_to_string
from django.utils.html import format_html

from .columns import PAGE_COLUMNS
from .scales import Grade, Verdict
from .search import excerpt, highlight


class PreOrderedColumn(tables.Column):
    """Sortable header, but the rows come ordered by select_claims() (same order as the CSV)."""

    def order(self, queryset, is_descending):
        return queryset, True


class ClaimColumn(PreOrderedColumn):
    def render(self, value, record, table):
        pattern = table.highlight_pattern
        quote = excerpt(record.quote, pattern) if pattern else ""
        return format_html(
            '<a href="{}">{}</a>{}',
            record.get_absolute_url(),
            highlight(value, pattern),
            format_html('<span class="match-quote">Quote: “{}”</span>', highlight(quote, pattern))
            if quote
            else "",
        )


class GradeColumn(PreOrderedColumn):
    def render(self, record):
        return render_to_string("claims/_grade.html", {"grade": Grade(record.grade)})


class VerdictColumn(PreOrderedColumn):
    def render(self, record):
        return render_to_string("claims/_verdict.html", {"verdict": Verdict(record.verdict)})


class SourceColumn(PreOrderedColumn):
    def render(self, value, record):
        return format_html('<a href="{}">{}</a>', record.source.get_absolute_url(), value)


class ReviewedColumn(PreOrderedColumn):
    def render(self, value):
        return format_html('<time datetime="{}">{}</time>', value.date().isoformat(), value.date())


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
