"""The /claims/ table: django-tables2 columns made from claims/columns.py (PAGE_COLUMNS).

Rows arrive already filtered, searched and ordered by filters.select_claims(); the table only
knows its columns and which one the page is sorted by, and never queries (rows carry their
source through select_related). Its cells and header links are written by claims/fasthtml.py.
"""

import django_tables2 as tables
from django.http import QueryDict
from django.urls import reverse
from django_tables2.data import TableListData

from . import fasthtml
from .columns import PAGE_COLUMNS
from .filters import querystring
from .models import Claim

# Each column's cell, by column name; the others print their value.
CELLS = {
    "claim": fasthtml.claim_cell,
    "grade": fasthtml.grade_cell,
    "verdict": fasthtml.verdict_cell,
    "source_title": fasthtml.source_cell,
    "reviewed_at": fasthtml.reviewed_cell,
}


class PreOrderedColumn(tables.Column):
    """Sortable header, but the rows come ordered by select_claims() (same order as the CSV)."""

    def order(self, queryset, is_descending):
        return queryset, True


class OrderedRows(TableListData):
    """A page of rows already in the page's order: tables2 must not re-sort them in Python
    (it would sort grade and verdict alphabetically, not by scale)."""

    def order_by(self, aliases):
        return None


class BaseClaimTable(tables.Table):
    def __init__(self, rows, *, highlight_pattern=None, params=None, **kwargs):
        super().__init__(OrderedRows(rows), **kwargs)
        self.highlight_pattern = highlight_pattern
        self.params = params if params is not None else QueryDict()
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

    def header_html(self):
        return fasthtml.header_cells(self, self.sort_url)

    def body_html(self):
        return fasthtml.body_rows(self, CELLS)

    def sort_url(self, sort: str) -> str:
        """The page's selection sorted by `sort`, from its top."""
        return querystring(self.params, sort=[sort])

    class Meta:
        orderable = True
        order_by_field = "sort"
        empty_text = "No published claims match this selection."
        attrs = {"class": "claims"}


def _column(spec) -> tables.Column:
    return PreOrderedColumn(
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
