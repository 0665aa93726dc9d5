"""An infrastructure failure is not a model error: ``score --model`` against real HTTP servers on 127.0.0.1.

Issue: ``vllm serve`` without a tool-call parser answers every ``tools=`` request with HTTP 400, and a server
killed mid-run drops its connections; both turned every affected item into an empty "model output" that was
scored as unparsable (a table of zeros), and the run ended ``complete`` with exit code 0.

Wanted, and tested here: failed items are kept out of the scores (listed in ``failed.jsonl``, counted in
results.json and the manifest), the run ends ``incomplete`` with exit code 3 and one line naming the count
and the first error, a 400 to ``tools=`` is asked once (not retried) and prints a hint once, nothing failed
is cached, and the same command, once the server is back, asks for exactly the failed items and completes
to the same result as an uninterrupted run. ``leaderboard``, ``compare`` and ``report`` mark such a run.
The servers are :class:`flaky_server.FlakyServer` (threaded, in process).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from runconfig import mock_run_config

from tlbench.backends.base import GenConfig, Generation, Prompt, ToolList
from tlbench.backends.cache import GenerationCache
from tlbench.backends.mock import MockBackend
from tlbench.backends.openai_http import OpenAIBackend
from tlbench.cli import main
from tlbench.runner import run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
from flaky_server import FlakyServer  # noqa: E402  (a server on 127.0.0.1, shared with tests/reliability)

FINISH = 'Thought: done\nAction: finish\nAction Input: {"answer": "ok"}'


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The CLI's openai backend with millisecond backoff (the default ladder sleeps 7.5 s), a private cache."""
    monkeypatch.setitem(OpenAIBackend.__init__.__kwdefaults__, "backoff", 0.001)
    monkeypatch.setenv("TLBENCH_CACHE_DIR", str(tmp_path / "cache"))


