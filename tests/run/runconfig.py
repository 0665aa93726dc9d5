"""The :class:`RunConfig` the runner tests build around the scripted ``mock`` model.

One place for the defaults those tests share (the mock model, ReAct prompts, a private cache, a few items,
few bootstrap resamples); each test file overrides what it is about.
"""

from __future__ import annotations

from pathlib import Path

from tlbench.runner import RunConfig


def mock_run_config(tmp_path: Path, data_dir: Path, names: tuple[str, ...], **kw: object) -> RunConfig:
    """A run of ``names`` on the mock model into ``tmp_path/run``; keyword arguments override fields."""
    base: dict[str, object] = dict(
        model="mock", out=tmp_path / "run", data_dir=data_dir, benchmarks=names, limit=3,
        prompt_format="toolllama-react", cache_dir=tmp_path / "cache", batch_size=2, resamples=50,
    )  # fmt: skip
    base.update(kw)
    return RunConfig(**base)  # type: ignore[arg-type]
