"""Throughput of ``tlbench.parsers.parse`` on a realistic mix of model outputs, on one core.

Run: ``python tests/perf/bench_parse.py [--seconds S] [--n N]``. Prints ONE JSON object with the overall
rate (``outputs_per_s``), the rate per format, and the mean output length. The mix: the seven formats in
equal shares; ~80% valid single calls (a few with several calls or a long thought), ~10% final answers,
~10% malformed (truncated JSON, prose, Python-dict inputs for ReAct, bad syntax). Parsing is the first half
of the issue's parse+classify target (>= 20,000 outputs/s on one core), so it must stay well above it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from typing import Any

from bench_parse_classify import _rate  # best of 5 rounds; this script runs from tests/perf

from tlbench.parsers import FORMATS, parse
from tlbench.types import ToolDoc

DOCS = tuple(
    ToolDoc(
        name=f"tool_{i}_lookup",
        parameters={
            "type": "object",
            "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}, "lang": {}},
        },
        required=("query",),
    )
    for i in range(6)
)


def _py(value: Any) -> str:
    return repr(value)


def _render(name: str, args: dict[str, Any], fmt: str, thought: str) -> str:
    """One call as a model prints it in ``fmt``."""
    j = json.dumps(args)
    if fmt == "react":
        return f"Thought: {thought}\nAction: {name}\nAction Input: {j}"
    if fmt == "json":
        return json.dumps({"name": name, "arguments": args})
    if fmt == "python":
        return f"{name}(" + ", ".join(f"{k}={_py(v)}" for k, v in args.items()) + ")"
    if fmt == "qwen":
        return f"{thought}\n<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>"
    if fmt == "llama3":
        return "<|python_tag|>" + json.dumps({"name": name, "parameters": args})
    if fmt == "glm":
        return f"{name}\n{j}"
    call = {"id": "call_0", "type": "function", "function": {"name": name, "arguments": j}}
    return json.dumps({"role": "assistant", "content": thought or None, "tool_calls": [call]})


def _final(fmt: str, answer: str) -> str:
    if fmt == "react":
        return f"Thought: I now know the final answer.\nFinal Answer: {answer}"
    if fmt == "openai":
        return json.dumps({"role": "assistant", "content": answer})
    return answer


def _malformed(fmt: str, rng: random.Random) -> str:
    options = {
        "react": [
            'Thought: x\nAction: tool_1_lookup\nAction Input: {"query": "Paris"',
            "Thought: x\nAction: tool_1_lookup\nAction Input: {'query': 'Paris', 'limit': 3}",
            "I think I should look it up.",
        ],
        "json": ['{"name": "tool_1_lookup", "arguments": {"query": ', '{"arguments": {}}'],
        "python": ["tool_1_lookup(query='Paris'", "tool_1_lookup(query=foo)", "[tool_1_lookup(1, 2, 3, 4)]"],
        "qwen": ['<tool_call>\n{"name": "tool_1_lookup", "arguments": {"query": \n</tool_call>'],
        "llama3": ['<|python_tag|>{"name": "tool_1_lookup", "parameters": {"query": "x"'],
        "glm": ['tool_1_lookup\n{"query": "Paris",}'],
        "openai": ['{"role": "assistant", "tool_calls": [{"function": {"name": "x", "arguments": "{"}}]}'],
    }
    return rng.choice(options[fmt])


def make_mix(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` (text, format) pairs, deterministic for a seed."""
    rng = random.Random(seed)
    words = ["weather", "Paris", "museum opening hours", "cheap flights", "déjà vu", "42"]
    out = []
    for i in range(n):
        fmt = FORMATS[i % len(FORMATS)]
        r = rng.random()
        if r < 0.10:
            out.append((_malformed(fmt, rng), fmt))
            continue
        if r < 0.20:
            out.append((_final(fmt, "The answer is " + rng.choice(words) + "."), fmt))
            continue
        thought = "I should call a tool to find out. " * (40 if rng.random() < 0.05 else 1)
        args: dict[str, Any] = {"query": rng.choice(words), "limit": rng.randint(1, 20)}
        if rng.random() < 0.3:
            args["lang"] = rng.choice(["en", "fr", None, ["a", "b"]])
        text = _render(f"tool_{rng.randint(0, 5)}_lookup", args, fmt, thought)
        if rng.random() < 0.05 and fmt in ("python", "qwen", "llama3"):
            second = _render("tool_0_lookup", {"query": "x"}, fmt, "")
            text = f"[{text}, {second}]" if fmt == "python" else f"{text}\n{second}"
        out.append((text, fmt))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    ap.add_argument("--n", type=int, default=2100, help="distinct outputs in the mix")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass
    mix = make_mix(args.n)
    outcomes = {"calls": 0, "final_answer": 0, "failure": 0}
    for text, fmt in mix:
        r = parse(text, fmt, DOCS)
        outcomes["failure" if not r.ok else "calls" if r.calls else "final_answer"] += 1
    result: dict[str, Any] = {
        "bench": "parse",
        "python": platform.python_version(),
        "outputs": len(mix),
        "mean_chars": round(sum(len(t) for t, _ in mix) / len(mix)),
        "outcomes": outcomes,
        "outputs_per_s": round(_rate(lambda it: parse(it[0], it[1], DOCS), mix, args.seconds)),
        "outputs_per_cpu_s": round(
            _rate(lambda it: parse(it[0], it[1], DOCS), mix, args.seconds, time.process_time)
        ),
        "per_format_per_s": {
            fmt: round(
                _rate(lambda it: parse(it[0], it[1], DOCS), [m for m in mix if m[1] == fmt], args.seconds / 4)
            )
            for fmt in FORMATS
        },
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
