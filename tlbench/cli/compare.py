"""Compare two runs: per benchmark and metric, B - A with a paired bootstrap 95% interval and McNemar's test.

  tlbench compare RUN_A RUN_B [--benchmark NAME]... [--resamples N] [--seed S] [--json]

Items are paired by their index in the benchmark file. Single-turn benchmarks: TS, PI, CF (and exec for
BFCL's executable items), each with the exact McNemar p-value on the item-level booleans (b: right in A
only, c: right in B only). ToolEyes: DE and CE (pooled per call attempt; lower is better, so a negative
difference is a gain) with a bootstrap over episodes, and VA with McNemar. Differences are percentage
points; the interval is the 2.5/97.5 percentile of the difference over resampled item sets (the same
sets for both runs). A gain is supported when the interval excludes 0 and p < 0.05. A run that ended
incomplete (items not scored because their generation failed) is marked "(incomplete)"; its unscored items
are left out of the pairs, with a warning.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tlbench import jsonio
from tlbench.errors import UsageError

HELP = "Compare two runs: differences with paired bootstrap CIs and exact McNemar tests."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the contract in the module docstring."""
    parser.add_argument("run_a", type=Path, metavar="RUN_A", help="the reference run directory")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="the run compared with it")
    parser.add_argument("--benchmark", action="append", default=None, metavar="NAME", help="only these")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _fmt_p(p: float | None) -> str:
    if p is None:
        return "-"
    return f"{p:.2e}" if p < 1e-3 else f"{p:.4f}"


def run(args: argparse.Namespace) -> int:
    """Load both runs, compare, print."""
    from tlbench.report.compare import compare_runs
    from tlbench.report.runs import load_runs

    if args.resamples < 1:
        raise UsageError("--resamples must be >= 1")
    run_a, run_b = load_runs([args.run_a, args.run_b])
    rows, warnings = compare_runs(run_a, run_b, args.benchmark, args.resamples, args.seed)
    for w in [*run_a.warnings, *run_b.warnings, *run_a.item_warnings, *run_b.item_warnings, *warnings]:
        print(f"tlbench compare: warning: {w}", file=sys.stderr)
    if not rows:
        raise UsageError(f"{run_a.name} and {run_b.name} share no scored benchmark with item records")
    if args.json:
        out = {"A": run_a.name, "B": run_b.name, "resamples": args.resamples, "seed": args.seed}
        out["not_scored"] = {"A": run_a.failed_items(), "B": run_b.failed_items()}
        out["comparisons"] = [r.to_dict() for r in rows]
        print(jsonio.dumps(out))
        return 0
    from tabulate import tabulate

    table = []
    for r in rows:
        gain = -r.diff if r.lower_is_better else r.diff
        lo, hi = r.ci
        significant = (lo > 0 or hi < 0) and (r.p_value is None or r.p_value < 0.05)
        mark = ("better" if gain > 0 else "worse") if significant else ""
        metric = r.metric + (" ↓" if r.lower_is_better else "")
        discordant = "-" if r.only_a is None else f"{r.only_a}/{r.only_b}"
        table.append(
            [
                r.benchmark,
                metric,
                r.n,
                f"{r.a:.2f}",
                f"{r.b_value:.2f}",
                f"{r.diff:+.2f}",
                f"[{lo:+.2f}, {hi:+.2f}]",
                discordant,
                _fmt_p(r.p_value),
                mark,
            ]
        )
    headers = ["benchmark", "metric", "n", "A", "B", "B-A", "95% CI", "A-only/B-only", "McNemar p", "B is"]
    from tlbench.report.tables import INCOMPLETE

    names = [r.name + (INCOMPLETE if r.failed_items() else "") for r in (run_a, run_b)]
    print(
        f"A = {names[0]}   B = {names[1]}   (paired bootstrap: {args.resamples} resamples, seed {args.seed})"
    )
    print(tabulate(table, headers=headers, tablefmt="simple", disable_numparse=True))
    return 0
