"""A seeded sweep of RoTBench predictions built from the public gold answers (issue 20, section 3).

Every item of the ten files (First_Turn / Third_Turn x clean, slight, medium, heavy, union: 1,540 items)
gets ``PER_ITEM`` predictions. Each one is a gold answer of the item mutated by one *kind* of mutation;
the kinds cycle through :data:`KINDS` in a fixed order over the whole sweep, so every kind meets every file,
noise level and turn. The kinds cover every rule and quirk of ``benchmarks/rotbench/``'s docstring:

* values: changed, retyped (``"5"`` / ``5`` / ``5.0`` / ``true`` / list / null), nested, NaN, unicode, the
  ``"None"`` wildcard changed or dropped;
* keys: missing, extra, renamed, re-cased, reordered, duplicated;
* names: another tool of the item, re-cased, misspelt, the literal ``finish`` / ``ask_to_user`` (with the
  gold's keys and right or wrong values), the finish- and ask-position tools' names, whitespace around the
  name (trailing / leading space, ``\\r``, two newlines, a tab, no newline at all);
* arguments that upstream refuses or crashes on: ``{}``, other falsy values, lists, numbers, strings;
* format breakage: truncated JSON, Python-dict quoting, trailing prose, trailing whitespace, a JSON fence,
  missing ``Action:`` / ``Action Input:`` markers, an empty name, lower-case markers, two actions, deep
  nesting, an ``Action:`` inside the thought.

Determinism: each prediction comes from its own ``random.Random`` seeded with a string (CPython's version-2
string seeding hashes it with SHA-512, so the stream is the same on every Python 3 version and platform),
and only ``random()``, ``randrange()``, ``choice()`` and ``shuffle()`` are used. JSON is written with
:func:`json.dumps` (stable). :func:`fingerprint` is the SHA-256 of the whole sweep; the verdict file
records it, so a changed generator is noticed instead of compared against stale verdicts.

Standard library only (no tlbench import): the same module produced the official verdicts in a scratch
environment that runs upstream's ``evaluate.py`` (see ``test_rotbench_agreement.py``).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = "tlbench-issue20-rotbench-v1"
PER_ITEM = 10
TURNS = ("First_Turn", "Third_Turn")
LEVELS = ("clean", "slight", "medium", "heavy", "union")
FILES = tuple(f"{t}/{lv}" for t in TURNS for lv in LEVELS)


@dataclass(frozen=True, slots=True)
class Case:
    """One swept prediction: the file (``First_Turn/heavy``), the item's position, the mutation, the text."""

    file: str
    index: int
    kind: str
    output: str


@dataclass(frozen=True, slots=True)
class _Ctx:
    rng: random.Random
    name: str
    args: dict[str, Any]
    raw: str
    tools: list[str]
    golds: list[tuple[str, dict[str, Any]]]


def _split(text: str) -> tuple[str, dict[str, Any]]:
    """A gold answer's name and arguments (the benchmark's own layout, read plainly)."""
    name = text[text.find("Action:") + 8 : text.find("Action Input:")]
    if name.endswith("\n"):
        name = name[:-1]
    return name, json.loads(text[text.find("Action Input:") + 14 :])


def _tools(system: str) -> list[str]:
    start = system.find("[")
    try:
        tools = json.loads(system[start:-13])
    except ValueError:
        tools, _ = json.JSONDecoder().raw_decode(system[start:])
    return [str(t.get("name")) for t in tools]


def _react(name: str, args_text: str, thought: str = "") -> str:
    return f"Thought:{thought}\nAction: {name}\nAction Input: {args_text}"


def _dump(args: Any) -> str:
    return json.dumps(args, ensure_ascii=False)


# ------------------------------------------------------------------------------------ value mutations


