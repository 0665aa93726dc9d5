"""Upstream version-0 ReAct slicing, quirk by quirk, and the fixed-mode repairs of it."""

from __future__ import annotations

import pytest

from benchmarks.rotbench import FIXED, UPSTREAM, parse_action

GOOD = 'Thought:\nAction: get_x\nAction Input: {"a": "1"}'


def test_rot_parse_plain_call() -> None:
    act = parse_action(GOOD)
    assert act.ok and act.name == "get_x" and act.arguments == {"a": "1"}


@pytest.mark.parametrize(
    ("text", "failure"),
    [
        ("Thought:\nAction: get_x\nAction Input: {}", "empty_args"),  # quirk 1: falsy check
        ("Thought:\nAction: get_x\nAction Input: []", "empty_args"),
        ("Thought:\nAction: get_x\nAction Input: 0", "empty_args"),
        ("Thought:\nAction: get_x\nAction Input: null", "empty_args"),
        ('Thought:\nAction: get_x\nAction Input: "text"', "not_object"),
        ('Thought:\nAction: get_x\nAction Input: ["a"]', "not_object"),  # upstream AttributeError
        ("Thought:\nAction: get_x\nAction Input: 7", "not_object"),
        ("Thought:\nAction: get_x\nAction Input: {'a': '1'}", "bad_json"),  # Python dict is not JSON
        ('Thought:\nAction: get_x\nAction Input: {"a": "1"}\nDone.', "bad_json"),  # prose after JSON
        ('Action:Action Input: {"a": "1"}', "empty_name"),  # upstream IndexError on name[-1]
        (None, "not_text"),
    ],
)
def test_rot_parse_upstream_failures(text: object, failure: str) -> None:
    assert parse_action(text, UPSTREAM).failure == failure


def test_rot_parse_name_keeps_spaces_upstream_strips_fixed() -> None:
    text = 'Thought:\nAction: get_x \nAction Input: {"a": "1"}'
    assert parse_action(text, UPSTREAM).name == "get_x "  # only one trailing "\n" is dropped
    assert parse_action(text, FIXED).name == "get_x"
    text2 = 'Action: get_x\n\nAction Input: {"a": "1"}'
    assert parse_action(text2, UPSTREAM).name == "get_x\n"


def test_rot_parse_no_space_after_colon_eats_a_char_upstream() -> None:
    act = parse_action('Action:get_x\nAction Input: {"a": "1"}', UPSTREAM)
    assert act.name == "et_x"  # s[i_act + 8:] skips exactly 'Action: '


def test_rot_parse_fixed_accepts_empty_args_and_requires_markers() -> None:
    assert parse_action("Thought:\nAction: get_x\nAction Input: {}", FIXED).arguments == {}
    assert parse_action("Thought:\nAction: get_x\nAction Input: []", FIXED).failure == "not_object"
    assert parse_action("no markers at all", FIXED).failure == "no_action"


def test_rot_parse_gold_keeps_empty_args() -> None:
    assert parse_action("Thought:\nAction: t\nAction Input: {}", UPSTREAM, gold=True).ok


def test_rot_parse_never_raises_on_deep_nesting() -> None:
    act = parse_action("Action: x\nAction Input: " + "[" * 100_000)
    assert not act.ok
