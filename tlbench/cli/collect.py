"""Run a model through tools_env on tasks and record trajectories, or import existing data as trajectories.

  tlbench collect --model M --tasks SOURCE --out FILE [--backend auto|NAME]
                  [--base-url URL] [--prompt-format auto|NAME] [--limit N] [--seed S] [--batch-size N]
                  [--max-new-tokens N] [--temperature T] [--max-generations N] [--no-cache]
                  [--max-tools N] [--dump-tasks FILE] [--task-base-url URL --task-model NAME]
                  [--allow-tool-less-template] [--data-dir DIR]
  tlbench collect --import FORMAT FILE --out FILE [--data-dir DIR]

SOURCE: ``synthetic`` / ``synthetic:train`` (default split) or ``synthetic:heldout`` (deterministic tasks over
the ToolEyes tool library with near-miss tool names), ``llm[:SPLIT]`` (tasks written by the model at
``--task-base-url``/``--task-model``, an OpenAI-compatible endpoint), or a tasks JSONL file (as written by
``--dump-tasks``). ``--limit`` is the number of tasks (default 100).

One trajectory (docs/formats.md) is appended to FILE per finished episode (fsync per record). Re-running
the same command after a kill resumes: ids already in FILE are skipped and the generation cache replays
finished turns. ``--backend mock --model oracle|noisy`` is a scripted teacher (gold calls; ``noisy`` adds
seeded mistakes), for tests and pipelines without a model.

``--import FORMAT FILE`` converts existing data: ``tl-training`` (the TL-Training raw data JSON),
``sharegpt`` (ShareGPT / ToolLLaMA conversations), ``openai`` (OpenAI-messages JSONL); every assistant turn is
labelled from its feedback text by the shared classifier.

Both write ``FILE.decontam.json`` (tool-name and query n-gram overlap with the four test sets) and print a
short summary.

An episode whose generation failed for an infrastructure reason (server error, lost connection, time-out,
backend crash) is not written: no turn of it is labelled as a model error. The summary counts such episodes
(``infra_failures``), one line on stderr names the count and the first error, and the exit code is 3;
re-running the same command collects them (written episodes are skipped). A task server (``--tasks llm``)
that fails stops the command before any episode, also with exit code 3.

Exit codes: 0 done, 2 usage or data error, 3 incomplete (infrastructure failures; re-run to retry them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.cli._common import add_data_dir, backend_choices, resolve_data_dir
from tlbench.errors import EXIT_INCOMPLETE, UsageError

HELP = "Run a model through tools_env on tasks (or import data) and record trajectories."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the contract in the module docstring (backend names come from the registry)."""
    parser.add_argument(
        "--model", metavar="M", help="HF folder, .gguf, smollm2-135m, server model, or mock name"
    )
    parser.add_argument(
        "--tasks", metavar="SOURCE", help="synthetic[:train|heldout], llm[:SPLIT] or a tasks JSONL"
    )
    parser.add_argument("--out", type=Path, metavar="FILE", help="trajectory JSONL to append to")
    parser.add_argument(
        "--import",
        dest="import_",
        nargs=2,
        metavar=("FORMAT", "FILE"),
        help="convert existing data (tl-training, sharegpt, openai) instead of running a model",
    )
    parser.add_argument(
        "--backend",
        default="auto",
        choices=backend_choices(),
        help="auto: vllm if importable and a GPU is present, else transformers; mock: scripted teacher",
    )
    parser.add_argument("--base-url", default=None, help="OpenAI-compatible server URL (--backend openai)")
    parser.add_argument(
        "--prompt-format", default="auto", metavar="NAME", help="auto or a tlbench.prompts format"
    )
    parser.add_argument("--limit", type=int, default=100, metavar="N", help="number of tasks (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="task and sampling seed (default 0)")
    parser.add_argument(
        "--batch-size", type=int, default=8, metavar="N", help="episodes per batch (default 8)"
    )
    parser.add_argument("--max-new-tokens", type=int, default=256, metavar="N", help="per generation (256)")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    parser.add_argument("--max-generations", type=int, default=9, metavar="N", help="per episode (default 9)")
    parser.add_argument("--no-cache", action="store_true", help="bypass the generation cache")
    parser.add_argument(
        "--dtype", default="auto", choices=("auto", "float32", "bfloat16", "float16"), help="local models"
    )
    parser.add_argument(
        "--max-tools", type=int, default=None, metavar="N", help="synthetic tasks: at most N tools per prompt"
    )
    parser.add_argument("--dump-tasks", type=Path, metavar="FILE", help="also write the tasks as JSONL")
    parser.add_argument("--task-base-url", default=None, help="endpoint that writes tasks (--tasks llm)")
    parser.add_argument("--task-model", default=None, help="model name at --task-base-url")
    parser.add_argument("--no-decontam", action="store_true", help="skip the decontamination report")
    parser.add_argument(
        "--allow-tool-less-template",
        action="store_true",
        help="run even when the chat template that should show the tools (prompt formats openai and "
        "chat-template) ignores them; by default such a run is refused",
    )
    add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    """Collect or import, then write the decontamination report."""
    if args.out is None:
        raise UsageError("give --out FILE")
    if args.out.exists() and args.out.is_dir():
        raise UsageError(f"--out {args.out} is a directory; give a .jsonl file")
    data_dir = resolve_data_dir(args.data_dir)
    if args.import_:
        summary = _import(args)
    else:
        summary = _collect(args, data_dir)
    print(jsonio.dumps(summary))
    if not args.no_decontam:
        from training.decontam import summary_lines, write_report

        path, rep = write_report(args.out, data_dir)
        for line in summary_lines(rep):
            print(line)
        print(f"report: {path}")
    infra = summary.get("infra_failures") or {}
    if not infra.get("count"):
        return 0
    print(
        f"tlbench collect: incomplete: {infra['count']} episode(s) not written because a generation failed "
        f"for an infrastructure reason (first error: {infra.get('first_error')}); re-run the same command "
        "to collect them",
        file=sys.stderr,
    )
    return EXIT_INCOMPLETE


def _import(args: argparse.Namespace) -> dict[str, Any]:
    from training.importers import import_file

    fmt, src = args.import_
    stats = import_file(fmt, Path(src), args.out)
    return {"import": fmt, "file": src, "out": str(args.out), **stats}


def _collect(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    if not args.model or not args.tasks:
        raise UsageError("give --model M and --tasks SOURCE (or --import FORMAT FILE)")
    if args.limit < 1 or args.batch_size < 1 or args.max_new_tokens < 1 or args.max_generations < 1:
        raise UsageError("--limit, --batch-size, --max-new-tokens and --max-generations must be >= 1")
    from tlbench.backends import close_backend
    from tlbench.prompts import get_format
    from training.tasks import load_tasks, write_tasks

    if args.prompt_format != "auto":
        get_format(args.prompt_format)  # UsageError with suggestions, before any model is loaded

    llm = {"base_url": args.task_base_url, "model": args.task_model}
    tasks = load_tasks(
        args.tasks, n=args.limit, seed=args.seed, data_dir=data_dir, llm=llm, max_tools=args.max_tools
    )
    if args.dump_tasks is not None:
        write_tasks(args.dump_tasks, tasks)
    replies: dict[str, str] = {}
    backend, kind, tokenizer, fmt, budget, cache = _backend(args, replies)
    try:  # SIGTERM arrives as tlbench.errors.Terminated (see tlbench.cli), so this runs then too
        stats = _collect_with(args, tasks, backend, kind, tokenizer, fmt, budget, replies)
    finally:
        if cache is not None:
            cache.close()
        close_backend(backend)
    print(file=sys.stderr)
    return {"out": str(args.out), "prompt_format": fmt, **stats.to_dict()}


def _collect_with(
    args: argparse.Namespace,
    tasks: Any,
    backend: Any,
    kind: str,
    tokenizer: Any,
    fmt: str,
    budget: int | None,
    replies: dict[str, str],
) -> Any:
    """The collection itself, once the backend exists (the caller closes it)."""
    from tlbench.backends.base import GenConfig
    from tlbench.prompts import stop_for
    from tlbench.run.engine import check_template_tools
    from training.collector import SCRIPTED_MODELS, collect

    uses_tools, warnings = check_template_tools({"tasks": fmt}, tokenizer, str(args.model), kind)
    if uses_tools is False and not args.allow_tool_less_template:
        raise UsageError(warnings[0] + "; pass --allow-tool-less-template to run anyway")
    for w in warnings:
        print(f"tlbench collect: warning: {w}", file=sys.stderr)
    scripted = args.model if kind == "mock" and args.model in SCRIPTED_MODELS else None
    config = GenConfig(
        max_new_tokens=args.max_new_tokens, temperature=args.temperature, stop=stop_for(fmt), seed=args.seed
    )
    meta = {
        "model": args.model,
        "model_id": backend.identity,
        "backend": kind,
        "sampling": jsonio.parse(config.key()),
    }
    return collect(
        tasks,
        args.out,
        backend,
        fmt=fmt,
        tokenizer=tokenizer,
        config=config,
        batch_size=args.batch_size,
        seed=args.seed,
        max_generations=args.max_generations,
        scripted=scripted,
        replies=replies,
        meta=meta,
        budget=budget,
    )


def _backend(args: argparse.Namespace, replies: dict[str, str]) -> tuple[Any, str, Any, str, int | None, Any]:
    """(generating backend, kind, tokenizer, prompt format, token budget, cache to close)."""
    from tlbench.backends import CachedBackend, GenerationCache, close_backend, create_backend, select_backend
    from tlbench.run.config import formats_for
    from tlbench.run.engine import cache_dir, model_source, prompt_budget

    kind = select_backend(args.backend)
    if kind == "mock":
        from tlbench.backends.mock import MockBackend

        backend: Any = MockBackend(replies, model=str(args.model))
    else:
        backend = create_backend(
            kind,
            args.model,
            dtype=args.dtype,
            batch_size=args.batch_size,
            base_url=args.base_url,
        )
    try:
        info = backend.info()
        tokenizer = info.tokenizer
        source = model_source(info) if kind != "mock" else None
        fmt = formats_for(("tooleyes",), args.prompt_format, source)["tooleyes"]
        budget = prompt_budget(info, args.max_new_tokens)
        cache = None
        if kind != "mock" and not args.no_cache:
            cache = GenerationCache(cache_dir() / "generations.sqlite")
            backend = CachedBackend(backend, cache, flush_every=args.batch_size)
    except BaseException:
        close_backend(backend)
        raise
    return backend, kind, tokenizer, fmt, budget, cache
