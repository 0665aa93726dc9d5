"""Task sources for ``tlbench collect``: what a model is asked to do, with gold calls when known.

A :class:`Task` is one user query over a tool set, with the gold calls of each step (a step is one
assistant turn's calls; the final ``finish`` turn is implied). Sources:

* ``synthetic`` (:mod:`training.tasks.synthetic`): deterministic, seedable tasks over the ToolEyes tool
  library (or any tool list), single- and multi-step, with near-miss distractor tools; ``synthetic:train``
  (default) and ``synthetic:heldout`` are disjoint splits;
* ``llm`` (:mod:`training.tasks.llm`): tasks written by a model behind an OpenAI-compatible endpoint;
* a tasks JSONL file (one :meth:`Task.to_dict` per line; written by ``tlbench collect --dump-tasks``).

:func:`load_tasks` resolves a ``--tasks`` SOURCE string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError, UsageError
from tlbench.types import ToolDoc
from training.trajectory import FINISH_STEP

__all__ = ["Task", "FINISH_STEP", "load_tasks", "read_tasks", "write_tasks", "SPLITS"]

SPLITS = ("train", "heldout")


def _doc_from_dict(d: Mapping[str, Any]) -> ToolDoc:
    from tlbench.docs import docs_from_any

    docs = docs_from_any([dict(d)])
    if not docs:
        raise DataError(f"bad tool doc {str(d)[:80]!r}")
    return docs[0]


@dataclass(frozen=True, slots=True)
class Task:
    """One query for a model to solve with ``tools``.

    ``steps`` are the gold calls per assistant turn before the final ``finish`` (``None``: no gold known).
    ``system`` replaces the prompt format's default system text when set. ``split`` is ``train`` or
    ``heldout``.
    """

    id: str
    source: str
    query: str
    tools: tuple[ToolDoc, ...]
    steps: tuple[tuple[Mapping[str, Any], ...], ...] | None = None
    seed: int | None = None
    split: str = "train"
    system: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def gold_turns(self) -> tuple[tuple[Mapping[str, Any], ...], ...] | None:
        """The gold of every expected assistant turn, the final finish included (None without gold)."""
        return None if self.steps is None else (*self.steps, FINISH_STEP)

    def messages(self) -> list[dict[str, str]]:
        """The opening messages of the episode (optional system, then the user query)."""
        head = [{"role": "system", "content": self.system}] if self.system else []
        return [*head, {"role": "user", "content": self.query}]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (one line of a tasks file)."""
        return {
            "id": self.id,
            "source": self.source,
            "query": self.query,
            "tools": [t.to_dict() for t in self.tools],
            "steps": None
            if self.steps is None
            else [
                [{"name": c["name"], "arguments": dict(c.get("arguments") or {})} for c in s]
                for s in self.steps
            ],
            "seed": self.seed,
            "split": self.split,
            "system": self.system,
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Task:
        """Inverse of :meth:`to_dict`; raises :class:`DataError` on a malformed record."""
        if not isinstance(data, Mapping):
            raise DataError("a task must be a JSON object")
        for key in ("id", "query"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise DataError(f"task needs a non-empty string {key!r}")
        tools = data.get("tools") or []
        if not isinstance(tools, list):
            raise DataError("task 'tools' must be a list")
        steps_raw = data.get("steps")
        steps = None
        if steps_raw is not None:
            if not isinstance(steps_raw, list) or not all(isinstance(s, list) for s in steps_raw):
                raise DataError("task 'steps' must be a list of lists of calls")
            steps = tuple(
                tuple(
                    {"name": str(c["name"]), "arguments": dict(c.get("arguments") or {})}
                    for c in s
                    if isinstance(c, Mapping) and "name" in c
                )
                for s in steps_raw
            )
        split = data.get("split", "train")
        return cls(
            id=data["id"],
            source=str(data.get("source", "file")),
            query=data["query"],
            tools=tuple(_doc_from_dict(t) for t in tools),
            steps=steps,
            seed=data.get("seed") if isinstance(data.get("seed"), int) else None,
            split=split if split in SPLITS else "train",
            system=data.get("system") if isinstance(data.get("system"), str) else None,
            meta=dict(data.get("meta") or {}),
        )


def read_tasks(path: str | Path) -> list[Task]:
    """Tasks from a JSONL file (``file:line`` on a bad line)."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", str(p)) from None
    out: list[Task] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(Task.from_dict(jsonio.parse(line)))
        except ValueError as exc:
            raise DataError(f"not JSON: {exc}", str(p), n) from None
        except DataError as exc:
            raise DataError(str(exc), str(p), n) from None
    return out


def write_tasks(path: str | Path, tasks: Sequence[Task]) -> None:
    """Write tasks as JSONL (whole file, atomically)."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text("".join(jsonio.dumps(t.to_dict()) + "\n" for t in tasks), encoding="utf-8")
    tmp.replace(p)


def load_tasks(
    source: str,
    *,
    n: int,
    seed: int = 0,
    data_dir: Path | None = None,
    llm: Mapping[str, Any] | None = None,
    max_tools: int | None = None,
) -> list[Task]:
    """Resolve a ``--tasks`` SOURCE: ``synthetic[:train|heldout]``, ``llm[:train|heldout]`` or a JSONL file.

    ``n`` caps how many tasks are made (a file is cut to its first ``n``); ``llm`` holds the endpoint options
    of the ``llm`` source (``base_url``, ``model`` ...); ``max_tools`` caps the tools per synthetic task.
    """
    kind, _, split = source.partition(":")
    if kind in ("synthetic", "llm"):
        split = split or "train"
        if split not in SPLITS:
            raise UsageError(f"--tasks {source}: split must be one of {', '.join(SPLITS)}")
        from training.tasks.synthetic import load_tool_library

        library = load_tool_library(data_dir)
        if kind == "synthetic":
            from training.tasks.synthetic import generate_tasks

            return generate_tasks(library, n=n, seed=seed, split=split, max_tools=max_tools)
        from training.tasks.llm import llm_tasks

        opts = dict(llm or {})
        if not opts.get("base_url") or not opts.get("model"):
            raise UsageError("--tasks llm needs --task-base-url and --task-model")
        return llm_tasks(library, n=n, seed=seed, split=split, **opts)
    path = Path(source)
    if not path.is_file():
        raise UsageError(f"--tasks {source}: not 'synthetic', 'llm' or an existing tasks file")
    return read_tasks(path)[:n]
