"""Reading run directories (``docs/formats.md``) for the leaderboard, compare, analyze and report commands.

A run directory holds ``manifest.json`` and one folder per benchmark with ``results.json`` and
``items.jsonl`` (and ``predictions.jsonl``). A folder written by ``tlbench score --predictions ... --out``
(``results.json`` at the top, no manifest) is accepted too, as a one-benchmark run named after the folder.

Reading is forgiving where the format allows it and strict where a silent mistake would mislead: a partial
last line of ``items.jsonl`` (a killed run) is skipped with a warning; a malformed line elsewhere, or an
unreadable ``results.json``, is a ``DataError`` with file:line; a missing directory is a ``UsageError``.

A run that ended ``incomplete`` (some generations failed for infrastructure reasons: those items are not
in its scores nor in ``items.jsonl``) reads normally, with a warning; :meth:`Run.failed_items` gives the
count per benchmark so that every view can mark it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError, UsageError

__all__ = ["Run", "load_run", "load_runs", "read_jsonl", "item_bool"]


@dataclass(frozen=True)
class Run:
    """One run directory: its display name, manifest and per-benchmark ``results.json`` (items on demand)."""

    name: str
    path: Path
    manifest: Mapping[str, Any]
    results: Mapping[str, Mapping[str, Any]]
    warnings: tuple[str, ...] = ()
    _dirs: Mapping[str, Path] = field(default_factory=dict, repr=False)
    #: Problems met while reading items (e.g. a partial last line), appended by :meth:`items`.
    item_warnings: list[str] = field(default_factory=list, repr=False, compare=False)

    @property
    def benchmarks(self) -> tuple[str, ...]:
        """Benchmark names in the manifest's order (then any other folder found)."""
        return tuple(self.results)

    def failed_items(self, benchmark: str | None = None) -> int:
        """Items left unscored because their generation failed (infrastructure), in one benchmark or all."""
        if benchmark is None:
            return sum(self.failed_items(b) for b in self.results)
        infra = (self.results.get(benchmark) or {}).get("infra_failures")
        count = infra.get("count") if isinstance(infra, Mapping) else None
        return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0

    def summary(self, benchmark: str) -> Mapping[str, Any]:
        """The ``summary`` object of a benchmark's results (empty when the run lacks the benchmark)."""
        result = self.results.get(benchmark) or {}
        summary = result.get("summary")
        return summary if isinstance(summary, Mapping) else {}

    def items(self, benchmark: str) -> list[dict[str, Any]]:
        """The scored items of a benchmark, joined with ``predictions.jsonl`` outputs when items lack them."""
        folder = self._dirs.get(benchmark)
        if folder is None:
            return []
        items, problems = read_jsonl(folder / "items.jsonl", missing_ok=True)
        self.item_warnings.extend(p for p in problems if p not in self.item_warnings)
        preds_path = folder / "predictions.jsonl"
        if items and preds_path.is_file() and any("output" not in it for it in items):
            preds, _ = read_jsonl(preds_path, missing_ok=True)
            by_index = {p.get("index"): p for p in preds if isinstance(p.get("index"), int)}
            for it in items:
                pred = by_index.get(it.get("index"))
                if pred is None:
                    continue
                if "output" not in it and isinstance(pred.get("output"), str):
                    it["output"] = pred["output"]
                if "transcript" not in it and "output" not in pred:
                    it["transcript"] = pred
        return items


def item_bool(record: Mapping[str, Any], key: str) -> bool:
    """An item-level boolean (``ts``, ``pi``, ``cf``, ``correct``, ``exec``): missing/None reads as False."""
    return bool(record.get(key))


def read_jsonl(path: Path, *, missing_ok: bool = False) -> tuple[list[dict[str, Any]], list[str]]:
    """Objects of a JSON Lines file and warnings; a bad LAST line is a warning, a bad earlier line an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return [], []
        raise DataError("file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read: {exc}", path=str(path)) from None
    lines = text.split("\n")
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    out: list[dict[str, Any]] = []
    warnings: list[str] = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            value = jsonio.parse(line)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            if i == last:
                warnings.append(f"{path}:{i + 1}: partial last line skipped")
                continue
            raise DataError("not a JSON object", path=str(path), line=i + 1)
        out.append(value)
    return out, warnings


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = jsonio.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("file not found", path=str(path)) from None
    except ValueError as exc:
        raise DataError(f"not valid JSON: {exc}", path=str(path), line=getattr(exc, "lineno", None)) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    if not isinstance(value, dict):
        raise DataError("expected a JSON object", path=str(path))
    return value


def load_run(path: Path | str, name: str | None = None) -> Run:
    """Read one run directory (see the module docstring); ``name`` overrides the manifest's name."""
    root = Path(path)
    if not root.is_dir():
        raise UsageError(f"run directory not found: {root}")
    warnings: list[str] = []
    results: dict[str, Mapping[str, Any]] = {}
    dirs: dict[str, Path] = {}
    manifest: dict[str, Any] = {}
    if (root / "manifest.json").is_file():
        manifest = _read_json(root / "manifest.json")
        if manifest.get("status") == "incomplete":
            infra = manifest.get("infra_failures")
            infra = infra if isinstance(infra, Mapping) else {}
            warnings.append(
                f"{root}: incomplete run: {infra.get('count', 'some')} item(s) are not scored because their "
                f"generation failed (first error: {infra.get('first_error')}); re-run the same "
                "`tlbench score` command to retry them"
            )
        elif manifest.get("status") not in (None, "complete"):
            warnings.append(f"{root}: run status is {manifest.get('status')!r}, not 'complete'")
        listed = [b for b in manifest.get("benchmarks") or () if isinstance(b, str)]
        others = sorted(
            p.name for p in root.iterdir() if (p / "results.json").is_file() and p.name not in listed
        )
        unscored = []
        for bench in [*listed, *others]:
            if (root / bench / "results.json").is_file():
                results[bench] = _read_json(root / bench / "results.json")
                dirs[bench] = root / bench
            else:
                unscored.append(bench)
        if unscored:
            warnings.append(f"{root}: no results.json yet (not scored) for {', '.join(unscored)}")
    elif (root / "results.json").is_file():
        head = _read_json(root / "results.json")
        bench = str(head.get("benchmark") or root.name)
        results[bench], dirs[bench] = head, root
        manifest = {"name": root.name, "benchmarks": [bench], "mode": head.get("mode")}
    else:
        raise UsageError(f"{root} is not a run directory (no manifest.json or results.json)")
    display = name or str(manifest.get("name") or root.name)
    return Run(display, root, manifest, results, tuple(warnings), dirs)


def load_runs(paths: Sequence[Path | str], names: Sequence[str] | None = None) -> list[Run]:
    """Several runs; ``names`` (same length or shorter) renames them in order; duplicate names get a suffix."""
    names = list(names or [])
    if len(names) > len(paths):
        raise UsageError(f"{len(names)} --name values for {len(paths)} run directories")
    runs: list[Run] = []
    seen: dict[str, int] = {}
    for i, p in enumerate(paths):
        run = load_run(p, names[i] if i < len(names) else None)
        count = seen.get(run.name, 0)
        seen[run.name] = count + 1
        if count:
            run = Run(
                f"{run.name} ({count + 1})", run.path, run.manifest, run.results, run.warnings, run._dirs
            )
        runs.append(run)
    return runs
