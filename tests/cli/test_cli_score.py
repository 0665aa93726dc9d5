"""``tlbench score --predictions``: JSON contract, tables, --out, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tlbench.cli import main


def _gold_file(tmp_path: Path, data_dir: Path, skip: int | None = None) -> Path:
    raw = json.loads((data_dir / "rotbench/Data/First_Turn/clean.json").read_text("utf-8"))
    path = tmp_path / "pred.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i, it in enumerate(raw):
            if i != skip:
                fh.write(json.dumps({"index": i, "output": it["conversations"][-1]["value"][0]}) + "\n")
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _score(capsys, pred: Path, data_dir: Path, *extra: str) -> tuple[int, str, str]:
    """``tlbench score --predictions PRED --benchmark rotbench-first-clean --data-dir DATA EXTRA...``."""
    return _run(
        capsys,
        "score",
        "--predictions",
        str(pred),
        "--benchmark",
        "rotbench-first-clean",
        "--data-dir",
        str(data_dir),
        *extra,
    )


def test_rot_cli_json_gold_ceiling(capsys, tmp_path: Path, data_dir: Path) -> None:
    pred = _gold_file(tmp_path, data_dir, skip=5)
    code, out, _ = _score(capsys, pred, data_dir, "--json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) >= {"summary", "per_scenario", "ci95", "items", "missing_ids"}
    assert doc["summary"]["TS"] == 91.43 and doc["missing_ids"] == ["5"]  # 97 - item 5 (scorable) = 96/105
    assert len(doc["items"]) == 105
    rec = doc["items"][0]
    assert {"id", "index", "ts", "pi", "cf", "correct", "exec", "calls", "categories"} <= set(rec)
    assert doc["items"][5]["detail"]["missing"] is True
    code, out, _ = _score(capsys, pred, data_dir, "--json", "--mode", "fixed")
    assert json.loads(out)["summary"]["CF"] == 99.05


def test_rot_cli_table_and_out_dir(capsys, tmp_path: Path, data_dir: Path) -> None:
    pred = _gold_file(tmp_path, data_dir)
    out_dir = tmp_path / "res"
    code, out, _ = _score(capsys, pred, data_dir, "--out", str(out_dir))
    assert code == 0 and "92.38" in out and "scenario" in out
    head = json.loads((out_dir / "results.json").read_text("utf-8"))
    assert head["summary"]["CF"] == 92.38 and "items" not in head
    assert len((out_dir / "items.jsonl").read_text("utf-8").splitlines()) == 105


def test_rot_cli_wrong_format_shows_as_parse_failures(capsys, tmp_path: Path, data_dir: Path) -> None:
    pred = tmp_path / "p.jsonl"
    pred.write_text(
        "\n".join(json.dumps({"index": i, "output": "get_x(a='1')"}) for i in range(105)), "utf-8"
    )
    code, out, _ = _score(capsys, pred, data_dir, "--json")
    assert code == 0 and json.loads(out)["summary"]["parse_failure_rate"] == 100.0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--benchmark", "rotbench-first-cleen"], "unknown benchmark"),
        (["--benchmark", "rotbench-first-clean", "--model", "m"], "not both"),
        ([], "--benchmark"),
    ],
)
def test_rot_cli_usage_errors_exit_2(
    capsys, tmp_path: Path, data_dir: Path, extra: list, message: str
) -> None:
    pred = tmp_path / "p.jsonl"
    pred.write_text('{"index": 0, "output": "x"}\n', "utf-8")
    code, _, err = _run(capsys, "score", "--predictions", str(pred), "--data-dir", str(data_dir), *extra)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_rot_cli_bad_line_and_duplicate_exit_2(capsys, tmp_path: Path, data_dir: Path) -> None:
    pred = tmp_path / "p.jsonl"
    pred.write_text('{"index": 0, "output": "x"}\n{"index": 0, "output": "y"}\n', "utf-8")
    base = [
        "score",
        "--benchmark",
        "rotbench-first-clean",
        "--data-dir",
        str(data_dir),
        "--predictions",
        str(pred),
    ]
    code, _, err = _run(capsys, *base)
    assert code == 2 and f"{pred}:2" in err and "duplicate" in err
    pred.write_text('{"index": 0, "output": "x"}\n{oops\n', "utf-8")
    code, _, err = _run(capsys, *base)
    assert code == 2 and f"{pred}:2" in err


def test_rot_cli_missing_data_dir_exit_2(capsys, tmp_path: Path) -> None:
    pred = tmp_path / "p.jsonl"
    pred.write_text('{"index": 0, "output": "x"}\n', "utf-8")
    code, _, err = _run(
        capsys, "score", "--predictions", str(pred), "--benchmark", "tooleyes", "--data-dir", str(tmp_path)
    )
    assert code == 2 and "not found" in err


@pytest.mark.parametrize(
    "extra",
    [
        ["--limit", "5"],
        ["--prompt-format", "toolllama-react"],
        ["--max-new-tokens", "64", "--name", "x"],
        ["--prefix-cache-mb", "0"],
    ],
)
def test_rot_cli_model_only_options_are_refused(
    capsys, tmp_path: Path, data_dir: Path, extra: list[str]
) -> None:
    """A --model option on a --predictions line would be silently ignored (--limit would still score every
    item, counting the unpredicted ones as wrong): refuse it, name it, exit 2, write nothing."""
    pred = _gold_file(tmp_path, data_dir)
    out_dir = tmp_path / "out"
    code, _, err = _score(capsys, pred, data_dir, "--out", str(out_dir), *extra)
    assert code == 2 and "only apply with --model" in err
    assert all(flag in err for flag in extra if flag.startswith("--"))
    assert not out_dir.exists()
