"""``RUN/manifest.json``: what a run was (model, backend, formats, sampling, versions, data hashes) and how
far it got (benchmarks completed, totals, status), versioned by ``schema_version`` as inspect_ai versions
its logs.

:class:`Manifest` is a frozen value: the runner builds it once the backend is up and writes a new one
(:func:`dataclasses.replace`) at every checkpoint, so a reader (``tlbench report``, a resumed run) always
sees a consistent whole. A manifest written before ``schema_version`` existed (version 0) reads the same:
every reader goes through ``dict.get``, and :meth:`Manifest.from_dict` fills what is absent.

A resumed run (the same command after a kill) lists its earlier invocations under ``segments``
(:func:`prior_segments`), so the run's total cost survives the kills.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.run.results import write_json

__all__ = ["SCHEMA_VERSION", "Manifest", "prior_segments", "read_manifest", "write_manifest"]

#: Version of the manifest's layout: 1 added ``schema_version`` itself (manifests without it are version 0
#: and read the same). Raise it when a key changes meaning or goes away.
SCHEMA_VERSION = 1
#: One invocation's share of a run, as listed under ``segments``.
SEGMENT_KEYS = ("created", "status", "wall_time_s", "generations", "cache_hits", "tokens_generated")


@dataclass(frozen=True, slots=True)
class Manifest:
    """The manifest's keys, in the order ``manifest.json`` lists them (``prefix_reuse`` only when the
    backend counts it)."""

    schema_version: int = SCHEMA_VERSION
    name: str = ""
    model: str = ""
    model_id: str = ""
    backend: str = ""
    prompt_format: str = ""
    prompt_formats: Mapping[str, str] = field(default_factory=dict)
    mode: str = ""
    sampling: Mapping[str, Any] = field(default_factory=dict)
    batch_size: int = 0
    max_batch_tokens: int | None = None
    prefix_cache_mb: int = 0
    episode_schedule: str = ""
    dtype: str = ""
    engine_args: Mapping[str, Any] = field(default_factory=dict)
    engine_start_s: float = 0.0
    template_uses_tools: bool | None = None
    warnings: tuple[str, ...] = ()
    seed: int = 0
    tools: Mapping[str, Any] = field(default_factory=dict)
    limit: int | None = None
    benchmarks: tuple[str, ...] = ()
    completed_benchmarks: tuple[str, ...] = ()
    versions: Mapping[str, str] = field(default_factory=dict)
    data_hashes: Mapping[str, str] = field(default_factory=dict)
    cache: str | None = None
    wall_time_s: float = 0.0
    wall_time_total_s: float = 0.0
    segments: tuple[Mapping[str, Any], ...] = ()
    tokens_generated: int = 0
    generations: int = 0
    per_benchmark: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cache_hits: int = 0
    infra_failures: Mapping[str, Any] = field(default_factory=dict)
    created: str = ""
    status: str = "running"
    prefix_reuse: Mapping[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``manifest.json`` (sequences as lists, copies throughout)."""
        out = asdict(self)
        for key in ("warnings", "benchmarks", "completed_benchmarks", "segments"):
            out[key] = list(out[key])
        if out["prefix_reuse"] is None:
            del out["prefix_reuse"]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """Inverse of :meth:`to_dict`; a manifest without ``schema_version`` is version 0, absent keys take
        their defaults and unknown ones (a later version's) are dropped."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["schema_version"] = int(data.get("schema_version", 0))
        for key in ("warnings", "benchmarks", "completed_benchmarks", "segments"):
            if key in values:
                values[key] = tuple(values[key] or ())
        return cls(**values)


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Write ``manifest.json`` atomically (a reader never sees half of it)."""
    write_json(path, manifest.to_dict())


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest object at ``path``, or None when there is none or it is not a JSON object (any schema
    version: readers use ``.get``)."""
    try:
        data = jsonio.parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _segment(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """One invocation's share of a run, as listed under ``segments``."""
    seg = {k: manifest.get(k) for k in SEGMENT_KEYS}
    if seg["status"] == "running":
        seg["status"] = "interrupted"  # killed before it could say so
    return seg


def prior_segments(
    path: Path, identity: str, *, mode: str, limit: int | None, max_new_tokens: int, seed: int
) -> list[dict[str, Any]]:
    """The earlier invocations of this run, read from the manifest already in ``--out``.

    Why: a long run on a small machine is often killed and resumed with the same command; the resumed
    invocation regenerates nothing, so its own wall time says little about what the run cost. Earlier
    segments count only when the manifest is for the same model, mode, limit and sampling (anything
    else in that folder is a different run being overwritten), and only while it is not complete.
    Interrupted segments keep the time of their last checkpoint."""
    prior = read_manifest(path)
    if prior is None or prior.get("status") == "complete":
        return []  # re-running a finished run re-scores it: a new run, not a resumed one
    sampling = prior.get("sampling") or {}
    same = (
        prior.get("model_id") == identity
        and prior.get("mode") == mode
        and prior.get("limit") == limit
        and sampling.get("max_new_tokens") == max_new_tokens
        and sampling.get("seed") == seed
    )
    if not same:
        return []
    earlier = prior.get("segments")
    segments = [dict(s) for s in earlier if isinstance(s, dict)] if isinstance(earlier, list) else []
    return [*segments, _segment(prior)]
