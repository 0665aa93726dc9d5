"""Tool docs as Python ``def`` stubs with Google-style docstrings: read with :mod:`ast` (never executed) and
written in TL-Training's prompt style.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from typing import Any

from tlbench.docs.schema import json_type
from tlbench.types import ToolDoc

_SIG_LIMIT = 2_000_000


_ARG_LINE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")


def _annotation_type(node: ast.expr | None) -> str:
    """A JSON type from an annotation node (``str``, ``string``, ``List[int]``, ``Optional[str]``, ``"int"``)."""
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return json_type(node.value)
    if isinstance(node, ast.Constant) and node.value is None:
        return "null"
    if isinstance(node, ast.Name):
        return json_type(node.id)
    if isinstance(node, ast.Attribute):
        return json_type(node.attr)
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
