"""Deterministic synthetic tool-use tasks over a tool library (by default the ToolEyes ``Tool_Library``).

The paper built its 1,217 training tasks on the ToolEyes tool library; this generator makes an unlimited,
seedable stream in the same spirit:

* a **task** picks one tool package (a ToolEyes ``<Category>/<Tool>`` folder: its tools plus
  ``ask_to_user`` / ``finish``), one or two of its tools as the gold steps (multi-step with probability
  ``multi_ratio``), argument values drawn from small vocabularies keyed by the parameter's name and schema
  (credentials such as ``api_key`` are never used; a tool that *requires* one is skipped), and a query from
  one of :data:`TEMPLATES`;
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
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tlbench.errors import DataError, UsageError
from tlbench.types import ToolDoc
from tools_env.simulate import stable_seed
from training.tasks import Task

__all__ = [
    "ToolPackage",
    "TEMPLATES",
    "load_tool_library",
    "library_from_docs",
    "generate_tasks",
    "near_miss_docs",
    "split_of",
]

LIBRARY_DIR = Path("tooleyes") / "Tool_Library"
_RESERVED = frozenset({"finish", "ask_to_user"})
_CREDENTIAL = re.compile(r"(api_?key|apikey|token|secret|password|public_key|auth|credential)", re.IGNORECASE)

#: Query templates: ``{task}`` is the tool's purpose, ``{args}`` the argument phrase.
TEMPLATES: tuple[str, ...] = (
    "Could you help me with this: {task}? Use {args}.",
    "I need the following done: {task}, with {args}.",
    "Please {task_imp}. Details: {args}.",
    "My request: {task}. The inputs are {args}.",
    "Help me out - {task}, using {args}.",
    "Can you take care of this for me? {Task}. Here is what I have: {args}.",
    "I'd like to get this sorted: {task} ({args}).",
    "Task for you: {task}. Go with {args}.",
)
_NO_ARG_TEMPLATES: tuple[str, ...] = (
    "Could you help me with this: {task}?",
    "Please {task_imp}.",
    "I need the following done: {task}.",
    "Can you take care of this for me? {Task}.",
)
_THEN = (" After that, ", " Then ", " Once that is done, ", " Next, ")

_SUFFIXES = ("history", "details", "list", "by_id", "batch", "summary", "stats", "v2", "raw", "info")
_SWAPS = ("info", "list", "search", "status", "details", "data", "record", "report", "summary", "count")

_VOCAB: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "city|location|place|destination|origin|town",
        ("Paris", "Tokyo", "Berlin", "Nairobi", "Lima", "Toronto"),
    ),
    ("country", ("France", "Japan", "Kenya", "Brazil", "Canada", "India")),
    ("countrycode|country_code|cc|region|locale", ("US", "FR", "JP", "DE", "BR", "IN")),
    ("lang|language", ("en", "fr", "de", "es", "ja", "pt")),
    ("currency", ("USD", "EUR", "JPY", "GBP", "INR")),
    ("symbol|ticker|stock", ("AAPL", "MSFT", "TSLA", "NVDA", "AMZN")),
    ("date|day|start|end|from|to", ("2023-05-14", "2022-11-02", "2024-01-20", "2023-08-09")),
    ("year|season", ("2019", "2020", "2021", "2022", "2023")),
    ("email", ("ana@example.com", "li.wei@example.org", "sam@example.net")),
    ("url|link|domain|website", ("https://example.com", "https://example.org/page", "example.net")),
    ("ip", ("8.8.8.8", "1.1.1.1", "203.0.113.7")),
    ("breed|animal", ("beagle", "siamese", "husky", "poodle")),
    ("team|club", ("Lakers", "Arsenal", "Ferrari", "Celtics")),
    ("league", ("NBA", "Premier League", "Serie A", "La Liga")),
    ("name|title|author|artist|handle|user", ("Ada Lovelace", "Miles Davis", "Frida Kahlo", "Alan Turing")),
    ("word|text|txt|sentence|content|message", ("serendipity", "good morning", "hello world", "ephemeral")),
    (
        "query|q|search|keyword|topic|term|question",
        (
            "solar panels",
            "vegan recipes",
            "machine learning",
            "jazz festivals",
            "electric cars",
            "ancient Rome",
        ),
    ),
    ("sort|order", ("asc", "desc")),
    ("unit|units", ("metric", "imperial")),
    ("file|path|dir|filename", ("notes.txt", "report.md", "data/out.csv")),
)
_NUMERIC = re.compile(
    r"(limit|page|offset|count|cnt|num|number|size|len|length|radius|rank|id|position|height|weight|max|min"
    r"|price|interval|amount|quantity|age|lat|lon)",
    re.IGNORECASE,
)


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


def _usable(doc: ToolDoc) -> bool:
    """A tool a task can target: not reserved, no required credential."""
    if doc.name in _RESERVED:
        return False
    return not any(_CREDENTIAL.search(p) for p in doc.required)


def split_of(package: str, tool: str, template: int) -> str:
    """``heldout`` for one (package, tool, template) pair in five, ``train`` otherwise (pure, stable)."""
    return "heldout" if stable_seed("split", package, tool, template) % 5 == 0 else "train"


# ------------------------------------------------------------------------------------------------ values


def _value(rng: random.Random, name: str, schema: Mapping[str, Any]) -> Any:
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return rng.choice(enum)
    t = schema.get("type")
    low = name.lower()
    if t == "boolean":
        return rng.choice([True, False])
    if t in ("integer", "number"):
        return rng.randint(1, 20)
    if t == "array":
        return [_value(rng, name, schema.get("items") or {"type": "string"})]
    for keys, values in _VOCAB:
        if any(k == low or k in low.replace("-", "_").split("_") or low.endswith(k) for k in keys.split("|")):
            return rng.choice(values)
    if _NUMERIC.search(low):
        return str(rng.randint(1, 20))  # ToolEyes documents numbers as strings
    return rng.choice(("alpha", "blue", "summer", "river", "orion", "maple"))


def _arguments(rng: random.Random, doc: ToolDoc) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for pname, schema in doc.properties.items():
        if _CREDENTIAL.search(pname):
            continue
        if pname in doc.required or rng.random() < 0.5:
            args[pname] = _value(rng, pname, schema if isinstance(schema, Mapping) else {})
    return args


# ----------------------------------------------------------------------------------------------- queries

_LEAD = re.compile(
    r"^(?:it\s+|(?:this|the)\s+(?:tool|api|function|endpoint|service)\s+)?(?:is\s+)?(?:(?:used|designed|able|meant)\s+)?"
    r"(?:to\s+|for\s+|can\s+be\s+used\s+(?:to|for)\s+|can\s+|will\s+|allows?\s+(?:you\s+)?to\s+)?",
    re.IGNORECASE,
)


def _purpose(doc: ToolDoc) -> tuple[str, str]:
    """(noun-ish phrase, imperative phrase) describing what ``doc`` does, from its first sentence."""
    text = (doc.description or doc.name.replace("_", " ")).strip()
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".!? ")
    body = _LEAD.sub("", first).strip() or doc.name.replace("_", " ")
    body = re.sub(r"^to\s+", "", body)
    words = body.split()
    if (
        words
        and words[0].lower().endswith("s")
        and words[0].lower()
        in {
            "returns",
            "gets",
            "searches",
            "retrieves",
            "provides",
            "fetches",
            "finds",
            "lists",
            "generates",
            "creates",
            "calculates",
            "converts",
            "translates",
            "checks",
            "shows",
            "gives",
        }
    ):
        verb = words[0].lower()[:-2] if verb_es(words[0].lower()) else words[0].lower()[:-1]
        body = " ".join([verb, *words[1:]])
    imp = body[0].lower() + body[1:] if body else body
    return imp, imp


def verb_es(word: str) -> bool:
    """True for verbs whose third person adds ``es`` (searches, fetches)."""
    return word.endswith(("ches", "shes", "sses", "xes"))


def _arg_phrase(rng: random.Random, args: Mapping[str, Any]) -> str:
    parts = []
    for k, v in args.items():
        shown = v if isinstance(v, str) else repr(v).replace("'", '"')
        style = rng.randrange(3)
        if style == 0:
            parts.append(f"{k} = {shown}")
        elif style == 1:
            parts.append(f"{k.replace('_', ' ').strip()} {shown}")
        else:
            parts.append(f'"{shown}" as the {k}')
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _query(rng: random.Random, doc: ToolDoc, args: Mapping[str, Any], template: int) -> str:
    task, imp = _purpose(doc)
    if args:
        tpl = TEMPLATES[template % len(TEMPLATES)]
        text = tpl.format(
            task=task, task_imp=imp, Task=task[:1].upper() + task[1:], args=_arg_phrase(rng, args)
        )
    else:
        tpl = _NO_ARG_TEMPLATES[template % len(_NO_ARG_TEMPLATES)]
        text = tpl.format(task=task, task_imp=imp, Task=task[:1].upper() + task[1:])
    return text


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


# -------------------------------------------------------------------------------------------- generation


def _candidates(library: Sequence[ToolPackage]) -> list[tuple[ToolPackage, ToolDoc]]:
    return [(pkg, d) for pkg in library for d in pkg.docs if _usable(d)]


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
    pool = _candidates(library)
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
        others = [d for d in pkg.docs if _usable(d) and d.name != doc.name]
        if others and rng.random() < multi_ratio:
            chosen.append(rng.choice(others))
        steps = []
        queries = []
        for i, d in enumerate(chosen):
            args = _arguments(rng, d)
            steps.append(({"name": d.name, "arguments": args},))
            q = _query(rng, d, args, template + i)
            queries.append(
                q if i == 0 else rng.choice(_THEN) + (q if q.startswith("I") else q[0].lower() + q[1:])
            )
        taken = {d.name for d in pkg.docs}
        distractors: list[ToolDoc] = []
        for d in chosen:
            distractors += near_miss_docs(rng, d, taken, rng.randint(*near_miss))
        tools = [d for d in pkg.docs if d.name not in _RESERVED]
        if max_tools is not None:
            keep = {d.name for d in chosen}
            rest = [d.name for d in tools if d.name not in keep]
            room = max(0, max_tools - len(keep) - len(distractors))
            keep |= set(rng.sample(rest, min(room, len(rest))))
            tools = [d for d in tools if d.name in keep]
        for dd in distractors:  # at random positions: names are not sorted
            tools.insert(rng.randrange(len(tools) + 1), dd)
        reserved = {d.name: d for d in _reserved_docs()} | {
            d.name: d for d in pkg.docs if d.name in _RESERVED
        }
        tools += [reserved["ask_to_user"], reserved["finish"]]
        k = len(tasks)
        tasks.append(
            Task(
                id=f"syn-{split}-{seed}-{k}",
                source=f"{source}:{split}",
                query="".join(queries),
                tools=tuple(tools),
                steps=tuple(steps),
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
