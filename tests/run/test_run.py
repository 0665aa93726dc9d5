"""``tlbench.runner.run`` with scripted backends: run-dir layout, re-scoring, batched episodes, formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runconfig import mock_run_config as _cfg

from benchmarks import BENCHMARKS
from benchmarks.predictions import score_predictions
from tlbench.backends.mock import MockBackend
from tlbench.runner import ALL_BENCHMARKS, expand_benchmarks, formats_for, run, run_table

MANIFEST_KEYS = {
    "name", "model", "model_id", "backend", "prompt_format", "mode", "sampling", "seed", "limit",
    "benchmarks", "versions", "data_hashes", "wall_time_s", "tokens_generated", "generations",
    "cache_hits", "created", "status",
}  # fmt: skip


def _gold_reply(data_dir: Path, names: list[str]):  # noqa: ANN202 - a callable
    """A scripted model that prints each item's first gold call in ReAct (looked up by the user turn)."""
    table: dict[str, str] = {}
    for name in names:
        for it in BENCHMARKS.get(name).load(data_dir)[:3]:
            if it.gold:
                call = it.gold[0][0]
                user = [m["content"] for m in it.messages if m["role"] == "user"][-1]
                table[user] = (
                    f"Thought: t\nAction: {call.name}\nAction Input: {json.dumps(dict(call.arguments))}"
                )

    def reply(prompt: object) -> str:
        text = prompt if isinstance(prompt, str) else json.dumps(prompt)
        for user, answer in table.items():
            if user in text:
                return answer
        return 'Thought: done\nAction: finish\nAction Input: {"answer": "ok"}'

    return reply


def test_run_dir_layout_and_predictions_rescore_identically(tmp_path: Path, data_dir: Path) -> None:
    names = ["rotbench-first-clean", "toolalpaca-real", "tooleyes"]
    backend = MockBackend(_gold_reply(data_dir, names))
    manifest = run(_cfg(tmp_path, data_dir, tuple(names)), backend=backend)
    out = tmp_path / "run"
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == manifest and manifest["status"] == "complete"
    assert MANIFEST_KEYS <= set(manifest)
    assert manifest["completed_benchmarks"] == names and manifest["limit"] == 3
    for name in names:
        result = json.loads((out / name / "results.json").read_text())
        again = score_predictions(
            name, out / name / "predictions.jsonl", data_dir, mode="upstream", fmt="react", resamples=50
        )
        items = again.pop("items")
        # the --predictions path sees the full benchmark; the run scored the first 3 items
        assert again["summary"]["n"] == len(BENCHMARKS.get(name).load(data_dir))
        assert set(again) <= set(result) | {"predictions"}
        rows = [json.loads(x) for x in (out / name / "items.jsonl").read_text().splitlines()]
        assert len(rows) == 3
        for row, ref in zip(rows, items[:3], strict=True):
            for key in ("id", "index", "ts", "pi", "cf", "correct", "calls", "categories"):
                assert row[key] == ref[key], (name, key)
            assert {"prompt", "output", "gold"} <= set(row)
        if name == "tooleyes":
            assert all("turns" in r for r in rows)
    assert json.loads((out / "rotbench-first-clean" / "results.json").read_text())["summary"]["CF"] == 100.0
    table = run_table(out)
    assert "rot1-clean" in table and "100.0/100.0/100.0" in table and "DE/CE/VA" in table


def test_episodes_are_stepped_together_with_at_most_nine_generations(tmp_path: Path, data_dir: Path) -> None:
    loop = 'Thought: again\nAction: no_such_tool\nAction Input: {"x": 1}'
    backend = MockBackend(lambda p: loop)
    cfg = _cfg(tmp_path, data_dir, ("tooleyes",), use_cache=False, batch_size=8, limit=4)
    manifest = run(cfg, backend=backend)
    assert backend.calls == 9  # one batched call per round, 9 rounds, 4 episodes each
    assert manifest["generations"] == 36
    records = [
        json.loads(x) for x in (tmp_path / "run" / "tooleyes" / "predictions.jsonl").read_text().splitlines()
    ]
    assert [len(r["turns"]) for r in records] == [9, 9, 9, 9]
    assert all(r["forced"] for r in records)
    summary = json.loads((tmp_path / "run" / "tooleyes" / "results.json").read_text())["summary"]
    assert summary["VA"] == 0.0 and summary["DE"] == 100.0


def test_finishing_episodes_leave_the_batch(tmp_path: Path, data_dir: Path) -> None:
    finish = 'Thought: done\nAction: finish\nAction Input: {"answer": "ok"}'
    backend = MockBackend(lambda p: finish)
    run(_cfg(tmp_path, data_dir, ("tooleyes",), use_cache=False, limit=3), backend=backend)
    assert backend.calls == 2  # limit 3, batch 2: one round in two chunks, then nobody is left
    summary = json.loads((tmp_path / "run" / "tooleyes" / "results.json").read_text())["summary"]
    assert summary["VA"] == 100.0


def test_second_run_is_served_from_the_cache(tmp_path: Path, data_dir: Path) -> None:
    names = ("bfcl-v3-exec", "rotbench-third-clean")
    first = MockBackend(default="x")
    m1 = run(_cfg(tmp_path, data_dir, names), backend=first)
    second = MockBackend(default="x")
    m2 = run(_cfg(tmp_path, data_dir, names), backend=second)
    assert m1["generations"] == 6 and m2["generations"] == 0 and m2["cache_hits"] == 6
    assert second.calls == 0
    third = MockBackend(default="x")
    m3 = run(_cfg(tmp_path, data_dir, names, use_cache=False), backend=third)
    assert m3["generations"] == 6 and third.calls > 0 and m3["cache"] is None


def test_auto_formats_keep_the_react_prompt_of_rotbench_and_tooleyes() -> None:
    chatml = {"model_type": "llama", "chat_template": "<|im_start|>{{ m }}"}
    got = formats_for(ALL_BENCHMARKS, "auto", chatml)
    assert got["rotbench-third-heavy"] == got["tooleyes"] == "react-chatml"
    assert got["toolalpaca-real"] == got["bfcl-v3-exec"] == "qwen25"
    plain = formats_for(ALL_BENCHMARKS, "auto", {"model_type": "gpt2"})
    assert set(plain.values()) == {"toolllama-react"}
    assert set(formats_for(("tooleyes",), "llama3", chatml).values()) == {"llama31-json"}


def test_benchmark_lists() -> None:
    assert expand_benchmarks("all") == ALL_BENCHMARKS and len(ALL_BENCHMARKS) == 13
    assert expand_benchmarks("tooleyes, bfcl-v3-exec,tooleyes") == ("tooleyes", "bfcl-v3-exec")
    from tlbench.errors import UsageError

    with pytest.raises(UsageError):
        expand_benchmarks("rotbench-first-clen")
