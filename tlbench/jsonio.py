"""The one way tlbench writes JSON: strict, UTF-8 where it can be, and unable to fail on any ``str``.

Why a helper: model output is untrusted text. A model cut off inside an emoji pair leaves a lone surrogate
(``"\\ud800"``) in a Python ``str``; ``json.dumps`` with ASCII escaping off keeps it as a raw code point,
and writing that to a UTF-8 file raises ``UnicodeEncodeError``. A parsed ``1e999999`` is ``float('inf')``,
which the standard library writes as ``Infinity``: not JSON, and rejected by strict readers.

:func:`dumps` therefore

* keeps every printable non-ASCII character as itself (readable files, byte-identical to
  the standard library's non-ASCII output for ordinary input);
* writes each lone surrogate as its ``\\uXXXX`` escape, so ``json.loads`` returns the very same ``str``;
* writes a non-finite float as the string ``"Infinity"``, ``"-Infinity"`` or ``"NaN"`` (the value survives
  as information; the file stays strict JSON);
* falls back to ``str()`` for other objects only where the caller passes ``default=str``;
* with ``nonfinite="raise"``, raises ``ValueError`` on a non-finite float instead (for tool results, where
  such a value means the tool failed to produce JSON).

:func:`canonical` is the sorted, compact form used for cache keys and hashes, equally safe to encode.

:func:`parse` reads JSON from outside (files, servers, model output, command lines): every failure is a
``ValueError`` (``json.JSONDecodeError``), including a value nested too deep for the recursive decoder, which
``json.loads`` reports as ``RecursionError`` (``[`` x 100,000 in one line must be a bad line, not a crash).
:func:`loads` is the strict variant that also rejects ``NaN``/``Infinity`` literals. :func:`write_text`
writes a whole document atomically.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

__all__ = ["dumps", "loads", "parse", "canonical", "dump_line", "write_text", "write_lines", "finite"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by its name as a string (containers copied)."""
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return obj


def dumps(
    obj: Any,
    *,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
    default: Callable[[Any], Any] | None = None,
    nonfinite: Literal["name", "raise"] = "name",
) -> str:
    """``obj`` as strict JSON text that encodes to UTF-8 without error (see the module docstring)."""
    kw: dict[str, Any] = {
        "indent": indent,
        "separators": separators,
        "sort_keys": sort_keys,
        "default": default,
    }
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False, **kw)
    except ValueError:  # a non-finite float somewhere (also one that ``default`` returned)
        if nonfinite == "raise":
            raise
        if default is not None:
            obj = json.loads(json.dumps(obj, ensure_ascii=True, default=default))
        text = json.dumps(finite(obj), ensure_ascii=False, allow_nan=False, **kw)
    return _SURROGATE.sub(_escape, text) if _SURROGATE.search(text) else text


#: One encoder for :func:`canonical` (``json.dumps`` with options builds a new one per call).
_CANONICAL = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False
)


def canonical(value: Any) -> str:
    """A stable text form of a JSON value (sorted keys, no spaces, ``str()`` for other objects)."""
    try:
        text = _CANONICAL.encode(value)
    except ValueError:
        return dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return _SURROGATE.sub(_escape, text) if _SURROGATE.search(text) else text


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse(text: str | bytes | bytearray) -> Any:
    """``json.loads`` that fails only with ``ValueError`` (``json.JSONDecodeError``), also on deep nesting."""
    try:
        return json.loads(text)
    except RecursionError:
        raise _too_deep(text) from None


def loads(text: str | bytes | bytearray) -> Any:
    """Strict :func:`parse`: ``NaN``, ``Infinity`` and ``-Infinity`` literals are errors (``ValueError``)."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise _too_deep(text) from None


def _too_deep(text: str | bytes | bytearray) -> json.JSONDecodeError:
    return json.JSONDecodeError("JSON value nested too deeply", text if isinstance(text, str) else "", 0)


def dump_line(obj: Any, *, default: Callable[[Any], Any] | None = None) -> str:
    """One JSON Lines record, newline included."""
    return dumps(obj, default=default) + "\n"


def write_text(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 2) -> None:
    """Write ``obj`` as one JSON document to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(obj, indent=indent) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_lines(path: str | os.PathLike[str], rows: Iterable[Any]) -> None:
    """Write ``rows`` as JSON Lines to ``path`` atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(dump_line(row))
    os.replace(tmp, path)
