"""The benchmark interface: uniform items, one scorer per benchmark, one registry.

Every benchmark module registers itself in ``BENCHMARKS`` under its names (``benchmarks/__init__.py``
imports them lazily). A benchmark loads ``Item``s from the data dir, and scores one item's output into an
``ItemScore``; aggregation (TS/PI/CF percentages, per-scenario breakdowns, bootstrap CIs) is shared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tlbench.errors import DataError
from tlbench.registry import Registry
from tlbench.types import ErrorKind, ToolCall, ToolDoc

__all__ = [
    "Item",
    "ItemScore",
    "LoadReport",
    "Benchmark",
    "BENCHMARKS",
    "MODES",
    "missing_score",
    "load_complete",
]

MODES = ("upstream", "fixed")


@dataclass(frozen=True, slots=True)
class Item:
    """One benchmark item, the same shape for every benchmark.

    ``messages`` are chat messages (``{"role": "system"|"user"|"assistant"|"function", "content": str}``) up
    to the point where the model must answer. ``gold`` lists the acceptable answers; each answer is a tuple
    of calls (more than one for parallel items). ``index`` is the item's position in its benchmark file.
    """

    id: str
    index: int
    benchmark: str
    scenario: str
    messages: tuple[Mapping[str, Any], ...]
    tools: tuple[ToolDoc, ...]
    gold: tuple[tuple[ToolCall, ...], ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ItemScore:
    """The verdict on one item. ``correct`` is the item's headline verdict (CF, or exec for BFCL).

    ``categories`` are the shared classifier's kinds (informational; they never change a verdict): ErrorKind
    members only, so a misspelt category cannot reach ``items.jsonl``; :meth:`to_dict` writes their values.
    """

    id: str
    index: int
    scenario: str
    ts: bool
    pi: bool
    cf: bool
    correct: bool
    parsed: bool
    exec: bool | None = None
    calls: tuple[ToolCall, ...] = ()
    categories: tuple[ErrorKind, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kind in self.categories:
            if not isinstance(kind, ErrorKind):
                raise TypeError(
                    f"ItemScore.categories takes ErrorKind members, not {type(kind).__name__} {kind!r}"
                )

    def to_dict(self) -> dict[str, Any]:
        """The per-item record of ``tlbench score --json``."""
        return {
            "id": self.id,
            "index": self.index,
            "scenario": self.scenario,
            "ts": self.ts,
            "pi": self.pi,
            "cf": self.cf,
            "correct": self.correct,
            "parsed": self.parsed,
            "exec": self.exec,
            "calls": [c.to_dict() for c in self.calls],
            "categories": [kind.value for kind in self.categories],
            "detail": dict(self.detail),
        }


@dataclass(slots=True)
class LoadReport:
    """Problems met while loading (malformed upstream lines are reported with file:line and skipped)."""

    warnings: list[str] = field(default_factory=list)

    def warn(self, path: Path | str, line: int | None, message: str) -> None:
        """Record one problem."""
        where = f"{path}:{line}" if line is not None else str(path)
        self.warnings.append(f"{where}: {message}")


class Benchmark(Protocol):
    """What every benchmark module provides.

    Optional extras, looked up with ``getattr`` by ``benchmarks.metrics`` and ``tlbench score``:
    ``aggregate(scores, *, resamples, seed) -> benchmarks.metrics.Aggregate`` (a headline other than
    TS/PI/CF), ``missing_score(item) -> ItemScore`` (the score of an item without prediction; default
    :func:`missing_score`), and ``predictions_are_transcripts: bool`` (``--predictions`` holds episode
    transcripts rather than ``{"output": ...}`` lines; ``score_transcript(item, record, mode)`` scores one),
    and ``data_files: tuple[str, ...]`` (the ``benchmarks/manifest.json`` paths ``load`` reads, which
    :func:`load_complete` checks against their pinned sha256).
    """

    name: str
    default_format: str

    def load(self, data_dir: Path, report: LoadReport | None = None) -> list[Item]:
        """Items in file order."""
        ...

    def score_item(
        self, item: Item, output: str, mode: str = "upstream", fmt: str | None = None
    ) -> ItemScore:
        """Score one raw model output for ``item``."""
        ...


BENCHMARKS: Registry[Benchmark] = Registry("benchmark")


def missing_score(item: Item) -> ItemScore:
    """The score of an item that has no prediction: wrong on every metric, ``detail["missing"]`` set.

    ``exec`` is False when the item is executable offline (``metadata["executable"]`` is true), so a
    missing BFCL item lowers exec accuracy too; None otherwise.
    """
    executable = item.metadata.get("executable")
    return ItemScore(
        id=item.id,
        index=item.index,
        scenario=item.scenario,
        ts=False,
        pi=False,
        cf=False,
        correct=False,
        parsed=False,
        exec=False if executable else None,
        detail={"missing": True},
    )


def load_complete(bench: Benchmark, data_dir: Path) -> list[Item]:
    """The items to score: the benchmark's pinned files verified, then every item loaded, or ``DataError``.

    Why: a score compares with others only on the whole pinned set. A loader skips a malformed entry with a
    warning (right for inspecting data), but scoring the rest would report a figure on fewer items with
    exit 0, and a wholly corrupt file would surface as an error about the predictions. So scoring refuses
    a file that differs from its pin, and any item the loader had to skip or change, naming the data file.
    """
    from benchmarks.data import verify_pinned

    verify_pinned(Path(data_dir), getattr(bench, "data_files", ()))
    report = LoadReport()
    items = bench.load(Path(data_dir), report)
    if report.warnings:
        more = f" (and {len(report.warnings) - 1} more)" if len(report.warnings) > 1 else ""
        raise DataError(
            f"{report.warnings[0]}{more}: corrupt benchmark data, refusing to score a partial set; "
            "check it with 'tlbench data status'"
        )
    return items


def item_ids(items: Sequence[Item]) -> list[str]:
    """Ids in order (helper for prediction matching)."""
    return [it.id for it in items]
