"""Bad input everywhere, through the CLI in subprocesses: truncated / invalid JSON, wrong encodings, empty
files, NUL bytes, huge lines, in predictions and in benchmark data -> exit code 2 with ONE clear line naming
the file (and line where there is one), no traceback, and nothing written half (no --out results)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from runs import DATA, cli_env, tlbench

pytestmark = pytest.mark.skipif(not (DATA / "rotbench").is_dir(), reason=f"no benchmark data under {DATA}")

GOOD = b'{"index": 0, "output": "Action: x\\nAction Input: {}"}\n'
PREDICTIONS = {
    "truncated": (GOOD + b'{"index": 1, "outp', ":2:"),
    "invalid": (GOOD + b"not json at all\n", ":2:"),
    "latin1": (GOOD + b'{"index": 1, "output": "caf\xe9"}\n', ":2: not UTF-8"),
    "utf16": ('{"index": 0, "output": "x"}\n'.encode("utf-16"), ":1:"),
    "empty": (b"", ":1: empty file"),
    "blank": (b"\n\n   \n", "empty file"),
    "nul": (b"\x00\x00\x00\n", ":1:"),
    "not_object": (b"[1, 2, 3]\n", ":1: a prediction line must be a JSON object"),
    "huge_line": (b'{"index": 0, "output": "' + b"A" * (80 << 20) + b'"}\n', ":1: line too long"),
    "duplicate": (GOOD + GOOD, ":2:"),
    "bad_index": (b'{"index": "zero", "output": "x"}\n', ":1:"),
    "deep": (GOOD + b"[" * 100_000 + b"\n", ":2: not valid JSON"),  # RecursionError in json.loads
}


def _assert_clean_failure(proc, must: str, out: Path) -> None:  # noqa: ANN001
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, err[-1500:])
    assert "Traceback" not in err, err[-1500:]
    assert len(err.splitlines()) == 1, err
    assert must in err, err
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert written == [], written


@pytest.mark.parametrize("case", sorted(PREDICTIONS))
def test_bad_predictions_file(tmp_path: Path, case: str) -> None:
    body, must = PREDICTIONS[case]
    pred = tmp_path / f"{case}.jsonl"
    pred.write_bytes(body)
    out = tmp_path / "out"
    proc = tlbench(
        ["score", "--predictions", str(pred), "--benchmark", "rotbench-first-clean", "--out", str(out)],
        cli_env(tmp_path / "cache"),
    )
    _assert_clean_failure(proc, f"{case}.jsonl{must}" if must.startswith(":") else must, out)


def _data_copy(tmp_path: Path) -> Path:
    """A symlink farm of the shared data (nothing copied) in which single files can be replaced."""
    root = tmp_path / "data"
    for src in DATA.rglob("*"):
        if src.is_file():
            dst = root / src.relative_to(DATA)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(src, dst)
    return root


def _corrupt(root: Path, rel: str, how: str) -> None:
    path = root / rel
    data = path.read_bytes()
    path.unlink()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "utf16":
        path.write_bytes(data.decode("utf-8").encode("utf-16"))
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "invalid":
        path.write_bytes(b"{not json\n" + data[:100])
    elif how == "wrong_shape":
        path.write_text(json.dumps({"unexpected": 1}))
    elif how == "latin1":
        path.write_bytes(data[:200] + b"\xe9\xff" + data[200:])


DATA_CASES = [
    ("rotbench-first-clean", "rotbench/Data/First_Turn/clean.json", "truncated"),
    ("rotbench-first-clean", "rotbench/Data/First_Turn/clean.json", "utf16"),
    ("rotbench-first-clean", "rotbench/Data/First_Turn/clean.json", "wrong_shape"),
    ("toolalpaca-real", "toolalpaca/eval_real.json", "invalid"),
    ("toolalpaca-real", "toolalpaca/eval_real.json", "latin1"),
    # JSON Lines data: a bad line is an error too (scoring the rest would report a partial set)
    ("bfcl-v3-exec", "bfcl_v3_exec/BFCL_v3_exec_simple.json", "truncated"),
    ("bfcl-v3-exec", "bfcl_v3_exec/BFCL_v3_exec_simple.json", "empty"),
    ("tooleyes", "tooleyes/Test_Data/scenario_data_zero_processed.json", "truncated"),
    ("tooleyes", "tooleyes/Test_Data/scenario_data_zero_processed.json", "empty"),
]


@pytest.mark.parametrize(("bench", "rel", "how"), DATA_CASES, ids=[f"{b}-{h}" for b, _, h in DATA_CASES])
def test_bad_benchmark_data(tmp_path: Path, bench: str, rel: str, how: str) -> None:
    if not (DATA / rel).is_file():
        pytest.skip(f"{rel} not in the data")
    data = _data_copy(tmp_path)
    _corrupt(data, rel, how)
    pred = tmp_path / "p.jsonl"
    pred.write_bytes(GOOD)
    out = tmp_path / "out"
    env = cli_env(tmp_path / "cache")
    proc = tlbench(
        [
            "score",
            "--predictions",
            str(pred),
            "--benchmark",
            bench,
            "--data-dir",
            str(data),
            "--out",
            str(out),
        ],
        env,
    )
    _assert_clean_failure(proc, Path(rel).name, out)
    # the --model path reads the same files: same clean failure, and no half run directory with results
    run = tmp_path / "run"
    proc = tlbench(
        ["score", "--model", "m", "--backend", "mock", "--benchmarks", bench, "--limit", "2",
         "--data-dir", str(data), "--out", str(run)],
        env,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-1500:]
    assert "Traceback" not in proc.stderr and Path(rel).name in proc.stderr, proc.stderr[-1500:]
    assert not list(run.rglob("results.json")) if run.exists() else True
    shutil.rmtree(data)
