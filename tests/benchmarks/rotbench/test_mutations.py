"""Gold answers mutated in known ways, with TS/PI/CF derived by hand from upstream's rules (§2.3)."""

from __future__ import annotations

import json

import pytest

from benchmarks import BENCHMARKS
from tlbench.types import ErrorKind


def _react(name: str, args: object) -> str:
    return f"Thought:\nAction: {name}\nAction Input: {json.dumps(args)}"


def _score(load_items, bench: str, index: int, text: str, mode: str = "upstream") -> tuple[bool, bool, bool]:
    item = load_items(bench)[index]
    s = BENCHMARKS.get(bench).score_item(item, text, mode)
    assert s.correct == s.cf
    assert (not s.cf or s.pi) and (not s.pi or s.ts)  # cumulative
    return (s.ts, s.pi, s.cf)


NLLB = {"input_text": "See you later", "tgt_lang": "jpn_Jpan", "src_lang": "eng_Latn", "max_length": "None"}
FC = "rotbench-first-clean"


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("get_translation_nllb", NLLB, (True, True, True)),
        ("get_translation_nllb", {**NLLB, "max_length": "512"}, (True, True, True)),  # "None": any value
        ("get_translation_nllb", {k: v for k, v in NLLB.items() if k != "max_length"}, (True, False, False)),
        ("get_translation_nllb", {**NLLB, "access_token": "t"}, (True, False, False)),  # extra key
        ("get_translation_nllb", {**NLLB, "tgt_lang": "ja"}, (True, True, False)),  # wrong value
        ("get_translation_nllb", {**NLLB, "input_text": "see you later"}, (True, True, False)),  # case
        ("get_translation_nllb", {**NLLB, "input_text": "See you later "}, (True, True, False)),  # space
        (
            "get_translation_baidu",
            {"text": "See you later", "tgt_lang": "jp"},
            (True, True, True),
        ),  # 2nd gold
        ("get_translation_baidu", {"text": "See you later", "tgt_lang": "jpn_Jpan"}, (True, True, False)),
        ("Get_translation_nllb", NLLB, (False, False, False)),  # names are case-sensitive
        ("finish", {"answer": "x"}, (False, False, False)),
        ("ask_to_user", {"question": "x"}, (False, False, False)),
    ],
)
def test_rot_mutation_first_clean_item0(load_items, name: str, args: dict, expected: tuple) -> None:
    assert _score(load_items, FC, 0, _react(name, args)) == expected
    assert _score(load_items, FC, 0, _react(name, args), "fixed") == expected


def test_rot_mutation_python_dict_and_prose_unparsable(load_items) -> None:
    text = (
        "Thought:\nAction: get_translation_baidu\nAction Input: {'text': 'See you later', 'tgt_lang': 'jp'}"
    )
    assert _score(load_items, FC, 0, text) == (False, False, False)
    good = _react("get_translation_baidu", {"text": "See you later", "tgt_lang": "jp"})
    assert _score(load_items, FC, 0, good + "\nObservation: done") == (False, False, False)
    item = load_items(FC)[0]
    s = BENCHMARKS.get(FC).score_item(item, text)
    assert not s.parsed and s.categories == (ErrorKind.UNPARSABLE,)


def test_rot_mutation_trailing_space_in_name(load_items) -> None:
    text = (
        'Thought:\nAction: get_translation_baidu \nAction Input: {"text": "See you later", "tgt_lang": "jp"}'
    )
    assert _score(load_items, FC, 0, text) == (False, False, False)
    assert _score(load_items, FC, 0, text, "fixed") == (True, True, True)


def test_rot_mutation_ask_position_cf_equals_pi(load_items) -> None:
    # First_Turn/clean item 9: the gold is ask_to_user; the question's wording is not compared
    assert _score(load_items, FC, 9, _react("ask_to_user", {"question": "anything?"})) == (True, True, True)
    assert _score(load_items, FC, 9, _react("ask_to_user", {"q": "anything?"})) == (True, False, False)


def test_rot_mutation_finish_position_values_ignored(load_items) -> None:
    # Third_Turn/clean item 39: the gold is finish with a long answer
    got = _score(load_items, "rotbench-third-clean", 39, _react("finish", {"answer": "short"}))
    assert got == (True, True, True)


def test_rot_mutation_types_are_compared(load_items) -> None:
    # Third_Turn/clean item 35 has an integer gold value (exhibit_maxnum: 5); "5" is not 5
    item = load_items("rotbench-third-clean")[35]
    args = dict(item.gold[0][0].arguments)
    assert args["exhibit_maxnum"] == 5
    assert _score(load_items, "rotbench-third-clean", 35, _react(item.gold[0][0].name, args)) == (True,) * 3
    args["exhibit_maxnum"] = "5"
    assert _score(load_items, "rotbench-third-clean", 35, _react(item.gold[0][0].name, args)) == (
        True,
        True,
        False,
    )


def test_rot_mutation_literal_finish_for_renamed_finish(load_items) -> None:
    # Third_Turn/medium item 2: the finish tool is renamed 'hsinif'; upstream accepts a literal 'finish'
    text = _react("finish", {"answer": "anything"})
    assert _score(load_items, "rotbench-third-medium", 2, text) == (True, True, True)
    assert _score(load_items, "rotbench-third-medium", 2, text, "fixed") == (True, True, True)


