"""A new user's mistakes cost one line and exit code 2, before any model is loaded (issue 19, section 4).

Each option below used to be accepted until the model had loaded (30 s for the default model), or not at
all. The model loader is replaced by one that fails the test, so "checked first" is what is tested. Also:
``leaderboard --with-paper`` alone prints the paper's tables, and the README's ``classify`` example runs
as written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tlbench.backends as backends
import tlbench.run.pipeline as pipeline
from tlbench.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_model_load(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was loaded before the options were checked")

    monkeypatch.setattr(pipeline, "build_backend", refuse)
    monkeypatch.setattr(backends, "create_backend", refuse)


def _one_line_error(code: int, err: str, must: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert must in lines[0], lines[0]


SCORE_CASES = {
    "prompt_format": (["--prompt-format", "nope"], "nope"),
    "max_batch_tokens": (["--max-batch-tokens", "-5"], "--max-batch-tokens"),
}


@pytest.mark.parametrize("case", sorted(SCORE_CASES))
def test_score_model_rejects_bad_options_before_loading_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_model_load: None, case: str
) -> None:
    extra, must = SCORE_CASES[case]
    data = tmp_path / "data"
    data.mkdir()
    out = tmp_path / "run"
    code, _, err = _run(
        capsys, "score", "--model", "smollm2-135m", "--benchmarks", "rotbench-first-clean", "--limit", "1",
        "--data-dir", str(data), "--out", str(out), *extra,
    )  # fmt: skip
    _one_line_error(code, err, must)
    assert not out.exists()


def test_collect_rejects_an_unknown_prompt_format_before_loading_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_model_load: None
) -> None:
    out = tmp_path / "t.jsonl"
    code, _, err = _run(
        capsys, "collect", "--model", "smollm2-135m", "--tasks", "synthetic", "--limit", "1",
        "--prompt-format", "nope", "--out", str(out), "--no-decontam",
    )  # fmt: skip
    _one_line_error(code, err, "nope")
    assert not out.exists()


def test_leaderboard_with_paper_alone_prints_the_paper_tables(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "leaderboard", "--with-paper")
    assert code == 0, err
    assert "Table 3" in out and "Table 4" in out and "TL-CodeLLaMA-2 7B (paper)" in out
    code, out, _ = _run(capsys, "leaderboard", "--with-paper", "--table", "4", "--format", "csv")
    assert code == 0 and "Table 3" not in out and "ToolEyes" in out
    code, _, err = _run(capsys, "leaderboard")
    _one_line_error(code, err, "--with-paper")


def _readme_block(heading: str) -> str:
    """The first ```bash block after ``heading`` in the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rest = text[text.index(heading) :]
    match = re.search(r"```bash\n(.*?)```", rest, re.S)
    assert match, f"no bash block after {heading!r}"
    return match.group(1)


def test_readme_classify_example_runs_as_written(tmp_path: Path) -> None:
    block = _readme_block("### `tlbench classify`")
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "tlbench").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tlbench "$@"\n', encoding="utf-8")
    (shim / "tlbench").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout[-1500:], proc.stderr[-1500:])
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(rows) == 1 and "error" not in rows[0], rows
    [call] = rows[0]["calls"]
    assert (call["name"], call["arguments"]) == ("get_weather", {"city": "Paris"})
    assert rows[0]["reward"] > 0


@pytest.mark.skipif(not (DATA / "rotbench").is_dir(), reason=f"no benchmark data under {DATA}")
def test_score_reports_a_missing_data_dir_before_loading_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_model_load: None
) -> None:
    """A missing benchmark file is found before the model loads, and leaves no run directory."""
    data = tmp_path / "data"
    (data / "rotbench").mkdir(parents=True)
    out = tmp_path / "run"
    code, _, err = _run(
        capsys, "score", "--model", "smollm2-135m", "--benchmarks", "rotbench-first-clean", "--limit", "1",
        "--data-dir", str(data), "--out", str(out),
    )  # fmt: skip
    _one_line_error(code, err, "clean.json")
    assert not out.exists()
