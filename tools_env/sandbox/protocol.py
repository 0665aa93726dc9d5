"""The sandbox's wire protocol and shared vocabulary: what the pool and a worker say to each other.

A worker is the process ``python -I -m tools_env.sandbox.worker`` (:data:`WORKER_MODULE`). It speaks **JSON
lines** (never pickle) over two private pipes:

1. start-up, parent -> worker: ``{"limits": {...}, "sys_path": [...], "dir": "...", "pdeathsig": bool}``
   (:func:`config_line`); worker -> parent: ``{"ready": true, "features": {"netns": ..., ...}}``
   (:func:`hello_message`, read back by :func:`parse_hello`);
2. each call, parent -> worker: ``{"id", "target": "module:function", "kwargs", "workdir"}``
   (:func:`encode_request`, read by :func:`parse_request`); worker -> parent, in request order, one
   *answer*: ``{"id", "status", "result"}`` for a value, or ``{"id", "status", "class", "exception", "text"}``
   for an error; both may carry ``"stdout"`` (what the tool printed) and ``"retire": true`` (the worker
   exits after this answer). :func:`encode_answer` writes it, :func:`decode_answer` turns it into a
   :class:`SandboxOutcome`.

The pool may also settle a call without any answer (time-out, crash, a request it refuses to send): it
then builds the outcome itself. Either way a call ends as exactly one :class:`SandboxOutcome`, whose
``status`` (``ok`` / ``failed`` / ``unstable``, :data:`tools_env.base.Status`) and ``error_class``
(:class:`ErrorClass`) are checked against each other when it is made.

Covered here: the message shapes, the outcome type and which error class allows which status; a garbled,
out-of-order or inconsistent answer becomes a ``PROTOCOL`` outcome (never an exception). Not covered: the
transport (pipes, deadlines, retiring workers: :mod:`tools_env.sandbox.pool`) and running the call
(:mod:`tools_env.sandbox.worker`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from tlbench import jsonio
from tools_env.base import STATUSES, Status, error_for

__all__ = [
    "WORKER_MODULE",
    "SandboxLimits",
    "SandboxRequest",
    "SandboxOutcome",
    "ErrorClass",
    "ALLOWED_STATUSES",
]

#: The module a worker process runs (``python -I -m WORKER_MODULE``).
WORKER_MODULE = "tools_env.sandbox.worker"
#: The largest request line the pool sends (arguments beyond it are refused before sending).
MAX_REQUEST_CHARS = 8 << 20
_GARBLED = "tool unavailable: garbled response from the sandbox worker"


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Per-call and per-worker limits.

    ``timeout_s`` is wall clock per call; ``cpu_s`` the CPU seconds a call may use (RLIMIT_CPU, re-armed per
    call); ``memory_bytes`` the worker's address space (RLIMIT_AS, which counts mappings, not RSS: leave room
    for the interpreter, ~100 MiB); ``file_size_bytes`` the largest file a tool may write (RLIMIT_FSIZE);
    ``max_output_chars`` what a tool may print; ``max_result_chars`` the size of a result's JSON;
    ``open_files`` RLIMIT_NOFILE; ``network`` lifts the network guards (for the live HTTP adapter only).
    """

    timeout_s: float = 5.0
    cpu_s: int = 10
    memory_bytes: int = 1 << 30
    file_size_bytes: int = 16 << 20
    max_output_chars: int = 64 << 10
    max_result_chars: int = 1 << 20
    open_files: int = 256
    network: bool = False


@dataclass(frozen=True, slots=True)
class SandboxRequest:
    """One call for the pool: ``target`` is an importable ``"module:function"``; ``kwargs`` JSON values only.

    ``workdir`` is the directory the call may write in (and its cwd); None means the worker's own temp dir.
    ``timeout_s`` overrides the pool's limit for this call.
    """

    target: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    workdir: str | None = None
    timeout_s: float | None = None


