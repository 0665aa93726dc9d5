"""A trajectory file cut mid-record (a killed collect) trains on the complete records, with one warning line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.pipeline import read_records


def _record(i: int) -> dict:
    return {
        "id": f"t{i}", "source": "test", "seed": 0, "tools": [],
        "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
        "turns": [{"message_index": 1, "calls": [], "parse_ok": True, "feedback": None, "category": "correct",
                   "erroneous": False, "reward": None, "token_ids": None}],
        "gold": None, "meta": {},
    }  # fmt: skip


def test_truncated_last_line_is_one_tlbench_warning_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(_record(0)) + "\n" + json.dumps(_record(1))[:40], "utf-8")
    records = read_records([path])
    assert [r.id for r in records] == ["t0"]
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"tlbench train: warning: {path}:2: truncated last line skipped"]
