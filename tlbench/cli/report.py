"""Write a self-contained static HTML report of one or more runs.

  tlbench report RUN_DIR... --out DIR [--name NAME]... [--baseline NAME] [--data-dir DIR]

DIR/index.html opens in any browser without a server or network: CSS, JavaScript, the plots (PNG) and the
data (JSON) are all inside the file. It holds the leaderboard tables (paper Tables 3/4/5), every run's
scores, each run compared with the first (as 'tlbench compare'), the error breakdown and robustness
plots (when matplotlib is installed), and an item browser: filter by run,
benchmark, scenario, correctness and error category; open an item to see its prompt, raw output, parsed
calls, gold calls, per-turn tools_env feedback and the verdict. Items render one page at a time, so runs
with thousands of items stay responsive.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tlbench.cli._common import add_data_dir, resolve_data_dir

HELP = "Write a self-contained static HTML report (tables, plots, item browser) for runs."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the contract in the module docstring."""
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR", help="run directories")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (index.html)")
    parser.add_argument("--name", action="append", default=[], metavar="NAME", help="run names, in order")
    parser.add_argument("--baseline", metavar="NAME", help="colour the tables against this run")
    add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    """Build and write the report."""
    from tlbench.report.html import write_report
    from tlbench.report.runs import load_runs

    runs = load_runs(args.runs, args.name)
    path, stats = write_report(
        runs, args.out, baseline=args.baseline, data_dir=resolve_data_dir(args.data_dir)
    )
    for r in runs:
        for w in [*r.warnings, *r.item_warnings]:
            print(f"tlbench report: warning: {w}", file=sys.stderr)
    for note in stats.get("notes", []):
        print(f"tlbench report: note: {note}", file=sys.stderr)
    print(f"wrote {path} ({stats['items']} items, {stats['plots']} plots, {stats['bytes'] / 1e6:.2f} MB)")
    return 0
