"""``score --model --record DB`` / ``--replay DB``: episode tool outcomes stored, then served with no tool run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runconfig import mock_run_config

from benchmarks import BENCHMARKS
from tlbench.backends.mock import MockBackend
from tlbench.errors import UsageError
from tlbench.runner import RunConfig, run
from tools_env.impls.local import LOCAL_TOOLS

#: Items 0-29 use only the offline local tools (Random); 30-31 have simulated web tools (Advice_slip).
N = 32
_VALUES = {"string": "x", "integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}}


def _scripted(data_dir: Path, n: int):  # noqa: ANN202 - a callable
    """Round 1: call a simulated tool of the item with its required arguments; round 2: finish."""
    plans: dict[str, str] = {}
    for item in BENCHMARKS.get("tooleyes").load(data_dir)[:n]:
        for doc in item.tools:
            props = doc.properties
            if doc.name in LOCAL_TOOLS or doc.name in ("finish", "ask_to_user") or doc.name in plans:
                continue
            if any("enum" in props.get(p, {}) for p in doc.required):
                continue
            args = {p: _VALUES.get(str(props.get(p, {}).get("type")), "x") for p in doc.required}
            plans[doc.name] = f"Thought: t\nAction: {doc.name}\nAction Input: {json.dumps(args)}"
            break
    called: set[str] = set()

    def reply(prompt: object) -> str:
        text = prompt if isinstance(prompt, str) else json.dumps(prompt)
        for name, action in plans.items():
            if f"Action: {name}" not in text.split("Begin!")[-1] and name in text and name not in called:
                called.add(name)
                return action
        return 'Thought: done\nAction: finish\nAction Input: {"answer": "ok"}'

    return reply, called


def _cfg(tmp_path: Path, data_dir: Path, out: str, **kw: object) -> RunConfig:
    fields = {"out": tmp_path / out, "limit": N, "use_cache": False, "batch_size": 16, "resamples": 20} | kw
    return mock_run_config(tmp_path, data_dir, ("tooleyes",), **fields)


def _turn_feedback(run_dir: Path) -> list[list[object]]:
    rows = [json.loads(x) for x in (run_dir / "tooleyes" / "predictions.jsonl").read_text().splitlines()]
    return [[t.get("feedback") for t in r["turns"]] for r in rows]


def test_recorded_tool_outcomes_replay_identically_and_misses_are_classified(
    tmp_path: Path, data_dir: Path
) -> None:
    db = tmp_path / "tools.sqlite"
    reply, called = _scripted(data_dir, N)
    run(_cfg(tmp_path, data_dir, "rec", tools="record", tools_store=db), backend=MockBackend(reply))
    assert called and db.is_file()
    recorded = _turn_feedback(tmp_path / "rec")
    flat = json.dumps(recorded)
    assert "not recorded" not in flat and any(t for r in recorded[30:] for t in r[:1])

    reply2, _ = _scripted(data_dir, N)
    manifest = run(
        _cfg(tmp_path, data_dir, "rep", tools="replay", tools_store=db), backend=MockBackend(reply2)
    )
    assert manifest["tools"] == {"executor": "replay", "store": str(db)}
    assert _turn_feedback(tmp_path / "rep") == recorded

    empty = tmp_path / "empty.sqlite"
    from tools_env.replay import ReplayStore

    ReplayStore(empty)  # an existing but empty store: every simulated call is a miss
    reply3, _ = _scripted(data_dir, N)
    run(_cfg(tmp_path, data_dir, "miss", tools="replay", tools_store=empty), backend=MockBackend(reply3))
    text = json.dumps(_turn_feedback(tmp_path / "miss"))
    assert "not recorded" in text


def test_replay_needs_an_existing_store(tmp_path: Path, data_dir: Path) -> None:
    from tlbench.cli import main

    code = main(["score", "--model", "mock", "--backend", "mock", "--benchmarks", "tooleyes", "--limit", "1",
                 "--replay", str(tmp_path / "nope.sqlite"), "--data-dir", str(data_dir), "--out", str(tmp_path / "r")])  # fmt: skip
    assert code == 2
    with pytest.raises(UsageError):
        run(
            _cfg(tmp_path, data_dir, "x", tools="replay", tools_store=tmp_path / "nope.sqlite"),
            backend=MockBackend(default="x"),
        )
