"""A run as one leaderboard row (``tlbench score --model`` prints it at the end)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tlbench import jsonio

__all__ = ["run_table"]


def run_table(run_dir: Path) -> str:
    """The run as one leaderboard row: each benchmark's headline metrics (``Benchmark.headline``: TS/PI/CF,
    ``+exec`` for BFCL, DE/CE/VA for ToolEyes) under its short name; benchmarks not finished yet are left
    out. A footer line says how the run was made."""
    from tabulate import tabulate

    from benchmarks import BENCHMARKS

    manifest = jsonio.parse((run_dir / "manifest.json").read_text(encoding="utf-8"))
    head = ["model"]
    row: list[Any] = [manifest.get("name", "")]
    for name in manifest.get("benchmarks", []):
        path = run_dir / name / "results.json"
        if not path.is_file():
            continue
        result = jsonio.parse(path.read_text(encoding="utf-8"))
        summary = result.get("summary", {})
        bench = BENCHMARKS.get(name)
        metrics = [m for m in bench.headline if not m.optional or m.key in summary]
        keys = [m.key for m in metrics]
        head.append(f"{bench.short}\n" + "/".join(m.title for m in metrics))
        scored = summary.get("n") != 0  # nothing scored (every generation failed): no figure, not a zero
        cell = "/".join(_num(summary.get(k) if scored else None) for k in keys)
        failed = (result.get("infra_failures") or {}).get("count")
        row.append(cell + (f" ({failed} not scored)" if failed else ""))
    text = tabulate([row], headers=head, tablefmt="simple", disable_numparse=True)
    foot = (
        f"{manifest.get('status')} | {manifest.get('backend')} | format {manifest.get('prompt_format')} | "
        f"mode {manifest.get('mode')} | limit {manifest.get('limit')} | {_wall(manifest)} | "
        f"{manifest.get('generations')} new generations, {manifest.get('cache_hits')} cached, "
        f"{manifest.get('tokens_generated')} tokens"
    )
    infra = manifest.get("infra_failures") or {}
    if infra.get("count"):
        foot += (
            f"\n{infra['count']} of {infra.get('n_items')} items not scored: their generation failed "
            f"(first error: {infra.get('first_error')})"
        )
    return text + "\n" + foot


def _wall(manifest: Mapping[str, Any]) -> str:
    """``12.3 s``, or the total over the invocations of a resumed run."""
    segments = manifest.get("segments") or []
    if not segments:
        return f"{manifest.get('wall_time_s')} s"
    return (
        f"{manifest.get('wall_time_total_s')} s over {len(segments) + 1} invocations "
        f"(this one {manifest.get('wall_time_s')} s)"
    )


def _num(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "-"