def _score(url: str, out: Path, data_dir: Path, benchmarks: str, *extra: str) -> list[str]:
    return [
        "score", "--model", "served", "--backend", "openai", "--base-url", url, "--benchmarks", benchmarks,
        "--out", str(out), "--data-dir", str(data_dir), "--resamples", "20", *extra,
    ]  # fmt: skip


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_400_to_tools_is_not_a_score_exit_3_with_one_hint(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    with FlakyServer() as srv:
        srv.force_mode = "tools400"  # vLLM started without --enable-auto-tool-choice
        code = main(_score(srv.url, out, data_dir, "bfcl-v3-exec,tooleyes", "--limit", "3"))
        counts = dict(srv.counts)
    captured = capsys.readouterr()
    assert code == 3
    assert len(counts) == 6 and set(counts.values()) == {1}  # a 400 is asked once, never retried
    assert captured.err.count("--enable-auto-tool-choice --tool-call-parser hermes") == 1  # the hint, once
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("tlbench score: incomplete: 6 of 6 items failed") and "tool choice" in last
    # no table of zeros: nothing was scored (the footer's wall time, e.g. "0.09 s", may hold "0.0")
    table = captured.out.split(" | limit ")[0]
    assert "0.0" not in table and re.search(r"(^|[ /|])0(\.0+)?([ /|]|$)", table) is None
    manifest = _read(out / "manifest.json")
    assert manifest["status"] == "incomplete"
    infra = manifest["infra_failures"]
    assert infra["count"] == 6 and infra["benchmarks"] == {"bfcl-v3-exec": 3, "tooleyes": 3}
    assert "--enable-auto-tool-choice" in infra["first_error"] and "tool-call parser" in infra["hint"]
    for name in ("bfcl-v3-exec", "tooleyes"):
        result = _read(out / name / "results.json")
        assert result["summary"]["n"] == 0 and result["n_items"] == 3
        assert result["infra_failures"]["count"] == 3
        assert _jsonl(out / name / "items.jsonl") == [] == _jsonl(out / name / "predictions.jsonl")
        assert [r["index"] for r in _jsonl(out / name / "failed.jsonl")] == [0, 1, 2]
    assert len(GenerationCache(tmp_path / "cache" / "generations.sqlite")) == 0  # no failure is cached


def test_a_server_killed_mid_run_then_restarted_finishes_with_only_the_failed_items(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = "rotbench-first-clean,tooleyes"
    extra = ("--limit", "4", "--batch-size", "2", "--prompt-format", "toolllama-react")
    with FlakyServer(lambda prompt: FINISH) as ref_srv:  # the uninterrupted reference, own cache
        assert main(_score(ref_srv.url, tmp_path / "ref", data_dir, names, *extra, "--no-cache")) == 0
    out = tmp_path / "run"
    with FlakyServer(lambda prompt: FINISH, die_after=3) as srv:
        assert main(_score(srv.url, out, data_dir, names, *extra)) == 3
        answered = set(srv.counts)
        err = capsys.readouterr().err
        first = _read(out / "manifest.json")
        assert first["status"] == "incomplete" and first["infra_failures"]["count"] == 5
        assert "of 8 items failed" in err and "connection error" in err
        scored = _read(out / "rotbench-first-clean" / "results.json")
        assert scored["summary"]["n"] == 3 and scored["infra_failures"]["count"] == 1  # 3 answered, 1 lost
        assert len(_jsonl(out / "rotbench-first-clean" / "items.jsonl")) == 3
        assert _read(out / "tooleyes" / "results.json")["summary"]["n"] == 0
        _marked_by_the_report_commands(tmp_path / "ref", out, capsys)

        srv.restart()
        srv.counts.clear()
        assert main(_score(srv.url, out, data_dir, names, *extra)) == 0
        asked = dict(srv.counts)
    assert len(asked) == 5 and set(asked.values()) == {1} and not answered & set(asked)  # only the failed
    final = _read(out / "manifest.json")
    assert final["status"] == "complete" and final["infra_failures"]["count"] == 0
    assert final["generations"] == 5 and final["cache_hits"] == 3
    assert [s["status"] for s in final["segments"]] == ["incomplete"]
    for name in names.split(","):
        assert not (out / name / "failed.jsonl").exists()
        for fname in ("items.jsonl", "predictions.jsonl"):
            assert _jsonl(out / name / fname) == _jsonl(tmp_path / "ref" / name / fname), (name, fname)
        got, ref = _read(out / name / "results.json"), _read(tmp_path / "ref" / name / "results.json")
        assert got["summary"] == ref["summary"] and got["summary"]["n"] == 4


def _marked_by_the_report_commands(
    complete: Path, incomplete: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``leaderboard``, ``compare`` and the report's score tables say the run is incomplete, and how much."""
    from tlbench.report.html import _scores_section
    from tlbench.report.runs import load_runs

    assert main(["leaderboard", str(complete), str(incomplete), "--name", "ref", "--name", "cut"]) == 0
    board = capsys.readouterr()
    assert "cut (incomplete)" in board.out and "5 item(s) not scored" in board.out
    assert "incomplete run: 5 item(s) are not scored" in board.err
    table4 = board.out.split("Table 4")[1].split("Table 5")[0]
    assert "cut (incomplete)" in table4  # every ToolEyes episode failed: marked, not dropped, no zero
    assert main(["compare", str(complete), str(incomplete), "--resamples", "20"]) == 0
    cmp = capsys.readouterr()
    assert "(incomplete)" in cmp.out and "1 item(s) of the incomplete run" in cmp.err
    html = _scores_section(load_runs([complete, incomplete], ["ref", "cut"]))
    assert "not scored (generation failed)" in html and "cut (incomplete)" in html


class _FailingRound(MockBackend):
    """A scripted model whose generations fail (infrastructure) from episode round ``fail_from`` on."""

    def __init__(self, reply: Callable[[Prompt], str], fail_from: int) -> None:
        super().__init__(reply)
        self.fail_from = fail_from

    def generate(
        self, prompts: Sequence[Prompt], config: GenConfig, tools: Sequence[ToolList] | None = None
    ) -> list[Generation]:
        gens = super().generate(prompts, config, tools)
        return [
            Generation.failed("connection error: ConnectionError after 5 attempts")
            if _round(p) >= self.fail_from
            else g
            for p, g in zip(prompts, gens, strict=True)
        ]


def _round(prompt: Prompt) -> int:
    text = prompt if isinstance(prompt, str) else json.dumps(prompt)
    return 1 + text.count("\nFunction: ")  # each earlier round left one tool feedback (toolllama-react)


def test_an_episode_whose_generation_fails_is_incomplete_not_forced(tmp_path: Path, data_dir: Path) -> None:
    from benchmarks import BENCHMARKS

    tool = BENCHMARKS.get("tooleyes").load(data_dir)[0].tools[0].name

    def reply(prompt: Prompt) -> str:  # a call in round 1, finish in round 2
        if _round(prompt) == 1:
            return f'Thought: t\nAction: {tool}\nAction Input: {{"query": "x"}}'
        return FINISH

    cfg = mock_run_config(tmp_path, data_dir, ("tooleyes",), limit=2)
    first = run(cfg, backend=_FailingRound(reply, fail_from=2))
    assert first["status"] == "incomplete" and first["infra_failures"]["count"] == 2
    result = _read(tmp_path / "run" / "tooleyes" / "results.json")
    assert result["summary"]["n"] == 0  # not scored as two force-terminated episodes
    assert _jsonl(tmp_path / "run" / "tooleyes" / "predictions.jsonl") == []
    healthy = MockBackend(reply)
    again = run(cfg, backend=healthy)
    assert again["status"] == "complete" and again["cache_hits"] == 2  # round 1 replayed from the cache
    assert {_round(p) for p in healthy.prompts_seen} == {2}  # only the failed round is asked again
    records = _jsonl(tmp_path / "run" / "tooleyes" / "predictions.jsonl")
    assert [r["forced"] for r in records] == [None, None] and [len(r["turns"]) for r in records] == [2, 2]
