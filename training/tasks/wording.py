"""The wording of synthetic tasks: argument values drawn by parameter name and schema, and user queries.

Values come from small vocabularies keyed by a parameter's name (``city`` -> Paris, Tokyo, ...) and its JSON
schema (enums, numbers, booleans, arrays); credentials (``api_key``, ``token``, ...) are never filled in. A
query is one of :data:`TEMPLATES` filled with the tool's purpose (from its description's first sentence)
and a phrase naming the argument values; a second step is joined with "Then ..." and the like. Every draw
comes from the caller's seeded ``random.Random``, in a fixed order, so the same seed gives the same tasks.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from tlbench.types import ToolDoc

__all__ = ["TEMPLATES", "is_credential", "arguments", "query", "gold_steps", "verb_es"]

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


def is_credential(name: str) -> bool:
    """True for a parameter name that asks for a secret (an API key, a token, a password, ...)."""
    return bool(_CREDENTIAL.search(name))


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


def arguments(rng: random.Random, doc: ToolDoc) -> dict[str, Any]:
    """Values for ``doc``'s required parameters and, each with probability 1/2, its optional ones."""
    args: dict[str, Any] = {}
    for pname, schema in doc.properties.items():
        if is_credential(pname):
            continue
        if pname in doc.required or rng.random() < 0.5:
            args[pname] = _value(rng, pname, schema if isinstance(schema, Mapping) else {})
    return args


_LEAD = re.compile(
    r"^(?:it\s+|(?:this|the)\s+(?:tool|api|function|endpoint|service)\s+)?(?:is\s+)?(?:(?:used|designed|able|meant)\s+)?"
    r"(?:to\s+|for\s+|can\s+be\s+used\s+(?:to|for)\s+|can\s+|will\s+|allows?\s+(?:you\s+)?to\s+)?",
    re.IGNORECASE,
)


#: Third-person verbs a tool description may start with ("Returns the weather"): made imperative.
_THIRD_PERSON = frozenset(
    "returns gets searches retrieves provides fetches finds lists generates creates calculates converts"
    " translates checks shows gives".split()
)


def _purpose(doc: ToolDoc) -> tuple[str, str]:
    """(noun-ish phrase, imperative phrase) describing what ``doc`` does, from its first sentence."""
    text = (doc.description or doc.name.replace("_", " ")).strip()
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".!? ")
    body = _LEAD.sub("", first).strip() or doc.name.replace("_", " ")
    body = re.sub(r"^to\s+", "", body)
    words = body.split()
    if words and words[0].lower().endswith("s") and words[0].lower() in _THIRD_PERSON:
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


def query(rng: random.Random, doc: ToolDoc, args: Mapping[str, Any], template: int) -> str:
    """A user request for one call of ``doc`` with ``args``, in :data:`TEMPLATES` number ``template``."""
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


def gold_steps(
    rng: random.Random, docs: Sequence[ToolDoc], template: int
) -> tuple[tuple[tuple[dict[str, Any], ...], ...], str]:
    """(gold steps, query) of a task that calls ``docs`` in order: one call per step with drawn arguments;
    the query asks for them in the same order, the second in template ``template + 1`` after "Then ..."."""
    steps = []
    queries = []
    for i, d in enumerate(docs):
        args = arguments(rng, d)
        steps.append(({"name": d.name, "arguments": args},))
        q = query(rng, d, args, template + i)
        queries.append(
            q if i == 0 else rng.choice(_THEN) + (q if q.startswith("I") else q[0].lower() + q[1:])
        )
    return tuple(steps), "".join(queries)
