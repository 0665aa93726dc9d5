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
the doc, and the environment fills them (the episode's directory, the run seed, the pinned date).
"""

from __future__ import annotations

import inspect
import os
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

from tlbench.errors import UsageError
from tlbench.registry import Registry
from tlbench.types import ToolDoc
from tools_env.base import Executor

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

#: Keyword-only parameters filled from the call context, never from the model (same set as the local tools).
CONTEXT_PARAMS = frozenset({"workdir", "seed", "today"})

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


# ------------------------------------------------------------------------------------ doc from a function

_JSON_TYPES: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    tuple: "array",
    set: "array",
    frozenset: "array",
    dict: "object",
    type(None): "null",
}
_ARG_LINE = re.compile(r"^\s*(?::param\s+)?(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Params|Returns?|Raises|Yields|Examples?|Notes?)\s*:\s*$"
)


def _schema_for(annotation: Any) -> tuple[dict[str, Any], bool]:
    """JSON schema of a type annotation, and whether it admits None (Optional)."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return {}, False
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        rest = [a for a in args if a is not type(None)]
        optional = len(rest) != len(args)
        if len(rest) == 1:
            return _schema_for(rest[0])[0], optional
        kinds = [_schema_for(a)[0].get("type") for a in rest]
        return ({"type": [k for k in kinds if k]} if all(kinds) else {}), optional
    if origin is Literal:
        values = list(args)
        schema: dict[str, Any] = {"enum": values}
        kinds = {_JSON_TYPES.get(type(v)) for v in values}
        if len(kinds) == 1 and None not in kinds:
            schema["type"] = kinds.pop()
        return schema, None in values
    if origin is not None:
        base = _JSON_TYPES.get(origin)
        if base is None and isinstance(origin, type):
            if issubclass(origin, Mapping):
                base = "object"
            elif issubclass(origin, Sequence) and not issubclass(origin, str | bytes):
                base = "array"
        schema = {"type": base} if base else {}
        if base == "array" and args and args[0] is not Ellipsis:
            item = _schema_for(args[0])[0]
            if item:
                schema["items"] = item
        return schema, False
    base = _JSON_TYPES.get(annotation)
    return ({"type": base} if base else {}), annotation is type(None)


def _parse_docstring(text: str) -> tuple[str, dict[str, str]]:
    """(description, {param: description}) from a Google-style or ``:param x:`` docstring."""
    lines = inspect.cleandoc(text or "").splitlines()
    desc: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in lines:
        m = _SECTION.match(line)
        if m:
            section = m.group(1).lower()
            current = None
            continue
        if line.strip().startswith(":param"):
            section = "args"
        if section is None:
            desc.append(line)
            continue
        if section.startswith(("arg", "param")):
            m = _ARG_LINE.match(line)
            indent = len(line) - len(line.lstrip())
            if m and (current is None or indent <= 4 or line.strip().startswith(":param")):
                current = m.group(1).lstrip("*")
                params[current] = m.group(2).strip()
            elif current and line.strip():
                params[current] = (params[current] + " " + line.strip()).strip()
    description = " ".join(" ".join(desc).split())
    return description, params


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


def doc_from_function(fn: Callable[..., Any], *, name: str | None = None) -> tuple[ToolDoc, tuple[str, ...]]:
    """A :class:`ToolDoc` from a typed signature and docstring, plus the context parameters it declares.

    ``str``/``int``/``float``/``bool``/``list``/``dict`` map to string/integer/number/boolean/array/object
    (``list[int]`` adds ``items``; ``Literal[...]`` gives an ``enum``); a parameter with a default, or typed
    ``Optional[...]``, is not required; JSON-able defaults are recorded. ``*args``/``**kwargs`` are not
    documented (and a function with ``**kwargs`` would accept anything: it is refused).
    """
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable forward references: fall back to raw annotations
        hints = {}
    description, param_docs = _parse_docstring(inspect.getdoc(fn) or "")
    props: dict[str, Any] = {}
    required: list[str] = []
    defaults: dict[str, Any] = {}
    context: list[str] = []
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            raise UsageError(f"tool {fn.__name__!r} takes **{p.name}: its parameters cannot be documented")
        if p.kind is p.VAR_POSITIONAL:
            continue
        if p.kind is p.KEYWORD_ONLY and p.name in CONTEXT_PARAMS:
            context.append(p.name)
            continue
        if p.kind is p.POSITIONAL_ONLY:
            raise UsageError(
                f"tool {fn.__name__!r}: positional-only parameter {p.name!r} cannot be passed by name"
            )
        schema, optional = _schema_for(hints.get(p.name, p.annotation))
        if p.name in param_docs and param_docs[p.name]:
            schema["description"] = param_docs[p.name]
        if p.default is not p.empty:
            if p.default is None or isinstance(p.default, str | int | float | bool | list | dict):
                defaults[p.name] = p.default
                schema["default"] = p.default
        elif not optional:
            required.append(p.name)
        props[p.name] = schema
    parameters = {"type": "object", "properties": props, "required": required}
    doc = ToolDoc(
        name=name or fn.__name__,
        description=description,
        parameters=parameters,
        required=tuple(required),
        defaults=defaults,
    )
    return doc, tuple(context)
