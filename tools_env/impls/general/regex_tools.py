"""Regular-expression utilities: ``regex_search`` and ``regex_replace``.

Covered here: patterns of at most :data:`MAX_PATTERN` characters with the flags ``i``, ``m``, ``s``, ``x``,
texts of at most :data:`~tools_env.impls.general.values.MAX_TEXT` characters, at most :data:`MAX_MATCHES`
matches, and a time limit per call (:data:`REGEX_TIMEOUT_S`, with the ``regex`` package, which unlike
``re`` can stop a runaway match); a replacement result at most four times the text limit. Not covered:
``regex``-only syntax beyond ``VERSION0`` (the ``re`` dialect).
"""

from __future__ import annotations

from typing import Any

from tools_env.impls.general.values import MAX_TEXT, bounded_text, integer

__all__ = ["regex_search", "regex_replace", "MAX_PATTERN", "MAX_MATCHES", "REGEX_TIMEOUT_S"]

MAX_PATTERN = 500
MAX_MATCHES = 100
REGEX_TIMEOUT_S = 0.5

_FLAGS = {"i": "IGNORECASE", "m": "MULTILINE", "s": "DOTALL", "x": "VERBOSE"}


def _compile(pattern: Any, flags: Any) -> Any:
    import regex  # a transformers dependency; unlike ``re`` it can stop a runaway match (timeout=)

    if not isinstance(pattern, str) or not pattern:
        raise ValueError("pattern must be a non-empty string")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern too long (limit {MAX_PATTERN} characters)")
    bits = 0
    for ch in str(flags or "").lower():
        if ch not in _FLAGS:
            raise ValueError(f"unknown regex flag '{ch}' (use i, m, s, x)")
        bits |= getattr(regex, _FLAGS[ch])
    try:
        return regex.compile(pattern, bits | regex.VERSION0)
    except regex.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None


def regex_search(pattern: str, text: str, flags: str = "", max_matches: Any = MAX_MATCHES) -> dict[str, Any]:
    """All matches of ``pattern`` in ``text`` (at most ``max_matches``, each with span and groups)."""
    rx = _compile(pattern, flags)
    body = bounded_text(text)
    limit = max(1, min(integer(max_matches, "max_matches"), MAX_MATCHES))
    matches: list[dict[str, Any]] = []
    try:
        for m in rx.finditer(body, timeout=REGEX_TIMEOUT_S):
            matches.append(
                {"match": m.group(0), "start": m.start(), "end": m.end(), "groups": list(m.groups())}
            )
            if len(matches) >= limit:
                break
    except TimeoutError:
        raise ValueError(f"regex took longer than {REGEX_TIMEOUT_S} s (catastrophic backtracking?)") from None
    return {"count": len(matches), "matches": matches}


def regex_replace(pattern: str, replacement: str, text: str, flags: str = "", count: Any = 0) -> str:
    """``text`` with matches of ``pattern`` replaced (``count`` = 0 replaces all)."""
    rx = _compile(pattern, flags)
    body = bounded_text(text)
    if not isinstance(replacement, str):
        raise ValueError("replacement must be a string")
    n = integer(count, "count")
    try:
        out = rx.sub(replacement, body, count=max(n, 0), timeout=REGEX_TIMEOUT_S)
    except TimeoutError:
        raise ValueError(f"regex took longer than {REGEX_TIMEOUT_S} s (catastrophic backtracking?)") from None
    except Exception as exc:  # bad group references in the replacement
        raise ValueError(f"invalid replacement: {exc}") from None
    if len(out) > 4 * MAX_TEXT:
        raise ValueError("result too large")
    return out
