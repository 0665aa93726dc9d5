"""Figures of the analysis as PNG bytes (matplotlib, the optional ``plot`` extra; Agg backend, no display).

* :func:`category_bars`: one horizontal bar group per error category, one bar per run, the share of the
  benchmark's unit (items or call attempts) - the paper's Figure 3 view, for several runs side by side.
* :func:`robustness_plot`: TS, PI and CF (three panels) across RoTBench clean -> slight -> medium ->
  heavy -> union, one line per run.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench.errors import UsageError
from tlbench.report.analysis import ROBUSTNESS_LEVELS, Breakdown
from tlbench.report.analysis_text import group_by_benchmark, visible_rows

__all__ = ["have_matplotlib", "category_bars", "robustness_plot", "all_plots", "write_plots"]

_PALETTE = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#57606a", "#bf3989", "#0550ae")


def have_matplotlib() -> bool:
    """True when matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("plots need matplotlib: pip install 'tlbench[plot]'") from None
    return plt


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def category_bars(group: Sequence[Breakdown]) -> bytes:
    """Grouped horizontal bars: categories x runs of one benchmark."""
    plt = _pyplot()
    rows = visible_rows(group) or [("none", "no errors")]
    height = 0.8 / max(1, len(group))
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.42 * len(rows) * max(1, len(group)) ** 0.5))
    for i, b in enumerate(group):
        ys = [r + i * height for r in range(len(rows))]
        values = [b.share(k) for k, _ in rows]
        bars = ax.barh(
            ys, values, height=height, color=_PALETTE[i % len(_PALETTE)], label=f"{b.run} (n={b.n})"
        )
        ax.bar_label(bars, labels=[f"{v:.1f}" if v else "" for v in values], fontsize=7, padding=2)
    ax.set_yticks([r + height * (len(group) - 1) / 2 for r in range(len(rows))])
    ax.set_yticklabels([label for _, label in rows])
    ax.invert_yaxis()
    ax.set_xlabel(f"% of {group[0].unit}")
    ax.set_title(f"{group[0].benchmark}: error categories")
    ax.spines[["top", "right"]].set_visible(False)
    top = max((b.share(k) for b in group for k, _ in rows), default=0.0)
    ax.set_xlim(0, max(1.0, top * 1.15))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _png(fig)


def robustness_plot(curves: Mapping[str, Mapping[str, Mapping[str, float]]]) -> bytes:
    """Three panels (TS, PI, CF) over the RoTBench levels, a line per run."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), sharey=True)
    for ax, metric in zip(axes, ("TS", "PI", "CF"), strict=True):
        for i, (run, levels) in enumerate(curves.items()):
            xs = [j for j, lv in enumerate(ROBUSTNESS_LEVELS) if lv in levels]
            ys = [levels[ROBUSTNESS_LEVELS[j]][metric] for j in xs]
            ax.plot(xs, ys, marker="o", color=_PALETTE[i % len(_PALETTE)], label=run)
        ax.set_xlim(-0.3, len(ROBUSTNESS_LEVELS) - 0.7)
        ax.set_xticks(range(len(ROBUSTNESS_LEVELS)))
        ax.set_xticklabels(ROBUSTNESS_LEVELS, fontsize=8)
        ax.set_title(metric)
        ax.grid(axis="y", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel("% (RoTBench first turn)")
    top = max((v[m] for lv in curves.values() for v in lv.values() for m in ("TS", "PI", "CF")), default=0.0)
    axes[0].set_ylim(0, min(100.0, top * 1.1) + 5)
    axes[-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.suptitle(
        "RoTBench robustness: clean \u2192 slight \u2192 medium \u2192 heavy \u2192 union",
        fontsize=10,
        y=1.03,
    )
    return _png(fig)


def all_plots(
    breakdowns: Sequence[Breakdown], curves: Mapping[str, Mapping[str, Mapping[str, float]]]
) -> dict[str, bytes]:
    """File name -> PNG bytes: ``errors_<benchmark>.png`` per benchmark and ``robustness.png``."""
    out = {
        f"errors_{bench}.png": category_bars(group) for bench, group in group_by_benchmark(breakdowns).items()
    }
    if curves:
        out["robustness.png"] = robustness_plot(curves)
    return out


def write_plots(
    out_dir: Path, breakdowns: Sequence[Breakdown], curves: Mapping[str, Mapping[str, Mapping[str, float]]]
) -> list[Path]:
    """Write :func:`all_plots` into ``out_dir``; returns the paths."""
    figures = all_plots(breakdowns, curves)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, data in figures.items():
            (out_dir / name).write_bytes(data)
            paths.append(out_dir / name)
    except OSError as exc:
        raise UsageError(f"cannot write plots to {out_dir}: {exc.strerror or exc}") from None
    return paths
