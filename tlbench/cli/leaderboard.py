"""Render leaderboard tables from run directories, shaped like the TL-Training paper's Tables 3, 4 and 5.

  tlbench leaderboard RUN_DIR... [--format table|markdown|csv|latex|html|json] [--with-paper]
                      [--name NAME]... [--table 3|4|5]... [--baseline NAME] [--out FILE]
  tlbench leaderboard --with-paper [--table 3|4|5]... [--format ...]     the paper's tables alone

Table 3: ToolAlpaca, RoTBench (first turn, clean) and BFCL-v3 exec x TS / PI / CF. Table 4: ToolEyes DE,
CE (lower is better) and VA. Table 5 (ablations): ToolAlpaca, RoTBench and ToolEyes. One row per run
(named from its manifest, or by --name in order), an Avg row, the best value per column in bold (lowest
for DE/CE). HTML cells are coloured green (better) or red (worse) than the Avg row, or than --baseline,
darker for larger gaps (4 levels, relative to the largest gap in the column). Without --table, every table
with at least one value is shown. --with-paper adds the paper's published rows from the package data
file, which names the source table of each row and stores only sourced values.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tlbench.errors import UsageError

HELP = "Render leaderboard tables (paper Tables 3/4/5) from run directories."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the contract in the module docstring."""
    from tlbench.report.render import FORMATS

    parser.add_argument(
        "runs", nargs="*", type=Path, metavar="RUN_DIR", help="run directories (none: --with-paper alone)"
    )
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="table", help="output format")
    parser.add_argument("--with-paper", action="store_true", help="add the paper's published rows")
    parser.add_argument(
        "--name", action="append", default=[], metavar="NAME", help="row name of each run, in order"
    )
    parser.add_argument(
        "--table", action="append", choices=("3", "4", "5"), default=None, help="only these tables"
    )
    parser.add_argument("--baseline", metavar="NAME", help="colour cells against this row, not the Avg")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of stdout")


def run(args: argparse.Namespace) -> int:
    """Load the runs, build and render the tables."""
    from tlbench.report.paper import paper_note, paper_rows
    from tlbench.report.render import render
    from tlbench.report.runs import load_runs
    from tlbench.report.tables import build_tables, table_specs

    if not args.runs and not args.with_paper:
        raise UsageError("give RUN_DIR... (or --with-paper alone for the paper's published tables)")
    runs = load_runs(args.runs, args.name)
    for r in runs:
        for warning in r.warnings:
            print(f"tlbench leaderboard: warning: {warning}", file=sys.stderr)
    extra = paper_rows() if args.with_paper else None
    if args.with_paper and not any(extra.values()):
        print(f"tlbench leaderboard: note: no published rows stored. {paper_note()}", file=sys.stderr)
    tables = build_tables(
        runs, keys=args.table, paper_rows=extra, baseline=args.baseline, keep_empty=not runs
    )
    if not tables:
        benches = dict.fromkeys(c.benchmark for spec in table_specs().values() for c in spec.columns)
        raise UsageError(
            f"none of the runs has a benchmark of Tables 3-5 ({', '.join(benches)}); "
            "use --table to show empty tables"
        )
    text = render(tables, args.fmt)
    if args.out is not None:
        try:
            args.out.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    else:
        print(text)
    return 0
