"""Bad text must not crash a run: JSON nested 100,000 deep in any file or response tlbench reads, and a
reader that goes away (``tlbench ... | head``).

Issue: ``json.loads`` raises ``RecursionError`` (not ``ValueError``) on a value nested too deep, so one such
line crashed ``classify``, the run readers of ``compare``/``report``, trajectory and import readers, the
BFCL loader and the openai backend's response parsing; and piping any command into ``head`` printed a
``BrokenPipeError`` traceback. Wanted: a clear error record / one-line error / failed item, never a crash.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tlbench.backends.base import GenConfig
from tlbench.backends.openai_http import OpenAIBackend
from tlbench.cli import main
from tlbench.errors import DataError

ROOT = Path(__file__).resolve().parents[2]
DEEP = "[" * 100_000
GOOD = json.dumps({"output": "Action: a\nAction Input: {}", "format": "react"})


def test_classify_turns_a_deep_line_into_an_error_record(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(f"{GOOD}\n{DEEP}\n{GOOD}\n", encoding="utf-8")
    assert main(["classify", str(src)]) == 1  # some lines were error records
    records = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3]
    assert "error" in records[1] and "nested too deeply" in records[1]["error"]
    assert "calls" in records[0] and "calls" in records[2]


def _run_dir(root: Path, items: list[str]) -> Path:
    root.mkdir()
    (root / "results.json").write_text(
        json.dumps({"benchmark": "rotbench-first-clean", "summary": {"n": 2, "TS": 50.0}}), encoding="utf-8"
    )
    (root / "items.jsonl").write_text("".join(x + "\n" for x in items), encoding="utf-8")
    return root


def test_compare_reports_a_deep_items_line_as_a_data_error(tmp_path: Path, capsys) -> None:
    item = json.dumps({"index": 0, "ts": True, "pi": True, "cf": True})
    a = _run_dir(tmp_path / "a", [item, json.dumps({"index": 1})])
    b = _run_dir(tmp_path / "b", [item, DEEP, json.dumps({"index": 1})])
    assert main(["compare", str(a), str(b), "--resamples", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "items.jsonl:2" in err


def test_trajectories_imports_and_task_files_with_a_deep_line(tmp_path: Path, capsys) -> None:
    from training.tasks import load_tasks
    from training.trajectory import read_trajectories

    bad = tmp_path / "bad.jsonl"
    bad.write_text(f"{DEEP}\n{{}}\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl:1"):
        list(read_trajectories(bad))
    with pytest.raises(DataError, match=r"bad\.jsonl:1"):
        load_tasks(str(bad), n=5)
    out = tmp_path / "imported.jsonl"
    assert main(["collect", "--import", "openai", str(bad), "--out", str(out), "--no-decontam"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nested too deeply" in err


def test_the_bfcl_loader_skips_a_deep_line_with_a_warning(tmp_path: Path) -> None:
    from benchmarks.base import LoadReport
    from benchmarks.bfcl.load import read_jsonl

    path = tmp_path / "BFCL_v3_exec_simple.json"
    path.write_text(DEEP + "\n" + json.dumps({"id": "exec_simple_0"}) + "\n", encoding="utf-8")
    report = LoadReport()
    rows = read_jsonl(path, report)
    assert [n for n, _ in rows] == [2]
    assert any("nested too deeply" in w for w in report.warnings)


def test_a_deeply_nested_server_response_is_a_failed_item_not_a_crash() -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            body = DEEP.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
        gens = OpenAIBackend(url, "m", max_retries=0).generate(["a", "b"], GenConfig(max_new_tokens=4))
    finally:
        srv.shutdown()
        srv.server_close()
    assert [g.ok for g in gens] == [False, False] and all("not JSON" in g.error for g in gens)


def test_engine_arg_values_nested_too_deep_stay_text() -> None:
    from tlbench.cli.score import _engine_args

    assert _engine_args([f"x={DEEP}"]) == {"x": DEEP}


def test_a_closed_output_pipe_ends_quietly(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(f"{GOOD}\n" * 50, encoding="utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`head`) is gone before the first line
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tlbench", "classify", str(src)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert proc.stderr == "" and proc.returncode == 141  # 128 + SIGPIPE, like `cat | head`
