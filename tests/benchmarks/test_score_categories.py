"""``ItemScore.categories`` holds ErrorKind members: a plain string is refused, every benchmark's scorer yields
members (on the gold and on wrong predictions), and ``items.jsonl`` still gets the plain values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from benchmarks import BENCHMARKS, NAMES
from benchmarks.base import Item, ItemScore
from tlbench import jsonio
from tlbench.types import ErrorKind

#: Every benchmark family (the BFCL sub-splits are parts of bfcl-v3-exec).
FAMILIES = tuple(n for n in NAMES if not n.startswith("bfcl-v3-exec-"))


def _score(**kw: Any) -> ItemScore:
    base = dict(id="a", index=0, scenario="s", ts=True, pi=True, cf=True, correct=True, parsed=True)
    return ItemScore(**{**base, **kw})


@pytest.mark.parametrize("bad", [("correct",), (ErrorKind.CORRECT, "content_error"), ("",)])
def test_a_str_category_is_rejected(bad: tuple[Any, ...]) -> None:
    with pytest.raises(TypeError, match="ErrorKind"):
        _score(categories=bad)


def test_to_dict_writes_the_plain_values() -> None:
    score = _score(categories=(ErrorKind.TOOL_HALLUCINATION, ErrorKind.CONTENT_ERROR))
    cats = score.to_dict()["categories"]
    assert cats == ["tool_hallucination", "content_error"] and all(type(c) is str for c in cats)
    assert '"categories": ["tool_hallucination", "content_error"]' in jsonio.dump_line(score.to_dict())


def _react(name: str, args: dict[str, Any]) -> str:
    return f"Thought: x\nAction: {name}\nAction Input: {json.dumps(args)}"


def _gold_output(bench: Any, item: Item) -> str:
    if bench.episodic:
        finish = {"role": "assistant", "content": _react("finish", {"answer": "ok"})}
        return json.dumps({"messages": [*item.messages, finish]})
    hook = getattr(bench, "gold_output", None)
    if hook is not None:
        return hook(item)
    return item.gold[0][0].raw


def _wrong_outputs(bench: Any, item: Item) -> list[str]:
    if bench.default_format == "python":
        return ["[made_up_tool(a='b')]", "this is not a call ("]
    wrong = [_react("made_up_tool", {"a": "b"}), "no action in this text"]
    if item.gold and item.gold[0]:
        gold = item.gold[0][0]
        wrong.append(_react(gold.name, {**gold.arguments, "surely_not_a_parameter": 1}))
    return wrong


def _assert_members(score: ItemScore) -> None:
    assert all(isinstance(c, ErrorKind) for c in score.categories), score.categories
    assert score.to_dict()["categories"] == [c.value for c in score.categories]


@pytest.mark.parametrize("name", FAMILIES)
def test_every_scorer_yields_error_kinds(name: str, load_items) -> None:
    bench = BENCHMARKS.get(name)
    items = load_items(name)
    sample = items[:: max(1, len(items) // 4)][:4]
    for item in sample:
        for mode in ("upstream", "fixed"):
            gold = bench.score_item(item, _gold_output(bench, item), mode)
            _assert_members(gold)
            errors = set()
            for output in _wrong_outputs(bench, item):
                wrong = bench.score_item(item, output, mode)
                _assert_members(wrong)
                errors |= {c for c in wrong.categories if c.is_error}
            assert errors, f"{name} item {item.index}: no error category on a wrong prediction"
