"""Issue 22's contracts for the run: ``run()`` reads as a short pipeline, the run never probes its backend
(every backend declares ``info()`` / ``stats()``), the manifest is a versioned frozen value that old runs'
manifests still read as, and one writer writes every ``results.json`` / ``items.jsonl``."""

from __future__ import annotations

import ast
import json
import typing
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from runconfig import mock_run_config

from benchmarks.predictions import score_predictions
from tlbench import jsonio
from tlbench.backends import BACKENDS, BackendInfo, CachedBackend, GenerationCache
from tlbench.backends.mock import MockBackend
from tlbench.cli import main
from tlbench.report.runs import load_run
from tlbench.run.manifest import SCHEMA_VERSION, Manifest, prior_segments
from tlbench.run.results import result_object
from tlbench.runner import run, run_table

ROOT = Path(__file__).resolve().parents[2]
RUN_MODULES = sorted((ROOT / "tlbench" / "run").glob("*.py")) + [ROOT / "tlbench" / "runner.py"]
REPLY = 'Thought: t\nAction: finish\nAction Input: {"answer": "ok"}'


def _functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def test_run_reads_as_a_pipeline_under_30_lines() -> None:
    fn = _functions(ROOT / "tlbench" / "run" / "pipeline.py")["run"]
    assert fn.end_lineno is not None and fn.end_lineno - fn.lineno + 1 < 30


def test_the_run_never_probes_its_backend_with_getattr() -> None:
    # the one getattr left is Progress asking its text stream whether it is a terminal
    allowed = {("progress.py", "self.stream")}
    found = []
    for path in RUN_MODULES + [ROOT / "tlbench" / "episode_scheduler.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr")
            ):
                key = (path.name, ast.unparse(node.args[0]))
                if key not in allowed:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


def test_no_run_module_is_over_400_lines() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in RUN_MODULES}
    assert max(sizes.values()) <= 400, sizes


@pytest.mark.parametrize("name", BACKENDS.names())
def test_every_registered_backend_declares_info_stats_and_start(name: str) -> None:
    factory = BACKENDS.get(name)  # the module's create(model, options); its return annotation is the class
    cls = typing.get_type_hints(factory)["return"]
    for method in ("info", "stats", "start", "generate", "close"):
        assert callable(cls.__dict__.get(method)), f"{cls.__name__}.{method}"


def test_info_and_stats_of_the_mock_and_through_the_cache(tmp_path: Path) -> None:
    class Server(MockBackend):
        episode_schedule = "independent"
        thread_safe = True
        preferred_chunk = 32

    info = Server(model="m").info()
    assert info == BackendInfo(
        name="mock", identity="mock:m", episode_schedule="independent", thread_safe=True, preferred_chunk=32
    )
    with pytest.raises(FrozenInstanceError):
        info.max_context = 1  # type: ignore[misc]
    cache = GenerationCache(tmp_path / "g.sqlite")
    try:
        cached = CachedBackend(Server(model="m"), cache)
        assert cached.info() == info and cached.stats() == {}
    finally:
        cache.close()
    with pytest.raises(ValueError, match="episode_schedule"):
        BackendInfo(name="x", identity="x", episode_schedule="async")


def test_manifest_round_trip_and_schema_version(tmp_path: Path, data_dir: Path) -> None:
    cfg = mock_run_config(tmp_path, data_dir, ("rotbench-first-clean",))
    written = run(cfg, backend=MockBackend(lambda p: REPLY))
    assert written["schema_version"] == SCHEMA_VERSION == 1
    assert next(iter(written)) == "schema_version"
    on_disk = json.loads((cfg.out / "manifest.json").read_text())
    manifest = Manifest.from_dict(on_disk)
    assert manifest.to_dict() == on_disk == written
    assert Manifest.from_dict({**on_disk, "a_later_key": 1}) == manifest  # a later version's extra key


def test_a_manifest_without_schema_version_still_reads(tmp_path: Path, data_dir: Path) -> None:
    cfg = mock_run_config(tmp_path, data_dir, ("rotbench-first-clean",))
    run(cfg, backend=MockBackend(lambda p: REPLY))
    path = cfg.out / "manifest.json"
    old = json.loads(path.read_text())
    del old["schema_version"]  # as written before issue 22
    assert Manifest.from_dict(old).schema_version == 0
    # an interrupted old run: a resumed invocation counts it as an earlier segment
    path.write_text(jsonio.dumps({**old, "status": "interrupted"}, indent=2))
    earlier = prior_segments(
        path,
        old["model_id"],
        mode=cfg.mode,
        limit=cfg.limit,
        max_new_tokens=cfg.max_new_tokens,
        seed=cfg.seed,
    )
    assert [s["status"] for s in earlier] == ["interrupted"]
    assert "rot1-clean" in run_table(cfg.out)
    assert load_run(cfg.out).manifest.get("model_id") == old["model_id"]
    resumed = run(cfg, backend=MockBackend(lambda p: REPLY))
    assert len(resumed["segments"]) == 1 and resumed["schema_version"] == SCHEMA_VERSION


def test_one_writer_for_model_runs_and_predictions(tmp_path: Path, data_dir: Path) -> None:
    name = "rotbench-first-clean"
    cfg = mock_run_config(tmp_path, data_dir, (name,))
    run(cfg, backend=MockBackend(lambda p: REPLY))
    folder = cfg.out / name
    out = tmp_path / "rescored"
    args = [
        "score",
        "--benchmark",
        name,
        "--predictions",
        str(folder / "predictions.jsonl"),
        "--out",
        str(out),
    ]
    assert main([*args, "--data-dir", str(data_dir), "--resamples", "50", "--format", "react"]) == 0
    again = score_predictions(name, folder / "predictions.jsonl", data_dir, fmt="react", resamples=50)
    items = again.pop("items")
    # the same bytes as the writer makes of the --predictions object
    assert (out / "results.json").read_text() == jsonio.dumps(again, indent=2) + "\n"
    assert (out / "items.jsonl").read_text() == "".join(jsonio.dumps(r) + "\n" for r in items)
    # the run's results.json is the same object, plus what only a model run has, in the same key order
    model = json.loads((folder / "results.json").read_text())
    shared = [k for k in model if k not in ("prompt_format", "infra_failures")]
    assert shared == list(again)
    head = result_object(
        benchmark=name, mode="upstream", fmt="react", predictions="p", n_items=1, n_predictions=1,
        missing_ids=[], aggregate={"summary": {}}, prompt_format="f", infra_failures={"count": 0},
    )  # fmt: skip
    assert list(head) == list(model)[: len(head)]


def test_only_the_results_module_writes_results_files() -> None:
    # every other module hands its objects to tlbench.run.results (a writer of its own would drift)
    writers = []
    for path in sorted((ROOT / "tlbench").rglob("*.py")) + sorted((ROOT / "benchmarks").rglob("*.py")):
        if path == ROOT / "tlbench" / "run" / "results.py":
            continue
        for fn in _functions(path).values():
            text = ast.unparse(fn)
            names = ("'results.json'", "'items.jsonl'", "'predictions.jsonl'")
            if any(n in text for n in names) and ("jsonio.dumps(" in text or "json.dump" in text):
                writers.append(f"{path.relative_to(ROOT)}:{fn.name}")
    assert writers == []
