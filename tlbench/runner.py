"""``tlbench score --model``: item -> prompt -> batched generation (through the cache) -> parse -> score.

One :class:`RunConfig` describes a run; :func:`run` writes the run directory of ``docs/formats.md``::

    RUN/manifest.json                 status "running" while it works, "complete" (or "incomplete") at the end
    RUN/<benchmark>/results.json      the object `tlbench score --predictions --out` writes
    RUN/<benchmark>/items.jsonl       scored items + prompt / output / gold (/ turns for episodes)
    RUN/<benchmark>/predictions.jsonl re-scorable with `tlbench score --predictions`
    RUN/<benchmark>/failed.jsonl      items not scored: their generation failed (only when there are some)

Why it is shaped this way:

* **Single-shot benchmarks** (ToolAlpaca, RoTBench, BFCL): every prompt of a benchmark is rendered first,
  then generated in length-sorted chunks of ``batch_size`` through :class:`~tlbench.backends.CachedBackend`,
  which writes each chunk to the SQLite cache as soon as it finishes. A killed run re-run with the same
  command finds every finished chunk in the cache and regenerates nothing that was done.
* **Episodes** (ToolEyes; any ``episodic`` benchmark): with the transformers
  backend, active episodes are stepped together in waves of one batch (each round one batched
  generation call that reuses each episode's keys/values from its previous round); with a server or vLLM
  each episode sends its next request as soon as its tools have answered, at most ``batch_size`` in
  flight (:mod:`tlbench.episode_scheduler`, ``episode_schedule``). An episode gets at most 9
  generations (:class:`tools_env.episode.Episode` forces the finish). Greedy decoding and the
  deterministic simulated tools make every prompt of an episode reproducible, whatever the schedule, so
  the cache resumes episodes too.
* Scoring reuses the benchmarks' own ``score_item`` / ``score_transcript`` and ``aggregate_for``, so a
  run's ``results.json`` is the same object as the ``--predictions`` path's (and re-scoring
  ``predictions.jsonl`` gives the same figures).
* **An infrastructure failure is not a model error.** A generation that failed (HTTP error, lost
  connection, time-out, backend exception: ``Generation.ok`` is False) has no model output. Its item (its
  whole episode, for ToolEyes) is not scored: it is left out of numerator and denominator, listed in
  ``failed.jsonl``, counted in ``results.json`` and the manifest (``infra_failures``), and the run ends
  with status ``incomplete`` (``score --model`` exits 3). Failures are never cached, so re-running the same
  command asks again for exactly those items (finished ones come from the cache) and completes the run.
* Prompt format ``auto``: benchmarks whose items carry their own ReAct system prompt (RoTBench, ToolEyes)
  keep it (:func:`tlbench.prompts.auto_react_format`); the others use the model's own format
  (:func:`tlbench.prompts.auto_format`). The format actually used is recorded per benchmark.

This module is the public face of the run; the stages live in :mod:`tlbench.run` (one module each: config,
engine, pipeline, manifest, benchmark, single_shot, episodes, results, progress, table).
"""

from __future__ import annotations

from typing import Any

from tlbench.run.config import (
    RunConfig,
    all_benchmarks,
    check_config,
    default_out,
    expand_benchmarks,
    formats_for,
    with_overrides,
)
from tlbench.run.engine import build_backend, check_template_tools
from tlbench.run.episodes import MAX_GENERATIONS
from tlbench.run.manifest import SCHEMA_VERSION, Manifest
from tlbench.run.pipeline import CHECKPOINT_EVERY_S, run
from tlbench.run.progress import Progress
from tlbench.run.provenance import data_hashes
from tlbench.run.single_shot import generate_chunk
from tlbench.run.table import run_table

__all__ = [
    "CHECKPOINT_EVERY_S",
    "MAX_GENERATIONS",
    "SCHEMA_VERSION",
    "Manifest",
    "Progress",
    "RunConfig",
    "all_benchmarks",
    "build_backend",
    "check_config",
    "check_template_tools",
    "data_hashes",
    "default_out",
    "expand_benchmarks",
    "formats_for",
    "generate_chunk",
    "run",
    "run_table",
    "with_overrides",
]


def __getattr__(name: str) -> Any:
    if name == "ALL_BENCHMARKS":  # computed from the registry (a registered benchmark joins it)
        return all_benchmarks()
    raise AttributeError(f"module 'tlbench.runner' has no attribute {name!r}")
