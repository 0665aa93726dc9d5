"""The environment facade: one call in, one classified :class:`~tlbench.types.Feedback` out.

``ToolEnv.execute(call)`` = validate against the doc (:mod:`tools_env.validate`) -> run the tool's executor
-> build the feedback:

* local Python tools (``@tool`` functions, and the ``"local"`` executor's offline tools) run in the sandbox
  pool (:mod:`tools_env.sandbox`), created lazily on the first such call and closed with the environment;
* every other executor (simulator, replay, LLM simulator, live HTTP, fault injection) runs in-process;
* ``ToolCallFailed`` -> TOOL_CALL_FAILURE, ``ToolUnstable`` -> TOOL_INSTABILITY, with ``str(e)`` as the text;
  any other exception from an executor is classified from its text by ``classify_feedback`` (an
  unrecognised text is TOOL_CALL_FAILURE), so nothing a tool does escapes as an exception;
* a result becomes ``jsonio.dumps(result)`` truncated to ``max_observation_chars``; a
  structured error payload (``{"error": ...}``) takes the classifier's category for it.

Arguments reach tools only as parsed JSON values; model output is never evaluated.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.classify import classify_feedback
from tlbench.errors import UsageError
from tlbench.types import ErrorKind, Feedback, ToolCall, ToolDoc
from tools_env.base import CallContext, Executor, ToolCallFailed, ToolExecError, ToolUnstable
from tools_env.registry import EXECUTORS, SANDBOX, ToolEntry, ToolRegistry
from tools_env.sandbox import SandboxLimits, SandboxOutcome, SandboxPool, SandboxRequest
from tools_env.validate import validate_call

__all__ = ["ToolEnv", "LOCAL_TARGET", "observation_text"]

#: The sandbox entry point of the ``"local"`` executor's offline tools.
LOCAL_TARGET = "tools_env.impls.local:run_local_tool"
_TRUNCATION_MARK = "..."


def observation_text(result: Any, limit: int) -> tuple[str, str]:
    """(observation, detail): the result's JSON text cut to ``limit`` characters, and a note when cut."""
    return _cut(jsonio.dumps(result, nonfinite="raise"), limit)


def _cut(text: str, limit: int) -> tuple[str, str]:
    if limit > 0 and len(text) > limit:
        return text[:limit] + _TRUNCATION_MARK, f"truncated from {len(text)} characters"
    return text, ""


