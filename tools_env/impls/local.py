"""The table of offline tools and the one function that runs any of them.

``LOCAL_TOOLS`` maps a tool name to its plain function (ToolEyes' local tools and the general set).
:func:`run_local_tool` is the picklable entry point a sandbox worker calls with JSON values only
(``"tools_env.impls.local:run_local_tool"``); :class:`LocalExecutor` calls it in-process and derives the
context values (workdir, seed, pinned date) from the ``CallContext``.

Context parameters are the keyword-only parameters named in :data:`CONTEXT_PARAMS`; a function receives
only those it declares. A model that passes one of them as an argument gets the upstream TypeError text
(``"write_file() got an unexpected keyword argument 'workdir'"``), never the power to choose the workdir.

Any exception inside a tool becomes ``ToolCallFailed`` whose text is ``str(e)`` (ToolEyes shows exactly that)
when the shared classifier recognises it, else ``"<ExceptionType>: <message>"`` so that the failure is still
classified as a tool-call failure (:func:`tools_env.base.failure_text`, the rule the sandbox worker applies).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from tlbench import jsonio
from tlbench.types import ToolCall, ToolDoc, canonical_json
from tools_env.base import CONTEXT_PARAMS, CallContext, ToolCallFailed, ToolExecError, failure_text
from tools_env.impls import general, tooleyes_local
from tools_env.simulate import stable_seed

__all__ = [
    "LOCAL_TOOLS",
    "CONTEXT_PARAMS",
    "run_local_tool",
    "local_call_kwargs",
    "failure_text",
    "LocalExecutor",
]

#: Tool name -> implementation. ToolEyes names first, then the general set.
LOCAL_TOOLS: dict[str, Callable[..., Any]] = {
    "calculator": tooleyes_local.calculator,
    "current_date": tooleyes_local.current_date,
    "get_random_number": tooleyes_local.get_random_number,
    "get_uuid": tooleyes_local.get_uuid,
    "generate_string": tooleyes_local.generate_string,
    "generate_password": tooleyes_local.generate_password,
    "generate_placeholder_text": tooleyes_local.generate_placeholder_text,
    "write_file": tooleyes_local.write_file,
    "read_file": tooleyes_local.read_file,
    "convert_units": general.convert_units,
    "date_add": general.date_add,
    "date_diff": general.date_diff,
    "day_of_week": general.day_of_week,
    "json_query": general.json_query,
    "json_validate": general.json_validate,
    "regex_search": general.regex_search,
    "regex_replace": general.regex_replace,
}

MAX_RESULT_CHARS = 4 << 20  # a local tool's serialised result is refused beyond 4 MiB


@lru_cache(maxsize=256)
def _context_params(fn: Callable[..., Any]) -> frozenset[str]:
    params = inspect.signature(fn).parameters.values()
    return frozenset(p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name in CONTEXT_PARAMS)


def run_local_tool(
    name: str,
    arguments: Mapping[str, Any],
    workdir: str,
    seed: int = 0,
    today: str | None = None,
) -> Any:
    """Run local tool ``name`` with JSON ``arguments``; returns a JSON-ready value or raises ToolCallFailed.

    ``workdir``, ``seed`` and ``today`` reach only the functions that declare them. Safe to call in a sandbox
    worker: every argument is a plain JSON/str/int value.
    """
    fn = LOCAL_TOOLS.get(name)
    if fn is None:
        raise ToolCallFailed(f"cannot import name '{name}' from 'tools_env.impls.local'")
    if not isinstance(arguments, Mapping):
        raise ToolCallFailed(f"{name}() argument after ** must be a mapping, not {type(arguments).__name__}")
    wanted = _context_params(fn)
    clash = sorted(CONTEXT_PARAMS.intersection(arguments))
    if clash:
        raise ToolCallFailed(f"{name}() got an unexpected keyword argument '{clash[0]}'")
    context: dict[str, Any] = {"workdir": workdir, "seed": seed, "today": today}
    kwargs = {str(k): v for k, v in arguments.items()}
    kwargs.update({k: v for k, v in context.items() if k in wanted})
    try:
        result = fn(**kwargs)
        text = jsonio.dumps(result, nonfinite="raise")
    except ToolExecError:
        raise
    except Exception as exc:  # RecursionError and MemoryError included: the tool failed, the worker lives
        raise ToolCallFailed(failure_text(exc)) from None
    if len(text) > MAX_RESULT_CHARS:
        raise ToolCallFailed(f"ValueError: result too large ({len(text)} characters)")
    return result


def local_call_kwargs(call: ToolCall, ctx: CallContext) -> dict[str, Any]:
    """The keyword arguments of :func:`run_local_tool` for ``call`` in ``ctx`` (all JSON/str/int).

    The random tools' seed is derived from the run seed, the call and the number of earlier turns, so that
    a rerun reproduces every value while two identical calls in one episode still differ.
    """
    today = ctx.item.get("today") if isinstance(ctx.item, Mapping) else None
    return {
        "name": call.name,
        "arguments": dict(call.arguments),
        "workdir": str(ctx.workdir),
        "seed": stable_seed(
            "local", ctx.seed, call.name, canonical_json(dict(call.arguments)), len(ctx.history)
        ),
        "today": str(today) if today else None,
    }


class LocalExecutor:
    """Runs the offline tools of :data:`LOCAL_TOOLS` in the current process.

    The sandbox pool should prefer ``run_local_tool`` with :func:`local_call_kwargs` in a worker; this class
    is the in-process path (tests, trusted runs, and the baseline of the sandbox benchmark).
    """

    name = "local"

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """Run ``call`` with the local implementation of ``call.name``."""
        return run_local_tool(**local_call_kwargs(call, ctx))
