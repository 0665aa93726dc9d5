"""Judge model outputs with the shared classifier and the IRM reward.

  tlbench classify [FILE|-] [--out FILE] [--format FMT] [--wildcard TEXT]

Input: JSON Lines, one object per line::

  {"output": "<model text>", "format": "react", "tools": [...], "gold": [...]}

``tools``: OpenAI-style / RoTBench / BFCL docs (a list), a ToolAlpaca item, or Python ``def`` stubs (text).
``gold`` (optional): a call ``{"name", "arguments"}``, a list of calls (any one is acceptable), a list of
lists (alternatives of parallel calls), or gold text in the output format. ``format`` defaults to --format.

Output: one JSON line per input line, ``{"line", "calls", "final_answer", "verdict", "reward"}``; a line that
cannot be read gives ``{"line", "error"}`` and the run goes on. Blank lines are skipped.
Exit status: 0 when every line was judged, 1 when some lines were error records, 2 on a usage error
(e.g. the input file does not exist).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from tlbench import jsonio
from tlbench.errors import TlbenchError, UsageError

HELP = "Classify tool-call outputs (JSONL in, JSONL out) with the shared classifier and IRM reward."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``[FILE|-] [--out FILE] [--format FMT] [--wildcard TEXT]``."""
    from tlbench.parsers import PARSERS

    parser.add_argument(
        "input", nargs="?", default="-", metavar="FILE", help="JSONL input file, or '-' for stdin (default)"
    )
    parser.add_argument("--out", default="-", metavar="FILE", help="JSONL output file (default: stdout)")
    parser.add_argument(
        "--format",
        dest="default_format",
        default="react",
        metavar="FMT",
        help="output format for lines without a 'format' field "
        f"({', '.join(PARSERS.names())}; default: react)",
    )
    parser.add_argument(
        "--wildcard",
        default=None,
        metavar="TEXT",
        help="a gold value equal to TEXT accepts any predicted value (RoTBench uses 'None')",
    )


def judge_line(record: Any, default_format: str, wildcard: str | None = None) -> dict[str, Any]:
    """Judge one decoded JSONL record; raises ValueError/TypeError/TlbenchError for a bad record."""
    from tlbench.classify import classify, gold_alternatives
    from tlbench.docs import docs_from_any
    from tlbench.parsers import parse
    from tlbench.reward import irm_reward

    if not isinstance(record, dict):
        raise ValueError("a line must be a JSON object")
    if "output" not in record:
        raise ValueError("missing 'output'")
    output = record["output"]
    if not isinstance(output, str | dict):
        raise ValueError("'output' must be a string (or an OpenAI message object)")
    fmt = record.get("format") or default_format
    if not isinstance(fmt, str):
        raise ValueError("'format' must be a string")
    docs = docs_from_any(record.get("tools") or [])
    alts = gold_alternatives(record.get("gold"), fmt, docs)
    result = parse(output, fmt, list(docs))
    verdict = classify(result, docs, alts, wildcard=wildcard)
    return {
        "calls": [c.to_dict() for c in result.calls],
        "final_answer": result.final_answer,
        "failure": None if result.failure is None else result.failure.reason,
        "verdict": verdict.to_dict(),
        "reward": irm_reward(verdict),
    }


def classify_lines(
    lines: Iterable[str], default_format: str, wildcard: str | None = None
) -> Iterator[dict[str, Any]]:
    """One output record per non-blank input line (1-based ``line``); bad lines become error records."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = jsonio.parse(line)
        except ValueError as exc:
            yield {"line": number, "error": f"not JSON: {exc}"}
            continue
        try:
            yield {"line": number, **judge_line(record, default_format, wildcard)}
        except (ValueError, TypeError, KeyError, TlbenchError) as exc:
            yield {"line": number, "error": str(exc) or type(exc).__name__}
        except RecursionError:
            yield {"line": number, "error": "input nested too deeply"}


def _open_input(name: str) -> IO[str]:
    if name == "-":
        return sys.stdin
    path = Path(name)
    if not path.is_file():
        raise UsageError(f"input file not found: {name}")
    try:
        return path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    """Stream the input, write one JSON line per record, return 0 (all judged) or 1 (some error records)."""
    source = _open_input(args.input)
    try:
        sink: IO[str] = sys.stdout if args.out == "-" else Path(args.out).open("w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    errors = 0
    try:
        for out in classify_lines(source, args.default_format, args.wildcard):
            errors += "error" in out
            sink.write(jsonio.dumps(out, default=str) + "\n")
    finally:
        if source is not sys.stdin:
            source.close()
        if sink is not sys.stdout:
            sink.close()
    return 1 if errors else 0
