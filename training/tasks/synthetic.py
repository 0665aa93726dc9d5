"""Deterministic synthetic tool-use tasks over a tool library (by default the ToolEyes ``Tool_Library``).

The paper built its 1,217 training tasks on the ToolEyes tool library; this generator makes an unlimited,
seedable stream in the same spirit:

* a **task** picks one tool package (a ToolEyes ``<Category>/<Tool>`` folder: its tools plus
  ``ask_to_user`` / ``finish``), one or two of its tools as the gold steps (multi-step with probability
  ``multi_ratio``), argument values drawn from small vocabularies keyed by the parameter's name and schema
  (credentials such as ``api_key`` are never used; a tool that *requires* one is skipped), and a query from
  one of :data:`TEMPLATES` (values and queries: :mod:`training.tasks.wording`);
* **near-miss tools**: each task adds ``near_miss`` distractor tools whose names share a prefix with a gold
  tool (``get_weather`` -> ``get_weather_history``, ``get_weather`` -> ``get_forecast``-style last-token
  swaps), so that PKT's key tokens (where the names diverge) matter;
* the **split** is a pure function of (package, tool, template): ``heldout`` tasks use tool/template pairs
  that never occur in ``train``, so scores on them measure generalisation, not recall;
* everything comes from ``random.Random(stable_seed(...))``: the same seed gives the same tasks on every
  machine, and task ids are stable (``syn-<split>-<seed>-<k>``).
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tlbench.errors import DataError, UsageError
from tlbench.types import ToolDoc
from tools_env.simulate import stable_seed
from training.tasks import Task
from training.tasks.wording import TEMPLATES, gold_steps, is_credential

__all__ = [
    "ToolPackage",
    "TEMPLATES",
    "load_tool_library",
    "library_from_docs",
    "generate_tasks",
    "near_miss_docs",
    "distractors_for",
    "insert_at_random",
    "usable_tool",
    "split_of",
]

LIBRARY_DIR = Path("tooleyes") / "Tool_Library"
_RESERVED = frozenset({"finish", "ask_to_user"})


_SUFFIXES = ("history", "details", "list", "by_id", "batch", "summary", "stats", "v2", "raw", "info")
_SWAPS = ("info", "list", "search", "status", "details", "data", "record", "report", "summary", "count")


@dataclass(frozen=True, slots=True)
class ToolPackage:
    """A tool set shown together in one prompt: a ToolEyes folder (``Category/Tool``) or a user's tool list."""

    name: str
    docs: tuple[ToolDoc, ...]


def load_tool_library(data_dir: Path | None = None) -> list[ToolPackage]:
    """Every ``Tool_Library/<Category>/<Tool>/config_gpt4.json`` under ``data_dir`` (sorted, so stable).

    Duplicate names inside one config (three upstream files have one) are dropped after the first.
    """
    from tlbench.docs import docs_from_tooleyes_config

    base = Path(data_dir or os.environ.get("TLBENCH_DATA") or ".") / LIBRARY_DIR
    files = sorted(base.glob("*/*/config_gpt4.json"))
    if not files:
        raise DataError("no ToolEyes tool library found (run 'tlbench data pull tooleyes')", str(base))
    out = []
    for f in files:
        docs = {}  # a few upstream configs list a tool twice: keep the first
        for d in docs_from_tooleyes_config(f):
            docs.setdefault(d.name, d)
        out.append(ToolPackage(str(f.parent.relative_to(base)), tuple(docs.values())))
    return out


def library_from_docs(docs: Sequence[ToolDoc], name: str = "custom") -> list[ToolPackage]:
    """A one-package library over a chosen tool set (``finish`` / ``ask_to_user`` added when missing)."""
    names = {d.name for d in docs}
    extra = [d for d in _reserved_docs() if d.name not in names]
    return [ToolPackage(name, (*docs, *extra))]


def _reserved_docs() -> tuple[ToolDoc, ...]:
    def one(name: str, desc: str, param: str, pdesc: str) -> ToolDoc:
        schema = {
            "type": "object",
            "properties": {param: {"type": "string", "description": pdesc}},
            "required": [param],
        }
        return ToolDoc(name=name, description=desc, parameters=schema, required=(param,))

    return (
        one("ask_to_user", "Ask the user for more information.", "question", "The question to ask."),
        one("finish", "Finish the task and give your answer.", "answer", "Your answer for the task."),
    )


# --------------------------------------------------------------------------------------------- tool choice


def usable_tool(doc: ToolDoc) -> bool:
    """A tool a task can target: not reserved, no required credential."""
    if doc.name in _RESERVED:
        return False
    return not any(is_credential(p) for p in doc.required)


def split_of(package: str, tool: str, template: int) -> str:
    """``heldout`` for one (package, tool, template) pair in five, ``train`` otherwise (pure, stable)."""
    return "heldout" if stable_seed("split", package, tool, template) % 5 == 0 else "train"


# ------------------------------------------------------------------------------------------ near misses


