"""``tlbench collect`` against real HTTP servers on 127.0.0.1: an infrastructure failure is not a model error.

Issue: a generation that failed (HTTP 400 to ``tools=``, a dead server) force-finished its episode, which was
then written as a trajectory whose turns the classifier labelled as model errors (training data for MAE/IRM),
and the command exited 0. Wanted: the episode is not written, it is counted, the command exits 3 with one
line, and the same command collects it once the server answers. A failing task server (``--tasks llm``) is
not "unusable replies": it stops the command, also with exit code 3.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tlbench.cli import main
from training.tasks import write_tasks
from training.tasks.llm import llm_tasks
from training.tasks.synthetic import generate_tasks, library_from_docs
from training.trajectory import read_trajectories

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "reliability"))
from flaky_server import FlakyServer  # noqa: E402  (a server on 127.0.0.1, shared with tests/reliability)


def test_failed_generations_are_not_written_as_model_errors(
    tmp_path: Path, weather_docs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TLBENCH_CACHE_DIR", str(tmp_path / "cache"))
    tasks = tmp_path / "tasks.jsonl"
    write_tasks(tasks, generate_tasks(library_from_docs(weather_docs[:3]), n=3, seed=0))
    out = tmp_path / "traj.jsonl"
    with FlakyServer(lambda prompt: "It is sunny in Paris.") as srv:
        argv = [
            "collect", "--model", "served", "--backend", "openai", "--base-url", srv.url, "--tasks", str(tasks),
            "--limit", "3", "--max-generations", "2", "--out", str(out), "--no-decontam",
        ]  # fmt: skip
        srv.force_mode = "tools400"  # the openai prompt format sends tools=: vLLM without a parser says 400
        assert main(argv) == 3
        captured = capsys.readouterr()
        assert list(read_trajectories(out)) == []  # nothing labelled from a failure
        summary = json.loads(captured.out.splitlines()[0])
        assert summary["written"] == 0 and summary["infra_failures"]["count"] == 3
        assert captured.err.count("--tool-call-parser hermes") == 1  # the hint, once
        assert "tlbench collect: incomplete: 3 episode(s) not written" in captured.err
        srv.force_mode = ""
        assert main(argv) == 0
    assert len(list(read_trajectories(out))) == 3  # the re-run collected them


def test_a_failing_task_server_stops_collect_with_exit_3(
    tmp_path: Path, weather_docs, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FlakyServer() as srv:
        srv.force_mode = "bad400"
        with pytest.raises(Exception, match="HTTP 400") as info:  # not silently fewer tasks
            llm_tasks(library_from_docs(weather_docs[:3]), n=2, seed=0, base_url=srv.url, model="m")
        assert type(info.value).__name__ == "InfraError"
        assert sum(srv.counts.values()) == 1  # the first failure stops it: no silently dropped tasks
        out = tmp_path / "llm.jsonl"
        code = main(
            ["collect", "--backend", "mock", "--model", "oracle", "--tasks", "llm", "--limit", "2",
             "--task-base-url", srv.url, "--task-model", "m", "--out", str(out), "--no-decontam",
             "--data-dir", str(data_dir)]
        )  # fmt: skip
    assert code == 3
    assert "tlbench collect: incomplete: the task model at" in capsys.readouterr().err
    assert not out.exists() or list(read_trajectories(out)) == []
