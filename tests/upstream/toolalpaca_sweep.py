"""A seeded sweep of ToolAlpaca eval_real predictions built from the public gold answers (stdlib only).

Every prediction is a model output (ReAct text, or a native ``openai`` assistant message) written from an
item's gold calls with mutations, together with the calls a reader following ``tlbench/parsers/react.py``'s
written rules must take from it (``first``: the first Action block; ``every``: every block, ``None`` when
a block does not read). Mutation families (``FAMILIES``):

* names: exact, RoTBench's noise levels (slight typo, medium reversal / random string, heavy: another tool
  of the API), case, an undocumented name;
* keys: one gold key dropped, an unknown key, a documented optional key, an empty optional value, the
  API's authentication key, a typo'd key, a key in another case;
* values: numbers as strings and strings as numbers, floats for integers, padding, case, collapsed or
  doubled spaces, a list for a comma-joined string and back, reordered lists, the errata value of
  AviationAPI 2, wrong values, booleans, ``null``, nested objects, non-numeric text for a number;
* calls: the best gold call or another one first, reordered, dropped, repeated or extra calls;
* format: a Python dict, prose or an ``Observation:`` after the input, no or an empty ``Action Input:``,
  a truncated input, a list or a string as input, no action at all, a ``Final Answer:``, code fences,
  backticks or spaces around the name, the input on the name's line, a broken later block.

:func:`build` returns the cases in a fixed order for a seed; the authentication values of the gold (real
keys published upstream) are dropped on load and never enter a prediction.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "SEED",
    "N_PER_ITEM",
    "EXTRA_TYPED",
    "DATA_FILE",
    "FAMILIES",
    "Param",
    "SweepItem",
    "Case",
    "load_items",
    "build",
]

SEED = 20_260_521
N_PER_ITEM = 90
EXTRA_TYPED = 90
DATA_FILE = "toolalpaca/eval_real.json"
Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Param:
    """A documented parameter: its type word and whether it is required."""

    type: str
    required: bool


@dataclass(frozen=True)
class SweepItem:
    """One instruction: API name, position, tools (name -> parameters), auth keys, gold calls."""

    index: int
    api: str
    k: int
    tools: dict[str, dict[str, Param]]
    auth: tuple[str, ...]
    gold: tuple[Call, ...]


@dataclass(frozen=True)
class Case:
    """One prediction: the output text, its format, and the calls a rule-following reader takes."""

    number: int
    index: int
    family: str
    output: str
    fmt: str
    first: tuple[Call, ...] | None
    every: tuple[Call, ...] | None
    labels: tuple[str, ...] = field(default=())


def _params(text: str) -> dict[str, Param]:
    """The ``Parameters: {...}`` block of a function description (``"Required. <type>. <desc>"``)."""
    at = text.find("Parameters:")
    if at < 0:
        return {}
    start = text.find("{", at)
    try:
        raw, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return {}
    out = {}
    for name, desc in raw.items():
        words = str(desc).split(".")
        required = words[0].strip() == "Required"
        type_word = (words[1] if required and len(words) > 1 else words[0]).strip()
        out[name] = Param(type_word, required)
    return out


def _gold_args(text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except ValueError:  # upstream's '"symbols": "symbols": [...]' duplication
        return json.loads(re.sub(r'"(\w+)":\s*"\1":', r'"\1":', text))


def load_items(data_dir: Path | str) -> list[SweepItem]:
    """The 114 instructions in file order, authentication values removed from the gold."""
    raw = json.loads((Path(data_dir) / DATA_FILE).read_text(encoding="utf-8"))
    items = []
    for api in raw:
        auth = tuple(api.get("Authentication") or {})
        tools = {n: _params(str(api["Function_Description"].get(n, ""))) for n in api["Function_Projection"]}
        for k, answer in enumerate(api["Golden_Answers"]):
            gold = tuple(
                (step["Action"], {a: v for a, v in _gold_args(step["Action_Input"]).items() if a not in auth})
                for step in answer
            )
            items.append(SweepItem(len(items), api["Name"], k, tools, auth, gold))
    return items


# ------------------------------------------------------------------------------------------------ mutations


def _typo(rng: random.Random, name: str) -> str:
    i = rng.randrange(len(name)) if name else 0
    letter = rng.choice(string.ascii_letters)
    op = rng.randrange(3)
    if op == 0:
        return name[:i] + letter + name[i:]
    if op == 1 and len(name) > 1:
        return name[:i] + name[i + 1 :]
    return name[:i] + letter + name[i + 1 :] if name else letter


def _mutate_name(rng: random.Random, item: SweepItem, name: str) -> tuple[str, str]:
    kind = rng.choice(
        [
            "exact",
            "exact",
            "exact",
            "slight",
            "medium_reverse",
            "medium_random",
            "heavy",
            "case",
            "undocumented",
        ]
    )
    others = [t for t in item.tools if t != name]
    if kind == "slight":
        return _typo(rng, name), kind
    if kind == "medium_reverse":
        return name[::-1], kind
    if kind == "medium_random":
        return "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(3, 8))), kind
    if kind == "heavy" and others:
        return rng.choice(others), kind
    if kind == "case":
        return name.upper() if name.upper() != name else name.lower(), kind
    if kind == "undocumented":
        return name + "_v2", kind
    return name, "exact"


def _as_number_text(v: Any) -> Any:
    return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v


def _value_kinds(item: SweepItem, name: str, key: str, v: Any) -> list[str]:
    """The value mutations that apply to ``v`` (each written so that it changes something)."""
    number = isinstance(v, int | float) and not isinstance(v, bool)
    kinds = ["same", "wrong", "bool", "null", "nested"]
    if number:
        kinds += ["num_text", "float", "exp", "exp"]
    if isinstance(v, str):
        kinds += ["pad", "join_list"]
        if v.strip().lstrip("-").isdigit():
            kinds += ["text_num", "float", "text_num"]
        if v.upper() != v.lower():
            kinds.append("case")
        if " " in v:
            kinds.append("spaces")
    if isinstance(v, list):
        kinds += ["list_join", "list_join"] + (["reorder", "reorder"] if len(v) > 1 else [])
    if (item.api, item.k, key) == ("AviationAPI", 2, "chart_name"):
        kinds += ["errata"] * 6
    if item.tools.get(name, {}).get(key, Param("", False)).type in ("integer", "number"):
        kinds += ["non_numeric", "non_numeric"]
    return kinds


def _mutate_value(rng: random.Random, item: SweepItem, name: str, key: str, v: Any) -> tuple[Any, str]:
    kind = rng.choice(_value_kinds(item, name, key, v))
    if kind == "num_text":
        return str(v), kind
    if kind == "text_num":
        return int(v), kind
    if kind == "float":
        return (float(v), kind) if not isinstance(v, str) else (v.strip() + ".0", kind)
    if kind == "exp":
        return f"{v}e0", kind
    if kind == "pad":
        return rng.choice([" ", "  ", "\t"]) + v + rng.choice([" ", "\n", ""]), kind
    if kind == "case":
        return (v.upper() if v != v.upper() else v.lower()), kind
    if kind == "spaces":
        return v.replace(" ", "  ", 1), kind
    if kind == "list_join":
        return rng.choice([",", ", "]).join(str(x) for x in v), kind
    if kind == "join_list":
        return [p.strip() for p in v.split(",")], kind
    if kind == "reorder":
        return list(reversed(v)), kind
    if kind == "errata":
        return rng.choice(["Arrivals", "arrivals"]), kind
    if kind == "wrong":
        return rng.choice(["", "unknown", "x" + str(v)[:5], 0]), kind
    if kind == "bool":
        return rng.choice([True, False]), kind
    if kind == "null":
        return None, kind
    if kind == "nested":
        return {"value": v}, kind
    if kind == "non_numeric":
        return "about " + str(v), kind
    return v, "same"


def _mutate_call(rng: random.Random, item: SweepItem, call: Call) -> tuple[Call, list[str]]:
    name, args = call
    args = dict(args)
    labels = []
    new_name, kind = _mutate_name(rng, item, name)
    labels.append(f"name:{kind}")
    params = item.tools.get(name, {})
    key_kind = rng.choice(
        ["same", "same", "same", "drop", "unknown", "optional", "empty_optional", "auth", "typo", "key_case"]
    )
    if key_kind == "drop" and args:
        args.pop(rng.choice(list(args)))
    elif key_kind == "unknown":
        args[rng.choice(["limit", "format", "lang", "q"]) + "_x"] = "1"
    elif key_kind in ("optional", "empty_optional"):
        optional = [p for p, d in params.items() if not d.required and p not in args and p not in item.auth]
        if optional:
            p = rng.choice(optional)
            if key_kind == "optional":
                args[p] = rng.choice(["1", "en", 2])
            else:
                args[p] = rng.choice(["", None, [], {}])
        else:
            key_kind = "same"
    elif key_kind == "auth" and item.auth:
        args[rng.choice(item.auth)] = rng.choice(["YOUR_KEY", "***", ""])
    elif key_kind == "typo" and args:
        k = rng.choice(list(args))
        args[_typo(rng, k)] = args.pop(k)
    elif key_kind == "key_case" and args:
        k = rng.choice(list(args))
        if k.upper() != k:
            args[k.upper()] = args.pop(k)
    else:
        key_kind = "same"
    labels.append(f"keys:{key_kind}")
    for k in list(args):
        typed = not isinstance(args[k], str) or (item.api, item.k, k) == ("AviationAPI", 2, "chart_name")
        if rng.random() < (0.8 if typed else 0.35):
            args[k], vk = _mutate_value(rng, item, name, k, args[k])
            labels.append(f"value:{vk}")
    if rng.random() < 0.3:  # key order
        args = dict(reversed(list(args.items())))
    return (new_name, args), labels


def _mutate_calls(rng: random.Random, item: SweepItem) -> tuple[list[Call], list[str]]:
    gold = list(item.gold)
    kind = rng.choice(["gold", "gold", "one", "reorder", "drop", "repeat", "extra"])
    if kind == "one":
        calls = [rng.choice(gold)]
    elif kind == "reorder" and len(gold) > 1:
        calls = gold[::-1]
    elif kind == "drop" and len(gold) > 1:
        calls = [c for i, c in enumerate(gold) if i != rng.randrange(len(gold))]
    elif kind == "repeat":
        calls = [*gold, rng.choice(gold)]
    elif kind == "extra":
        other = rng.choice(list(item.tools))
        calls = [*gold, (other, {})]
        rng.shuffle(calls)
    else:
        kind, calls = "gold", gold
    labels = [f"calls:{kind}"]
    out = []
    for c in calls:
        if rng.random() < 0.5:
            c, more = _mutate_call(rng, item, c)
            labels += more
        out.append(c)
    return out, labels


# ------------------------------------------------------------------------------------------------ writing


def _py_literal(value: Any) -> str:
    """A Python literal of a JSON value (single-quoted strings, True/False/None)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py_literal(k)}: {_py_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_py_literal(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    return repr(value)


#: How an output is written (and what a rule-following reader takes from it).
FORMATS = (
    "react",
    "python_dict",
    "prose_after",
    "observation_after",
    "no_input",
    "empty_input",
    "truncated",
    "list_input",
    "string_input",
    "no_action",
    "final_answer",
    "fence",
    "backticks",
    "name_spaces",
    "same_line",
    "broken_later_block",
    "openai",
)
FAMILIES = FORMATS


def _block(name: str, args_text: str, step: int) -> str:
    return f"Thought: step {step}\nAction: {name}\nAction Input: {args_text}"


def _write(rng: random.Random, calls: list[Call], fmt: str) -> tuple[str, str, tuple | None, tuple | None]:
    """(output, parser format, first-block calls, every-block calls)."""
    ok = tuple(calls)
    first = ok[:1]
    if fmt == "openai":
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
                for i, (n, a) in enumerate(calls)
            ],
        }
        return json.dumps(message), "openai", first, ok
    if fmt == "no_action":
        return "I would look this up for you, but I am not sure how.", "react", None, None
    if fmt == "final_answer":
        return "Thought: I know it.\nFinal Answer: 42", "react", (), ()
    if not calls:
        return "Thought: nothing to do.", "react", None, None
    texts = []
    for i, (n, a) in enumerate(calls):
        body = json.dumps(a, ensure_ascii=False)
        if fmt == "python_dict":
            body = _py_literal(a)
        texts.append(_block(n, body, i + 1))
    out = "\n".join(texts)
    if fmt == "prose_after":
        out = "\n".join(t + "\nI will wait for the result." for t in texts)
    elif fmt == "observation_after":
        out = "\n".join(t + '\nObservation: {"status": "ok"}' for t in texts)
    elif fmt == "fence":
        out = "```\n" + out + "\n```"
    elif fmt == "backticks":
        out = "\n".join(t.replace(f"Action: {n}\n", f"Action: `{n}`\n", 1) for t, (n, _) in zip(texts, calls))
    elif fmt == "name_spaces":
        out = "\n".join(
            t.replace(f"Action: {n}\n", f"Action:   {n}  \n", 1) for t, (n, _) in zip(texts, calls)
        )
    elif fmt == "same_line":
        out = "\n".join(
            t.replace(f"Action: {n}\nAction Input:", f"Action: {n} Action Input:", 1)
            for t, (n, _) in zip(texts, calls)
        )
    elif fmt in ("no_input", "empty_input"):
        tail = "" if fmt == "no_input" else "\nAction Input: "
        out = "\n".join(f"Thought: step {i + 1}\nAction: {n}{tail}" for i, (n, _) in enumerate(calls))
        empty = tuple((n, {}) for n, _ in calls)
        return out, "react", empty[:1], empty
    elif fmt == "truncated":
        out = texts[0][:-1]  # the closing brace of the first input dropped
        return out, "react", None, None
    elif fmt in ("list_input", "string_input"):
        value = "[1, 2]" if fmt == "list_input" else '"text"'
        out = "\n".join(_block(n, value, i + 1) for i, (n, _) in enumerate(calls))
        return out, "react", None, None
    elif fmt == "broken_later_block":
        out = texts[0] + "\n" + _block(calls[-1][0], "{'broken': ", 2)
        return out, "react", first, None
    return out, "react", first, ok