class ErrorClass(str, Enum):
    """Why a sandboxed call returned no value. The value is the label ``Feedback.detail`` shows when the
    outcome names no exception."""

    #: the tool raised an exception (named in ``exception``): failed, or unstable for ``ToolUnstable``
    RAISED = "Raised"
    #: the sandbox denied an operation the tool attempted (spawning, a socket, a write outside its
    #: directory, a foreign call, a signal): failed, with ``exception`` ``"PermissionError"``
    REFUSED = "Refused"
    #: the pool would not send the request: a bad target, arguments that are not JSON or too large: failed
    INVALID = "Invalid"
    #: the call passed its wall-clock deadline (the worker was killed): unstable
    TIMEOUT = "Timeout"
    #: the worker died during the call (signal, CPU limit, exit): unstable
    CRASH = "Crash"
    #: the worker ran out of address space (``MemoryError``; the worker is retired): unstable
    MEMORY = "MemoryLimit"
    #: the tool printed more than ``max_output_chars`` or its result exceeded ``max_result_chars``: unstable
    OUTPUT = "OutputLimit"
    #: a garbled or out-of-order answer, or a request or directory the worker could not use: unstable
    PROTOCOL = "Protocol"
    #: no worker could be started, or no answer came at all: unstable
    UNAVAILABLE = "Unavailable"


#: The statuses each error class allows (a tool may raise ``ToolUnstable`` itself: a simulated 5xx).
ALLOWED_STATUSES: Mapping[ErrorClass, frozenset[Status]] = {
    ErrorClass.RAISED: frozenset({"failed", "unstable"}),
    ErrorClass.REFUSED: frozenset({"failed"}),
    ErrorClass.INVALID: frozenset({"failed"}),
    **{
        c: frozenset({"unstable"})
        for c in (
            ErrorClass.TIMEOUT,
            ErrorClass.CRASH,
            ErrorClass.MEMORY,
            ErrorClass.OUTPUT,
            ErrorClass.PROTOCOL,
            ErrorClass.UNAVAILABLE,
        )
    },
}


@dataclass(frozen=True, slots=True)
class SandboxOutcome:
    """What came back for one request; never an exception.

    ``status`` ``"ok"`` with ``value`` (a JSON value) and no ``error_class``; or ``"failed"`` (the paper's
    TOOL_CALL_FAILURE) / ``"unstable"`` (TOOL_INSTABILITY) with ``text`` (the observation) and an
    ``error_class`` that allows that status (:data:`ALLOWED_STATUSES`; anything else raises ``ValueError``).
    ``exception`` names the Python exception behind the error, when there is one; ``stdout`` is what the
    tool printed (bounded); ``replaced`` is True when the worker was retired after this call.
    """

    status: Status
    value: Any = None
    text: str = ""
    error_class: ErrorClass | None = None
    exception: str = ""
    stdout: str = ""
    replaced: bool = False

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if (self.status == "ok") != (self.error_class is None):
            raise ValueError(f"status {self.status!r} does not go with error class {self.error_class!r}")
        if self.error_class is not None and self.status not in ALLOWED_STATUSES[self.error_class]:
            raise ValueError(f"error class {self.error_class.name} is never {self.status!r}")

    @property
    def ok(self) -> bool:
        """True when the call returned a value."""
        return self.status == "ok"

    @property
    def detail(self) -> str:
        """A short label of the error for ``Feedback.detail``: the exception's name, else the error class."""
        if self.error_class is None:
            return ""
        return self.exception or self.error_class.value

    def unwrap(self) -> Any:
        """The value, or raise ``ToolUnstable`` / ``ToolCallFailed`` with the error text."""
        if self.status == "ok":
            return self.value
        raise error_for(self.status, self.text)


def unstable(error_class: ErrorClass, text: str, replaced: bool = False) -> SandboxOutcome:
    """An instability the pool settles itself (no answer from the worker)."""
    return SandboxOutcome("unstable", text=text, error_class=error_class, replaced=replaced)


# ------------------------------------------------------------------------------------------------ start-up


def config_line(limits: SandboxLimits, sys_path: Sequence[str], home: str, pdeathsig: bool) -> bytes:
    """The first line the parent sends a new worker."""
    config = {"limits": asdict(limits), "sys_path": list(sys_path), "dir": home, "pdeathsig": pdeathsig}
    return json.dumps(config).encode() + b"\n"


def hello_message(features: Mapping[str, bool]) -> Mapping[str, Any]:
    """The worker's first answer: it is ready, with these protections active."""
    return {"ready": True, "features": dict(features)}


