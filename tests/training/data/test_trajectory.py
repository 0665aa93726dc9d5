"""Trajectory records: schema round trip, reader errors and truncation, resumable writer, labelling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tlbench.errors import DataError, UsageError
from tlbench.types import ErrorKind
from training.trajectory import (
    MODEL_CAUSED,
    GoldTracker,
    Trajectory,
    TrajectoryWriter,
    TruncatedLineWarning,
    Turn,
    align_gold,
    is_erroneous,
    label_turns,
    read_ids,
    read_trajectories,
)

MSGS = [
    {"role": "user", "content": "weather in Paris?"},
    {"role": "assistant", "content": 'get_weather\n{"town": "Paris"}'},
    {"role": "tool", "content": "get_weather() got an unexpected keyword argument 'town'"},
    {"role": "assistant", "content": 'get_weather\n{"city": "Paris"}'},
    {"role": "tool", "content": '{"temp": 21}'},
    {"role": "assistant", "content": 'finish\n{"answer": "21 degrees"}'},
]
GOLD_STEP = [{"name": "get_weather", "arguments": {"city": "Paris"}}]


def _traj(tid: str = "t1", **kw) -> Trajectory:
    return Trajectory(
        id=tid, source="test", seed=3, messages=tuple(MSGS), turns=(Turn(1), Turn(3), Turn(5)), **kw
    )


def test_round_trip_matches_documented_keys() -> None:
    t = _traj(gold=((GOLD_STEP[0],),), meta={"x": 1})
    d = t.to_dict()
    assert list(d) == ["id", "source", "seed", "tools", "messages", "turns", "gold", "meta"]
    assert list(d["turns"][0]) == [
        "message_index",
        "calls",
        "parse_ok",
        "feedback",
        "category",
        "erroneous",
        "reward",
        "token_ids",
    ]
    assert Trajectory.from_dict(json.loads(t.to_json())) == t


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d.pop("id"), "'id'"),
        (lambda d: d["messages"].append({"role": "robot", "content": "x"}), "messages[6]"),
        (lambda d: d["turns"][0].update(message_index=0), "not an assistant message"),
        (lambda d: d["turns"][1].update(token_ids=[1, "2"]), "turns[1].token_ids"),
        (lambda d: d.update(gold=[{"name": "x"}]), "'gold'"),
    ],
)
def test_reader_names_file_and_line_of_a_bad_record(tmp_path: Path, mutate, needle: str) -> None:
    good = _traj().to_dict()
    bad = _traj("t2").to_dict()
    mutate(bad)
    p = tmp_path / "t.jsonl"
    p.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DataError) as err:
        list(read_trajectories(p))
    assert str(err.value).startswith(f"{p}:2: ") and needle in str(err.value)


def test_reader_rejects_a_bad_middle_line_but_skips_a_truncated_last_line(tmp_path: Path) -> None:
    line = _traj().to_json()
    p = tmp_path / "t.jsonl"
    p.write_text(line + "\n{oops\n" + line + "\n")
    with pytest.raises(DataError, match=r":2: not JSON"):
        list(read_trajectories(p))
    p.write_text(line + "\n\n" + line[: len(line) // 2])
    with pytest.warns(TruncatedLineWarning, match=r":3: truncated"):
        assert [t.id for t in read_trajectories(p)] == ["t1"]


def test_writer_appends_skips_duplicates_and_repairs_a_partial_record(tmp_path: Path) -> None:
    p = tmp_path / "sub" / "t.jsonl"
    with TrajectoryWriter(p) as w:
        assert w.write(_traj("a")) and w.write(_traj("b").to_dict())
        assert not w.write(_traj("a"))
        assert (w.written, w.skipped) == (2, 1)
    with p.open("a") as fh:
        fh.write(_traj("c").to_json()[:50])  # a kill -9 in the middle of a record
    with pytest.warns(TruncatedLineWarning, match="partial last record"):
        w = TrajectoryWriter(p)
    with w:
        assert w.ids == {"a", "b"} and "a" in w
        assert w.write(_traj("c"))
    assert [t.id for t in read_trajectories(p)] == ["a", "b", "c"]
    assert read_ids(p) == {"a", "b", "c"} and read_ids(tmp_path / "none.jsonl") == set()


def test_writer_refuses_a_foreign_file_and_a_second_writer(tmp_path: Path) -> None:
    p = tmp_path / "t.jsonl"
    p.write_text("not json\n")
    with pytest.raises(DataError, match=r":1: not JSON"):
        TrajectoryWriter(p)
    q = tmp_path / "q.jsonl"
    with TrajectoryWriter(q), pytest.raises(UsageError, match="another process"):
        TrajectoryWriter(q)


def test_label_turns_from_feedback_docs_and_gold(weather_docs) -> None:
    gold = [GOLD_STEP, GOLD_STEP, [{"name": "finish", "arguments": {"answer": ""}}]]
    turns = label_turns(MSGS, weather_docs, "glm", gold=gold, token_ids={3: [5, 6]})
    assert [t.category for t in turns] == ["parameter_hallucination", "correct", "correct"]
    assert [t.erroneous for t in turns] == [True, False, False]
    assert turns[0].reward == pytest.approx(
        -1.3
    )  # invented "town" + missing "city" and turns[1].reward == 1.0
    assert turns[0].feedback.startswith("get_weather() got an unexpected") and turns[2].feedback is None
    assert turns[1].token_ids == (5, 6) and turns[0].token_ids is None
    # without gold: the feedback text alone decides (plus the parse); no reward
    plain = label_turns(MSGS, (), "glm")
    assert [t.category for t in plain] == ["parameter_hallucination", "correct", "correct"]
    assert all(t.reward is None for t in plain)
    garbage = label_turns(
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": "get_weather\n{broken"}],
        (),
        "glm",
    )
    assert garbage[0].category == "unparsable" and not garbage[0].parse_ok and garbage[0].erroneous


def test_instability_is_not_the_models_error_and_matches_the_masker() -> None:
    for kind in ErrorKind:
        assert is_erroneous(kind.value) == (kind in MODEL_CAUSED)
    assert not is_erroneous("tool_instability") and not is_erroneous("no-such-kind")
    msgs = [MSGS[0], MSGS[3], {"role": "tool", "content": "HTTPSConnectionPool: Max retries exceeded"}]
    (t,) = label_turns(msgs, (), "glm")
    assert t.category == "tool_instability" and not t.erroneous


def test_a_missing_label_is_filled_by_the_one_rule_and_a_given_one_is_kept() -> None:
    assert Turn.from_dict({"message_index": 1, "category": "wrong_tool"}).erroneous
    assert not Turn.from_dict({"message_index": 1, "category": "tool_instability"}).erroneous
    assert not Turn.from_dict({"message_index": 1, "category": "wrong_tool", "erroneous": False}).erroneous
    unlabelled = Turn.from_dict({"message_index": 1, "feedback": "name 'x' is not defined"})
    assert unlabelled.category == "tool_hallucination" and unlabelled.erroneous
    assert Turn.from_dict({"message_index": 1}) == Turn(1)


def test_gold_tracker_holds_a_step_until_it_is_done(weather_docs) -> None:
    steps = [GOLD_STEP, [{"name": "get_time", "arguments": {"city": "Paris"}}]]
    gold = align_gold(MSGS, weather_docs, "glm", steps)
    assert [g[0]["name"] for g in gold] == ["get_weather", "get_weather", "get_time"]
    tr = GoldTracker([GOLD_STEP], weather_docs)
    from tlbench.parsers import parse

    ok = parse('get_weather\n{"city": "Paris"}', "glm")
    assert (
        tr.observe(ok, ["Read timed out"])[0]["name"] == "get_weather" and tr.position == 0
    )  # retry allowed
    tr.observe(ok)
    assert tr.expected[0]["name"] == "finish" and not tr.done
    tr.observe(parse('finish\n{"answer": "x"}', "glm"))
    assert tr.done
