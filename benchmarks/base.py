"""The benchmark interface: uniform items, a self-describing :class:`Benchmark` base class, one registry.

A benchmark module subclasses :class:`Benchmark`, declares what the rest of tlbench needs to know about it
(family, version, data files, prompt style, short name, headline metrics, episodic or not, doc loader,
repair flags: see the class) and registers itself with the ``@register`` decorator of
:mod:`benchmarks.registry` next to the class. The runner, the reports, decontamination and the CLI derive
their lists from the registry, so adding a benchmark touches its own module (and its test) only.

A benchmark loads ``Item``s from the data dir and scores one item's output into an ``ItemScore``;
aggregation (TS/PI/CF percentages, per-scenario breakdowns, bootstrap CIs) is shared. The quirks of an
official scorer that ``fixed`` mode repairs are the fields of a :class:`Repairs` subclass: all off is
``upstream``, all on is ``fixed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from tlbench import jsonio
from tlbench.errors import DataError, UsageError
from tlbench.types import ErrorKind, ToolCall, ToolDoc

if TYPE_CHECKING:
    from benchmarks.metrics import Aggregate

__all__ = [
    "Item",
    "ItemScore",
    "LoadReport",
    "Metric",
    "TS",
    "PI",
    "CF",
    "EXEC",
    "DE",
    "CE",
    "VA",
    "SINGLE_TURN",
    "EPISODE",
    "Repairs",
    "Benchmark",
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


@dataclass(frozen=True, slots=True)
class Metric:
    """One headline figure of a benchmark's ``summary``: its key, its column label, and its direction.

    ``optional``: shown only when the summary has it (BFCL's exec accuracy exists when some item is
    executable offline) and never a column of the paper's tables.
    """

    key: str
    label: str = ""
    lower_is_better: bool = False
    optional: bool = False

    @property
    def title(self) -> str:
        """The column label (the key unless a label is given)."""
        return self.label or self.key


TS, PI, CF = Metric("TS"), Metric("PI"), Metric("CF")
EXEC = Metric("exec_accuracy", "exec", optional=True)
DE = Metric("DE", lower_is_better=True)
CE = Metric("CE", lower_is_better=True)
VA = Metric("VA")
#: The headline of single-turn benchmarks (tool selection, parameter identification, content filling).
SINGLE_TURN = (TS, PI, CF)
#: The headline of episodic benchmarks (ToolEyes: per-call error rates, lower is better, and validity).
EPISODE = (DE, CE, VA)

R = TypeVar("R", bound="Repairs")


@dataclass(frozen=True, slots=True)
class Repairs:
    """The repair flags of a benchmark's ``fixed`` mode: a subclass declares one bool field per quirk of the
    official scorer, each with a docstring that says what it repairs and how many verdicts it changes.

    All flags off is ``upstream`` (the official verdicts, quirks included), all on is ``fixed``; a single
    flag on measures what that repair alone changes (the agreement tests do).
    """

    @classmethod
    def upstream(cls: type[R]) -> R:
        """Every flag off: the official scorer's verdicts."""
        return cls()

    @classmethod
    def fixed(cls: type[R]) -> R:
        """Every flag on."""
        return cls(**{f.name: True for f in fields(cls)})

    @classmethod
    def for_mode(cls: type[R], mode: str) -> R:
        """The repair set of a mode name; ``UsageError`` for an unknown mode."""
        if mode == "upstream":
            return cls.upstream()
        if mode == "fixed":
            return cls.fixed()
        raise UsageError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")


