"""A seeded sweep of ToolEyes episode transcripts built from the 382 public test items (stdlib only).

ToolEyes has no gold answers, so the transcripts are built from each item's own tool document and query:
assistant messages that call the item's tools correctly, then mutated the ways the official scorer
(``Code/Evaluation/util/utils.py``) and ``benchmarks/tooleyes/`` tell apart:

* action names: exact, typos / reversed / random strings / another tool's name (RoTBench's slight, medium
  and heavy noise), case, the literal two characters ``\\n`` and ``Action:`` inside the name, a
  ``functions.`` prefix, spaces, empty;
* keys: missing required, unknown, typo'd, builtins as keys (``{min: "1"}``), numbers, booleans and
  unhashable keys, repeated keys, ``**`` unpacking;
* values and types: strings, numbers, arithmetic (``1+2``, ``2**10``, ``1/0``, ``10**400/1``), sequence
  arithmetic, nested containers, sets, bytes, complex, JSON literals (``true``/``null``: NameErrors), bare
  names (builtins, unknown ones, names upstream's module binds), a list / string / number / ``None``
  instead of a dict, and the undecidable forms (calls, attributes, subscripts, comprehensions, lambdas,
  f-strings, comparisons, huge powers);
* format breakage: no ``Thought:``, ``Thought:`` after ``Action:``, no ``Action Input:``, markers in odd
  order or repeated, prose or an ``Observation:`` after the input, truncated input, newlines inside
  strings, code fences, prose without any marker;
* episode shape: 1 to 9 generations, the model's own finish (also with a truncated input), the two
  harness-forced finishes, no finish (the last message a function or user message), the last message
  repeated earlier (upstream compares by string equality with the last message of ANY role), a function
  message equal to an assistant message, ``ask_to_user``, a tool hallucination followed by parameter
  errors (upstream's cumulative gate) and a required parameter omitted after it was once supplied
  (upstream's shrinking ``required`` list), an episode without assistant message.

Two record shapes: ``conversations`` (upstream's stored shape, scored as given) and ``turns`` (tlbench's
runner records: raw generations, ReAct or native ``openai`` tool calls, that upstream's inference loop
would have normalised before storing them). :func:`build` returns the cases in a fixed order for a seed.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "SEED",
    "N_CASES",
    "DATA_FILE",
    "KINDS",
    "NAME_MODES",
    "INPUT_MODES",
    "SHAPES",
    "Case",
    "Tool",
    "SweepItem",
    "load_items",
    "build",
    "fingerprint",
    "conversation_parts",
]

SEED = 20_260_520
N_CASES = 12_000
FORCED_TURN = (
    "Thought: I cannot solve this task due to trying too many times.\nAction: finish\n"
    'Action Input: {"answer": "I cannot handle the task."}'
)
FORCED_ERR = (
    "Thought: During execution, an error occurs.\nAction: finish\n"
    'Action Input: {"answer": "I cannot handle the task."}'
)
FORMAT_COMPLAINT = (
    "Your output format does not match the specified format, please revise your answer to follow the "
    "desired format.\n\nDesired format:\nThought: <The thought>\nAction: <The tool you take to>\nAction "
    "Input: <The parameters for the tool, you should provide a dict similar to {parameter_1: value_1, "
    "parameter_2: value 2} to call action.>"
)
DATA_FILE = "tooleyes/Test_Data/scenario_data_zero_processed.json"


@dataclass(frozen=True)
class Tool:
    """One documented function: name, parameter names in doc order, required names."""

    name: str
    params: tuple[str, ...]
    required: tuple[str, ...]


@dataclass(frozen=True)
class SweepItem:
    """What the sweep needs of one test item."""

    index: int
    upstream_id: str
    path: str
    scenario: str
    system: str
    user: str
    tools: tuple[Tool, ...]


@dataclass(frozen=True)
class Case:
    """One swept transcript: ``kind`` names the episode shape, ``record`` is a ``--predictions`` line."""

    number: int
    kind: str
    index: int
    record: dict[str, Any]
    labels: tuple[str, ...] = ()


def load_items(data_dir: Path | str) -> list[SweepItem]:
    """The 382 items with their tool documents (``config_gpt4.json`` of the item's folder)."""
    root = Path(data_dir)
    raw = json.loads((root / DATA_FILE).read_text(encoding="utf-8"))
    items = []
    for index, entry in enumerate(raw):
        rel = entry["path"].split("Tool_Library/", 1)[1]
        config = json.loads(
            (root / "tooleyes" / "Tool_Library" / rel / "config_gpt4.json").read_text("utf-8")
        )
        tools = tuple(
            Tool(
                t["name"],
                tuple(t["parameters"].get("properties", {})),
                tuple(t["parameters"].get("required", [])),
            )
            for t in config
        )
        conv = entry["conversations"]
        items.append(
            SweepItem(
                index,
                entry["id"],
                entry["path"],
                entry["scenario"],
                conv[0]["value"],
                conv[1]["value"],
                tools,
            )
        )
    return items


# ------------------------------------------------------------------------------------------------ pieces


def _words(item: SweepItem) -> list[str]:
    words = [w.strip(".,?!'\"") for w in item.user.split()]
    return [w for w in words if w and w.isprintable()] or ["x"]


def _typo(rng: random.Random, name: str) -> str:
    if not name:
        return "x"
    i = rng.randrange(len(name))
    op = rng.randrange(3)
    letter = rng.choice(string.ascii_letters)
    if op == 0:
        return name[:i] + letter + name[i:]
    if op == 1 and len(name) > 1:
        return name[:i] + name[i + 1 :]
    return name[:i] + letter + name[i + 1 :]


def _noisy_name(rng: random.Random, name: str, others: Sequence[str]) -> str:
    """RoTBench's noise levels on a name: slight (typo), medium (reversed or random), heavy (shuffled)."""
    level = rng.randrange(4)
    if level == 0:
        return _typo(rng, name)
    if level == 1:
        return name[::-1]
    if level == 2:
        return "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(3, 6)))
    return rng.choice(list(others) or [name])


def _py(value: Any, quote: str) -> str:
    """A Python literal with the chosen string quote."""
    if isinstance(value, str):
        if quote == "'" and "'" not in value and "\\" not in value:
            return f"'{value}'"
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


def _dict_text(pairs: Sequence[tuple[str, str]]) -> str:
    """A dict display from already-written key and value sources."""
    return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"


def _good_pairs(rng: random.Random, item: SweepItem, tool: Tool, quote: str) -> list[tuple[str, str]]:
    words = _words(item)
    keys = list(tool.required) + [p for p in tool.params if p not in tool.required and rng.random() < 0.3]
    return [(_py(k, quote), _py(rng.choice(words), quote)) for k in keys]


_VALUE_FORMS: tuple[str, ...] = (
    "1+2",
    "2**10",
    "-3",
    "+4.5",
    "~7",
    "not 0",
    "7 // 2",
    "7 % 3",
    "2 ** -1",
    "(-8) ** 0.5",
    "1/0",
    "0 ** -1",
    "10**400/1",
    "10.0**400",
    "1 << 3",
    "1 << -1",
    "'ab' + 'cd'",
    "'ab' * 3",
    "[1] * 2",
    "(1, 2) + (3,)",
    "'a' + 1",
    "-'a'",
    "[1, [2, {'k': (3, 4)}]]",
    "{1, 2}",
    "{1} | {2}",
    "{[1]}",
    "b'bytes'",
    "3+4j",
    "...",
    "True",
    "None",
    "true",
    "null",
    "false",
    "print",
    "input",
    "str",
    "undefined_name",
    "json",
    "re",
    "action_input",
    "__name__",
    "ExceptionGroup",
    "len('ab')",
    "str(5)",
    "int('3')",
    "abs(-1)",
    "max(1, 2)",
    "sorted([2, 1])",
    "'x'.upper()",
    "'a,b'.split(',')",
    "[1, 2][0]",
    "[i for i in range(2)]",
    "lambda: 1",
    "f'v{1}'",
    "1 < 2",
    "1 if 1 else 2",
    "1 and 0",
    "undefined_fn(1)",
    "(1/0)(2)",
    "2**200000",
    "'%s' % 5",
    "int | None",
    "{**{'a': 1}}",
    "(yield)",
    "min + 1",
    "[*[1, 2]]",
)
_KEY_FORMS: tuple[str, ...] = (
    "min",
    "max",
    "len",
    "id",
    "1",
    "True",
    "None",
    "(1, 2)",
    "[1]",
    "{}",
    "undefined_key",
    "str(1)",
    "'a' + 'b'",
    "b'k'",
)


#: How an Action Input is written or broken.
INPUT_MODES = (
    "good",
    "missing",
    "unknown",
    "typo_key",
    "builtin_key",
    "odd_key",
    "dup_key",
    "value",
    "unpack",
    "not_dict",
    "empty",
)
#: How an action name is written or broken.
NAME_MODES = ("exact", "noise", "case", "backslash_n", "action_in_name", "prefix", "spaces", "finish_like")
#: How the whole message is laid out or broken.
SHAPES = (
    "react",
    "no_thought",
    "thought_after",
    "no_input",
    "input_first",
    "two_blocks",
    "prose_after",
    "observation_after",
    "truncated",
    "fence",
    "prose",
    "newline_string",
    "no_space",
    "input_twice",
)


def _value_source(rng: random.Random, item: SweepItem, quote: str) -> str:
    if rng.random() < 0.5:
        return _py(rng.choice(_words(item)), quote)
    return rng.choice(_VALUE_FORMS)


def _input_text(rng: random.Random, item: SweepItem, tool: Tool) -> tuple[str, str]:
    """(Action Input text, what was done to it) for a call of ``tool``."""
    quote = rng.choice(["'", '"'])
    pairs = _good_pairs(rng, item, tool, quote)
    mode = rng.choices(INPUT_MODES, weights=[6, 3, 3, 2, 3, 3, 1, 6, 1, 3, 2])[0]
    if mode == "missing" and pairs:
        pairs.pop(rng.randrange(len(pairs)))
    elif mode == "unknown":
        pairs.insert(
            rng.randrange(len(pairs) + 1), (_py(rng.choice(_words(item)).lower() + "_x", quote), "'1'")
        )
    elif mode == "typo_key" and pairs:
        i = rng.randrange(len(pairs))
        pairs[i] = (_py(_typo(rng, json.loads(pairs[i][0].replace("'", '"'))), quote), pairs[i][1])
    elif mode == "builtin_key":
        pairs.insert(rng.randrange(len(pairs) + 1), (rng.choice(_KEY_FORMS[:4]), _py("1", quote)))
    elif mode == "odd_key":
        pairs.insert(rng.randrange(len(pairs) + 1), (rng.choice(_KEY_FORMS), _py("1", quote)))
    elif mode == "dup_key" and pairs:
        pairs.append((pairs[0][0], _py("again", quote)))
    elif mode == "value":
        for _ in range(rng.randint(1, 2)):
            key = _py(rng.choice(tool.params or ("v",)), quote)
            pairs.insert(rng.randrange(len(pairs) + 1), (key, _value_source(rng, item, quote)))
    elif mode == "unpack":
        pairs.append(("**", rng.choice(["{'a': 1}", "[1]", "dict"])))
    elif mode == "not_dict":
        return rng.choice(["[1, 2]", "'text'", "42", "None", "()", "{1, 2}", "dict(a=1)", "str"]), mode
    elif mode == "empty":
        return "{}", mode
    body = "{" + ", ".join(f"**{v}" if k == "**" else f"{k}: {v}" for k, v in pairs) + "}"
    if rng.random() < 0.15:  # JSON-style pretty printing, newlines inside the braces
        body = body.replace("{", "{\n  ", 1).replace(", ", ",\n  ")
    return body, mode


def _call_name(rng: random.Random, item: SweepItem, tool: Tool) -> tuple[str, str]:
    names = [t.name for t in item.tools if t.name not in ("finish", "ask_to_user")]
    mode = rng.choices(NAME_MODES, weights=[14, 4, 1, 2, 1, 1, 1, 1])[0]
    name = tool.name
    if mode == "noise":
        name = _noisy_name(rng, name, names)
    elif mode == "case":
        name = name.upper() if rng.random() < 0.5 else name.capitalize()
    elif mode == "backslash_n":
        name = name + "\\n" if rng.random() < 0.7 else "\\n" + name
    elif mode == "action_in_name":
        name = "Action:" + name
    elif mode == "prefix":
        name = "functions." + name
    elif mode == "spaces":
        name = f"  {name}  "
    elif mode == "finish_like":
        name = rng.choice(["Finish", "FINISH", "final_answer", "finish\\n"])
    return name, mode


def _assistant(rng: random.Random, item: SweepItem, tool: Tool) -> tuple[str, str]:
    """One assistant message calling ``tool`` (perhaps broken) and a label."""
    name, name_mode = _call_name(rng, item, tool)
    args, arg_mode = _input_text(rng, item, tool)
    thought = rng.choice(["I should call the tool.", "", "Let me try again.", "Action Input is next."])
    shape = rng.choices(SHAPES, weights=[30, 2, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1])[0]
    text = f"Thought: {thought}\nAction: {name}\nAction Input: {args}"
    if shape == "no_thought":
        text = f"Action: {name}\nAction Input: {args}"
    elif shape == "thought_after":
        text = f"Action: {name}\nAction Input: {args}\nThought: {thought}"
    elif shape == "no_input":
        text = f"Thought: {thought}\nAction: {name}\n{args}"
    elif shape == "input_first":
        text = f"Action Input: {args}\nThought: {thought}\nAction: {name}\nAction Input: {args}"
    elif shape == "two_blocks":
        text += f"\nThought: again\nAction: {name}\nAction Input: {args}"
    elif shape == "prose_after":
        text += "\nI hope this helps."
    elif shape == "observation_after":
        text += '\nObservation: {"result": "ok"}'
    elif shape == "truncated":
        text = text[: max(len(text) - rng.randint(1, 8), 1)]
    elif shape == "fence":
        text = f"```\n{text}\n```"
    elif shape == "prose":
        text = rng.choice(["I think the answer is 42.", "Final Answer: 42", "Sure! Let me help you."])
    elif shape == "newline_string":
        text = f"Thought: {thought}\nAction: {name}\nAction Input: {{'q': 'line one\nline two'}}"
    elif shape == "no_space":
        text = f"Thought:{thought}\nAction:{name}\nAction Input:{args}"
    elif shape == "input_twice":
        text = f"Thought: {thought}\nAction: {name}\nAction Input: Action Input: {args}"
    return text, f"{name_mode}/{arg_mode}/{shape}"


def _finish(rng: random.Random, item: SweepItem) -> str:
    answer = " ".join(rng.sample(_words(item), min(3, len(_words(item)))))
    form = rng.choices(
        ["plain", "truncated", "case", "no_thought", "backslash_n", "single_quote"], [8, 2, 1, 1, 1, 1]
    )[0]
    if form == "truncated":
        return f'Thought: done\nAction: finish\nAction Input: {{"answer": "{answer}'
    if form == "case":
        return f'Thought: done\nAction: Finish\nAction Input: {{"answer": "{answer}"}}'
    if form == "no_thought":
        return f'Action: finish\nAction Input: {{"answer": "{answer}"}}'
    if form == "backslash_n":
        return f'Thought: done\nAction: finish\\n\nAction Input: {{"answer": "{answer}"}}'
    if form == "single_quote":
        return f"Thought: done\nAction: finish\nAction Input: {{'answer': '{answer}'}}"
    return f'Thought: done\nAction: finish\nAction Input: {{"answer": "{answer}"}}'


_FREE_TEXT = (
    "I think the answer is 42.",
    "Final Answer: 42",
    "Sure! Here is a random string: abcdefgh",
    "Thought: I know this.\nThe answer is yes.",
    "Action Input: {'a': 1}",
    "",
)


def _feedback(rng: random.Random, text: str) -> tuple[str, str]:
    """(role, content) of the message after an assistant message that did not finish."""
    pick = rng.random()
    if pick < 0.2:
        return "user", FORMAT_COMPLAINT
    if pick < 0.3:
        return "function", "cannot import name 'x' from 'x.tool' (/x/tool.py)"
    return "function", json.dumps({"result": rng.randint(0, 99)})


# ------------------------------------------------------------------------------------------------ episodes

Step = tuple[str, str]  # (role, content)


def _tools(item: SweepItem) -> list[Tool]:
    return [t for t in item.tools if t.name not in ("finish",)]


def _episode_steps(rng: random.Random, item: SweepItem, kind: str) -> tuple[list[Step], list[str]]:
    """The messages after system and user, and the labels of the generated tool calls."""
    tools = _tools(item)
    n = rng.randint(1, 8)
    steps: list[Step] = []
    labels = []
    for _ in range(n):
        text, label = _assistant(rng, item, rng.choice(tools))
        labels.append(label)
        steps.append(("assistant", text))
        steps.append(_feedback(rng, text))
    if kind == "finish":
        steps.append(("assistant", _finish(rng, item)))
    elif kind == "forced":
        steps.append(("assistant", FORCED_TURN if rng.random() < 0.7 else FORCED_ERR))
    elif kind == "no_finish":
        pass  # ends on the feedback message
    elif kind == "no_finish_marked":
        steps.append(("function", rng.choice([s for r, s in steps if r == "assistant"])))
    elif kind == "repeat_last":
        text = rng.choice([s for r, s in steps if r == "assistant"])
        steps.append(("assistant", text))
    elif kind == "echo_then_finish":
        steps.append(("user", rng.choice([s for r, s in steps if r == "assistant"])))
        steps.append(("assistant", _finish(rng, item)))
    elif kind == "gate":
        good = [t for t in item.tools if t.name not in ("finish", "ask_to_user")]
        tool = rng.choice(good)
        steps = [
            ("assistant", f"Thought: t\nAction: {tool.name}_nope\nAction Input: {{}}"),
            ("function", "err"),
        ]
        steps += [
            ("assistant", f"Thought: t\nAction: {tool.name}\nAction Input: {{'bogus': '1'}}"),
            ("function", "e"),
        ]
        steps.append(("assistant", _finish(rng, item)))
    elif kind == "forgotten_required":
        with_req = [t for t in item.tools if t.required and t.name != "finish"]
        tool = rng.choice(with_req or item.tools)
        full = _dict_text([(_py(k, "'"), "'v'") for k in tool.required])
        steps = [("assistant", f"Thought: t\nAction: {tool.name}\nAction Input: {full}"), ("function", "ok")]
        steps += [("assistant", f"Thought: t\nAction: {tool.name}\nAction Input: {{}}"), ("function", "e")]
        steps.append(("assistant", _finish(rng, item)))
    elif kind == "ask_user":
        steps.append(
            ("assistant", "Thought: ask\nAction: ask_to_user\nAction Input: {'question': 'Which one?'}")
        )
        steps.append(("user", "The first one."))
        steps.append(("assistant", _finish(rng, item)))
    elif kind == "no_assistant":
        steps = []
    elif kind == "only_finish":
        steps = [("assistant", _finish(rng, item))]
    if kind in ("gate", "forgotten_required", "no_assistant", "only_finish"):
        labels = []
    return steps, labels


KINDS = (
    ("finish", 30),
    ("forced", 15),
    ("no_finish", 5),
    ("no_finish_marked", 8),
    ("repeat_last", 10),
    ("echo_then_finish", 6),
    ("gate", 6),
    ("forgotten_required", 6),
    ("ask_user", 4),
    ("no_assistant", 1),
    ("only_finish", 4),
)


def _conversation_case(rng: random.Random, number: int, item: SweepItem) -> Case:
    kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
    steps, labels = _episode_steps(rng, item, kind)
    conv = [{"from": "system", "value": item.system}, {"from": "user", "value": item.user}]
    conv += [{"from": role, "value": text} for role, text in steps]
    record = {"index": item.index, "conversations": conv}
    return Case(number, f"conversations/{kind}", item.index, record, tuple(labels))


def _native_call(rng: random.Random, item: SweepItem) -> tuple[str, dict[str, Any], str]:
    """(raw reply, parse, label) of one native tool-calling turn."""
    tools = _tools(item)
    pick = rng.random()
    if pick < 0.2:
        text = rng.choice(["Hello! How can I help?", "The answer is 42.", ""])
        return text, {"calls": [], "failure": None, "final_answer": text, "thought": ""}, "native/text"
    tool = rng.choice(tools)
    name, name_mode = _call_name(rng, item, tool)
    args = {k: rng.choice(_words(item)) for k in tool.required}
    if rng.random() < 0.3 and tool.params:
        args[rng.choice(tool.params) + rng.choice(["", "_x"])] = "1"
    if rng.random() < 0.2:
        args.pop(next(iter(args)), None) if args else None
    thought = rng.choice(["", "calling"])
    call = {"name": name, "arguments": args}
    raw = json.dumps(
        {
            "role": "assistant",
            "content": thought or None,
            "tool_calls": [{"function": {"name": name, "arguments": json.dumps(args)}}],
        }
    )
    return raw, {"calls": [call], "failure": None, "thought": thought}, f"native/{name_mode}"


def _turns_case(rng: random.Random, number: int, item: SweepItem) -> Case:
    native = rng.random() < 0.3
    n = rng.randint(1, 9)
    turns = []
    labels = []
    for t in range(n):
        last = t == n - 1
        if native:
            if last and rng.random() < 0.6:
                answer = " ".join(rng.sample(_words(item), min(2, len(_words(item)))))
                args = {"answer": answer}
                raw = json.dumps(
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [{"function": {"name": "finish", "arguments": json.dumps(args)}}],
                    }
                )
                parse: dict[str, Any] = {"calls": [{"name": "finish", "arguments": args}], "thought": ""}
            else:
                raw, parse, label = _native_call(rng, item)
                labels.append(label)
        elif last and rng.random() < 0.6:
            raw, parse = _finish(rng, item), {}
        elif rng.random() < 0.15:  # free text, as small models write it
            raw, parse = rng.choice(_FREE_TEXT), {}
            labels.append("free_text")
        else:
            raw, label = _assistant(rng, item, rng.choice(_tools(item)))
            parse = {}
            labels.append(label)
        role, content = _feedback(rng, raw)
        messages = [] if last else [{"role": role, "content": content}]
        turns.append({"index": t, "raw": raw, "parse": parse, "messages": messages})
    forced = None
    if n == 9 or rng.random() < 0.2:
        forced = FORCED_TURN if rng.random() < 0.8 else FORCED_ERR
        if turns[-1]["messages"] == []:
            turns[-1]["messages"] = [{"role": "function", "content": '{"result": 1}'}]
    prompt = [{"role": "system", "content": item.system}, {"role": "user", "content": item.user}]
    record = {"index": item.index, "fmt": "openai" if native else "react", "prompt": prompt, "turns": turns}
    record.update(finished=True, forced=forced)
    return Case(number, f"turns/{'openai' if native else 'react'}", item.index, record, tuple(labels))


