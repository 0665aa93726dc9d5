"""BFCL's executable check: each call runs in the sandbox pool of ``tools_env``, results against the gold's."""

from __future__ import annotations

import atexit
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.base import Item
from benchmarks.bfcl.repairs import UPSTREAM, Repairs
from tlbench.types import ErrorKind, ToolCall, ToolDoc, canonical_json
from tools_env.env import ToolEnv
from tools_env.impls.bfcl_exec import LIVE_FUNCTIONS, PURE_FUNCTIONS
from tools_env.registry import ToolRegistry


@dataclass(frozen=True, slots=True)
class ExecOutcome:
    """The result of running one call: ``ok`` and ``value``, or ``error`` (the exception text)."""

    ok: bool
    value: Any = None
    error: str = ""


#: Outcomes of pure calls by name and canonical arguments (least recently used dropped first): the functions
#: are deterministic, and a sweep or a sampled run repeats the same calls many times. A time-out or a
#: crashed worker is never cached.
_RESULTS: OrderedDict[str, ExecOutcome] = OrderedDict()


_RESULTS_MAX = 4096


#: Official functions that append to a list argument: given a Python tuple (BFCL's decoder keeps tuples)
#: they raise ``AttributeError``. The sandbox receives JSON lists, so the rule is applied here.
_MUTATED_ARGS: Mapping[str, str] = {"polygon_area": "vertices"}


def execute(call: ToolCall) -> ExecOutcome:
    """Run one call of a pure BFCL function in ``tools_env``'s sandbox pool. Unknown or live names fail;
    exceptions, time-outs and crashes are failed calls.

    Upstream runs the call as given (no schema validation), so the environment is asked not to validate. A
    tuple result arrives as a list (JSON), which is what upstream's checker converts it to.
    """
    if call.name not in PURE_FUNCTIONS:
        why = "needs a live web API" if call.name in LIVE_FUNCTIONS else "is not an executable BFCL function"
        return ExecOutcome(False, error=f"{call.name!r} {why}")
    mutated = _MUTATED_ARGS.get(call.name)
    if mutated is not None and isinstance(call.arguments.get(mutated), tuple):
        return ExecOutcome(False, error="'tuple' object has no attribute 'append'")
    key = call.name + "\x00" + canonical_json(dict(call.arguments))
    cached = _RESULTS.get(key)
    if cached is not None:
        _RESULTS.move_to_end(key)
        return cached
    feedback = _exec_env().execute(call, validate=False)
    if feedback.ok:
        outcome = ExecOutcome(True, feedback.payload)
    else:
        outcome = ExecOutcome(False, error=feedback.text[:200])
    if feedback.category in (ErrorKind.CORRECT, ErrorKind.TOOL_CALL_FAILURE):  # deterministic outcomes only
        _RESULTS[key] = outcome
        if len(_RESULTS) > _RESULTS_MAX:
            _RESULTS.popitem(last=False)
    return outcome


_ENV: list[ToolEnv] = []


def _exec_env() -> ToolEnv:
    """The process-wide environment of the BFCL functions (sandboxed targets), made on first use."""
    if not _ENV:
        registry = ToolRegistry()
        for name in PURE_FUNCTIONS:
            registry.add(ToolDoc(name), target=f"tools_env.impls.bfcl_exec:{name}")
        env = ToolEnv(registry, pool_size=1)
        atexit.register(env.close)
        _ENV.append(env)
    return _ENV[0]


def _results_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - exotic values never crash the checker
        return False


def exec_check(
    calls: Sequence[ToolCall], item: Item, repairs: Repairs = UPSTREAM
) -> tuple[bool, dict[str, Any]]:
    """BFCL's executable verdict for already-decoded ``calls`` on an executable ``item`` (§1.4)."""
    gold = item.gold[0]
    expected = item.metadata["expected"]
    if not calls:
        return False, {"exec_error": "no calls"}
    if item.scenario == "simple" and len(calls) != 1:
        return False, {"exec_error": f"exec_simple needs exactly 1 call, got {len(calls)}"}
    if len(calls) != len(gold):
        return False, {"exec_error": f"wrong number of calls: {len(calls)} for {len(gold)} gold"}
    outcomes: dict[int, ExecOutcome] = {}
    used: set[int] = set()
    for i, g in enumerate(gold):
        found = None
        for j, call in enumerate(calls):
            if j in used or (repairs.exec_names and call.name != g.name):
                continue
            out = outcomes.get(j)
            if out is None:
                out = outcomes[j] = execute(call)
            if out.ok and _results_equal(out.value, expected[i]):
                found = j
                break
        if found is None:
            errors = [o.error for o in outcomes.values() if not o.ok]
            return False, {"exec_error": f"no call gives gold {i}'s result", "exec_failures": errors[:4]}
        used.add(found)
    return True, {}