class Benchmark:
    """What a benchmark is and what the rest of tlbench needs to know about it, declared in one place.

    Class attributes describe the family (every variant of the class shares them); the properties below
    them describe one variant (a file, a split) and may be overridden by fields or properties. ``@register``
    (:mod:`benchmarks.registry`) registers every instance :meth:`variants` returns under its ``name``.
    """

    __slots__ = ()

    #: The data family: the benchmark's name in ``benchmarks/manifest.json`` (``tlbench data pull FAMILY``),
    #: the folder of its files in the data dir, and its test set in the decontamination report.
    family: ClassVar[str] = ""
    #: The upstream version the loader and the ``upstream`` scorer reproduce (commit or release).
    version: ClassVar[str] = ""
    #: Place in ``--benchmarks all``, the tables and the decontamination report (lowest first, then the
    #: order of :meth:`variants`).
    order: ClassVar[int] = 100
    #: Display name: the column group of the leaderboard tables.
    title: ClassVar[str] = ""
    #: ``"react"``: the items carry their own ReAct system prompt, which ``--prompt-format auto`` keeps;
    #: ``"general"``: the prompt is the model's own format.
    prompt_style: ClassVar[str] = "general"
    #: The headline figures of ``results.json``'s summary, in display order.
    headline: ClassVar[tuple[Metric, ...]] = SINGLE_TURN
    #: Scored from multi-turn episode transcripts (:meth:`score_transcript`; ``--predictions`` holds
    #: transcripts, the runner plays episodes) rather than from one output per item.
    episodic: ClassVar[bool] = False
    #: The repair flags of ``fixed`` mode (a :class:`Repairs` subclass).
    repairs: ClassVar[type[Repairs]] = Repairs
    #: A gold value that accepts any predicted value (RoTBench's ``"None"``), for the shared classifier.
    wildcard: ClassVar[str | None] = None
    #: The output format of :meth:`score_item` when none is given (``react``, ``python``, ...).
    default_format: ClassVar[str] = "react"
    #: sha256 of data files that ``benchmarks/manifest.json`` does not pin (path -> hex digest), checked by
    #: :func:`load_complete` like the manifest's pins; a benchmark without ``tlbench data pull`` uses it.
    pins: ClassVar[Mapping[str, str]] = {}

    name: str

    @property
    def short(self) -> str:
        """The short name of leaderboard rows (``rot1-clean``)."""
        return self.name

    @property
    def data_files(self) -> tuple[str, ...]:
        """The pinned files :meth:`load` reads (paths under the data dir; a folder ends in ``/``)."""
        return ()

    @property
    def in_all(self) -> bool:
        """Part of ``--benchmarks all`` (a split of another variant is not)."""
        return True

    @property
    def tables(self) -> tuple[str, ...]:
        """The leaderboard tables (paper Tables 3/4/5: ``"3"``...) with a column group for this variant."""
        return ()

    @property
    def test_set(self) -> bool:
        """Part of its family's test set in the decontamination report."""
        return True

    @classmethod
    def variants(cls) -> Sequence[Benchmark]:
        """The instances ``@register`` registers (default: one, made without arguments)."""
        return (cls(),)

    def load(self, data_dir: Path, report: LoadReport | None = None) -> list[Item]:
        """Items in file order; a malformed entry is reported in ``report`` and skipped."""
        raise NotImplementedError

    def tool_docs(self, raw: Any) -> tuple[ToolDoc, ...]:
        """The doc loader: one item's upstream tool documentation as :class:`ToolDoc` (see each benchmark)."""
        raise NotImplementedError

    def score_item(
        self, item: Item, output: str, mode: str = "upstream", fmt: str | None = None
    ) -> ItemScore:
        """Score one raw model output for ``item``; never raises on bad output."""
        raise NotImplementedError

    def score_transcript(self, item: Item, record: Mapping[str, Any], mode: str = "upstream") -> ItemScore:
        """Score one episode transcript (episodic benchmarks)."""
        raise NotImplementedError

    def missing_score(self, item: Item) -> ItemScore:
        """The score of an item without prediction (default: :func:`missing_score`)."""
        return missing_score(item)

    def aggregate(self, scores: Sequence[ItemScore], *, resamples: int = 1000, seed: int = 0) -> Aggregate:
        """Summary, per-scenario figures and CIs (default: TS/PI/CF, ``benchmarks.metrics.aggregate``)."""
        from benchmarks.metrics import aggregate

        return aggregate(scores, resamples=resamples, seed=seed)

    def repairs_for(self, mode: str) -> Repairs:
        """The repair set of ``mode``; ``UsageError`` for an unknown mode."""
        return self.repairs.for_mode(mode)


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

    verify_pinned(Path(data_dir), bench.data_files, pins=bench.pins)
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


def read_json_list(path: Path, family: str, what: str = "items") -> list[Any]:
    """The JSON list a benchmark data file holds. A missing file says how to get it (``tlbench data pull
    FAMILY``); an unreadable one, invalid JSON (with its line) or another top-level value is a
    :class:`~tlbench.errors.DataError` naming the file."""
    try:
        raw = jsonio.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(
            f"benchmark file not found (run 'tlbench data pull {family}' or pass --data-dir)", path=str(path)
        ) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    except ValueError as exc:  # invalid JSON, too deep, or not UTF-8
        raise DataError(f"not valid JSON: {exc}", path=str(path), line=getattr(exc, "lineno", None)) from None
    if not isinstance(raw, list):
        raise DataError(f"expected a JSON list of {what}", path=str(path))
    return raw
