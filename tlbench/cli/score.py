"""Score saved predictions on a benchmark, or generate with a model and score it on many.

  tlbench score --predictions FILE --benchmark NAME [--mode upstream|fixed]
                [--format NAME] [--json] [--out DIR] [--data-dir DIR]
  tlbench score --model PATH|smollm2-135m [--backend auto|NAME]
                [--prompt-format auto|NAME] [--benchmarks all|NAME,...] [--limit N] [--mode upstream|fixed]
                [--out DIR] [--no-cache] [--batch-size N] [--max-batch-tokens N] [--prefix-cache-mb N]
                [--max-new-tokens N] [--dtype auto|float32|bfloat16]
                [--episode-schedule auto|lockstep|independent]
                [--name NAME] [--base-url URL] [--engine-arg KEY=VALUE ...] [--allow-tool-less-template]
                [--data-dir DIR]

Names: every registered benchmark (``benchmarks.NAMES``, e.g. rotbench-first-clean, bfcl-v3-exec, tooleyes);
an unknown name lists them all. ``--benchmarks all`` runs every one that is not a split of another.

FILE is JSON Lines ``{"index"?: int, "id"?: str, "output": str}``; ``index`` (position in the benchmark
file) wins over ``id``; a line with neither is matched by its position. A missing item counts as wrong and
is listed; a duplicate or unknown id/index, or a malformed line, is an error (file:line, exit 2). For an
episodic benchmark (``tooleyes``) FILE holds episode transcripts (see ``benchmarks/tooleyes``).

``--json`` prints one object: ``summary`` (the benchmark's headline metrics as percentages with two
decimals: TS/PI/CF and ``parse_failure_rate``, ``exec_accuracy`` for BFCL, DE/CE/VA for ToolEyes),
``per_scenario``, ``ci95`` (seeded bootstrap) and ``items`` (per-item ``id``, ``index``, ``ts``, ``pi``,
``cf``, ``correct``, ``exec``, parsed ``calls``, classifier ``categories``). Without it a small table is
printed. ``--out DIR`` writes
``DIR/results.json`` (everything but the items) and ``DIR/items.jsonl``.

``--model`` generates with the model (a local HF folder, a GGUF file, the built-in ``smollm2-135m``, or a
server model name with ``--backend openai --base-url URL``), scores every benchmark of ``--benchmarks`` and
writes the run directory of ``docs/formats.md`` to ``--out`` (default ``runs/<name>-<UTC time>``): manifest,
and per benchmark results.json / items.jsonl / predictions.jsonl. Progress (items/s, tokens/s) goes to
stderr; the run's leaderboard row is printed at the end. Generations are cached (SQLite, written as each
batch finishes) so a killed run re-run with the same command regenerates nothing that was done;
``--no-cache`` bypasses the cache. See :mod:`tlbench.runner`.

An item whose generation failed for an infrastructure reason (HTTP error, lost connection, time-out,
backend exception) has no model output: it is not scored (left out of numerator and denominator), it is
listed in ``<benchmark>/failed.jsonl`` and counted in the manifest's ``infra_failures``, and the run ends
with status ``incomplete``: one line on stderr gives the count and the first error, and the exit code is 3.
Re-running the same command asks again for those items only (the others come from the cache).

``--dtype auto`` is resolved once for every local backend (bf16 where the CPU/GPU has native bf16, else
fp32) and the manifest records the dtype that ran. The ``openai`` and ``chat-template`` prompt formats leave
the function docs to the chat template; a run whose template ignores ``tools`` is refused (exit 2) unless
``--allow-tool-less-template`` is given (then it warns and records the warning in the manifest). The
backend is closed however the run ends (SIGTERM included), so a vLLM engine never outlives the command.

Exit codes: 0 done, 2 usage or data error, 3 incomplete (infrastructure failures; re-run to retry them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.cli._common import add_data_dir, backend_choices, parser_choices, resolve_data_dir
from tlbench.errors import EXIT_INCOMPLETE, UsageError

HELP = (
    "Score saved predictions (JSONL) on a benchmark: TS/PI/CF, exec accuracy, DE/CE/VA, with bootstrap CIs."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the contract in the module docstring (names offered come from the registries)."""
    parser.add_argument("--predictions", type=Path, metavar="FILE", help="JSONL predictions or transcripts")
    parser.add_argument("--benchmark", metavar="NAME", help="benchmark name, e.g. rotbench-first-clean")
    parser.add_argument(
        "--mode",
        choices=("upstream", "fixed"),
        default="upstream",
        help="upstream: the official scorer, quirks included (default); fixed: quirks repaired",
    )
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=parser_choices(),
        default=None,
        help="output format of the predictions (default: the benchmark's own)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write results.json and items.jsonl here")
    parser.add_argument(
        "--model",
        metavar="MODEL",
        help="generate with MODEL (HF folder, .gguf, smollm2-135m, or a server model name), then score",
    )
    parser.add_argument(
        "--backend",
        default="auto",
        choices=backend_choices(),
        help="auto: vllm if importable and a GPU is present, else transformers",
    )
    parser.add_argument(
        "--prompt-format",
        default="auto",
        metavar="NAME",
        help="auto (default: the benchmark's own ReAct prompt where its items carry one, as RoTBench's "
        "and ToolEyes' do; the model's format otherwise) or a tlbench.prompts format name",
    )
    parser.add_argument(
        "--benchmarks", default="all", metavar="LIST", help="'all' (default) or comma-separated names"
    )
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="first N items per benchmark")
    parser.add_argument("--no-cache", action="store_true", help="bypass the generation cache")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=8,
        metavar="N",
        help="generation batch; servers: requests in flight (default 8)",
    )
    parser.add_argument(
        "--max-batch-tokens",
        type=int,
        default=8192,
        metavar="N",
        help="transformers: rows x longest prompt per batch at most N (default 8192; 0: no cap); a prompt "
        "continuing a stored prefix counts only its tokens still to encode",
    )
    parser.add_argument(
        "--prefix-cache-mb",
        type=int,
        default=2048,
        metavar="N",
        help="transformers: MiB of keys/values kept to reuse shared prompt prefixes, e.g. the earlier "
        "rounds of an episode (default 2048; 0: off)",
    )
    parser.add_argument(
        "--max-new-tokens", type=int, default=128, metavar="N", help="per generation (default 128)"
    )
    parser.add_argument(
        "--dtype", default="auto", choices=("auto", "float32", "bfloat16", "float16"), help="local models"
    )
    parser.add_argument(
        "--episode-schedule",
        default="auto",
        choices=("auto", "lockstep", "independent"),
        help="episodes (ToolEyes): lockstep = rounds of one batch call; independent = each episode's next "
        "request as soon as its tools answered, at most --batch-size in flight; auto (default): "
        "independent for openai and vllm, lockstep for transformers",
    )
    parser.add_argument("--name", default=None, help="run name (default: the model's name)")
    tools = parser.add_mutually_exclusive_group()
    tools.add_argument(
        "--record",
        type=Path,
        metavar="DB",
        help="episodes: store every simulated tool outcome in DB (SQLite)",
    )
    tools.add_argument(
        "--replay",
        type=Path,
        metavar="DB",
        help="episodes: serve tool outcomes only from DB (a miss is a 'not recorded' feedback)",
    )
    parser.add_argument("--base-url", default=None, help="OpenAI-compatible server URL (--backend openai)")
    parser.add_argument(
        "--engine-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="vLLM engine argument, repeatable (e.g. tensor_parallel_size=2, enable_prefix_caching=true); "
        "VALUE is read as JSON when it parses, else kept as text",
    )
    parser.add_argument(
        "--allow-tool-less-template",
        action="store_true",
        help="run even when the chat template that should show the tools (prompt formats openai and "
        "chat-template) ignores them; by default such a run is refused",
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    """Load, match, score, aggregate, report."""
    if args.model is not None:
        return _run_model(args)
    if args.predictions is None or not args.benchmark:
        raise UsageError("give --predictions FILE and --benchmark NAME")
    stray = _model_only_options(args)
    if stray:
        raise UsageError(
            f"{', '.join(stray)} only apply with --model; scoring saved predictions reads them with --format "
            "and scores every item of the benchmark (a missing prediction counts as wrong)"
        )
    if args.resamples < 1:
        raise UsageError("--resamples must be >= 1")
    from benchmarks.predictions import score_predictions

    result = score_predictions(
        args.benchmark,
        args.predictions,
        resolve_data_dir(args.data_dir),
        mode=args.mode,
        fmt=args.fmt,
        resamples=args.resamples,
        seed=args.seed,
    )
    for warning in result.get("load_warnings", []):
        print(f"tlbench score: warning: {warning}", file=sys.stderr)
    if args.out is not None:
        _write_out(args.out, result)
    if args.json:
        sys.stdout.write(jsonio.dumps(result))
        sys.stdout.write("\n")
    else:
        print(_tables(result))
    return 0


#: Options of ``--model`` runs and their defaults: set with ``--predictions``, they would be silently ignored.
_MODEL_ONLY: dict[str, tuple[str, Any]] = {
    "backend": ("--backend", "auto"),
    "prompt_format": ("--prompt-format", "auto"),
    "benchmarks": ("--benchmarks", "all"),
    "limit": ("--limit", None),
    "no_cache": ("--no-cache", False),
    "batch_size": ("--batch-size", 8),
    "max_batch_tokens": ("--max-batch-tokens", 8192),
    "prefix_cache_mb": ("--prefix-cache-mb", 2048),
    "max_new_tokens": ("--max-new-tokens", 128),
    "dtype": ("--dtype", "auto"),
    "episode_schedule": ("--episode-schedule", "auto"),
    "name": ("--name", None),
    "record": ("--record", None),
    "replay": ("--replay", None),
    "base_url": ("--base-url", None),
    "engine_arg": ("--engine-arg", []),
    "allow_tool_less_template": ("--allow-tool-less-template", False),
}


def _model_only_options(args: argparse.Namespace) -> list[str]:
    """The ``--model``-only options given on a ``--predictions`` command line."""
    return [flag for dest, (flag, default) in _MODEL_ONLY.items() if getattr(args, dest, default) != default]


def _write_out(out: Path, result: dict[str, Any]) -> None:
    """``DIR/results.json`` (everything but the items) and ``DIR/items.jsonl``, by the runner's writer."""
    from tlbench.run.results import write_results

    try:
        head = {k: v for k, v in result.items() if k != "items"}
        write_results(out, head, result["items"])
    except OSError as exc:
        raise UsageError(f"cannot write to {out}: {exc.strerror or exc}") from None


def _fmt(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _tables(result: dict[str, Any]) -> str:
    from tabulate import tabulate

    summary = result["summary"]
    ci = result.get("ci95", {})
    head = f"{result['benchmark']} ({result['mode']} mode, {summary.get('n', 0)} items)"
    rows = []
    for key, value in summary.items():
        interval = ci.get(key)
        rows.append([key, _fmt(value), "" if interval is None else f"[{interval[0]:.2f}, {interval[1]:.2f}]"])
    parts = [head, tabulate(rows, headers=["metric", "value", "95% CI"], tablefmt="simple")]
    per = result.get("per_scenario") or {}
    if per:
        keys = [k for k in next(iter(per.values())) if k != "n"]
        table = [[name, row.get("n", ""), *(_fmt(row.get(k, "")) for k in keys)] for name, row in per.items()]
        parts.append(tabulate(table, headers=["scenario", "n", *keys], tablefmt="simple"))
    missing = result.get("missing_ids") or []
    if missing:
        shown = ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else "")
        parts.append(f"missing predictions ({len(missing)}, counted as wrong): {shown}")
    return "\n\n".join(parts)


def _run_model(args: argparse.Namespace) -> int:
    """``--model``: generate, score, write the run dir, print the run's table."""
    from tlbench.runner import RunConfig, default_out, expand_benchmarks, run, run_table

    if args.predictions is not None:
        raise UsageError("give either --model or --predictions, not both")
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be >= 1")
    if args.batch_size < 1 or args.max_new_tokens < 1:
        raise UsageError("--batch-size and --max-new-tokens must be >= 1")
    if args.prefix_cache_mb < 0:
        raise UsageError("--prefix-cache-mb must be >= 0 (0 turns prefix reuse off)")
    if args.max_batch_tokens < 0:
        raise UsageError("--max-batch-tokens must be >= 0 (0: no cap)")
    if args.resamples < 1:
        raise UsageError("--resamples must be >= 1")
    if args.replay is not None and not args.replay.is_file():
        raise UsageError(f"tool replay store not found: {args.replay}")
    benchmarks = expand_benchmarks(args.benchmark or args.benchmarks)
    name = args.name or Path(str(args.model)).name
    out = args.out or default_out(name)
    data_dir = resolve_data_dir(args.data_dir)
    if not data_dir.is_dir():
        raise UsageError(f"benchmark data not found in {data_dir} (use --data-dir or $TLBENCH_DATA)")
    cfg = RunConfig(
        model=str(args.model),
        out=out,
        data_dir=data_dir,
        benchmarks=benchmarks,
        backend=args.backend,
        prompt_format=args.prompt_format,
        limit=args.limit,
        mode=args.mode,
        use_cache=not args.no_cache,
        batch_size=args.batch_size,
        max_batch_tokens=args.max_batch_tokens or None,
        prefix_cache_mb=args.prefix_cache_mb,
        max_new_tokens=args.max_new_tokens,
        dtype=args.dtype,
        name=name,
        seed=args.seed,
        base_url=args.base_url,
        resamples=args.resamples,
        engine_args=_engine_args(args.engine_arg),
        tools="replay" if args.replay else "record" if args.record else "simulate",
        tools_store=args.replay or args.record,
        episode_schedule=args.episode_schedule,
        allow_tool_less_template=args.allow_tool_less_template,
    )
    manifest = run(cfg)  # it closes the backend in a finally, SIGTERM included (tlbench.errors.Terminated)
    if args.json:
        sys.stdout.write(jsonio.dumps(manifest))
        sys.stdout.write("\n")
    else:
        print(run_table(out))
    if manifest.get("status") != "incomplete":
        return 0
    infra = manifest.get("infra_failures") or {}
    print(  # the runner printed the hint (if any) when the first failure happened
        f"tlbench score: incomplete: {infra.get('count')} of {infra.get('n_items')} items failed for "
        f"infrastructure reasons and are not scored (first error: {infra.get('first_error')}); "
        "re-run the same command to retry only those items",
        file=sys.stderr,
    )
    return EXIT_INCOMPLETE


def _engine_args(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings -> a dict (VALUE as JSON when it parses: numbers, true/false, null)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--engine-arg {pair!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = jsonio.parse(value)
        except ValueError:
            out[key.strip()] = value
    return out