def build(items: Sequence[SweepItem], n: int = N_CASES, seed: int = SEED) -> list[Case]:
    """``n`` cases: two thirds ``conversations`` records, one third ``turns`` records, items cycled."""
    rng = random.Random(seed)
    make: tuple[Callable[[random.Random, int, SweepItem], Case], ...] = (
        _conversation_case,
        _conversation_case,
        _turns_case,
    )
    return [make[k % 3](rng, k, items[k % len(items)]) for k in range(n)]


def fingerprint(cases: Sequence[Case]) -> str:
    """SHA-256 of the swept records (the verdict file records it: generator and verdicts stay in step)."""
    digest = hashlib.sha256()
    for case in cases:
        digest.update(json.dumps([case.kind, case.index, case.record], sort_keys=True).encode() + b"\n")
    return digest.hexdigest()


def conversation_parts(record: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The messages of a record as ``(role, content, turn parse or None)``: a ``conversations`` record as
    stored; a ``turns`` record with each assistant generation raw (``parse`` given for native formats), so
    that the driver can store it the way upstream's inference loop would."""
    if "conversations" in record:
        return [(m["from"], m["value"], None) for m in record["conversations"]]
    out: list[tuple[str, str, dict[str, Any] | None]] = [
        (m["role"], m["content"], None) for m in record["prompt"]
    ]
    native = record.get("fmt") not in (None, "react")
    for t in record["turns"]:
        out.append(("assistant-raw", t["raw"], t["parse"] if native else None))
        out.extend((m["role"], m["content"], None) for m in t["messages"])
    if record.get("forced"):
        out.append(("assistant", record["forced"], None))
    return out