def _changed(value: Any, rng: random.Random) -> Any:
    """A value that differs from ``value`` under Python ``==``."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return rng.choice([value + 1, value - 1, -value - 1, value * 10 + 7])
    if isinstance(value, str):
        options = [value + "x", value.upper() + "Q", value + " ", " " + value, value[::-1] + "!", ""]
        options = [o for o in options if o != value]
        return rng.choice(options)
    if isinstance(value, list):
        return value + ["x"]
    if isinstance(value, dict):
        return {**value, "x": 1}
    return "changed"


def _plain_keys(args: dict[str, Any]) -> list[str]:
    return [k for k, v in args.items() if v != "None"]


def _with_changed_value(c: _Ctx) -> dict[str, Any]:
    args = dict(c.args)
    keys = _plain_keys(args) or list(args)
    if keys:
        key = c.rng.choice(keys)
        args[key] = _changed(args[key], c.rng)
    return args


def _all_changed(c: _Ctx) -> dict[str, Any]:
    return {k: _changed(v, c.rng) for k, v in c.args.items()}


# -------------------------------------------------------------------------------------------- kinds


def _k_gold_verbatim(c: _Ctx) -> str:
    return c.raw


def _k_gold_rerendered(c: _Ctx) -> str:
    thought = c.rng.choice(["", " I will use a tool.", "\nLet me call it."])
    return _react(c.name, _dump(c.args), thought)


def _k_wrong_value(c: _Ctx) -> str:
    return _react(c.name, _dump(_with_changed_value(c)))


def _k_all_values_wrong(c: _Ctx) -> str:
    return _react(c.name, _dump(_all_changed(c)))


def _k_wildcard_value(c: _Ctx) -> str:
    args = dict(c.args)
    wild = [k for k, v in args.items() if v == "None"]
    if wild:
        args[c.rng.choice(wild)] = c.rng.choice(["512", 3, "", "None!"])
    elif args:
        args[c.rng.choice(list(args))] = "None"
    return _react(c.name, _dump(args))


def _k_wildcard_dropped(c: _Ctx) -> str:
    args = dict(c.args)
    wild = [k for k, v in args.items() if v == "None"] or list(args)
    if wild:
        del args[c.rng.choice(wild)]
    return _react(c.name, _dump(args))


def _retyped(c: _Ctx, how: Callable[[Any], Any]) -> str:
    args = dict(c.args)
    keys = _plain_keys(args) or list(args)
    if keys:
        key = c.rng.choice(keys)
        args[key] = how(args[key])
    return _react(c.name, _dump(args))


def _as_number(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return len(v)
    return v


def _k_type_str_to_number(c: _Ctx) -> str:
    return _retyped(c, _as_number)


def _k_type_number_to_str(c: _Ctx) -> str:
    return _retyped(c, lambda v: str(v) if not isinstance(v, str) else v + "0")


def _k_type_list(c: _Ctx) -> str:
    return _retyped(c, lambda v: [v])


def _k_type_null(c: _Ctx) -> str:
    return _retyped(c, lambda v: None)


def _k_int_as_float(c: _Ctx) -> str:
    args = dict(c.args)
    ints = [k for k, v in args.items() if isinstance(v, int) and not isinstance(v, bool)]
    if ints:
        key = c.rng.choice(ints)
        args[key] = float(args[key])
        return _react(c.name, _dump(args))
    return _retyped(c, lambda v: 1.0)


def _k_bool_as_int(c: _Ctx) -> str:
    return _retyped(c, lambda v: c.rng.choice([True, 1, False, 0]))


def _k_nested_value(c: _Ctx) -> str:
    return _retyped(c, lambda v: {"value": v, "list": [v, {"deep": [1, 2.5, None, True]}]})


def _k_unicode(c: _Ctx) -> str:
    # the same arguments, written with \\u escapes, or with a non-ASCII character appended
    if c.rng.random() < 0.5:
        return _react(c.name, json.dumps(c.args, ensure_ascii=True))
    return _retyped(c, lambda v: f"{v}é—😀" if isinstance(v, str) else v)


def _k_nan(c: _Ctx) -> str:
    args = dict(c.args)
    keys = list(args) or ["x"]
    text = _dump({**args, keys[0]: "@@NAN@@"})
    return _react(c.name, text.replace('"@@NAN@@"', c.rng.choice(["NaN", "Infinity", "-Infinity"])))


def _k_missing_key(c: _Ctx) -> str:
    args = dict(c.args)
    if args:
        del args[c.rng.choice(list(args))]
    return _react(c.name, _dump(args))


def _k_extra_key(c: _Ctx) -> str:
    args = dict(c.args)
    args[c.rng.choice(["extra", "max_length", "access_token", "lang", "query"])] = c.rng.choice(
        ["v", "None", 1]
    )
    return _react(c.name, _dump(args))


def _k_key_typo(c: _Ctx) -> str:
    args = dict(c.args)
    if not args:
        return _react(c.name, _dump({"x": "y"}))
    key = c.rng.choice(list(args))
    new = key[:-1] if len(key) > 1 and c.rng.random() < 0.5 else key + "s"
    return _react(c.name, _dump({(new if k == key else k): v for k, v in args.items()}))


def _k_key_case(c: _Ctx) -> str:
    return _react(c.name, _dump({k.upper(): v for k, v in c.args.items()}))


def _k_key_order(c: _Ctx) -> str:
    items = list(c.args.items())
    c.rng.shuffle(items)
    return _react(c.name, _dump(dict(items)))


def _k_duplicate_key(c: _Ctx) -> str:
    text = _dump(c.args)
    if not c.args:
        return _react(c.name, '{"a": 1, "a": 2}')
    key = c.rng.choice(list(c.args))
    first = json.dumps({key: _changed(c.args[key], c.rng)}, ensure_ascii=False)[1:-1]
    if c.rng.random() < 0.5:  # the wrong value first: the last one wins
        return _react(c.name, "{" + first + ", " + text[1:])
    return _react(c.name, text[:-1] + ", " + first + "}")


def _k_other_tool(c: _Ctx) -> str:
    others = [t for t in c.tools if t != c.name] or c.tools
    return _react(c.rng.choice(others), _dump(c.args))


def _k_other_gold(c: _Ctx) -> str:
    # another gold alternative's name with this gold's arguments (or its own arguments, mixed)
    name, args = c.rng.choice(c.golds)
    return _react(name, _dump({**args, **c.args} if c.rng.random() < 0.5 else c.args))


def _k_name_case(c: _Ctx) -> str:
    name = c.rng.choice([c.name.upper(), c.name.capitalize(), c.name.lower(), c.name.swapcase()])
    return _react(name, _dump(c.args))


def _k_name_typo(c: _Ctx) -> str:
    n = c.name
    i = c.rng.randrange(len(n) + 1)
    return _react(n[:i] + c.rng.choice("aez_") + n[i:], _dump(c.args))


def _k_literal_finish(c: _Ctx) -> str:
    args = c.args if c.rng.random() < 0.6 else {"answer": "The answer."}
    return _react("finish", _dump(args))


def _k_literal_ask(c: _Ctx) -> str:
    args = c.args if c.rng.random() < 0.6 else {"question": "Which one?"}
    return _react("ask_to_user", _dump(args))


def _k_literal_finish_wrong_values(c: _Ctx) -> str:
    return _react("finish", _dump(_all_changed(c)))


def _k_literal_ask_wrong_values(c: _Ctx) -> str:
    return _react("ask_to_user", _dump(_all_changed(c)))


def _k_finish_position(c: _Ctx) -> str:
    return _react(c.tools[-1], _dump(c.rng.choice([c.args, _all_changed(c), {"answer": "done"}])))


def _k_ask_position(c: _Ctx) -> str:
    return _react(c.tools[-2], _dump(c.rng.choice([c.args, _all_changed(c), {"question": "which?"}])))


def _k_gold_name_wrong_values_literal(c: _Ctx) -> str:
    # the gold's own name, wrong values (CF=PI when the name is a finish/ask tool, by position or literally)
    return _react(c.name, _dump(_all_changed(c)))


def _k_name_trailing_space(c: _Ctx) -> str:
    return _react(c.name + c.rng.choice([" ", "  ", "\t"]), _dump(c.args))


def _k_name_leading_space(c: _Ctx) -> str:
    return _react(c.rng.choice([" ", "\t"]) + c.name, _dump(c.args))


def _k_name_crlf(c: _Ctx) -> str:
    return f"Thought:\r\nAction: {c.name}\r\nAction Input: {_dump(c.args)}"


def _k_name_two_newlines(c: _Ctx) -> str:
    return f"Thought:\nAction: {c.name}\n\nAction Input: {_dump(c.args)}"


def _k_same_line(c: _Ctx) -> str:
    return f"Thought: ok Action: {c.name}{c.rng.choice(['', ' '])}Action Input: {_dump(c.args)}"


def _k_empty_args(c: _Ctx) -> str:
    return _react(c.name, c.rng.choice(["{}", "{ }", "{\n}"]))


def _k_falsy_args(c: _Ctx) -> str:
    return _react(c.name, c.rng.choice(["[]", "0", "null", "false", '""', "0.0"]))


def _k_non_object_args(c: _Ctx) -> str:
    values = ['["a"]', "[" + _dump(c.args) + "]", "5", "true", '"' + c.name + '"', "-1.5"]
    return _react(c.name, c.rng.choice(values))


def _k_truncated_json(c: _Ctx) -> str:
    text = _dump(c.args)
    return _react(c.name, text[: c.rng.randrange(1, max(2, len(text)))])


def _k_single_quotes(c: _Ctx) -> str:
    return _react(c.name, repr(c.args))


def _k_trailing_text(c: _Ctx) -> str:
    tail = c.rng.choice(["\nObservation: ok", " Done.", "\nThought: finished", "}"])
    return _react(c.name, _dump(c.args) + tail)


def _k_trailing_whitespace(c: _Ctx) -> str:
    return _react(
        c.name, c.rng.choice(["", " ", "\n"]) + _dump(c.args) + c.rng.choice([" ", "\n", "\n\n", "\t"])
    )


def _k_json_layout(c: _Ctx) -> str:
    return _react(c.name, json.dumps(c.args, indent=c.rng.choice([1, 2, 4]), separators=(",", ": ")))


def _k_fenced_json(c: _Ctx) -> str:
    return _react(c.name, "```json\n" + _dump(c.args) + "\n```")


def _k_missing_action(c: _Ctx) -> str:
    return c.rng.choice(["Thought:\n", "", "Call: " + c.name + "\n"]) + "Action Input: " + _dump(c.args)


def _k_missing_input(c: _Ctx) -> str:
    return f"Thought:\nAction: {c.name}\n{c.rng.choice(['Input: ', 'Arguments: ', ''])}{_dump(c.args)}"


def _k_empty_name(c: _Ctx) -> str:
    return c.rng.choice(["Thought:\nAction:\nAction Input: ", "Thought:\nAction: \nAction Input: "]) + _dump(
        c.args
    )


def _k_lowercase_markers(c: _Ctx) -> str:
    return c.rng.choice(
        [
            f"Thought:\naction: {c.name}\nAction Input: {_dump(c.args)}",
            f"Thought:\nAction: {c.name}\nAction input: {_dump(c.args)}",
            f"Thought:\nAction:{c.name}\nAction Input:{_dump(c.args)}",
        ]
    )


def _k_two_actions(c: _Ctx) -> str:
    name, args = c.rng.choice(c.golds)
    return _react(c.name, _dump(c.args)) + "\n" + _react(name, _dump(args))


def _k_deep_nesting(c: _Ctx) -> str:
    depth = c.rng.choice([50, 5000])
    key = next(iter(c.args), "x")
    return _react(c.name, '{"' + key + '": ' + "[" * depth + "]" * depth + "}")


def _k_action_in_thought(c: _Ctx) -> str:
    return f"Thought: the next Action: is clear\nAction: {c.name}\nAction Input: {_dump(c.args)}"


KINDS: tuple[tuple[str, Callable[[_Ctx], str]], ...] = tuple(
    (name[3:], fn) for name, fn in sorted(globals().items()) if name.startswith("_k_") and callable(fn)
)


# -------------------------------------------------------------------------------------------- sweep


def load_file(data_dir: Path | str, file: str) -> list[dict[str, Any]]:
    """The raw items of ``rotbench/Data/<file>.json``."""
    return json.loads((Path(data_dir) / "rotbench" / "Data" / f"{file}.json").read_text(encoding="utf-8"))


def cases(data_dir: Path | str) -> list[Case]:
    """The whole sweep, in a fixed order (file by file, item by item)."""
    out: list[Case] = []
    counter = 0
    for file in FILES:
        for index, entry in enumerate(load_file(data_dir, file)):
            conv = entry["conversations"]
            tools = _tools(conv[0]["value"])
            raws = list(conv[-1]["value"])
            golds = [_split(r) for r in raws]
            for j in range(PER_ITEM):
                rng = random.Random(f"{SEED}|{file}|{index}|{j}")
                g = rng.randrange(len(raws))
                kind, fn = KINDS[counter % len(KINDS)]
                counter += 1
                ctx = _Ctx(rng, golds[g][0], dict(golds[g][1]), raws[g], tools, golds)
                out.append(Case(file, index, kind, fn(ctx)))
    return out


def fingerprint(sweep: list[Case]) -> str:
    """SHA-256 of the sweep (file, index, kind and text of every case, in order)."""
    h = hashlib.sha256()
    for c in sweep:
        h.update(f"{c.file}\t{c.index}\t{c.kind}\t{c.output}\x00".encode("utf-8", "surrogatepass"))
    return h.hexdigest()
