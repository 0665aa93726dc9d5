"""Rendering decorated leaderboard tables: text, markdown, csv, latex, html and json.

tabulate draws the text formats (``table``: ``simple``; ``markdown``: ``pipe``; ``latex``: ``latex_raw``
with a ``\\multicolumn`` group header added). How "best" shows: ``92.38*`` in the plain table (with a
footnote), ``**92.38**`` in markdown, ``\\textbf{92.38}`` in LaTeX, ``<b>`` plus the ``best`` class in HTML;
CSV carries plain numbers. A missing value is ``-``. HTML cells carry the shade as a class (``up1``..``up4``
better than the reference, ``down1``..``down4`` worse) and as an inline background colour, so the table is
coloured with or without the report's stylesheet. A row with a ``note`` (an incomplete run) gets a
footnote in the text formats, a ``title`` in HTML and a ``note`` key in JSON.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from typing import Any

from tlbench import jsonio
from tlbench.errors import UsageError
from tlbench.report.tables import SHADE_LEVELS, Table

__all__ = ["FORMATS", "render", "html_table", "table_json", "shade_style", "TABLE_CSS"]

FORMATS = ("table", "markdown", "csv", "latex", "html", "json")

_GOOD = (46, 160, 67)
_BAD = (218, 54, 51)

#: Stylesheet of leaderboard tables (also embedded by the report).
TABLE_CSS = """
table.lb { border-collapse: collapse; font: 13px/1.4 system-ui, sans-serif; margin: 0 0 1.2em 0; }
table.lb th, table.lb td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: right; }
table.lb th.name, table.lb td.name { text-align: left; }
table.lb thead th { background: #f6f8fa; }
table.lb tr.avg td { border-top: 2px solid #57606a; font-style: italic; }
table.lb tr.paper td.name { color: #57606a; }
table.lb caption { text-align: left; font-weight: 600; padding: 4px 0; }
""".strip()


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def shade_style(shade: int) -> str:
    """Inline CSS background for a shade (empty for 0): green better, red worse, alpha by level."""
    if shade == 0:
        return ""
    r, g, b = _GOOD if shade > 0 else _BAD
    alpha = round(0.6 * min(abs(shade), SHADE_LEVELS) / SHADE_LEVELS, 2)
    return f"background: rgba({r}, {g}, {b}, {alpha})"


def _text_rows(table: Table, mark: str) -> list[list[str]]:
    out = []
    for row in table.rows:
        cells = [row.name]
        for value, bold in zip(row.values, row.bold, strict=True):
            text = _num(value)
            cells.append(mark.replace("X", text) if bold else text)
        out.append(cells)
    return out


def _headers(table: Table) -> list[str]:
    return ["", *(c.label + (" ↓" if c.lower_is_better else "") for c in table.columns)]


def _align(table: Table) -> tuple[str, ...]:
    return ("left", *("right" for _ in table.columns))


def _plain(table: Table) -> str:
    from tabulate import tabulate

    body = tabulate(
        _text_rows(table, "X*"),
        headers=_headers(table),
        tablefmt="simple",
        disable_numparse=True,
        colalign=_align(table),
    )
    ref = "the Avg row" if table.reference == "Avg" else f"the baseline {table.reference!r}"
    notes = "".join(f"\n{row.name}: {row.note}" for row in table.rows if row.note)
    return f"{table.spec.title}\n{body}\n* best in column (shading in HTML is relative to {ref}){notes}"


def _markdown(table: Table) -> str:
    from tabulate import tabulate

    body = tabulate(
        _text_rows(table, "**X**"),
        headers=_headers(table),
        tablefmt="pipe",
        disable_numparse=True,
        colalign=_align(table),
    )
    notes = "".join(f"\n\n{row.name}: {row.note}" for row in table.rows if row.note)
    return f"**{table.spec.title}**\n\n{body}{notes}"


_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}"}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def _latex(table: Table) -> str:
    from tabulate import tabulate

    rows = _text_rows(table, r"\textbf{X}")
    for row in rows:
        row[0] = _latex_escape(row[0])
    metrics = ["", *(c.metric + (r" $\downarrow$" if c.lower_is_better else "") for c in table.columns)]
    body = tabulate(
        rows, headers=metrics, tablefmt="latex_raw", disable_numparse=True, colalign=_align(table)
    ).split("\n")
    groups: list[tuple[str, int]] = []
    for c in table.columns:
        if groups and groups[-1][0] == c.group:
            groups[-1] = (c.group, groups[-1][1] + 1)
        else:
            groups.append((c.group, 1))
    head = " & ".join(["", *(rf"\multicolumn{{{n}}}{{c}}{{{_latex_escape(g)}}}" for g, n in groups)]) + r" \\"
    avg_at = next(i for i, line in enumerate(body) if line.lstrip().startswith("Avg")) if table.rows else -1
    if avg_at > 0:
        body.insert(avg_at, r"\hline")
    first_hline = body.index(r"\hline")
    body.insert(first_hline + 1, head)
    notes = "".join(f"\n% {row.name}: {row.note}" for row in table.rows if row.note)
    return f"% {table.spec.title}\n" + "\n".join(body) + notes


def html_table(table: Table) -> str:
    """One ``<table class="lb">`` with a group header row, bold best values and shaded cells."""
    esc = html.escape
    parts = [
        f'<table class="lb" data-table="{esc(table.spec.key)}">',
        f"<caption>{esc(table.spec.title)}</caption>",
    ]
    groups: list[tuple[str, int]] = []
    for c in table.columns:
        if groups and groups[-1][0] == c.group:
            groups[-1] = (c.group, groups[-1][1] + 1)
        else:
            groups.append((c.group, 1))
    parts.append('<thead><tr><th class="name" rowspan="2"></th>')
    parts.extend(f'<th colspan="{n}">{esc(g)}</th>' for g, n in groups)
    parts.append("</tr><tr>")
    parts.extend(f"<th>{esc(c.metric)}{' &darr;' if c.lower_is_better else ''}</th>" for c in table.columns)
    parts.append("</tr></thead><tbody>")
    for row in table.rows:
        tip = "\n".join(t for t in (row.source, row.note) if t)
        title = f' title="{esc(tip)}"' if tip else ""
        parts.append(f'<tr class="{esc(row.kind)}"><td class="name"{title}>{esc(row.name)}</td>')
        for value, bold, shade in zip(row.values, row.bold, row.shade, strict=True):
            classes = []
            if bold:
                classes.append("best")
            if shade:
                classes.append(f"{'up' if shade > 0 else 'down'}{abs(shade)}")
            cls = f' class="{" ".join(classes)}"' if classes else ""
            style = f' style="{shade_style(shade)}"' if shade else ""
            text = _num(value)
            parts.append(f"<td{cls}{style}>{f'<b>{text}</b>' if bold else text}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _html_document(tables: Sequence[Table]) -> str:
    body = "\n".join(html_table(t) for t in tables)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>tlbench leaderboard</title>'
        f"<style>{TABLE_CSS}</style></head><body>\n{body}\n</body></html>"
    )


def _csv(tables: Sequence[Table]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for i, table in enumerate(tables):
        if i:
            buf.write("\n")
        writer.writerow([f"table {table.spec.key}", "kind", *(c.label for c in table.columns)])
        for row in table.rows:
            writer.writerow([row.name, row.kind, *("" if v is None else f"{v:.2f}" for v in row.values)])
    return buf.getvalue().rstrip("\n")


def table_json(table: Table) -> dict[str, Any]:
    """A JSON-ready form of a decorated table."""
    return {
        "table": table.spec.key,
        "title": table.spec.title,
        "reference": table.reference,
        "columns": [
            {
                "group": c.group,
                "benchmark": c.benchmark,
                "metric": c.metric,
                "lower_is_better": c.lower_is_better,
            }
            for c in table.columns
        ],
        "rows": [
            {
                "name": r.name,
                "kind": r.kind,
                "source": r.source,
                "values": list(r.values),
                "bold": list(r.bold),
                "shade": list(r.shade),
                **({"note": r.note} if r.note else {}),
            }
            for r in table.rows
        ],
    }


def render(tables: Sequence[Table], fmt: str) -> str:
    """All tables in one format (see the module docstring)."""
    if fmt == "table":
        return "\n\n".join(_plain(t) for t in tables)
    if fmt == "markdown":
        return "\n\n".join(_markdown(t) for t in tables)
    if fmt == "latex":
        return "\n\n".join(_latex(t) for t in tables)
    if fmt == "csv":
        return _csv(tables)
    if fmt == "html":
        return _html_document(tables)
    if fmt == "json":
        return jsonio.dumps({"tables": [table_json(t) for t in tables]}, indent=2)
    raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
