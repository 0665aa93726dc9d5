"""``tlbench collect``: episodes through tools_env with the scripted mock teacher, labels, resume after kill -9."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tlbench.cli import main
from training.tasks import write_tasks
from training.tasks.synthetic import generate_tasks, library_from_docs
from training.trajectory import read_trajectories

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture()
def task_file(tmp_path: Path, weather_docs) -> Path:
    p = tmp_path / "tasks.jsonl"
    write_tasks(p, generate_tasks(library_from_docs(weather_docs[:3]), n=250, seed=0))
    return p


def _collect(capsys, *argv: str) -> dict:
    capsys.readouterr()
    assert main(["collect", "--backend", "mock", "--no-decontam", *argv]) == 0
    return json.loads(capsys.readouterr().out.splitlines()[0])


def test_oracle_episodes_are_all_correct_with_aligned_gold(tmp_path: Path, task_file: Path, capsys) -> None:
    out = tmp_path / "o.jsonl"
    summary = _collect(
        capsys, "--model", "oracle", "--tasks", str(task_file), "--limit", "12", "--out", str(out)
    )
    assert summary["written"] == 12 and summary["solved_rate"] == 1.0 and summary["mean_turn_reward"] == 1.0
    for t in read_trajectories(out):
        assistants = [i for i, m in enumerate(t.messages) if m["role"] == "assistant"]
        assert [u.message_index for u in t.turns] == assistants
        assert len(t.gold) == len(assistants) and t.gold[-1][0]["name"] == "finish"
        assert all(u.category == "correct" and u.reward == 1.0 and not u.erroneous for u in t.turns)
        assert [u.calls[0]["name"] for u in t.turns] == [g[0]["name"] for g in t.gold]
        assert t.messages[0] == {"role": "user", "content": t.meta["query"]}
        assert t.meta["solved"] and t.meta["prompt_format"] == "toolllama-react" and t.seed == 0
        assert all(m["role"] != "function" for m in t.messages)


def test_noisy_teacher_makes_masked_mistakes_that_are_then_corrected(
    tmp_path: Path, task_file: Path, capsys
) -> None:
    out = tmp_path / "n.jsonl"
    summary = _collect(
        capsys, "--model", "noisy", "--tasks", str(task_file), "--limit", "40", "--out", str(out)
    )
    cats = summary["categories"]
    assert cats["correct"] > 0 and sum(v for k, v in cats.items() if k != "correct") >= 5
    assert summary["solved_rate"] == 1.0  # every mistake is corrected on the next turn
    for t in read_trajectories(out):
        for prev, nxt in zip(t.turns, t.turns[1:], strict=False):
            if prev.erroneous:
                assert t.gold[t.turns.index(prev)] == t.gold[t.turns.index(nxt)]  # same step judged again
        assert all(u.reward is not None and (u.reward < 1.0) == u.erroneous for u in t.turns)


def test_collect_counts_error_kinds_and_reports_their_names(tmp_path: Path, weather_docs) -> None:
    from tlbench.backends.mock import MockBackend
    from tlbench.types import ErrorKind
    from training.collector import collect

    tasks = generate_tasks(library_from_docs(weather_docs[:3]), n=12, seed=0)
    replies: dict[str, str] = {}
    stats = collect(
        tasks, tmp_path / "k.jsonl", MockBackend(replies, model="noisy"), fmt="toolllama-react",
        scripted="noisy", replies=replies, log=io.StringIO(),
    )  # fmt: skip
    assert stats.categories and all(isinstance(k, ErrorKind) for k in stats.categories), stats.categories
    assert stats.to_dict()["categories"] == {k.value: n for k, n in stats.categories.most_common()}
    assert sum(stats.categories.values()) == stats.turns


def test_unparsable_model_is_forced_to_finish(tmp_path: Path, task_file: Path, capsys) -> None:
    out = tmp_path / "m.jsonl"
    argv = [
        "--model",
        "silent",
        "--tasks",
        str(task_file),
        "--limit",
        "2",
        "--max-generations",
        "3",
        "--out",
        str(out),
    ]
    summary = _collect(capsys, *argv)
    assert summary["written"] == 2 and summary["solved_rate"] == 0.0
    t = next(iter(read_trajectories(out)))
    assert [u.category for u in t.turns][:3] == ["unparsable"] * 3 and t.meta["forced"]
    assert len(t.turns) == 4 and t.turns[-1].category == "wrong_tool"  # the appended forced finish


def test_usage_errors_exit_2(tmp_path: Path, capsys) -> None:
    for argv in (
        [
            "collect",
            "--backend",
            "mock",
            "--model",
            "oracle",
            "--tasks",
            "nope.jsonl",
            "--out",
            str(tmp_path / "x"),
        ],
        ["collect", "--backend", "mock", "--model", "oracle", "--out", str(tmp_path / "x")],
        ["collect", "--import", "csv", "x", "--out", str(tmp_path / "x")],
    ):
        assert main(argv) == 2
        assert "Traceback" not in capsys.readouterr().err


def test_resume_after_kill_9_loses_and_duplicates_nothing(tmp_path: Path, task_file: Path) -> None:
    out = tmp_path / "k.jsonl"
    argv = [sys.executable, "-m", "tlbench", "collect", "--backend", "mock", "--model", "noisy"]
    argv += [
        "--tasks",
        str(task_file),
        "--limit",
        "250",
        "--batch-size",
        "2",
        "--out",
        str(out),
        "--no-decontam",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= 10:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL, "the run finished before it could be killed"
    before = out.read_bytes()
    done = before[: before.rfind(b"\n") + 1]
    assert 0 < done.count(b"\n") < 250
    with out.open("ab") as fh:  # as if the kill had landed in the middle of a record
        fh.write(b'{"id": "syn-train-0-5999", "source": "synth')
    rerun = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    after = out.read_bytes()
    assert after.startswith(done)  # finished records are never rewritten
    ids = [json.loads(line)["id"] for line in after.decode().splitlines()]
    assert len(ids) == 250 and set(ids) == {f"syn-train-0-{k}" for k in range(250)}
    summary = json.loads(rerun.stdout.splitlines()[0])
    assert summary["skipped_existing"] == done.count(b"\n") and summary["written"] == 250 - done.count(b"\n")


@pytest.mark.parametrize(
    "fmt", ["toolllama-react", "tl-codellama", "nexusraven", "qwen25", "glm4", "llama31-json", "openai"]
)
def test_oracle_speaks_every_prompt_format(tmp_path: Path, task_file: Path, capsys, fmt: str) -> None:
    out = tmp_path / "f.jsonl"
    argv = [
        "--model",
        "oracle",
        "--tasks",
        str(task_file),
        "--limit",
        "3",
        "--prompt-format",
        fmt,
        "--out",
        str(out),
    ]
    summary = _collect(capsys, *argv)
    assert summary["solved_rate"] == 1.0 and set(summary["categories"]) == {"correct"}, summary
    assert {t.meta["prompt_format"] for t in read_trajectories(out)} == {fmt}