def near_miss_docs(rng: random.Random, gold: ToolDoc, taken: set[str], k: int) -> list[ToolDoc]:
    """``k`` distractor tools whose names share a prefix with ``gold.name`` (extensions or last-part swaps)."""
    out: list[ToolDoc] = []
    parts = gold.name.split("_")
    candidates = [f"{gold.name}_{s}" for s in _SUFFIXES]
    if len(parts) > 1:
        candidates += ["_".join([*parts[:-1], s]) for s in _SWAPS]
    rng.shuffle(candidates)
    for name in candidates:
        if len(out) >= k:
            break
        if name in taken:
            continue
        taken.add(name)
        tail = name[len(os.path.commonprefix([name, gold.name])) :].strip("_").replace("_", " ")
        desc = f"Like {gold.name} but only for the {tail or 'variant'} view; do not use it for ordinary requests."
        out.append(
            ToolDoc(
                name=name,
                description=desc,
                parameters=dict(gold.parameters),
                required=tuple(gold.required),
                defaults=dict(gold.defaults),
            )
        )
    return out


def distractors_for(
    rng: random.Random, package: ToolPackage, gold: Sequence[ToolDoc], counts: tuple[int, int] = (1, 2)
) -> list[ToolDoc]:
    """Near misses of every gold tool (``counts`` bounds how many each), named apart from ``package``'s."""
    taken = {d.name for d in package.docs}
    out: list[ToolDoc] = []
    for d in gold:
        out += near_miss_docs(rng, d, taken, rng.randint(*counts))
    return out


def insert_at_random(rng: random.Random, tools: list[ToolDoc], extra: Sequence[ToolDoc]) -> None:
    """Put each of ``extra`` at a random place in ``tools`` (a distractor's place gives nothing away)."""
    for doc in extra:
        tools.insert(rng.randrange(len(tools) + 1), doc)


# -------------------------------------------------------------------------------------------- generation


def generate_tasks(
    library: Sequence[ToolPackage],
    *,
    n: int,
    seed: int = 0,
    split: str = "train",
    multi_ratio: float = 0.3,
    near_miss: tuple[int, int] = (1, 2),
    source: str = "synthetic",
    max_tools: int | None = None,
) -> list[Task]:
    """``n`` tasks of ``split`` (deterministic in ``seed``; see the module docstring).

    ``max_tools`` caps the tools shown per task (``ask_to_user``/``finish`` not counted): the gold tools and
    their near misses always stay, other package tools are dropped at random. ToolEyes folders hold up to
    ~20 tools (2-5k prompt tokens); a cap keeps prompts short for small models and CPU training.
    """
    if max_tools is not None and max_tools < 1:
        raise UsageError("max_tools must be >= 1")
    if n < 0:
        raise UsageError("the number of tasks must be >= 0")
    pool = [(pkg, d) for pkg in library for d in pkg.docs if usable_tool(d)]
    if not pool:
        raise DataError("the tool set has no usable tool (all reserved or needing credentials)")
    rng = random.Random(stable_seed("synthetic-tasks", seed, split))  # not cryptography
    tasks: list[Task] = []
    attempts = 0
    while len(tasks) < n:
        attempts += 1
        if attempts > 200 * max(n, 1) + 1000:
            raise DataError(f"cannot make {n} {split} tasks from this tool set (too few tool/template pairs)")
        pkg, doc = rng.choice(pool)
        template = rng.randrange(len(TEMPLATES))
        if split_of(pkg.name, doc.name, template) != split:
            continue
        chosen = [doc]
        others = [d for d in pkg.docs if usable_tool(d) and d.name != doc.name]
        if others and rng.random() < multi_ratio:
            chosen.append(rng.choice(others))
        steps, query = gold_steps(rng, chosen, template)
        distractors = distractors_for(rng, pkg, chosen, near_miss)
        tasks.append(
            Task(
                id=f"syn-{split}-{seed}-{len(tasks)}",
                source=f"{source}:{split}",
                query=query,
                tools=_task_tools(rng, pkg, chosen, distractors, max_tools),
                steps=steps,
                seed=seed,
                split=split,
                meta={
                    "package": pkg.name,
                    "template": template,
                    "near_miss": [d.name for d in distractors],
                    "multi_step": len(steps) > 1,
                },
            )
        )
    return tasks


def _task_tools(
    rng: random.Random,
    pkg: ToolPackage,
    chosen: Sequence[ToolDoc],
    distractors: Sequence[ToolDoc],
    max_tools: int | None,
) -> tuple[ToolDoc, ...]:
    """The tools a task shows: the package's (at most ``max_tools``, the gold ones and the distractors
    always kept), the distractors at random places, then ``ask_to_user`` and ``finish``."""
    tools = [d for d in pkg.docs if d.name not in _RESERVED]
    if max_tools is not None:
        keep = {d.name for d in chosen}
        rest = [d.name for d in tools if d.name not in keep]
        room = max(0, max_tools - len(keep) - len(distractors))
        keep |= set(rng.sample(rest, min(room, len(rest))))
        tools = [d for d in tools if d.name in keep]
    insert_at_random(rng, tools, distractors)
    reserved = {d.name: d for d in _reserved_docs()} | {d.name: d for d in pkg.docs if d.name in _RESERVED}
    return (*tools, reserved["ask_to_user"], reserved["finish"])
