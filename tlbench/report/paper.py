"""The paper's published rows (``--with-paper``), read from the package data file ``data/paper_tables.json``.

The file names the source table of every row and stores only values that are quoted with a source in the
project's research notes; a row's ``values`` maps ``"<benchmark> <metric>"`` (e.g.
``"rotbench-first-clean CF"``) to a number, and a value the source does not give is simply absent (shown
as ``-``, never guessed). The file's ``note`` says what is and is not stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError
from tlbench.report.tables import table_specs

__all__ = ["load_paper", "paper_rows", "paper_note"]

_FILE = "paper_tables.json"


def load_paper() -> dict[str, Any]:
    """The raw data file."""
    try:
        text = resources.files("tlbench.report").joinpath("data", _FILE).read_text(encoding="utf-8")
        data = jsonio.parse(text)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the paper data file: {exc}", path=_FILE) from None
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        raise DataError("expected an object with 'tables'", path=_FILE)
    return data


def paper_note() -> str:
    """The data file's statement of what it holds."""
    return str(load_paper().get("note", ""))


def paper_rows(
    data: Mapping[str, Any] | None = None,
) -> dict[str, list[tuple[str, Sequence[float | None], str]]]:
    """Per table key, the rows ``(name, values aligned with the table's columns, source)``."""
    data = load_paper() if data is None else data
    out: dict[str, list[tuple[str, Sequence[float | None], str]]] = {}
    for key, spec in table_specs().items():
        table = data["tables"].get(key) or {}
        rows = []
        for i, row in enumerate(table.get("rows") or ()):
            if not isinstance(row, Mapping) or not isinstance(row.get("values"), Mapping):
                raise DataError(f"table {key} row {i}: needs 'name' and 'values'", path=_FILE)
            values = row["values"]
            aligned = []
            for c in spec.columns:
                v = values.get(f"{c.benchmark} {c.metric}")
                aligned.append(float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None)
            source = str(row.get("source") or table.get("source") or "")
            rows.append((f"{row.get('name')} (paper)", aligned, source))
        out[key] = rows
    return out
