"""Prediction files: matching by index/id/position, errors with file:line, missing items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.base import Item
from benchmarks.predictions import match_records, read_records
from tlbench.errors import DataError, UsageError

ITEMS = [
    Item(id=str(i), index=i, benchmark="t", scenario="S", messages=(), tools=(), metadata={"upstream_id": up})
    for i, up in enumerate(["Turn 1: a", "Turn 1: b", "Turn 1: a", "Turn 1: c"])
]


def _file(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", "utf-8")
    return path


def test_rot_match_index_wins_over_id(tmp_path: Path) -> None:
    recs = read_records(_file(tmp_path, {"index": 2, "id": "0", "output": "x"}))
    m = match_records(recs, ITEMS)
    assert list(m.by_index) == [2] and m.missing == (0, 1, 3)


def test_rot_match_by_own_id_upstream_id_and_position(tmp_path: Path) -> None:
    recs = read_records(
        _file(tmp_path, {"id": "1", "output": "x"}, {"id": "Turn 1: c", "output": "y"}, "", {"output": "z"})
    )
    m = match_records(recs, ITEMS)
    assert sorted(m.by_index) == [1, 2, 3]  # the third record has no key: its ordinal (2) is used
    assert m.missing == (0,)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([{"index": 0, "output": "a"}, {"id": "0", "output": "b"}], "duplicate"),
        ([{"id": "nope", "output": "a"}], "unknown id"),
        ([{"index": 9, "output": "a"}], "unknown index"),
        ([{"id": "Turn 1: a", "output": "a"}], "names 2 items"),
        ([{"output": "a"}] * 5, "past the last item"),
    ],
)
def test_rot_match_errors_name_the_line(tmp_path: Path, lines: list, message: str) -> None:
    path = _file(tmp_path, *lines)
    with pytest.raises(DataError, match=message) as exc:
        match_records(read_records(path), ITEMS, where=str(path))
    assert f"{path}:{len(lines)}" in str(exc.value) or f"{path}:" in str(exc.value)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"index": 0}', "output"),
        ('{"index": "0", "output": "x"}', "integer"),
        ('{"index": true, "output": "x"}', "integer"),
        ('{"id": [1], "output": "x"}', "'id'"),
    ],
)
def test_rot_malformed_line_is_file_line_error(tmp_path: Path, line: str, message: str) -> None:
    path = _file(tmp_path, {"index": 0, "output": "ok"}, line)
    with pytest.raises(DataError, match=message) as exc:
        read_records(path)
    assert str(exc.value).startswith(f"{path}:2:")


def test_rot_missing_predictions_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        read_records(tmp_path / "absent.jsonl")


def test_rot_transcript_records_need_no_output(tmp_path: Path) -> None:
    path = _file(tmp_path, {"index": 0, "messages": []})
    assert read_records(path, require_output=False)[0].data["messages"] == []
    with pytest.raises(DataError):
        read_records(path)
