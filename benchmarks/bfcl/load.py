"""Reading BFCL's data: JSON Lines files, the docs as BFCL's handlers show them, gold call strings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.base import LoadReport
from benchmarks.bfcl_decode import read_literal_calls
from tlbench import jsonio
from tlbench.errors import DataError
from tlbench.types import ToolCall, ToolDoc


def parse_gold_call(text: str, docs: Sequence[ToolDoc]) -> ToolCall:
    """One gold call string (positional arguments named by doc order); ``ValueError`` when unreadable."""
    result = read_literal_calls(text, docs)
    if not result.ok or len(result.calls) != 1:
        reason = result.failure.message if result.failure else "not one call"
        raise ValueError(f"gold call unreadable: {reason}")
    return result.calls[0]


PYTHON_HINT = " Note that the provided function is in Python 3 syntax."


FLOAT_HINT = " This is a float type value."


def prompted_functions(functions: Sequence[Any]) -> list[Any]:
    """The function docs as BFCL's model handlers show them to a model (gorilla@d6b5fb8 ``model_handler/utils.py``).

    Every handler appends the Python hint to each description (``func_doc_language_specific_pre_processing``);
    the function-calling handlers' ``convert_to_tool`` also marks each ``float`` parameter with
    ``"format": "float"`` and the float hint (top-level properties, nested object properties, and the
    properties of object items). Type names are mapped afterwards by :func:`tlbench.docs.docs_from_bfcl`.
    """
    out = []
    for fn in functions:
        if not isinstance(fn, Mapping):
            out.append(fn)
            continue
        fn = jsonio.parse(jsonio.dumps(fn))  # a deep copy that is plain JSON
        fn["description"] = str(fn.get("description", "")) + PYTHON_HINT
        params = fn.get("parameters")
        if isinstance(params, dict) and isinstance(params.get("properties"), dict):
            _mark_floats(params["properties"])
        out.append(fn)
    return out


def _mark_floats(properties: dict[str, Any], depth: int = 0) -> None:
    for schema in properties.values():
        if not isinstance(schema, dict) or depth > 8:
            continue
        if schema.get("type") == "float":
            schema["format"] = "float"
            schema["description"] = str(schema.get("description", "")) + FLOAT_HINT
        nested = schema.get("properties")
        items = schema.get("items")
        if isinstance(nested, dict):
            _mark_floats(nested, depth + 1)
        elif isinstance(items, dict) and isinstance(items.get("properties"), dict):
            _mark_floats(items["properties"], depth + 1)


def read_jsonl(path: Path, report: LoadReport) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(
            "benchmark file not found (run 'tlbench data pull bfcl' or pass --data-dir)", path=str(path)
        ) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", path=str(path)) from None
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = jsonio.parse(line)
        except ValueError as exc:
            report.warn(path, n, f"skipped: not JSON ({exc})")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            report.warn(path, n, "skipped: not an object with a string 'id'")
            continue
        rows.append((n, obj))
    if not rows:  # an empty or wholly corrupt split would otherwise vanish from the scores in silence
        raise DataError(
            "no items (empty or corrupt file; check it with 'tlbench data status')", path=str(path)
        )
    return rows
