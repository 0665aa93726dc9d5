"""The transformers backend decides what its model supports once, at construction: the capabilities are a
frozen record that no generation changes (a failed generation is a failed generation), and no function of
the backend's modules retries by calling itself."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from tlbench.backends.base import GenConfig
from tlbench.backends.hf import HFBackend

torch = pytest.importorskip("torch")

BACKENDS_DIR = Path(__file__).resolve().parents[2] / "tlbench" / "backends"
HF_MODULES = (
    "hf.py",
    "hf_batch.py",
    "hf_plan.py",
    "hf_probe.py",
    "hf_text.py",
    "prefix_reuse.py",
    "greedy.py",
)
LONG = (
    "You can call tools. Thought: decide what to do next. Action: get_weather "
    'Action Input: {"city": "Paris", "days": 3} and then report back to the user in one line. '
)


def _like(tiny: HFBackend, **kwargs: object) -> HFBackend:
    return HFBackend(tiny.model, tiny.tokenizer, identity="t", batch_size=2, **kwargs)  # type: ignore[arg-type]


def test_the_tiny_model_supports_everything_and_what_is_not_asked_for_is_off(tiny_backend: HFBackend) -> None:
    full = _like(tiny_backend, prefix_cache_mb=64)
    assert full.caps.kv_buffers and full.caps.prefix_reuse and full.caps.shared_prefixes
    assert full.caps.plain_greedy and full.caps.cache_kwarg in ("cache", "past_key_values")
    bare = _like(tiny_backend, prefix_cache_mb=0, kv_buffers=False)
    assert not (bare.caps.kv_buffers or bare.caps.prefix_reuse or bare.caps.shared_prefixes)
    assert bare.prefix is None and bare.episode_wave is None


def test_capabilities_never_change_across_calls_even_when_one_fails(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = _like(tiny_backend, prefix_cache_mb=64)
    caps, store = backend.caps, backend.prefix
    seen = [dataclasses.asdict(caps)]
    cfg = GenConfig(max_new_tokens=6)
    prompts = [LONG * 2, LONG + "Rome"]
    first = backend.generate(prompts, cfg)
    seen.append(dataclasses.asdict(backend.caps))

    def oom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("out of memory")

    follow = [p + g.text + " Observation: ok" for p, g in zip(prompts, first, strict=True)]
    with monkeypatch.context() as m:
        m.setattr(backend.model, "forward", oom)
        failed = backend.generate(follow, cfg)
        sampled = backend.generate(follow, GenConfig(max_new_tokens=6, temperature=0.7))
    assert not any(g.ok for g in failed + sampled)
    seen.append(dataclasses.asdict(backend.caps))
    again = backend.generate(follow, cfg)
    assert all(g.ok for g in again) and store is not None and store.hits > 0
    seen.append(dataclasses.asdict(backend.caps))
    assert all(s == seen[0] for s in seen) and backend.caps is caps and backend.prefix is store
    assert backend.kv_buffers and backend.share_prefixes


def test_capabilities_are_read_only(tiny_backend: HFBackend) -> None:
    backend = _like(tiny_backend, prefix_cache_mb=64)
    with pytest.raises(dataclasses.FrozenInstanceError):
        backend.caps.kv_buffers = False  # type: ignore[misc]
    for name in ("caps", "prefix", "kv_buffers", "share_prefixes"):
        with pytest.raises(AttributeError):
            setattr(backend, name, None)


def _call_graph() -> dict[str, set[str]]:
    """``module:function`` / ``module:Class.method`` -> what it calls among those: ``f(...)`` (a function of
    its module, or one imported from another of these modules), ``self.m(...)`` (a method of its class),
    ``module.f(...)`` (a function of another of these modules)."""
    mods = {name[:-3] for name in HF_MODULES}
    graph: dict[str, set[str]] = {}
    for mod in mods:
        tree = ast.parse((BACKENDS_DIR / f"{mod}.py").read_text(encoding="utf-8"))
        imported: dict[str, str] = {}  # local name -> "module:function" or "module:"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    src = node.module.rsplit(".", 1)[-1]
                    if src in mods:
                        imported[a.asname or a.name] = f"{src}:{a.name}"
                    elif node.module == "tlbench.backends" and a.name in mods:
                        imported[a.asname or a.name] = f"{a.name}:"
        scopes = [(n, "") for n in tree.body] + [
            (m, f"{c.name}.") for c in tree.body if isinstance(c, ast.ClassDef) for m in c.body
        ]
        for fn, prefix in scopes:
            if not isinstance(fn, ast.FunctionDef):
                continue
            edges = graph.setdefault(f"{mod}:{prefix}{fn.name}", set())
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                if isinstance(f, ast.Name):
                    edges.add(imported.get(f.id, f"{mod}:{f.id}"))
                elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                    if f.value.id == "self" and prefix:
                        edges.add(f"{mod}:{prefix}{f.attr}")
                    elif imported.get(f.value.id, "").endswith(":"):
                        edges.add(f"{imported[f.value.id]}{f.attr}")
    return {k: {c for c in v if c in graph} for k, v in graph.items()}


def test_no_function_of_the_transformers_backend_calls_itself_directly_or_in_a_cycle() -> None:
    graph = _call_graph()
    assert (
        "hf:HFBackend._generate_ids" in graph and "hf_batch:run_batch" in graph["hf:HFBackend._generate_ids"]
    )

    def reaches(start: str) -> bool:
        todo, seen = list(graph[start]), set()
        while todo:
            cur = todo.pop()
            if cur == start:
                return True
            if cur not in seen:
                seen.add(cur)
                todo.extend(graph.get(cur, ()))
        return False

    assert [f for f in sorted(graph) if reaches(f)] == []


def test_no_module_of_the_transformers_backend_flips_a_capability_after_construction() -> None:
    flags = {"kv_buffers", "prefix", "_prefix", "share_prefixes", "caps", "_engine"}
    for name in HF_MODULES:
        tree = ast.parse((BACKENDS_DIR / name).read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef) or fn.name == "__init__":
                continue
            for node in ast.walk(fn):
                targets = node.targets if isinstance(node, ast.Assign) else []
                for t in targets:
                    assert not (isinstance(t, ast.Attribute) and t.attr in flags), f"{name}:{fn.name}"
