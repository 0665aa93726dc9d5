"""Error analysis of runs: the paper's Table 1 / Figure 3 breakdown, RoTBench robustness, and plots.

  tlbench analyze RUN_DIR... [--benchmark NAME]... [--plots DIR] [--json] [--data-dir DIR]

For each run and benchmark, the share of items (single-turn) or call attempts (ToolEyes episodes) in each
category of the shared classifier, as stored in items.jsonl: format error, tool hallucination, wrong tool
(first token differs vs shared prefix), parameter hallucination, missing / redundant parameter, type
mismatch, content error (synonym, i.e. equal after normalising, vs other), and the execution categories
(tool call failure, instability, other). Sub-types need the gold: it is read from the benchmark data
(--data-dir, else $TLBENCH_DATA) or from the items' own "gold" key. The robustness table lists TS/PI/CF
over RoTBench clean -> slight -> medium -> heavy -> union for every run that scored those sets.
--plots DIR writes PNG figures (needs matplotlib: pip install 'tlbench[plot]'): one category bar chart
per benchmark (one bar group per run) and robustness.png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tlbench import jsonio
from tlbench.cli._common import add_data_dir, resolve_data_dir
from tlbench.errors import UsageError

HELP = "Error breakdown (paper Table 1 / Fig. 3), RoTBench robustness curves and plots for runs."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the contract in the module docstring."""
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR", help="run directories")
    parser.add_argument("--benchmark", action="append", default=None, metavar="NAME", help="only these")
    parser.add_argument("--name", action="append", default=[], metavar="NAME", help="run names, in order")
    parser.add_argument("--plots", type=Path, metavar="DIR", help="write PNG plots into DIR")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    """Load, break down, print (and plot)."""
    from tlbench.report.analysis import analyze_run, robustness
    from tlbench.report.analysis_text import breakdown_tables, robustness_table
    from tlbench.report.runs import load_runs

    runs = load_runs(args.runs, args.name)
    data_dir = resolve_data_dir(args.data_dir)
    breakdowns = [b for r in runs for b in analyze_run(r, args.benchmark, data_dir)]
    curves = robustness(runs)
    for r in runs:
        for w in [*r.warnings, *r.item_warnings]:
            print(f"tlbench analyze: warning: {w}", file=sys.stderr)
    if not breakdowns:
        raise UsageError("no scored benchmark found in the given run directories")
    written: list[str] = []
    if args.plots is not None:
        from tlbench.report.plots import write_plots

        written = [str(p) for p in write_plots(args.plots, breakdowns, curves)]
    if args.json:
        out = {"breakdowns": [b.to_dict() for b in breakdowns], "robustness": curves, "plots": written}
        print(jsonio.dumps(out))
        return 0
    print(breakdown_tables(breakdowns))
    if curves:
        print()
        print(robustness_table(curves))
    for path in written:
        print(f"wrote {path}")
    return 0