class ToolEnv:
    """Executes tool calls against a :class:`ToolRegistry` and answers with classified feedback.

    ``registry`` may also be a plain list of docs (all bound to ``executor``). ``executor`` is the default
    for tools registered without one (a name in :data:`~tools_env.registry.EXECUTORS` or an instance);
    ``executors`` maps names to configured instances (a replay store, an endpoint) used instead of building
    them. ``workdir`` is the directory file tools may use (a private temp dir when None, removed by
    :meth:`close`). ``pool`` shares an existing sandbox pool (not closed by this environment); otherwise one
    is created on first need with ``limits`` (``timeout`` overrides its wall-clock limit).
    ``module`` is the module path in hallucinated-tool texts. ``sandbox_local=False`` runs the ``"local"``
    executor in-process (trusted runs, benchmarks of the sandbox overhead).
    """

    def __init__(
        self,
        registry: ToolRegistry | Iterable[ToolDoc],
        executor: str | Executor = "simulate",
        *,
        seed: int = 0,
        workdir: str | Path | None = None,
        pool: SandboxPool | None = None,
        timeout: float | None = None,
        max_observation_chars: int = 4096,
        limits: SandboxLimits | None = None,
        executors: Mapping[str, Executor] | None = None,
        item: Mapping[str, Any] | None = None,
        module: str = "tools.tool",
        pool_size: int | None = None,
        sandbox_local: bool = True,
    ) -> None:
        self.registry = (
            registry if isinstance(registry, ToolRegistry) else ToolRegistry.from_docs(registry, None)
        )
        self.seed = seed
        self.max_observation_chars = max_observation_chars
        self.item: Mapping[str, Any] = dict(item or {})
        self.module = module
        self.sandbox_local = sandbox_local
        base = limits or SandboxLimits()
        if timeout is not None:
            base = SandboxLimits(**{**_limits_dict(base), "timeout_s": float(timeout)})
        self.limits = base
        self._pool = pool
        self._own_pool = pool is None
        self._pool_size = pool_size
        self._pool_lock = threading.Lock()
        self._executors: dict[str, Executor] = dict(executors or {})
        self._default = executor
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="tlbench-episode-")
            workdir = self._tmp.name
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._closed = False
        self._resolve(executor)  # fail early on an unknown default

    # ------------------------------------------------------------------ life cycle

    @property
    def pool(self) -> SandboxPool:
        """The sandbox pool (created on first use)."""
        with self._pool_lock:
            if self._closed:
                raise UsageError("the tool environment is closed")
            if self._pool is None:
                self._pool = SandboxPool(self._pool_size, self.limits, sys_path=self.registry.sys_path())
            return self._pool

    def close(self) -> None:
        """Close the pool (when this environment made it) and remove the private workdir. Idempotent."""
        with self._pool_lock:
            if self._closed:
                return
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None and self._own_pool:
            pool.close()
        for ex in self._executors.values():
            closer = getattr(ex, "close", None)
            if callable(closer) and getattr(ex, "_owned_by_env", False):
                with contextlib.suppress(Exception):
                    closer()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> ToolEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ executors

    def _resolve(self, executor: str | Executor | None) -> Executor | None:
        """An executor instance for a name or instance (None for the sandbox)."""
        if executor is None:
            executor = self._default
        if not isinstance(executor, str):
            return executor
        if executor == SANDBOX:
            return None
        canonical = EXECUTORS.canonical(executor)
        found = self._executors.get(executor) or self._executors.get(canonical)
        if found is not None:
            return found
        factory = EXECUTORS.get(executor)
        try:
            instance = factory()
        except TypeError as exc:
            raise UsageError(
                f"executor {executor!r} needs configuration; pass an instance via ToolEnv(executors=...) ({exc})"
            ) from None
        self._executors[canonical] = instance
        return instance

    def context(
        self,
        *,
        history: Sequence[tuple[ToolCall, Feedback]] = (),
        item: Mapping[str, Any] | None = None,
        workdir: str | Path | None = None,
        seed: int | None = None,
    ) -> CallContext:
        """The :class:`CallContext` of a call (environment defaults, overridable per call)."""
        return CallContext(
            workdir=Path(workdir) if workdir is not None else self.workdir,
            seed=self.seed if seed is None else seed,
            history=tuple(history),
            item=self.item if item is None else item,
        )

    # ------------------------------------------------------------------ execution

    def execute(
        self,
        call: ToolCall,
        *,
        history: Sequence[tuple[ToolCall, Feedback]] = (),
        item: Mapping[str, Any] | None = None,
        workdir: str | Path | None = None,
        seed: int | None = None,
        validate: bool = True,
    ) -> Feedback:
        """Validate and run one call; always returns a :class:`Feedback` (never raises for bad calls)."""
        ctx = self.context(history=history, item=item, workdir=workdir, seed=seed)
        return self.execute_many([call], ctx=ctx, validate=validate)[0]

    def execute_many(
        self, calls: Sequence[ToolCall], *, ctx: CallContext | None = None, validate: bool = True
    ) -> list[Feedback]:
        """Run a batch of calls (sandboxed ones pipelined across the pool); feedback in call order."""
        ctx = ctx or self.context()
        out: list[Feedback | None] = [None] * len(calls)
        sandboxed: list[tuple[int, ToolEntry, SandboxRequest]] = []
        docs = self.registry.doc_index()
        for i, call in enumerate(calls):
            if not isinstance(call, ToolCall):
                out[i] = Feedback(ErrorKind.OTHER, f"TypeError: not a tool call: {type(call).__name__}")
                continue
            if validate:
                problem = validate_call(call, docs, module=self.module)
                if problem is not None:
                    out[i] = problem
                    continue
            entry = self.registry.get(call.name)
            if entry is None:  # validation off and not documented
                out[i] = validate_call(call, {}, module=self.module)
                continue
            try:
                request = self._sandbox_request(entry, call, ctx)
                if request is not None:
                    sandboxed.append((i, entry, request))
                    continue
                executor = self._resolve(entry.executor)
                assert executor is not None
                out[i] = self._feedback(call.name, executor.execute(call, entry.doc, ctx))
            except ToolExecError as exc:
                out[i] = self._error(call.name, exc)
            except UsageError:
                raise
            except Exception as exc:  # noqa: BLE001 - an executor bug must not end the episode
                out[i] = self._unexpected(call.name, exc)
        if sandboxed:
            outcomes = self.pool.run_many([r for _, _, r in sandboxed])
            for (i, _, _), outcome in zip(sandboxed, outcomes, strict=True):
                out[i] = self._from_outcome(calls[i].name, outcome)
        return [f if f is not None else Feedback(ErrorKind.OTHER, "no result", tool="") for f in out]

    def _sandbox_request(self, entry: ToolEntry, call: ToolCall, ctx: CallContext) -> SandboxRequest | None:
        """The pool request for sandboxed tools, None for in-process executors."""
        if entry.target is not None and (entry.executor in (None, SANDBOX)):
            clash = sorted(set(entry.context).intersection(call.arguments))
            if clash:
                raise ToolCallFailed(f"{call.name}() got an unexpected keyword argument '{clash[0]}'")
            kwargs = dict(call.arguments)
            values = {"workdir": str(ctx.workdir), "seed": ctx.seed, "today": ctx.item.get("today")}
            kwargs.update({k: values[k] for k in entry.context})
            return SandboxRequest(entry.target, kwargs, str(ctx.workdir))
        name = entry.executor if isinstance(entry.executor, str) else None
        if name is None and isinstance(self._default, str):
            name = self._default
        if self.sandbox_local and name is not None and EXECUTORS.canonical(name) == "local":
            from tools_env.impls.local import local_call_kwargs

            return SandboxRequest(LOCAL_TARGET, local_call_kwargs(call, ctx), str(ctx.workdir))
        return None

    # ------------------------------------------------------------------ feedback

    def _feedback(self, tool: str, result: Any) -> Feedback:
        try:
            text, detail = observation_text(result, self.max_observation_chars)
        except (TypeError, ValueError) as exc:
            return Feedback(ErrorKind.TOOL_CALL_FAILURE, str(exc), tool=tool)
        kind = ErrorKind.CORRECT
        if isinstance(result, Mapping):
            kind = classify_feedback(text)
            if kind is not ErrorKind.CORRECT and not kind.is_execution_error:
                kind = ErrorKind.TOOL_CALL_FAILURE
        return Feedback(kind, text, payload=result, tool=tool, detail=detail)

    def _error(self, tool: str, exc: ToolExecError) -> Feedback:
        kind = ErrorKind.TOOL_INSTABILITY if isinstance(exc, ToolUnstable) else ErrorKind.TOOL_CALL_FAILURE
        text, _ = _cut(str(exc), self.max_observation_chars)
        return Feedback(kind, text, tool=tool, detail=type(exc).__name__)

    def _unexpected(self, tool: str, exc: Exception) -> Feedback:
        text = str(exc) or type(exc).__name__
        kind = classify_feedback(text)
        if not kind.is_execution_error:
            kind = ErrorKind.TOOL_CALL_FAILURE
            text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return Feedback(kind, _cut(text, self.max_observation_chars)[0], tool=tool, detail=type(exc).__name__)

    def _from_outcome(self, tool: str, outcome: SandboxOutcome) -> Feedback:
        if outcome.status == "ok":
            return self._feedback(tool, outcome.value)
        kind = ErrorKind.TOOL_INSTABILITY if outcome.status == "unstable" else ErrorKind.TOOL_CALL_FAILURE
        text, _ = _cut(outcome.text, self.max_observation_chars)
        return Feedback(kind, text, tool=tool, detail=outcome.detail)


def _limits_dict(limits: SandboxLimits) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(limits)
