"""Fetch, import and check the pinned benchmark files (benchmarks/manifest.json).

  tlbench data status [BENCHMARK...]         present / missing / corrupt per file; exit 1 if any is wrong
  tlbench data pull [BENCHMARK...]           download from the pinned upstream commits (sha256-verified)
  tlbench data import DIR [BENCHMARK...]     copy from a local mirror laid out like the data dir

Benchmarks: the families pinned in benchmarks/manifest.json (``Benchmark.family``: toolalpaca, rotbench,
bfcl alias bfcl-v3-exec, tooleyes); none named means all.
Data dir: --data-dir, else $TLBENCH_DATA, else ~/.cache/tlbench/data.
Mirror URL for pull: --base-url, else $TLBENCH_DATA_URL (files are fetched as {base}/{relative path}).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from tlbench import jsonio
from tlbench.cli._common import add_data_dir, resolve_data_dir
from tlbench.errors import DataError

if TYPE_CHECKING:
    from benchmarks.data import TransferReport

HELP = "Fetch, import and check the pinned benchmark data files."


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _add_benchmarks(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "benchmarks",
        nargs="*",
        metavar="BENCHMARK",
        help="benchmark families of benchmarks/manifest.json, e.g. rotbench (default: all)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``status``, ``pull`` and ``import`` sub-subcommands and their options."""
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION")
    add = sub.add_parser

    def add_parser(name: str, help: str) -> argparse.ArgumentParser:
        return add(name, help=help, description=help[0].upper() + help[1:] + ".")

    st = add_parser("status", help="check every file: present / missing / corrupt (exit 1 if any is wrong)")
    _add_benchmarks(st)
    add_data_dir(st)
    st.add_argument("--verbose", "-v", action="store_true", help="list every file, not only the bad ones")
    st.add_argument("--json", action="store_true", help="print one JSON object instead of tables")

    pl = add_parser("pull", help="download missing or corrupt files from the pinned upstream URLs")
    _add_benchmarks(pl)
    add_data_dir(pl)
    pl.add_argument(
        "--base-url",
        default=None,
        help="fetch {BASE_URL}/{relative path} instead of GitHub (default: $TLBENCH_DATA_URL if set)",
    )
    pl.add_argument(
        "--retries",
        type=_non_negative_int,
        default=3,
        help="retries per file on transient errors (default 3)",
    )
    pl.add_argument(
        "--backoff",
        type=_non_negative_float,
        default=1.0,
        help="first retry delay in seconds, doubled each retry (default 1.0)",
    )
    pl.add_argument(
        "--timeout", type=_non_negative_float, default=60.0, help="per-request timeout in seconds"
    )
    pl.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    im = add_parser("import", help="copy files from a local mirror directory, verifying hashes")
    im.add_argument("source", metavar="DIR", type=Path, help="mirror laid out like the data dir")
    _add_benchmarks(im)
    add_data_dir(im)
    im.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(_data_parser=parser)


def run(args: argparse.Namespace) -> int:
    """Dispatch to the chosen action."""
    action = getattr(args, "data_command", None)
    if action is None:
        args._data_parser.print_help(sys.stderr)
        return 2
    return {"status": _status, "pull": _pull, "import": _import}[action](args)


def _status(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from benchmarks.data import FileState, status

    data_dir = resolve_data_dir(args.data_dir)
    results = status(data_dir, args.benchmarks)
    bad = [r for r in results if r.state is not FileState.OK]
    per_bench: dict[str, Counter[str]] = {}
    for r in results:
        per_bench.setdefault(r.file.benchmark, Counter())[r.state.value] += 1
    if args.json:
        doc = {
            "data_dir": str(data_dir),
            "ok": not bad,
            "benchmarks": {b: {s.value: c[s.value] for s in FileState} for b, c in per_bench.items()},
            "files": [
                {
                    "path": r.file.path,
                    "benchmark": r.file.benchmark,
                    "state": r.state.value,
                    "detail": r.detail,
                }
                for r in results
                if args.verbose or r.state is not FileState.OK
            ],
        }
        print(jsonio.dumps(doc, indent=1))
        return 1 if bad else 0
    print(f"data dir: {data_dir}")
    rows = [[b, sum(c.values()), c["ok"], c["missing"], c["corrupt"]] for b, c in per_bench.items()]
    print(tabulate(rows, headers=["benchmark", "files", "ok", "missing", "corrupt"]))
    listed = results if args.verbose else bad
    if listed:
        print()
        print(
            tabulate(
                [[r.file.path, r.state.value, r.detail] for r in listed], headers=["file", "state", "detail"]
            )
        )
    if bad:
        names = " ".join(sorted({r.file.benchmark for r in bad}))
        print(f"\n{len(bad)} of {len(results)} files missing or corrupt; fix with: tlbench data pull {names}")
        return 1
    print(f"\nall {len(results)} files present and verified")
    return 0


def _report(verb: str, report: TransferReport, data_dir: Path) -> int:
    """Failures on stderr, one summary line on stdout; any failure becomes exit 2 (DataError)."""
    for path, why in report.failed:
        print(f"FAILED {path}: {why}", file=sys.stderr)
    print(
        f"{verb} {len(report.done)}, already present {len(report.skipped)}, failed {len(report.failed)}"
        f" (data dir: {data_dir})"
    )
    if report.failed:
        raise DataError(
            f"{len(report.failed)} file(s) could not be {verb}; nothing partial was left in place"
        )
    return 0


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


def _pull(args: argparse.Namespace) -> int:
    from benchmarks.data import pull

    data_dir = resolve_data_dir(args.data_dir)
    report = pull(
        data_dir,
        args.benchmarks,
        base_url=args.base_url,
        retries=args.retries,
        backoff=args.backoff,
        timeout=args.timeout,
        progress=_show_progress(args),
    )
    return _report("pulled", report, data_dir)


def _import(args: argparse.Namespace) -> int:
    from benchmarks.data import import_dir

    data_dir = resolve_data_dir(args.data_dir)
    report = import_dir(args.source, data_dir, args.benchmarks, progress=_show_progress(args))
    return _report("imported", report, data_dir)
