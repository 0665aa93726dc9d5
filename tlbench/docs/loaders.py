"""Tool docs from their JSON and text shapes (OpenAI-style lists, a system prompt's tool list, tool config
files, ToolAlpaca's function descriptions), and the best-effort :func:`docs_from_any`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.docs.schema import defaults_of, json_type, object_schema
from tlbench.docs.signatures import docs_from_python_signatures
from tlbench.errors import DataError
from tlbench.types import ToolDoc


def doc_from_openai(entry: Mapping[str, Any]) -> ToolDoc | None:
    """One OpenAI-style function doc (also unwraps ``{"type": "function", "function": {...}}``); None if nameless."""
    if not isinstance(entry, Mapping):
        return None
    inner = entry.get("function")
    if isinstance(inner, Mapping) and "name" in inner:
        entry = inner
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        return None
    schema = object_schema(entry.get("parameters"))
    returns = entry.get("returns") if isinstance(entry.get("returns"), Mapping) else None
    return ToolDoc(
        name=name,
        description=str(entry.get("description") or ""),
        parameters=schema,
        required=tuple(schema["required"]),
        defaults=defaults_of(schema["properties"]),
        returns=returns,
    )


def docs_from_openai_list(entries: Iterable[Any]) -> tuple[ToolDoc, ...]:
    """RoTBench/ToolEyes (and OpenAI ``tools``) doc lists; entries without a name are skipped."""
    if isinstance(entries, Mapping) or isinstance(entries, str | bytes):
        entries = [entries]
    return tuple(d for d in (doc_from_openai(e) for e in entries) if d is not None)


_LETS_BEGIN = "\n\nLet's Begin!"


def docs_from_rotbench_system(system_text: str) -> tuple[ToolDoc, ...]:
    """The tool list of a RoTBench/ToolEyes system prompt: the JSON array from the first ``[`` up to the
    ``"\\n\\nLet's Begin!"`` tail (the whole remainder when the tail is absent).

    Raises :class:`DataError` when no JSON array can be read there.
    """
    start = system_text.find("[")
    if start < 0:
        raise DataError("system prompt has no tool list ('[' not found)")
    end = system_text.rfind(_LETS_BEGIN)
    chunk = system_text[start : end if end > start else len(system_text)].strip()
    try:
        data = jsonio.parse(chunk)
    except ValueError:
        try:  # trailing prose after the array: take the first complete JSON value
            data, _ = json.JSONDecoder().raw_decode(chunk)
        except ValueError as exc:
            raise DataError(f"tool list in the system prompt is not JSON: {exc}") from None
    if not isinstance(data, list):
        raise DataError("tool list in the system prompt is not a JSON array")
    return docs_from_openai_list(data)


def docs_from_tooleyes_config(source: str | Path | Sequence[Any]) -> tuple[ToolDoc, ...]:
    """A ToolEyes ``config_gpt4.json`` (path, or its already-loaded list)."""
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            data = jsonio.parse(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise DataError(f"cannot read tool config: {exc.strerror or exc}", path=str(path)) from None
        except ValueError as exc:
            raise DataError(f"tool config is not JSON: {exc}", path=str(path)) from None
        if not isinstance(data, list):
            raise DataError("tool config is not a JSON list", path=str(path))
        return docs_from_openai_list(data)
    return docs_from_openai_list(source)


def docs_from_bfcl(functions: Iterable[Any]) -> tuple[ToolDoc, ...]:
    """BFCL function docs: ``dict``->object, ``float``->number, ``tuple``->array, ``any``->unconstrained,
    nested properties and ``items`` mapped recursively, ``default`` fields collected into ``defaults``.

    Parameters BFCL marks optional are those not in ``required``; BFCL's description suffix is kept as is.
    """
    return docs_from_openai_list(functions)


_TA_PARAMS = re.compile(r"Parameters:\s*(\{.*?\})\s*(?:\nOutput:|\Z)", re.DOTALL)


_TA_ONE_OF = re.compile(r"One of: \[([^\]]*)\]")


def _toolalpaca_param(text: Any) -> tuple[dict[str, Any], bool]:
    """``"Required. string. desc"`` -> (schema, required)."""
    s = str(text)
    required = False
    if s.startswith("Required."):
        required = True
        s = s[len("Required.") :].lstrip()
    head, _, rest = s.partition(".")
    t = json_type(head)
    schema: dict[str, Any] = {"type": t} if t else {}
    desc = rest.strip() if t else s.strip()
    schema["description"] = desc
    m = _TA_ONE_OF.search(desc)
    if m and t == "string":
        values = [v.strip() for v in m.group(1).split(",") if v.strip()]
        if values:
            schema["enum"] = values
    return schema, required


def docs_from_toolalpaca(item: Mapping[str, Any]) -> tuple[ToolDoc, ...]:
    """The tools of one ToolAlpaca API (an ``eval_real``/``eval_simulated`` element).

    Tool names are the keys of ``Function_Projection`` (the pseudo-entry ``components`` of
    ``Function_Description`` is not a tool); each description is the text before ``Parameters:``, and the
    parameters are the JSON object after it, whose values read ``"Required. <type>. <desc>"`` (required) or
    ``"<type>. <desc>"`` (optional); ``One of: [a, b]`` becomes an ``enum``. A function without a readable
    parameter block gets an empty schema. Authentication parameters stay (they are in the docs upstream).
    """
    descs = item.get("Function_Description")
    descs = descs if isinstance(descs, Mapping) else {}
    proj = item.get("Function_Projection")
    names = list(proj) if isinstance(proj, Mapping) else [k for k in descs if k != "components"]
    out: list[ToolDoc] = []
    for name in names:
        if not isinstance(name, str) or name == "components":
            continue
        text = str(descs.get(name, ""))
        description = text.split("\nParameters:", 1)[0].strip()
        props: dict[str, Any] = {}
        required: list[str] = []
        m = _TA_PARAMS.search(text)
        if m:
            try:
                raw = jsonio.parse(m.group(1))
            except ValueError:
                raw = {}
            if isinstance(raw, Mapping):
                for pname, ptext in raw.items():
                    schema, req = _toolalpaca_param(ptext)
                    props[str(pname)] = schema
                    if req:
                        required.append(str(pname))
        parameters = {"type": "object", "properties": props, "required": required}
        out.append(
            ToolDoc(name=name, description=description, parameters=parameters, required=tuple(required))
        )
    return tuple(out)


def docs_from_any(value: Any) -> tuple[ToolDoc, ...]:
    """Best-effort loader for loose inputs (the ``tools`` column of a JSONL line or a reward dataset).

    Accepts a JSON string, a list of OpenAI/BFCL/RoTBench docs, a ToolAlpaca item, Python signature text,
    or a list of :class:`ToolDoc`.
    """
    if isinstance(value, ToolDoc):
        return (value,)
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in "[{":
            try:
                return docs_from_any(jsonio.parse(s))
            except ValueError:
                pass
        if "def " in s:
            return docs_from_python_signatures(s)
        if "[" in s:
            return docs_from_rotbench_system(s)
        return ()
    if isinstance(value, Mapping):
        if "Function_Description" in value or "Function_Projection" in value:
            return docs_from_toolalpaca(value)
        if isinstance(value.get("tools"), list):
            return docs_from_any(value["tools"])
        return docs_from_openai_list([value])
    if isinstance(value, Iterable):
        items = list(value)
        if all(isinstance(v, ToolDoc) for v in items):
            return tuple(items)
        return docs_from_openai_list(items)
    return ()