def parse_hello(line: bytes | None) -> dict[str, Any] | None:
    """The features a ready worker reported, or None when ``line`` is not a hello."""
    try:
        hello = jsonio.parse(line) if line else None
    except ValueError:
        return None
    if not isinstance(hello, dict) or not hello.get("ready"):
        return None
    return dict(hello.get("features") or {})


# ------------------------------------------------------------------------------------------------ calls


def encode_request(i: int, r: SandboxRequest) -> tuple[bytes | None, SandboxOutcome | None]:
    """The request line, or the outcome when the request cannot be sent (not JSON, too big, bad target)."""
    if not isinstance(r.target, str) or r.target.count(":") != 1:
        return None, _invalid("ValueError", f"bad tool target {r.target!r}")
    try:
        text = jsonio.dumps(
            {"id": i, "target": r.target, "kwargs": dict(r.kwargs), "workdir": r.workdir},
            nonfinite="raise",
        )
    except (TypeError, ValueError) as exc:
        return None, _invalid(type(exc).__name__, str(exc))
    if len(text) > MAX_REQUEST_CHARS:
        return None, _invalid("ValueError", "arguments too large")
    return text.encode("utf-8") + b"\n", None


def _invalid(exception: str, message: str) -> SandboxOutcome:
    return SandboxOutcome(
        "failed", text=f"{exception}: {message}", error_class=ErrorClass.INVALID, exception=exception
    )


def parse_request(line: bytes) -> dict[str, Any]:
    """A request line as the worker reads it (``ValueError`` when it is not a JSON object)."""
    msg = jsonio.parse(line)
    if not isinstance(msg, dict):
        raise ValueError("a request must be a JSON object")
    return msg


def success(rid: Any, raw_result: str) -> dict[str, Any]:
    """The answer for a value whose JSON text ``raw_result`` is already made (spliced in, not re-encoded)."""
    return {"id": rid, "status": "ok", "_raw": raw_result}


def failure(
    rid: Any, status: Status, error_class: ErrorClass, text: str, exception: str = "", retire: bool = False
) -> dict[str, Any]:
    """The answer for an error (``retire``: the worker exits after sending it)."""
    msg: dict[str, Any] = {"id": rid, "status": status, "class": error_class.value, "text": text}
    if exception:
        msg["exception"] = exception
    if retire:
        msg["retire"] = True
    return msg


def encode_answer(msg: Mapping[str, Any]) -> bytes:
    """One answer line (``TypeError``/``ValueError`` when a field is not JSON)."""
    raw = msg.get("_raw")
    if raw is None:
        text = jsonio.dumps(msg, nonfinite="raise")
    else:  # the result's JSON text is already made: splice it in rather than encode it twice
        head = jsonio.dumps({k: v for k, v in msg.items() if k != "_raw"})
        text = f'{head[:-1]}, "result": {raw}}}'
    return (text + "\n").encode("utf-8", "replace")


def decode_answer(line: bytes, i: int) -> tuple[SandboxOutcome, bool]:
    """Turn the answer to request ``i`` into an outcome; the flag says whether the worker must be retired."""
    try:
        msg = jsonio.parse(line)
    except ValueError:
        return unstable(ErrorClass.PROTOCOL, _GARBLED, True), True
    if not isinstance(msg, dict) or msg.get("id") != i:
        text = "tool unavailable: out-of-order response from the sandbox worker"
        return unstable(ErrorClass.PROTOCOL, text, True), True
    retire = bool(msg.get("retire"))
    stdout = str(msg.get("stdout") or "")
    status = msg.get("status")
    if status == "ok":
        return SandboxOutcome("ok", value=msg.get("result"), stdout=stdout), False
    try:
        outcome = SandboxOutcome(
            status,
            text=str(msg.get("text") or "error"),
            error_class=ErrorClass(msg.get("class")),
            exception=str(msg.get("exception") or ""),
            stdout=stdout,
            replaced=retire,
        )
    except (TypeError, ValueError):  # a status or class the protocol does not have, or a pair it forbids
        return unstable(ErrorClass.PROTOCOL, _GARBLED, True), True
    return outcome, retire
