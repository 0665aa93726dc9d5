"""Tool documentation loaders: every benchmark's tool docs become :class:`ToolDoc` with a JSON-schema core.

One loader per upstream shape, each tolerant of missing fields (a tool with no parameters block gets an
empty object schema; a malformed entry is skipped rather than failing the whole list):

* :func:`docs_from_openai_list` - RoTBench/ToolEyes lists ``{name, description, parameters}``, also the
  OpenAI ``tools`` wrapping ``{"type": "function", "function": {...}}``;
* :func:`docs_from_rotbench_system` - the JSON list embedded in a RoTBench/ToolEyes system prompt;
* :func:`docs_from_tooleyes_config` - a ToolEyes ``Tool_Library/<Cat>/<Tool>/config_gpt4.json``;
* :func:`docs_from_bfcl` - BFCL function docs (pseudo-types ``dict``/``float``/``tuple``/``any`` mapped);
* :func:`docs_from_toolalpaca` - one ToolAlpaca item (``Function_Projection`` names + ``Function_Description``);
* :func:`docs_from_python_signatures` / :func:`docs_to_python_signatures` - the ``def name(p: str):``
  docstring style of TL-CodeLLaMA and NexusRaven (read with :mod:`ast`, never executed).

All of them normalise types with :func:`normalise_schema`, so the classifier sees one vocabulary:
``string integer number boolean array object null``.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError
from tlbench.types import ToolDoc

__all__ = [
    "normalise_schema",
    "doc_from_openai",
    "docs_from_openai_list",
    "docs_from_rotbench_system",
    "docs_from_tooleyes_config",
    "docs_from_bfcl",
    "docs_from_toolalpaca",
    "docs_from_python_signatures",
    "docs_to_python_signatures",
    "docs_from_any",
]

#: Upstream pseudo-types and Python type names -> JSON-schema types ("" = no type constraint).
TYPE_MAP: dict[str, str] = {
    "string": "string",
    "str": "string",
    "text": "string",
    "integer": "integer",
    "int": "integer",
    "number": "number",
    "float": "number",
    "double": "number",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "tuple": "array",
    "object": "object",
    "dict": "object",
    "null": "null",
    "none": "null",
    "any": "",
}
_MAX_DEPTH = 32


_OPTIONAL = re.compile(r"(?:typing\.)?Optional\[(.*)\]")
_BASE_END = re.compile(r"[\[\s|]")


def _json_type(name: Any) -> str:
    """Map one upstream type name (``float``, ``List[str]``, ``Optional[int]``) to a JSON type ("" if unknown)."""
    if not isinstance(name, str):
        return ""
    return _json_type_of(name)


@functools.lru_cache(maxsize=4096)  # a benchmark repeats a few dozen type names thousands of times
def _json_type_of(name: str) -> str:
    s = name.strip()
    m = _OPTIONAL.fullmatch(s)
    if m:
        s = m.group(1)
    base = _BASE_END.split(s, maxsplit=1)[0].lower()
    return TYPE_MAP.get(base, "")


def normalise_schema(schema: Any, _depth: int = 0) -> dict[str, Any]:
    """A JSON-schema copy of ``schema`` with pseudo-types mapped, recursing into properties and items.

    ``any`` (or an unknown type name) drops the ``type`` key: any value is then accepted. A non-mapping
    schema becomes ``{}``.
    """
    if not isinstance(schema, Mapping) or _depth > _MAX_DEPTH:
        return {}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            if isinstance(value, list):
                mapped = [t for t in (_json_type(v) for v in value) if t]
                if mapped:
                    out["type"] = mapped
            else:
                t = _json_type(value)
                if t:
                    out["type"] = t
        elif key == "properties" and isinstance(value, Mapping):
            out["properties"] = {str(k): normalise_schema(v, _depth + 1) for k, v in value.items()}
        elif key == "items" and isinstance(value, Mapping):
            out["items"] = normalise_schema(value, _depth + 1)
        elif key == "required":
            out["required"] = [str(r) for r in value] if isinstance(value, list | tuple) else []
        else:
            out[str(key)] = value
    return out


def _object_schema(parameters: Any) -> dict[str, Any]:
    """Normalise a tool's top-level parameter schema to ``{"type": "object", "properties", "required"}``."""
    schema = normalise_schema(parameters)
    schema["type"] = "object"
    if not isinstance(schema.get("properties"), dict):
        schema["properties"] = {}
    props = schema["properties"]
    schema["required"] = [r for r in schema.get("required", []) if isinstance(r, str) and r in props]
    return schema


