"""Task sources: the synthetic generator (determinism, splits, near misses, valid gold) and task files."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tlbench.classify import check_against_docs
from tlbench.errors import DataError, UsageError
from tlbench.types import ToolCall
from training.tasks import Task, load_tasks, read_tasks, write_tasks
from training.tasks.synthetic import (
    generate_tasks,
    library_from_docs,
    load_tool_library,
    near_miss_docs,
    split_of,
)


def _check_task(t: Task) -> None:
    names = [d.name for d in t.tools]
    assert len(names) == len(set(names)) and names[-2:] == ["ask_to_user", "finish"]
    index = {d.name: d for d in t.tools}
    for step in t.steps or ():
        for c in step:
            verdict = check_against_docs(ToolCall(c["name"], c["arguments"]), index)
            assert not verdict.kind.is_error, (t.id, c, verdict)
            for v in c["arguments"].values():
                assert str(v).lower() in t.query.lower()  # every gold value is stated in the query
    for near in t.meta["near_miss"]:
        gold_names = [s[0]["name"] for s in t.steps]
        assert near in names and any(near.startswith(g.rsplit("_", 1)[0]) for g in gold_names)


def test_custom_tool_set_is_deterministic_split_and_valid(weather_docs) -> None:
    lib = library_from_docs(weather_docs[:3])
    a = generate_tasks(lib, n=40, seed=7)
    assert [t.to_dict() for t in a] == [t.to_dict() for t in generate_tasks(lib, n=40, seed=7)]
    assert [t.query for t in a] != [t.query for t in generate_tasks(lib, n=40, seed=8)]
    held = generate_tasks(lib, n=20, seed=7, split="heldout")
    pairs = lambda ts: {(t.steps[0][0]["name"], t.meta["template"]) for t in ts}  # noqa: E731
    assert not pairs(a) & pairs(held)
    assert all(t.split == "train" for t in a) and all(t.split == "heldout" for t in held)
    assert any(len(t.steps) == 2 for t in a) and any(len(t.steps) == 1 for t in a)
    assert {t.id for t in a} == {f"syn-train-7-{k}" for k in range(40)}
    for t in a + held:
        _check_task(t)


def test_near_miss_names_share_a_prefix_and_never_collide(weather_docs) -> None:
    taken = {d.name for d in weather_docs}
    out = near_miss_docs(random.Random(0), weather_docs[0], taken, 5)
    assert len(out) == 5 and len({d.name for d in out}) == 5
    assert all(d.name.startswith("get_") and d.name not in {x.name for x in weather_docs} for d in out)
    assert all(d.parameters == weather_docs[0].parameters for d in out)


def test_split_rule_is_pure_and_about_one_in_five() -> None:
    marks = [split_of("pkg", f"tool{i}", t) for i in range(200) for t in range(8)]
    assert marks == [split_of("pkg", f"tool{i}", t) for i in range(200) for t in range(8)]
    assert 0.12 < marks.count("heldout") / len(marks) < 0.28


def test_tooleyes_library_tasks(data_dir: Path) -> None:
    lib = load_tool_library(data_dir)
    assert len(lib) > 50
    tasks = generate_tasks(lib, n=60, seed=0)
    assert len({t.meta["package"] for t in tasks}) > 20
    for t in tasks:
        _check_task(t)
        assert not any("api_key" in c["arguments"] or "apikey" in c["arguments"] for s in t.steps for c in s)


def test_task_files_round_trip_and_bad_lines(tmp_path: Path, weather_docs) -> None:
    tasks = generate_tasks(library_from_docs(weather_docs[:3]), n=5, seed=1)
    p = tmp_path / "tasks.jsonl"
    write_tasks(p, tasks)
    back = read_tasks(p)
    assert [t.to_dict() for t in back] == [t.to_dict() for t in tasks]
    assert [t.id for t in load_tasks(str(p), n=2)] == [tasks[0].id, tasks[1].id]
    p.write_text(p.read_text() + '{"id": "x"}\n')
    with pytest.raises(DataError, match=r"tasks.jsonl:6: .*'query'"):
        read_tasks(p)
    with pytest.raises(UsageError, match="not 'synthetic'"):
        load_tasks(str(tmp_path / "missing.jsonl"), n=1)
    with pytest.raises(UsageError, match="split"):
        load_tasks("synthetic:test", n=1)
    os.environ.get("TLBENCH_DATA")  # (no side effects on the environment)


def test_max_tools_caps_the_prompt_but_keeps_gold_and_near_misses(data_dir: Path) -> None:
    tasks = generate_tasks(load_tool_library(data_dir), n=40, seed=3, max_tools=4)
    for t in tasks:
        names = [d.name for d in t.tools]
        gold = {c["name"] for s in t.steps for c in s}
        assert len(names) - 2 <= max(4, len(gold) + len(t.meta["near_miss"]))
        assert gold <= set(names) and set(t.meta["near_miss"]) <= set(names)
        _check_task(t)
    with pytest.raises(UsageError):
        generate_tasks(load_tool_library(data_dir), n=1, max_tools=0)
