"""The sandbox's typed outcome: every way a call can end maps to exactly one (status, error class).

Pinned at three levels: the outcome type refuses a status that its error class does not allow; the worker's
own mapping (run in-process on functions that end each way); the pool's, on real misbehaving tools; and the
wire protocol turns a garbled or inconsistent answer into an instability instead of an exception.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import bad_tools
import pytest

from tlbench.types import ErrorKind, ToolCall, ToolDoc
from tools_env import ToolEnv
from tools_env.base import STATUSES, ToolCallFailed, ToolUnstable
from tools_env.registry import ToolRegistry
from tools_env.sandbox import ErrorClass, SandboxOutcome, SandboxPool, SandboxRequest, protocol
from tools_env.sandbox.guards import OutputLimit, SandboxDenied
from tools_env.sandbox.protocol import ALLOWED_STATUSES, SandboxLimits
from tools_env.sandbox.worker import WorkerLoop

#: The rule, written out: infrastructure is instability, the tool's own failures and refusals are failures.
EXPECTED_ALLOWED = {
    ErrorClass.RAISED: {"failed", "unstable"},
    ErrorClass.REFUSED: {"failed"},
    ErrorClass.INVALID: {"failed"},
    ErrorClass.TIMEOUT: {"unstable"},
    ErrorClass.CRASH: {"unstable"},
    ErrorClass.MEMORY: {"unstable"},
    ErrorClass.OUTPUT: {"unstable"},
    ErrorClass.PROTOCOL: {"unstable"},
    ErrorClass.UNAVAILABLE: {"unstable"},
}


def test_each_error_class_allows_exactly_the_expected_statuses() -> None:
    assert {c: set(s) for c, s in ALLOWED_STATUSES.items()} == EXPECTED_ALLOWED
    for status, cls in itertools.product(STATUSES, [None, *ErrorClass]):
        valid = cls is None if status == "ok" else cls is not None and status in EXPECTED_ALLOWED[cls]
        if valid:
            out = SandboxOutcome(status, text="x", error_class=cls)
            assert out.ok is (status == "ok")
        else:
            with pytest.raises(ValueError):
                SandboxOutcome(status, text="x", error_class=cls)
    with pytest.raises(ValueError):
        SandboxOutcome("error", text="x", error_class=ErrorClass.RAISED)  # type: ignore[arg-type]


def test_unwrap_and_detail() -> None:
    assert SandboxOutcome("ok", value=[1]).unwrap() == [1]
    with pytest.raises(ToolCallFailed, match="bad"):
        SandboxOutcome("failed", text="bad", error_class=ErrorClass.RAISED, exception="ValueError").unwrap()
    with pytest.raises(ToolUnstable, match="slow"):
        SandboxOutcome("unstable", text="slow", error_class=ErrorClass.TIMEOUT).unwrap()
    # Feedback.detail: the exception's name when there is one, else the class's label
    assert (
        SandboxOutcome("failed", text="x", error_class=ErrorClass.RAISED, exception="KeyError").detail
        == "KeyError"
    )
    labels = {
        c: SandboxOutcome("unstable", text="x", error_class=c).detail
        for c in ErrorClass
        if c.name != "RAISED" and "unstable" in EXPECTED_ALLOWED[c]
    }
    assert labels[ErrorClass.TIMEOUT] == "Timeout" and labels[ErrorClass.CRASH] == "Crash"
    assert labels[ErrorClass.MEMORY] == "MemoryLimit" and labels[ErrorClass.OUTPUT] == "OutputLimit"
    assert SandboxOutcome("ok", value=1).detail == ""


# ------------------------------------------------------------------------------------------------ worker


def _denied() -> None:
    raise SandboxDenied("[Errno 1] Operation not permitted: os.fork is disabled in the tool sandbox")


def _own_permission_error() -> None:
    raise PermissionError("[Errno 13] Permission denied: '/root'")


def _flood() -> None:
    raise OutputLimit("printed more than 10 characters")


def _oom() -> None:
    raise MemoryError


def _unstable() -> None:
    raise ToolUnstable("503 Service Unavailable")


def _not_json() -> bytes:
    return b"x"


WORKER_CASES = [  # (function, kwargs, status, class, exception, retire)
    (lambda a: {"a": a}, {"a": 1}, "ok", None, "", False),
    (_denied, {}, "failed", ErrorClass.REFUSED, "PermissionError", False),
    (_own_permission_error, {}, "failed", ErrorClass.RAISED, "PermissionError", False),
    (lambda: 1 / 0, {}, "failed", ErrorClass.RAISED, "ZeroDivisionError", False),
    (_not_json, {}, "failed", ErrorClass.RAISED, "TypeError", False),
    (_unstable, {}, "unstable", ErrorClass.RAISED, "ToolUnstable", False),
    (_flood, {}, "unstable", ErrorClass.OUTPUT, "", False),
    (_oom, {}, "unstable", ErrorClass.MEMORY, "", True),
    (lambda: "y" * 100, {}, "unstable", ErrorClass.OUTPUT, "", False),  # result over max_result_chars
]


def _in_process_loop(tmp_path: Path, limits: dict[str, Any]) -> WorkerLoop:
    """A worker loop run inside the test process. Its CPU backstop stays off: ``RLIMIT_CPU`` set here would
    apply to the whole pytest process and kill it (SIGXCPU) minutes later."""
    loop = WorkerLoop({"limits": limits, "dir": str(tmp_path)}, out_fd=-1)
    loop.arm_cpu = lambda: None  # type: ignore[method-assign]
    return loop


@pytest.mark.parametrize(("fn", "kwargs", "status", "cls", "exception", "retire"), WORKER_CASES)
def test_the_worker_maps_each_ending_to_one_answer(
    tmp_path: Path,
    fn: Any,
    kwargs: dict[str, Any],
    status: str,
    cls: ErrorClass | None,
    exception: str,
    retire: bool,
) -> None:
    loop = _in_process_loop(tmp_path, asdict(SandboxLimits(max_result_chars=50)))
    loop.targets["t:f"] = fn
    cwd = os.getcwd()
    try:
        answer = loop.handle(protocol.encode_request(7, SandboxRequest("t:f", kwargs))[0] or b"")
    finally:
        os.chdir(cwd)
    outcome, retired = protocol.decode_answer(protocol.encode_answer(answer), 7)
    assert (outcome.status, outcome.error_class, outcome.exception, retired) == (
        status,
        cls,
        exception,
        retire,
    )
    assert outcome.replaced is retire


def test_the_worker_answers_a_bad_workdir_as_protocol_instability(tmp_path: Path) -> None:
    loop = _in_process_loop(tmp_path, asdict(SandboxLimits()))
    line = protocol.encode_request(0, SandboxRequest("t:f", {}, workdir=str(tmp_path / "missing")))[0]
    cwd = os.getcwd()
    try:
        answer = loop.handle(line or b"")
    finally:
        os.chdir(cwd)
    outcome, _ = protocol.decode_answer(protocol.encode_answer(answer), 0)
    assert (outcome.status, outcome.error_class) == ("unstable", ErrorClass.PROTOCOL)


# ------------------------------------------------------------------------------------------------ wire


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b'{"id": 1, "status": "ok", "result": 1}',  # another request's answer
        b'[0, "ok"]',
        b'{"id": 0, "status": "failed", "class": "Timeout", "text": "x"}',  # a class that is never failed
        b'{"id": 0, "status": "unstable", "class": "NoSuchClass", "text": "x"}',
        b'{"id": 0, "status": "maybe", "class": "Raised", "text": "x"}',
        b'{"id": 0, "status": "failed", "text": "x"}',  # no class
    ],
)
def test_a_garbled_or_inconsistent_answer_is_protocol_instability(line: bytes) -> None:
    outcome, retire = protocol.decode_answer(line, 0)
    assert retire and outcome.replaced
    assert (outcome.status, outcome.error_class) == ("unstable", ErrorClass.PROTOCOL)


def test_requests_the_pool_cannot_send_are_invalid() -> None:
    for req in (
        SandboxRequest("no-colon", {}),
        SandboxRequest("m:f", {"x": float("nan")}),
        SandboxRequest("m:f", {"x": object()}),
        SandboxRequest("m:f", {"x": "y" * (protocol.MAX_REQUEST_CHARS + 1)}),
    ):
        line, outcome = protocol.encode_request(0, req)
        assert line is None and outcome is not None
        assert (outcome.status, outcome.error_class) == ("failed", ErrorClass.INVALID)


# ------------------------------------------------------------------------------------------------ pool


def _unstable_index() -> int:
    return next(i for i in range(100_000) if bad_tools.fault_mode(i, rate=1.0) == "unstable")


def test_the_pool_maps_real_misbehaviour_to_one_outcome(pool: SandboxPool) -> None:
    cases = [  # (request, status, class, exception)
        (SandboxRequest("bad_tools:add", {"a": 1, "b": 2}), "ok", None, ""),
        (SandboxRequest("bad_tools:fail", {}), "failed", ErrorClass.RAISED, "ValueError"),
        (
            SandboxRequest("bad_tools:flaky", {"i": _unstable_index(), "rate": 1.0}),
            "unstable",
            ErrorClass.RAISED,
            "ToolUnstable",
        ),
        (SandboxRequest("bad_tools:fork", {}), "failed", ErrorClass.REFUSED, "PermissionError"),
        (SandboxRequest("bad_tools:hang", {}, timeout_s=0.3), "unstable", ErrorClass.TIMEOUT, ""),
        (SandboxRequest("bad_tools:abort", {}), "unstable", ErrorClass.CRASH, ""),
        (SandboxRequest("bad_tools:print_flood", {"mb": 1}), "unstable", ErrorClass.OUTPUT, ""),
        (SandboxRequest("no_such_module_xyz:f", {}), "failed", ErrorClass.RAISED, "ModuleNotFoundError"),
        (SandboxRequest("not-a-target", {}), "failed", ErrorClass.INVALID, "ValueError"),
    ]
    outs = pool.run_many([r for r, *_ in cases])
    for (req, status, cls, exception), out in zip(cases, outs, strict=True):
        assert (out.status, out.error_class, out.exception) == (status, cls, exception), (req.target, out)


def test_the_environment_reads_the_status_and_keeps_the_detail_labels(pool: SandboxPool) -> None:
    registry = ToolRegistry()
    for name in ("add", "fail", "fork", "abort"):
        registry.add(ToolDoc(name), target=f"bad_tools:{name}")
    with ToolEnv(registry, pool=pool) as env:
        got = {
            name: env.execute(ToolCall(name, {"a": 1, "b": 2} if name == "add" else {}), validate=False)
            for name in ("add", "fail", "fork", "abort")
        }
    assert (got["add"].category, got["add"].text) == (ErrorKind.CORRECT, "3")
    assert (got["fail"].category, got["fail"].detail) == (ErrorKind.TOOL_CALL_FAILURE, "ValueError")
    assert (got["fork"].category, got["fork"].detail) == (ErrorKind.TOOL_CALL_FAILURE, "PermissionError")
    assert (got["abort"].category, got["abort"].detail) == (ErrorKind.TOOL_INSTABILITY, "Crash")