def _defaults(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v["default"] for k, v in props.items() if isinstance(v, Mapping) and "default" in v}


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
    schema = _object_schema(entry.get("parameters"))
    returns = entry.get("returns") if isinstance(entry.get("returns"), Mapping) else None
    return ToolDoc(
        name=name,
        description=str(entry.get("description") or ""),
        parameters=schema,
        required=tuple(schema["required"]),
        defaults=_defaults(schema["properties"]),
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


# ------------------------------------------------------------------------------------------- ToolAlpaca

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
    t = _json_type(head)
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


# ------------------------------------------------------------------------------------ Python signatures

_SIG_LIMIT = 2_000_000
_ARG_LINE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")


def _annotation_type(node: ast.expr | None) -> str:
    """A JSON type from an annotation node (``str``, ``string``, ``List[int]``, ``Optional[str]``, ``"int"``)."""
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _json_type(node.value)
    if isinstance(node, ast.Constant) and node.value is None:
        return "null"
    if isinstance(node, ast.Name):
        return _json_type(node.id)
    if isinstance(node, ast.Attribute):
        return _json_type(node.attr)
    if isinstance(node, ast.Subscript):
        outer = _annotation_type(node.value)
        base = node.value.id if isinstance(node.value, ast.Name) else ""
        if base == "Optional":
            return _annotation_type(node.slice)
        return outer
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # str | None
        left, right = _annotation_type(node.left), _annotation_type(node.right)
        return left if left and left != "null" else right
    return ""


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _docstring_parts(doc: str) -> tuple[str, dict[str, str]]:
    """Split a docstring into its description and the ``Args:`` entries ``name (type): desc``."""
    lines = doc.strip("\n").splitlines()
    desc_lines: list[str] = []
    args: dict[str, str] = {}
    in_args = False
    current = ""
    for line in lines:
        stripped = line.strip()
        if stripped.lower() in ("args:", "arguments:", "parameters:"):
            in_args = True
            continue
        if in_args and stripped.lower() in ("returns:", "return:", "raises:", "examples:", "example:"):
            in_args = False
            current = ""
            continue
        if in_args:
            m = _ARG_LINE.match(line)
            if m:
                current = m.group(1)
                args[current] = m.group(3).strip()
            elif current and stripped:
                args[current] = (args[current] + " " + stripped).strip()
        elif not args:
            desc_lines.append(stripped)
    return "\n".join(desc_lines).strip(), args


def _doc_from_funcdef(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> ToolDoc:
    description, arg_docs = _docstring_parts(ast.get_docstring(fn) or "")
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    first_default = len(positional) - len(a.defaults)
    props: dict[str, Any] = {}
    required: list[str] = []
    defaults: dict[str, Any] = {}

    def add(arg: ast.arg, default: ast.expr | None, has_default: bool) -> None:
        if arg.arg in ("self", "cls"):
            return
        schema: dict[str, Any] = {}
        t = _annotation_type(arg.annotation)
        if t and t != "null":
            schema["type"] = t
        if arg.arg in arg_docs:
            schema["description"] = arg_docs[arg.arg]
        if has_default and default is not None:
            ok, value = _literal(default)
            if ok:
                defaults[arg.arg] = value
                if value is not None:
                    schema["default"] = value
        else:
            required.append(arg.arg)
        props[arg.arg] = schema

    for i, arg in enumerate(positional):
        has = i >= first_default
        add(arg, a.defaults[i - first_default] if has else None, has)
    for arg, kw_default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        add(arg, kw_default, kw_default is not None)
    parameters = {"type": "object", "properties": props, "required": required}
    return ToolDoc(
        name=fn.name,
        description=description,
        parameters=parameters,
        required=tuple(required),
        defaults=defaults,
    )


_DEF_START = re.compile(r"^(?:async\s+)?def\s", re.MULTILINE)


def _strip_markers(text: str) -> str:
    """Drop ``Function:`` marker lines and dedent ``def`` lines that carry stray indentation."""
    lines = [ln for ln in text.splitlines() if ln.strip() not in ("Function:", "Function")]
    return "\n".join(lines)


def docs_from_python_signatures(text: str) -> tuple[ToolDoc, ...]:
    """Tool docs from ``def name(p: str, q: int = 3):`` stubs with Google-style docstrings (parsed with ast).

    ``Function:`` marker lines (TL-Training prompts) are ignored. Each ``def`` block is parsed on its own
    when the whole text is not valid Python, so one broken stub does not lose the others; annotations such
    as ``string``/``integer`` (JSON names, as TL-Training writes them) and ``str``/``List[int]`` are mapped
    to JSON types; literal defaults go to ``defaults`` (``= None`` marks an optional parameter).
    """
    if not isinstance(text, str) or len(text) > _SIG_LIMIT:
        return ()
    source = _strip_markers(text)
    try:
        tree = ast.parse(source)
        blocks = [tree]
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        starts = [m.start() for m in _DEF_START.finditer(source)]
        blocks = []
        for i, s in enumerate(starts):
            chunk = source[s : starts[i + 1] if i + 1 < len(starts) else len(source)].rstrip()
            for attempt in (chunk, chunk + "\n    pass"):
                try:
                    blocks.append(ast.parse(attempt))
                    break
                except (SyntaxError, ValueError, MemoryError, RecursionError):
                    continue
    out: list[ToolDoc] = []
    for tree in blocks:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                out.append(_doc_from_funcdef(node))
    return tuple(out)


def _type_of(schema: Any) -> str:
    t = schema.get("type") if isinstance(schema, Mapping) else None
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "")
    return t if isinstance(t, str) and t else "any"


def docs_to_python_signatures(docs: Iterable[ToolDoc]) -> str:
    """Render docs in TL-Training's prompt style (``code/mae/mae.py`` output), blocks joined by a blank line::

        Function:
        def name(req: string, opt: integer = None):
            \"\"\"
            description

            Args:
            req (string): what it is
            \"\"\"

    Required parameters come first; optional ones are written ``= None``; types are the JSON type names.
    """
    blocks: list[str] = []
    for doc in docs:
        props = doc.properties
        required = [p for p in doc.required if p in props] or [p for p in doc.required]
        optional = [p for p in props if p not in required]
        sig = [f"{p}: {_type_of(props.get(p))}" for p in required]
        sig += [f"{p}: {_type_of(props.get(p))} = None" for p in optional]
        lines = [
            "Function:",
            f"def {doc.name}({', '.join(sig)}):",
            '    """',
            f"    {doc.description}",
        ]
        lines += ["", "    Args:"]
        for p in required + optional:
            schema = props.get(p)
            desc = schema.get("description", "") if isinstance(schema, Mapping) else ""
            lines.append(f"    {p} ({_type_of(schema)}): {desc}")  # mae.py keeps the space when desc is ""
        lines.append('    """')
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


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
