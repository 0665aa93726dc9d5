"""Which tools exist, what their documentation says, and what runs them.

A :class:`ToolRegistry` maps a tool name to a :class:`ToolEntry`: the :class:`~tlbench.types.ToolDoc`, the
executor that runs it (a name looked up in :data:`EXECUTORS`, an executor instance, or None for the
environment's default), and for local Python tools an importable ``"module:function"`` target that the
sandbox workers import by name (code is never pickled or sent as text).

Adding a tool is one declaration::

    @tool                                   # a typed function -> a sandboxed local tool
    def add(a: int, b: int = 0) -> int:
        '''Add two integers.

        Args:
            a: the first term
            b: the second term
        '''
        return a + b

    registry.add_docs(docs_from_openai_list(tools), executor="simulate")   # doc-only tools

Keyword-only parameters named ``workdir``, ``seed`` or ``today`` are *context* parameters: they are not in
the doc, and the environment fills them (the episode's directory, the run seed, the pinned date). How a
function becomes a doc is :mod:`tools_env.function_doc`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tlbench.errors import UsageError
from tlbench.registry import Registry
from tlbench.types import ToolDoc
from tools_env.base import CONTEXT_PARAMS, Executor
from tools_env.function_doc import doc_from_function

__all__ = [
    "EXECUTORS",
    "CONTEXT_PARAMS",
    "ToolEntry",
    "ToolRegistry",
    "DEFAULT_TOOLS",
    "tool",
    "doc_from_function",
]

#: Executors by name. Targets are lazy and built with no arguments; executors that need configuration
#: (a replay store, an endpoint) are passed to ``ToolEnv`` as instances instead.
EXECUTORS: Registry[Any] = Registry("executor")
EXECUTORS.add("local", "tools_env.impls.local:LocalExecutor")
EXECUTORS.add("simulate", "tools_env.simulate:SimulatedExecutor", "sim")
EXECUTORS.add("user", "tools_env.user:SimulatedUser")
EXECUTORS.add("llm", "tools_env.llm_sim:LLMSimulatedExecutor", "llm_sim")
EXECUTORS.add("replay", "tools_env.replay:ReplayExecutor")
EXECUTORS.add("record", "tools_env.replay:RecordingExecutor")
EXECUTORS.add("live", "tools_env.live_http:LiveHttpExecutor", "live_http")
EXECUTORS.add("faults", "tools_env.faults:FaultInjector")
EXECUTORS.add("code", "tools_env.os_sandbox:CodeExecutor")  # python/bash tools, bubblewrap only

#: The executor name of tools run by the sandbox pool from a ``"module:function"`` target.
SANDBOX = "sandbox"


@dataclass(frozen=True, slots=True)
class ToolEntry:
    """One registered tool.

    ``executor`` is an :data:`EXECUTORS` name, an executor instance, ``"sandbox"`` for a target run in the
    pool, or None (the environment's default executor). ``context`` lists the context parameters that the
    target declares. ``origin`` is a directory the workers need on ``sys.path`` to import ``target``.
    """

    doc: ToolDoc
    executor: str | Executor | None = None
    target: str | None = None
    context: tuple[str, ...] = ()
    origin: str | None = None

    @property
    def name(self) -> str:
        """The tool's name."""
        return self.doc.name


@dataclass
class ToolRegistry:
    """Tool name -> :class:`ToolEntry`, in registration order."""

    _entries: dict[str, ToolEntry] = field(default_factory=dict)

    # ------------------------------------------------------------------ adding

    def add(
        self,
        doc: ToolDoc,
        executor: str | Executor | None = None,
        *,
        target: str | None = None,
        context: Sequence[str] = (),
        origin: str | None = None,
        replace: bool = True,
    ) -> ToolEntry:
        """Register ``doc`` bound to ``executor``; a second tool with the same name replaces the first unless
        ``replace`` is False (then it is a :class:`UsageError`)."""
        if not isinstance(doc, ToolDoc):
            raise UsageError(f"a tool needs a ToolDoc, not {type(doc).__name__}")
        if isinstance(executor, str) and executor != SANDBOX and executor not in EXECUTORS:
            raise UsageError(EXECUTORS.unknown_message(executor))
        if target is not None and (not isinstance(target, str) or target.count(":") != 1):
            raise UsageError(f"tool target must be 'module:function', not {target!r}")
        if not replace and doc.name in self._entries:
            raise UsageError(f"tool {doc.name!r} is already registered")
        entry = ToolEntry(
            doc, SANDBOX if target and executor is None else executor, target, tuple(context), origin
        )
        self._entries[doc.name] = entry
        return entry

    def add_docs(
        self, docs: Iterable[ToolDoc], executor: str | Executor | None = "simulate"
    ) -> tuple[ToolEntry, ...]:
        """Register doc-only tools, all bound to ``executor`` (by name or instance)."""
        return tuple(self.add(d, executor) for d in docs)

    def tool(self, fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
        """Decorator: register a module-level typed function as a sandboxed local tool (see :func:`tool`)."""

        def deco(f: Callable[..., Any]) -> Callable[..., Any]:
            doc, context = doc_from_function(f, name=name)
            target, origin = _target_of(f)
            self.add(doc, SANDBOX, target=target, context=context, origin=origin)
            return f

        return deco(fn) if fn is not None else deco

    # ------------------------------------------------------------------ loaders

    @classmethod
    def from_docs(cls, docs: Iterable[ToolDoc], executor: str | Executor | None = "simulate") -> ToolRegistry:
        """A registry of doc-only tools bound to ``executor``."""
        reg = cls()
        reg.add_docs(docs, executor)
        return reg

    @classmethod
    def from_tooleyes_config(
        cls, path: str | os.PathLike[str], executor: str | Executor | None = "simulate"
    ) -> ToolRegistry:
        """The tools of a ToolEyes ``Tool_Library/<Category>/<Tool>/config_gpt4.json``.

        Names that the offline local tools implement (calculator, current_date, random, file read/write)
        are bound to ``"local"``; ``ask_to_user`` to the simulated user; the rest to ``executor``.
        """
        from tlbench.docs import docs_from_tooleyes_config

        return cls._with_local(docs_from_tooleyes_config(Path(path)), executor)

    @classmethod
    def from_rotbench_item(
        cls, item: Mapping[str, Any], executor: str | Executor | None = "simulate"
    ) -> ToolRegistry:
        """The tools listed in a RoTBench / ToolEyes item's system prompt (``conversations[0]``)."""
        from tlbench.docs import docs_from_rotbench_system

        convs = item.get("conversations") or item.get("messages") or []
        system = next((m for m in convs if isinstance(m, Mapping)), None)
        text = str(system.get("value", system.get("content", ""))) if system is not None else ""
        return cls._with_local(docs_from_rotbench_system(text), executor)

    @classmethod
    def from_toolalpaca(
        cls, item: Mapping[str, Any], executor: str | Executor | None = "simulate"
    ) -> ToolRegistry:
        """The functions of one ToolAlpaca API."""
        from tlbench.docs import docs_from_toolalpaca

        return cls.from_docs(docs_from_toolalpaca(item), executor)

    @classmethod
    def from_bfcl(
        cls, functions: Iterable[Any], executor: str | Executor | None = "simulate"
    ) -> ToolRegistry:
        """BFCL function docs."""
        from tlbench.docs import docs_from_bfcl

        return cls.from_docs(docs_from_bfcl(functions), executor)

    @classmethod
    def _with_local(cls, docs: Iterable[ToolDoc], executor: str | Executor | None) -> ToolRegistry:
        from tools_env.impls.local import LOCAL_TOOLS

        reg = cls()
        for d in docs:
            if d.name in LOCAL_TOOLS:
                reg.add(d, "local")
            elif d.name.lower() in ("ask_to_user", "ask_user"):
                reg.add(d, "user")
            else:
                reg.add(d, executor)
        return reg

    # ------------------------------------------------------------------ reading

    def get(self, name: str) -> ToolEntry | None:
        """The entry of ``name``, or None."""
        return self._entries.get(name)

    def docs(self) -> tuple[ToolDoc, ...]:
        """Every doc, in registration order."""
        return tuple(e.doc for e in self._entries.values())

    def doc_index(self) -> dict[str, ToolDoc]:
        """Name -> doc (what the classifier takes)."""
        return {n: e.doc for n, e in self._entries.items()}

    def names(self) -> list[str]:
        """Tool names in registration order."""
        return list(self._entries)

    def subset(self, names: Iterable[str]) -> ToolRegistry:
        """A registry with only ``names`` (unknown names are ignored: they stay hallucinations)."""
        keep = set(names)
        return ToolRegistry({n: e for n, e in self._entries.items() if n in keep})

    def sys_path(self) -> tuple[str, ...]:
        """Directories the sandbox workers need on ``sys.path`` to import the registered targets."""
        seen: dict[str, None] = {}
        for e in self._entries.values():
            if e.origin:
                seen[e.origin] = None
        return tuple(seen)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[ToolEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)


#: The registry that the module-level :func:`tool` decorator fills.
DEFAULT_TOOLS = ToolRegistry()


def tool(
    fn: Callable[..., Any] | None = None, *, name: str | None = None, registry: ToolRegistry | None = None
) -> Any:
    """Register a typed, module-level function as a local tool run in the sandbox pool.

    Usable bare (``@tool``) or with options (``@tool(name="x", registry=reg)``); the default registry is
    :data:`DEFAULT_TOOLS`. The doc is built by :func:`doc_from_function`. The function must be importable by
    name (defined at module level, not in ``__main__``), because workers import it.
    """
    return (registry or DEFAULT_TOOLS).tool(fn, name=name)


def _target_of(fn: Callable[..., Any]) -> tuple[str, str | None]:
    """``"module:qualname"`` of ``fn`` and the ``sys.path`` root its module is imported from."""
    module = getattr(fn, "__module__", None)
    qual = getattr(fn, "__qualname__", "")
    if not module or module == "__main__" or "<locals>" in qual or "<lambda>" in qual:
        raise UsageError(
            f"tool {getattr(fn, '__name__', fn)!r} must be a module-level function of an importable module "
            "(sandbox workers import it by name)"
        )
    origin = None
    mod = sys.modules.get(module)
    file = getattr(mod, "__file__", None)
    if file:
        root = Path(file).resolve().parent
        for _ in range(module.count(".") + (1 if Path(file).name == "__init__.py" else 0)):
            root = root.parent
        origin = str(root)
    return f"{module}:{qual}", origin
