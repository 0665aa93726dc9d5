"""A killed-and-resumed ``score --model`` run keeps the time of every invocation (``segments``).

The manifest is rewritten during the run (every ``CHECKPOINT_EVERY_S``), marked ``interrupted`` when the
run dies of an exception, and a re-run with the same settings lists the earlier invocation and sums the
wall time; a different model or a finished run starts a fresh record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runconfig import mock_run_config

import tlbench.runner as runner
from tlbench.backends.mock import MockBackend, SimulatedKill
from tlbench.runner import RunConfig, run, run_table

NAMES = ("rotbench-first-clean", "toolalpaca-real")
REPLY = 'Thought: t\nAction: finish\nAction Input: {"answer": "ok"}'


def _cfg(tmp_path: Path, data_dir: Path, **kw: object) -> RunConfig:
    return mock_run_config(tmp_path, data_dir, NAMES, **({"limit": 4, "batch_size": 1, "resamples": 20} | kw))


def _manifest(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "run" / "manifest.json").read_text())


def test_manifest_is_checkpointed_while_running(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "CHECKPOINT_EVERY_S", 0.0)
    seen: list[int] = []

    def reply(prompt: object) -> str:
        if (tmp_path / "run" / "manifest.json").is_file():
            seen.append(_manifest(tmp_path)["generations"])
        return REPLY

    run(_cfg(tmp_path, data_dir), backend=MockBackend(reply))
    # each batch of one sees the totals written after the batch before it, mid-benchmark too
    assert seen[:4] == [0, 1, 2, 3]


def test_killed_run_is_marked_and_resumed_run_sums_its_segments(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter(float(t) for t in range(0, 10_000, 5))  # every monotonic() call is 5 s later
    monkeypatch.setattr(runner.time, "monotonic", lambda: next(clock))
    with pytest.raises(SimulatedKill):
        run(_cfg(tmp_path, data_dir), backend=MockBackend(lambda p: REPLY, fail_after=3))
    killed = _manifest(tmp_path)
    assert killed["status"] == "interrupted" and killed["generations"] == 3
    assert killed["wall_time_s"] > 0 and killed["segments"] == []

    again = run(_cfg(tmp_path, data_dir), backend=MockBackend(lambda p: REPLY))
    assert again["status"] == "complete"
    assert again["cache_hits"] == 3 and again["generations"] == 8 - 3
    [seg] = again["segments"]
    assert seg["status"] == "interrupted" and seg["wall_time_s"] == killed["wall_time_s"]
    assert seg["generations"] == 3 and seg["created"] == killed["created"]
    assert again["wall_time_total_s"] == pytest.approx(again["wall_time_s"] + killed["wall_time_s"])
    assert "over 2 invocations" in run_table(tmp_path / "run")

    # a finished run re-run is a new run (re-scoring), not a third segment
    third = run(_cfg(tmp_path, data_dir), backend=MockBackend(lambda p: REPLY))
    assert third["segments"] == [] and third["wall_time_total_s"] == third["wall_time_s"]
    assert "invocations" not in run_table(tmp_path / "run")


def test_a_different_run_in_the_same_folder_does_not_inherit_segments(tmp_path: Path, data_dir: Path) -> None:
    with pytest.raises(SimulatedKill):
        run(_cfg(tmp_path, data_dir), backend=MockBackend(lambda p: REPLY, fail_after=2))
    other = run(_cfg(tmp_path, data_dir), backend=MockBackend(lambda p: REPLY, model="another"))
    assert other["segments"] == []
    with pytest.raises(SimulatedKill):
        run(_cfg(tmp_path, data_dir), backend=MockBackend(lambda p: REPLY, fail_after=1))
    limited = run(_cfg(tmp_path, data_dir, limit=2), backend=MockBackend(lambda p: REPLY))
    assert limited["segments"] == []


def test_unreadable_prior_manifest_is_ignored(tmp_path: Path, data_dir: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "manifest.json").write_text("{not json")
    assert run(_cfg(tmp_path, data_dir), backend=MockBackend(lambda p: REPLY))["segments"] == []