def _has_action_text(calls: Sequence[Call]) -> bool:
    """Values that would confuse a block split (an ``Action:`` or a marker inside a value) are avoided."""
    text = json.dumps(calls)
    return any(m in text for m in ("Action:", "Thought:", "Observation:", "Final Answer:", "```", "`"))


def _typed(item: SweepItem) -> bool:
    """Items whose gold holds a number or a list, or the errata: their value rules get more predictions."""
    values = [v for _, args in item.gold for v in args.values()]
    return (item.api, item.k) == ("AviationAPI", 2) or any(not isinstance(v, str) for v in values)


def build(items: Sequence[SweepItem], per_item: int = N_PER_ITEM, seed: int = SEED) -> list[Case]:
    """``per_item`` predictions per item (``EXTRA_TYPED`` more for :func:`_typed` items), in file order."""
    rng = random.Random(seed)
    cases: list[Case] = []
    for item in items:
        for _ in range(per_item + (EXTRA_TYPED if _typed(item) else 0)):
            calls, labels = _mutate_calls(rng, item)
            if _has_action_text(calls):
                calls, labels = list(item.gold), ["calls:gold"]
            fmt = rng.choices(FORMATS, weights=[20, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 2, 6])[0]
            output, parser, first, every = _write(rng, calls, fmt)
            cases.append(Case(len(cases), item.index, fmt, output, parser, first, every, tuple(labels)))
    return cases


def fingerprint(cases: Sequence[Case]) -> str:
    """SHA-256 of the swept outputs and their expected readings."""
    digest = hashlib.sha256()
    for c in cases:
        digest.update(json.dumps([c.index, c.family, c.output, c.first, c.every]).encode() + b"\n")
    return digest.hexdigest()
