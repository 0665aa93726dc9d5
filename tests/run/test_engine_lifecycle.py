"""What issue 21's real vLLM engine showed, checked without one: the runner closes its backend however the
run ends, SIGTERM reaches that cleanup, the engine start is timed apart from the benchmarks, ``--dtype auto``
is recorded as the dtype that ran, and a chat template that ignores ``tools`` is refused (or, when allowed,
warned about and recorded). The same defects are checked on the real engine in ``tests/engines/``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path
from typing import Any

import pytest
from runconfig import mock_run_config

import tlbench.runner as runner
from tlbench.backends.mock import MockBackend, SimulatedKill
from tlbench.cli import main

NAMES = ("bfcl-v3-exec", "rotbench-first-clean")
ROOT = Path(__file__).resolve().parents[2]


class ClosingMock(MockBackend):
    """A mock that counts its own ``close`` calls (independent of MockBackend's)."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.close_calls = 0

    def close(self) -> None:
        self.close_calls += 1


def test_runner_closes_the_backend_it_built_on_success_error_and_interrupt(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def built(backend: MockBackend) -> None:
        monkeypatch.setattr(runner, "build_backend", lambda cfg, log=None: (backend, "mock"))

    ok = ClosingMock(default="x")
    built(ok)
    runner.run(mock_run_config(tmp_path / "a", data_dir, NAMES))
    assert ok.close_calls == 1

    failing = ClosingMock(default="x", fail_after=1)
    built(failing)
    with pytest.raises(SimulatedKill):
        runner.run(mock_run_config(tmp_path / "b", data_dir, NAMES))
    assert failing.close_calls == 1

    class Interrupted(ClosingMock):
        def generate(self, *a: Any, **kw: Any) -> Any:
            raise KeyboardInterrupt

    stopped = Interrupted(default="x")
    built(stopped)
    with pytest.raises(KeyboardInterrupt):
        runner.run(mock_run_config(tmp_path / "c", data_dir, NAMES))
    assert stopped.close_calls == 1
    manifest = json.loads((tmp_path / "c" / "run" / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"

    class NoStart(ClosingMock):
        def start(self) -> None:
            raise RuntimeError("engine failed to start")

    refused = NoStart(default="x")  # an error before the first benchmark closes it too
    built(refused)
    with pytest.raises(RuntimeError, match="failed to start"):
        runner.run(mock_run_config(tmp_path / "d", data_dir, NAMES))
    assert refused.close_calls == 1

    given = ClosingMock(default="x")  # a backend passed in is the caller's: it may run it again
    runner.run(mock_run_config(tmp_path / "e", data_dir, NAMES), backend=given)
    assert given.close_calls == 0


def test_a_failing_close_does_not_hide_the_run(tmp_path: Path, data_dir: Path) -> None:
    class BadClose(MockBackend):
        def close(self) -> None:
            raise RuntimeError("engine already gone")

    manifest = runner.run(mock_run_config(tmp_path, data_dir, NAMES), backend=BadClose(default="x"))
    assert manifest["status"] == "complete"


def test_engine_start_is_timed_apart_from_the_first_benchmark(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 21: the lazy vLLM start (~50 s) was counted in the first benchmark's time and tokens/s
    clock = [1000.0]
    monkeypatch.setattr(runner, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))

    class SlowStart(MockBackend):
        def start(self) -> None:
            clock[0] += 50.0  # the engine takes 50 "seconds" to start

        def generate(self, *a: Any, **kw: Any) -> Any:
            clock[0] += 1.0
            return super().generate(*a, **kw)

    manifest = runner.run(
        mock_run_config(tmp_path, data_dir, NAMES, use_cache=False), backend=SlowStart(default="a b c")
    )
    assert manifest["engine_start_s"] == 50.0
    first = manifest["per_benchmark"][NAMES[0]]
    assert first["wall_time_s"] == 2.0  # limit 3, batch 2: two generate calls, no engine start
    assert first["generations"] == 3 and first["new_tokens"] == 9 and first["tokens_per_s"] == 4.5


def _fake_vllm(log: dict[str, Any], **kw: Any) -> Any:
    path = ROOT / "tests" / "backends" / "test_vllm.py"
    spec = importlib.util.spec_from_file_location("sm_fake_vllm_src_lifecycle", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.make_fake_vllm(log, **kw)


def test_vllm_run_records_the_dtype_that_ran_its_version_and_closes_the_engine(
    tmp_path: Path, tiny_model_dir: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tlbench.models

    log: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "vllm", _fake_vllm(log, version="0.32.0"))
    monkeypatch.setattr(tlbench.models, "_cpu_has_bf16", lambda: False)
    monkeypatch.setattr(tlbench.models, "_cuda_available", lambda: False)
    monkeypatch.setenv("TLBENCH_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "run"
    code = main(
        [
            "score", "--model", str(tiny_model_dir), "--backend", "vllm", "--benchmarks", "bfcl-v3-exec",
            "--limit", "2", "--data-dir", str(data_dir), "--out", str(out), "--resamples", "10",
            "--prompt-format", "toolllama-react", "--dtype", "auto",
        ]
    )  # fmt: skip
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert log["engine"]["dtype"] == "float32"
    assert manifest["dtype"] == "float32" and manifest["model_id"].endswith(":float32")
    assert manifest["versions"]["vllm"] == "0.32.0"
    assert log["shutdowns"] == 1
    assert manifest["engine_start_s"] >= 0 and set(manifest["per_benchmark"]) == {"bfcl-v3-exec"}


def _tool_less_model(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """The tiny model with a ChatML-like template that never renders ``tools`` (as SmolLM2's)."""
    import shutil

    from transformers import AutoTokenizer

    folder = tmp_path / "toolless"
    shutil.copytree(tiny_model_dir, folder)
    tok = AutoTokenizer.from_pretrained(str(folder))
    tok.chat_template = (
        "{%- for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
        "{%- if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    tok.save_pretrained(str(folder))
    return folder


def test_template_ignoring_tools_is_detected(tiny_model_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from tlbench.prompts.chat_template import template_ignores_tools

    assert template_ignores_tools(AutoTokenizer.from_pretrained(str(tiny_model_dir))) is False
    toolless = AutoTokenizer.from_pretrained(str(_tool_less_model(tiny_model_dir, tmp_path)))
    assert template_ignores_tools(toolless) is True


def test_a_template_that_ignores_tools_is_refused_unless_allowed(
    tmp_path: Path, tiny_model_dir: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # issue 21: under the openai / chat-template formats the function docs vanished without a word
    monkeypatch.setenv("TLBENCH_CACHE_DIR", str(tmp_path / "cache"))
    model = _tool_less_model(tiny_model_dir, tmp_path)
    args = [
        "score", "--model", str(model), "--backend", "transformers", "--benchmarks", "bfcl-v3-exec",
        "--limit", "1", "--data-dir", str(data_dir), "--resamples", "10", "--max-new-tokens", "4",
    ]  # fmt: skip
    for fmt in ("openai", "chat-template"):
        code = main([*args, "--out", str(tmp_path / f"refused-{fmt}"), "--prompt-format", fmt])
        err = capsys.readouterr().err
        assert code == 2 and "ignores tools=" in err and "--allow-tool-less-template" in err, err
    out = tmp_path / "allowed"
    code = main([*args, "--out", str(out), "--prompt-format", "openai", "--allow-tool-less-template"])
    err = capsys.readouterr().err
    assert code == 0 and "warning:" in err and "ignores tools=" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["template_uses_tools"] is False and "ignores tools=" in manifest["warnings"][0]
    # a template that renders the tools runs without a word, and says so
    ok = tmp_path / "ok"
    assert (
        main([*args[:2], str(tiny_model_dir), *args[3:], "--out", str(ok), "--prompt-format", "openai"]) == 0
    )
    manifest = json.loads((ok / "manifest.json").read_text())
    assert manifest["template_uses_tools"] is True and manifest["warnings"] == []


SIGTERM_SCRIPT = """
import sys, time
from pathlib import Path
from tlbench.backends.mock import MockBackend
import tlbench.runner as runner
from tlbench.cli import _on_sigterm, _terminate

marks = Path(sys.argv[1])

class Hanging(MockBackend):
    def generate(self, prompts, config, tools=None):
        (marks / "generating").write_text("")
        time.sleep(120)  # SIGTERM arrives here
        return super().generate(prompts, config, tools)

    def close(self):
        (marks / "closed").write_text("")

runner.build_backend = lambda cfg, log=None: (Hanging(default="x"), "mock")  # the runner owns it
cfg = runner.RunConfig(model="mock", out=marks / "run", data_dir=Path(sys.argv[2]), benchmarks=("bfcl-v3-exec",),
                limit=2, prompt_format="toolllama-react", cache_dir=marks / "cache", resamples=10)
_on_sigterm(_terminate)  # what tlbench.cli.main installs: SIGTERM raises Terminated, so finally blocks run
try:
    runner.run(cfg)
except KeyboardInterrupt:
    sys.exit(143)
"""


def test_sigterm_runs_the_cleanup(tmp_path: Path, data_dir: Path) -> None:
    # issue 21: SIGTERM ended the process without its finally blocks, orphaning vLLM's EngineCore
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SIGTERM_SCRIPT), str(tmp_path), str(data_dir)],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(1200):  # bounded wait for the run to reach its first generation
            if (tmp_path / "generating").exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert (tmp_path / "generating").exists(), proc.stderr.read() if proc.poll() is not None else ""
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 143
    assert (tmp_path / "closed").exists()
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"


def test_a_backend_that_schedules_its_own_batches_gets_bigger_calls(tmp_path: Path, data_dir: Path) -> None:
    # vLLM: calls of --batch-size prompts left the engine waiting for each call's slowest sequence
    class Scheduling(MockBackend):
        preferred_chunk = 64

    plain, big = MockBackend(default="x"), Scheduling(default="x")
    for label, backend in (("plain", plain), ("big", big)):
        cfg = mock_run_config(tmp_path / label, data_dir, ("bfcl-v3-exec",), limit=5, batch_size=2)
        runner.run(cfg, backend=backend)
    assert plain.calls == 3 and big.calls == 1
    assert runner.generate_chunk(big, 128) == 128 and runner.generate_chunk(plain, 2) == 2
