"""The list page's repeated markup, written in Python: table cells, header links, facet links
and filter check boxes. Every other piece of HTML is a template.

Why here and not in templates: measured on one /claims/ page of 25 rows (2-core machine), the
same markup cost 12 ms through django-tables2's per-cell rendering, about 1 ms for the eleven
facet links and a few ms for the fourteen check boxes through Django's widget templates,
against well under 1 ms together here; the first page's whole target is 10 ms. The output is
the markup those templates wrote, tested the same way (tests/test_views.py).

Everything interpolated goes through `escape`; the rest is fixed markup.
"""

import html
from functools import cache

from django.template.loader import render_to_string
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from .scales import Grade, Verdict
from .search import excerpt, highlight


@cache
def grade_badge(code: str) -> str:
    return render_to_string("claims/_grade.html", {"grade": Grade(code)})


@cache
def verdict_badge(code: str) -> str:
    return render_to_string("claims/_verdict.html", {"verdict": Verdict(code)})


def claim_cell(record, table) -> str:
    url = html.escape(table.url_of(record))
    pattern = table.highlight_pattern
    if pattern is None:
        return f'<a href="{url}">{html.escape(record.statement)}</a>'
    quote = excerpt(record.quote, pattern)
    match = (
        f'<span class="match-quote">Quote: “{highlight(quote, pattern)}”</span>' if quote else ""
    )
    return f'<a href="{url}">{highlight(record.statement, pattern)}</a>{match}'


def grade_cell(record, table) -> str:
    return grade_badge(record.grade)


def verdict_cell(record, table) -> str:
    return verdict_badge(record.verdict)


def source_cell(record, table) -> str:
    url = html.escape(table.url_of(record.source))
    return f'<a href="{url}">{html.escape(short_title(record.source.title))}</a>'


SHORT_TITLE = 32


def short_title(title: str, limit: int = SHORT_TITLE) -> str:
    """`title` cut at a word before `limit` characters, with "…": a long headline repeated on
    every row took five lines a row. The claim's page and the CSV keep the full title."""
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:–—-") + "…"


def reviewed_cell(record, table) -> str:
    day = html.escape(record.reviewed_at.date().isoformat())
    return f'<time datetime="{day}">{day}</time>'


def header_cells(table, sort_url) -> SafeString:
    """The header cells: each a link (`sort_url(sort value)`) that sorts by its column,
    ascending, or descending when already ascending."""
    cells = []
    for column in table.columns:
        attrs = column.attrs["th"].as_html()
        ordered = column.is_ordered
        descending = ordered and column.order_by_alias.is_descending
        sort = ' aria-sort="descending"' if descending else ""
        if ordered and not descending:
            sort = ' aria-sort="ascending"'
        header = conditional_escape(column.header)
        href = escape(sort_url(column.order_by_alias.next))
        direction = "ascending" if not ordered or descending else "descending"
        arrow = f'<span aria-hidden="true"> {"▼" if descending else "▲"}</span>'
        inner = (
            f'<a href="{href}">{header}<span class="visually-hidden">, sort '
            f"{direction}</span>{arrow if ordered else ''}</a>"
        )
        cells.append(f"\n      <th {attrs}{sort}>\n        {inner}\n      </th>\n    ")
    return mark_safe("".join(cells))  # nosec B308 B703 # its input is escaped above


def body_rows(table, cells: dict) -> SafeString:
    """The <tbody> rows: the row's first column as its header cell, each cell from
    `cells[name](record, table)` when it has a value, else the column's default."""
    columns = []
    for i, (name, column) in enumerate(table.base_columns.items()):
        tag = "th" if i == 0 else "td"
        extra = ' scope="row"' if i == 0 else f' data-label="{escape(column.verbose_name)}"'
        path = tuple(column.accessor.split("__"))
        default = str(conditional_escape(column.default))
        cell = cells.get(name) or _plain_cell(path)
        columns.append((path, cell, f'<{tag}{extra} class="col-{name}">', default, f"</{tag}>"))
    rows = []
    for record in table.data:
        parts = ["<tr>"]
        for path, cell, opening, default, closing in columns:
            value = record
            for part in path:
                value = getattr(value, part)
            inner = default if value is None or value == "" else cell(record, table)
            parts.append(f"{opening}{inner}{closing}")
        parts.append("</tr>")
        rows.append("".join(parts))
    return mark_safe("\n".join(rows))  # nosec B308 B703 # its input is escaped above


def _plain_cell(path: tuple[str, ...]):
    def cell(record, table) -> str:
        value = record
        for part in path:
            value = getattr(value, part)
        return html.escape(str(value))

    return cell


def facet_items(items) -> SafeString:
    """A facet's <li> links: a box, the label and the count, marked when selected."""
    lines = []
    for item in items:
        count = item.count
        if item.at_least:
            count = f'<span class="visually-hidden">at least </span>{count}+'
        selected = ' aria-current="true" class="selected"' if item.selected else ""
        note = (
            '<span class="visually-hidden"> (selected; follow to remove)</span>'
            if item.selected
            else ""
        )
        lines.append(
            f'\n      <li><a href="{escape(item.url)}"{selected}><span class="check" '
            f'aria-hidden="true">{"☑" if item.selected else "☐"}</span> '
            f'{escape(item.label)} <span class="count">{count}</span>{note}</a></li>\n    '
        )
    return mark_safe("".join(lines))  # nosec B308 B703 # its input is escaped above


def checkboxes(name: str, choices, chosen: list[str]) -> SafeString:
    """One check box per code, with the ids Django's CheckboxSelectMultiple gives them."""
    chosen = set(chosen)
    rows = []
    for i, (code, label) in enumerate(choices):
        box_id = escape(f"id_{name}_{i}")
        checked = " checked" if code in chosen else ""
        rows.append(
            f'<div class="check-row"><input type="checkbox" name="{escape(name)}" '
            f'value="{escape(code)}" id="{box_id}"{checked}> '
            f'<label for="{box_id}">{escape(label)}</label></div>'
        )
    return mark_safe("".join(rows))  # nosec B308 B703 # its input is escaped above