def test_rot_mutation_literal_finish_when_another_tool_is_called_finish(load_items) -> None:
    # Third_Turn/heavy item 2: names shuffled, 'finish' is a real (other) tool; the finish-position tool is
    # 'get_activity_by_key'. Upstream still maps 'finish' onto it; fixed does not.
    item = load_items("rotbench-third-heavy")[2]
    assert item.metadata["finish_name"] == "get_activity_by_key" and "finish" in item.metadata["tool_names"]
    text = _react("finish", {"answer": "x"})
    assert _score(load_items, "rotbench-third-heavy", 2, text) == (True, True, True)
    assert _score(load_items, "rotbench-third-heavy", 2, text, "fixed") == (False, False, False)


def test_rot_mutation_literal_ask_for_renamed_ask_fixed_only(load_items) -> None:
    # First_Turn/medium item 9: the ask tool is renamed 'resu_ot_ksa'
    text = _react("ask_to_user", {"question": "x?"})
    assert _score(load_items, "rotbench-first-medium", 9, text) == (False, False, False)
    assert _score(load_items, "rotbench-first-medium", 9, text, "fixed") == (True, True, True)


def test_rot_mutation_every_gold_alternative(load_items) -> None:
    # each acceptable answer scores 1/1/1 in fixed mode (upstream differs only by quirks 1 and 2)
    bench = BENCHMARKS.get(FC)
    for item in load_items(FC):
        for alt in item.gold:
            s = bench.score_item(item, alt[0].raw, "fixed")
            assert (s.ts, s.pi, s.cf) == (True, True, True), (item.index, alt[0].raw)


def test_rot_item_shape(load_items) -> None:
    first = load_items(FC)[0]
    assert [m["role"] for m in first.messages] == ["system", "user"]
    assert first.id == "0" and first.metadata["upstream_id"].startswith("Turn 1: ")
    assert [d.name for d in first.tools][-2:] == ["ask_to_user", "finish"]
    third = load_items("rotbench-third-clean")[0]
    assert [m["role"] for m in third.messages] == [
        "system",
        "user",
        "assistant",
        "function",
        "assistant",
        "function",
    ]
    slight = load_items("rotbench-first-slight")
    assert slight[0].metadata["noise"] == "tool_names" and slight[105].metadata["noise"] == "parameter_names"


def test_rot_categories_from_shared_classifier(load_items) -> None:
    bench = BENCHMARKS.get(FC)
    item = load_items(FC)[0]
    assert (
        bench.score_item(item, _react("made_up_tool", {"a": "b"})).categories[0]
        is ErrorKind.TOOL_HALLUCINATION
    )
    wrong_value = bench.score_item(item, _react("get_translation_nllb", {**NLLB, "tgt_lang": "ja"}))
    assert ErrorKind.CONTENT_ERROR in wrong_value.categories


def test_rot_bad_outputs_never_crash(load_items) -> None:
    bench = BENCHMARKS.get(FC)
    item = load_items(FC)[0]
    for text in ["", "Action:", "Action Input:", "\x00" * 10, "Action: x\nAction Input: {" * 50, "🙂" * 1000]:
        s = bench.score_item(item, text)
        assert not s.cf
    with pytest.raises(Exception, match="unknown mode"):
        bench.score_item(item, "x", "strict")


# Issue 20 §1: after the positional rename upstream skips the value check whenever the gold's tool is
# *literally* named finish / ask_to_user, wherever the heavy/union noise put it (official TS/PI/CF 1/1/1).
# Fixed mode (position_names) compares values unless the tool is at the finish/ask position.
@pytest.mark.parametrize(
    ("bench", "index", "name", "args"),
    [
        # tools [ask_to_user, get_translation_baidu, get_translation_nllb, finish]; gold ask_to_user
        (
            "rotbench-first-heavy",
            0,
            "ask_to_user",
            {"input_text": "Bye", "tgt_lang": "fra_Latn", "src_lang": "deu_Latn", "max_length": "None"},
        ),
        # ask_to_user is tool 7 of 10
        ("rotbench-first-union", 2, "ask_to_user", {"Uaccessibfilhity": "0.5"}),
        ("rotbench-third-heavy", 0, "finish", {"text": "Bye", "tgt_lang": "fr"}),  # finish is tool 2 of 4
    ],
)
def test_rot_literal_position_names_skip_values_upstream(
    load_items, bench: str, index: int, name: str, args: dict
) -> None:
    item = load_items(bench)[index]
    assert name in item.metadata["tool_names"][:-2]  # a real tool that merely carries the name
    assert _score(load_items, bench, index, _react(name, args)) == (True, True, True)
    assert _score(load_items, bench, index, _react(name, args), "fixed") == (True, True, False)


def test_rot_literal_finish_renamed_in_each_loop() -> None:
    # upstream renames a literal "finish" prediction separately in its TS, PI and CF loops: the TS loop
    # stops at a tool literally named finish, the PI loop still reaches the finish-position tool's gold
    from benchmarks.rotbench import FIXED, UPSTREAM, score_call

    golds = [("finish", {"a": "1"}), ("get_y", {"b": "2"})]
    tools = ("finish", "get_x", "get_y")  # finish-position tool: get_y; ask-position: get_x
    up = score_call("finish", {"b": "2"}, golds, "get_y", "get_x", tools, UPSTREAM)
    assert (up.ts, up.pi, up.cf, up.gold_index) == (True, True, True, 1)
    fx = score_call("finish", {"b": "2"}, golds, "get_y", "get_x", tools, FIXED)
    assert (fx.ts, fx.pi, fx.cf) == (True, False, False)
