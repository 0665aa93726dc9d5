"""Execution feedback -> error category: the text half of the shared classifier.

Recorded trajectories (ToolEyes / RoTBench histories, imported chat logs) carry observations as plain text, and
``tools_env`` executors raise exceptions whose ``str()`` becomes the observation. This module reads such a text
(or a :class:`Feedback`, which keeps its own category) and returns the paper's category, so that MAE masking
and scoring of unlabelled trajectories go through the same judge as everything else. Re-exported by
:mod:`tlbench.classify`, which is where callers should import it from.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tlbench.types import ErrorKind, Feedback

__all__ = ["FeedbackDetail", "classify_feedback", "classify_feedback_detail"]


@dataclass(frozen=True, slots=True)
class FeedbackDetail:
    """What :func:`classify_feedback_detail` read from a feedback: its kind, and names when the text has them."""

    kind: ErrorKind
    tool: str = ""
    params: tuple[str, ...] = ()


_HEAD = 4000  # exception texts are short: regexes only look at the head of a long observation
_JSON_LIMIT = 1 << 20

_FORMAT_ERROR = re.compile(r"^\s*Your output format does not match the specified format")
_IMPORT = re.compile(r"cannot import name '([^'\n]{0,200})' from")
_NOT_DEFINED = re.compile(r"^(?:NameError: )?name '([^'\n]{0,200})' is not defined")
_BAD_NAME_SYNTAX = re.compile(r"^(?:SyntaxError: )?invalid syntax \(<string>, line \d+\)")
_NO_MODULE_ATTR = re.compile(
    r"^(?:AttributeError: )?module '[^'\n]{0,200}' has no attribute '([^'\n]{0,200})'"
)
_MISSING = re.compile(
    r"^(?:TypeError: )?([\w.]{0,200})\(\) missing \d+ required (?:positional|keyword-only) arguments?: (.{0,1000})"
)
_UNEXPECTED = re.compile(
    r"^(?:TypeError: )?([\w.]{0,200})\(\) got an unexpected keyword argument '([^'\n]{0,200})'"
)
_TYPE_MISMATCH = re.compile(
    r"^(?:TypeError|ValueError): ([A-Za-z_][\w.]{0,200})\(\) argument '([^'\n]{0,200})' must be "
)
_TOO_MANY_POS = re.compile(
    r"^(?:TypeError: )?([\w.]{0,200})\(\) takes \d+ positional arguments? but \d+ (?:was|were) given"
)
_JSONISH = re.compile(r"[\[{]\s*(?:[\"'\[{\]}\d-]|true|false|null|$)")  # "[Errno 111]" is not JSON
_QUOTED = re.compile(r"'([^'\n]{0,200})'")

_INSTABILITY = re.compile(
    r"timed? ?out(?![a-z])|connection ?error|connection (?:refused|reset|aborted)|max retries exceeded"
    r"|remote ?disconnected|remote end closed|name or service not known|temporary failure in name resolution"
    r"|failed to establish a new connection|\b5\d\d server error|internal server error|http error 5\d\d|\b50[234]\b|bad gateway|service unavailable"
    r"|gateway time|too many requests|\b429\b|rate.?limit|quota exceeded|ssl ?error|proxy ?error"
    r"|chunked ?encoding ?error|incomplete ?read|expecting value: line 1 column 1 \(char 0\)"
    r"|not recorded|tool (?:is )?unavailable|temporarily unavailable|network is unreachable",
    re.IGNORECASE,
)
_FAILURE = re.compile(
    r"not supported between instances|is not json serializable|invalid literal for|could not convert"
    r"|object is not (?:subscriptable|callable|iterable)|has no attribute|unsupported (?:operand )?type"
    r"|must be (?:a |an )?(?:str|int|real number|integer|string|float|bytes)|index out of range|division by zero"
    r"|slice indices must be|referenced before assignment|can only concatenate|not enough values to unpack"
    r"|too many values to unpack|no such file or directory|\[errno \d+\]|traceback \(most recent call last\)"
    r"|\b4\d\d client error|http error 4\d\d|invalid api call|response error|does not match format|unconverted data remains"
    r"|argument of type|takes no (?:keyword )?arguments|expected (?:str|string|int|bytes)"
    r"|^\s*(?:[a-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception)\b|^\s*error\b",
    re.IGNORECASE,
)
_ERROR_KEYS = ("error", "errors", "error_message", "errormessage", "error_msg", "err")
_FAILED_STATUS = frozenset({"error", "failure", "failed", "fail"})


def _payload_error_text(payload: Any) -> str | None:
    """The error message of a structured error payload, or None when the payload is a normal result.

    An error payload is a top-level object with a truthy ``error``-like field, or a ``status`` of
    error/failure, or an HTTP ``code``/``status_code`` >= 400 at the top level. Nested errors are ignored
    (lists of per-item results often carry an ``error`` field per item).
    """
    if not isinstance(payload, Mapping):
        return None
    lowered = {str(k).lower(): v for k, v in payload.items()}
    for key in _ERROR_KEYS:
        v = lowered.get(key)
        if v:
            return v if isinstance(v, str) else json.dumps(v, default=str)[:_HEAD]
    status = lowered.get("status")
    if isinstance(status, str) and status.lower() in _FAILED_STATUS:
        return str(lowered.get("message", status))
    for key in ("code", "status_code", "statuscode"):
        v = lowered.get(key)
        if isinstance(v, int) and not isinstance(v, bool) and v >= 400:
            return f"{v} {lowered.get('message', '')}"
    if len(lowered) <= 2:  # a bare {"message": "..."} / {"Note": "..."} notice: only instability counts
        for key in ("message", "note", "information", "detail"):
            v = lowered.get(key)
            if isinstance(v, str) and _INSTABILITY.search(v[:_HEAD]):
                return v
    return None


def _load_payload(text: str) -> Any:
    s = text.strip()
    if not s or s[0] not in "{[" or len(s) > _JSON_LIMIT:
        return None
    try:
        return json.loads(s)
    except (ValueError, RecursionError):
        pass
    if s[0] == "{" and len(s) <= 100_000:  # a Python-repr dict (single quotes): literal syntax only
        try:
            return ast.literal_eval(s)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
    return None


def _split_names(text: str) -> tuple[str, ...]:
    return tuple(m.group(1) for m in _QUOTED.finditer(text))


def classify_feedback_detail(feedback: str | Feedback | None) -> FeedbackDetail:
    """Like :func:`classify_feedback`, plus the tool or parameter names the text mentions."""
    if isinstance(feedback, Feedback):
        return FeedbackDetail(feedback.category, tool=feedback.tool, params=())
    text = "" if feedback is None else str(feedback)
    head = text[:_HEAD].lstrip()
    if _FORMAT_ERROR.match(head):
        return FeedbackDetail(ErrorKind.UNPARSABLE)
    for rx in (_IMPORT, _NOT_DEFINED, _NO_MODULE_ATTR):
        m = rx.search(head) if rx is _IMPORT else rx.match(head)
        if m:
            return FeedbackDetail(ErrorKind.TOOL_HALLUCINATION, tool=m.group(1))
    if _BAD_NAME_SYNTAX.match(head):
        return FeedbackDetail(ErrorKind.TOOL_HALLUCINATION)
    m = _MISSING.match(head)
    if m:
        return FeedbackDetail(ErrorKind.MISSING_PARAMETER, tool=m.group(1), params=_split_names(m.group(2)))
    m = _UNEXPECTED.match(head)
    if m:
        return FeedbackDetail(ErrorKind.PARAMETER_HALLUCINATION, tool=m.group(1), params=(m.group(2),))
    m = _TYPE_MISMATCH.match(head)
    if m:
        return FeedbackDetail(ErrorKind.TYPE_MISMATCH, tool=m.group(1), params=(m.group(2),))
    m = _TOO_MANY_POS.match(head)
    if m:
        return FeedbackDetail(ErrorKind.PARAMETER_HALLUCINATION, tool=m.group(1))
    if "\x00" in head or head.count("\ufffd") >= 3:
        return FeedbackDetail(ErrorKind.TOOL_INSTABILITY)  # garbled bytes
    if _JSONISH.match(head):
        err = _payload_error_text(_load_payload(text))
        if err is None:
            return FeedbackDetail(ErrorKind.CORRECT)
        kind = ErrorKind.TOOL_INSTABILITY if _INSTABILITY.search(err[:_HEAD]) else ErrorKind.TOOL_CALL_FAILURE
        return FeedbackDetail(kind)
    if len(head) <= 2000:  # exception texts are short; long free text is an observation
        if _INSTABILITY.search(head):
            return FeedbackDetail(ErrorKind.TOOL_INSTABILITY)
        if _FAILURE.search(head):
            return FeedbackDetail(ErrorKind.TOOL_CALL_FAILURE)
        stripped = head.rstrip()
        if len(stripped) >= 3 and stripped[0] == "'" and stripped[-1] == "'" and "'" not in stripped[1:-1]:
            return FeedbackDetail(ErrorKind.TOOL_CALL_FAILURE, params=(stripped[1:-1],))  # str(KeyError)
    return FeedbackDetail(ErrorKind.CORRECT)


def classify_feedback(feedback: str | Feedback | None) -> ErrorKind:
    """Map an execution feedback to an :class:`ErrorKind`.

    A :class:`Feedback` keeps its own category. A text is read as the upstream ToolEyes/RoTBench environments
    write it (``rotbench_tooleyes.md`` §4.1, TL-Training Appendix C):

    * UNPARSABLE: ToolEyes' "Your output format does not match the specified format..." complaint;
    * TOOL_HALLUCINATION: ``cannot import name 'x' from ...``, ``name 'x' is not defined``,
      ``invalid syntax (<string>, line 1)``, ``module 'm' has no attribute 'x'``;
    * MISSING_PARAMETER: ``f() missing N required positional argument(s): 'p'``;
    * PARAMETER_HALLUCINATION: ``f() got an unexpected keyword argument 'p'``, ``takes N positional arguments
      but M were given``;
    * TYPE_MISMATCH: tools_env's validation texts ``TypeError: f() argument 'p' must be integer, not str`` and
      ``ValueError: f() argument 'p' must be one of [...], not 'x'``;
    * TOOL_INSTABILITY: timeouts, connection errors, HTTP 5xx/429, rate limits, "Max retries exceeded",
      "not recorded", garbled payloads (NUL bytes, replacement characters), an empty-body JSON decode error;
    * TOOL_CALL_FAILURE: other exception texts (``'<' not supported between instances ...``, ``Object of type
      bytes is not JSON serializable``, ``invalid literal for int()``, a bare ``'key'`` KeyError, HTTP 4xx) and
      **error payloads**: a JSON object whose top level has a truthy ``error``/``errors`` field, a failed
      ``status`` or a ``code`` >= 400 (the call produced no result; TL-Training's MAE also drops these turns);
      an error payload whose message reads as instability (``{"error": "connection error."}``) is
      TOOL_INSTABILITY;
    * CORRECT: anything else (a normal observation; truncated JSON is normal, upstream truncates observations).

    Linear time: precompiled regexes without nested quantifiers, applied to the first 4,000 characters.
    """
    return classify_feedback_detail(feedback).kind
