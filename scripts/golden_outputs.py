"""Record and compare golden outputs: the behaviour a refactor must not change.

    python scripts/golden_outputs.py record DIR [--data-dir D] [--train-model TINY]  # DIR/{gold,mock,collect,train}
    python scripts/golden_outputs.py compare DIR_A DIR_B          # exit 1 and a list when they differ

What is recorded (the set a structural change is checked against):

* ``gold/<benchmark>.<mode>.json``: every benchmark's gold answers scored as predictions in both modes
  (per-item verdicts and the summary), through the same path as ``tlbench score --predictions``;
* ``mock/``: ``tlbench score --backend mock --benchmarks all --limit 3`` (manifest, and per benchmark
  ``results.json``, ``items.jsonl``, ``predictions.jsonl``): prompts, parsing, scoring and the files a run
  writes;
* ``collect/traj.jsonl``: ``tlbench collect --backend mock --model noisy`` on 24 synthetic tasks (at most 2 tools each);
* ``train/``: ``tlbench train --recipe tiny-all`` on those trajectories with a seeded tiny random Llama
  (``train_summary.json`` and the model card's statistics).

``compare`` reads both folders as JSON / JSONL and drops what legitimately changes between two runs of the
same code (clock times, durations, throughput, package versions, absolute paths of the two folders), so
any other difference is a change of behaviour.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # gold/ is scored in-process: this checkout's code, not an installed copy
    sys.path.insert(0, str(ROOT))
#: Keys whose values differ between two runs of the same code (time, speed, environment).
VOLATILE = re.compile(
    r"^(created|finished|started|updated|timestamp|time|date|.*_time.*|wall.*|.*_s|.*per_s.*|.*per_second.*"
    r"|.*tokens_per.*|items_per.*|elapsed.*|duration.*|versions|python|platform|host|pid|cache|segments"
    r"|train_runtime|train_samples_per_second|train_steps_per_second|engine_start.*)$"
)


def _run(argv: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "tlbench", *argv], cwd=ROOT, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"golden: `tlbench {' '.join(argv)}` exited {proc.returncode}")


def _gold(out: Path, data_dir: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "perf"))
    from bench_score_gold import FAMILIES, _gold_record

    from benchmarks import BENCHMARKS
    from benchmarks.metrics import aggregate_for
    from benchmarks.predictions import Matching, Record, score_item_records

    out.mkdir(parents=True, exist_ok=True)
    for name in FAMILIES:
        bench = BENCHMARKS.get(name)
        items = bench.load(data_dir)
        records = {
            it.index: Record(line=i + 1, ordinal=i, data=_gold_record(bench, it))
            for i, it in enumerate(items)
        }
        for mode in ("upstream", "fixed"):
            scores = score_item_records(bench, items, Matching(by_index=records), mode, None)
            agg = aggregate_for(bench, scores)
            body = {"summary": agg.summary, "items": [s.to_dict() for s in scores]}
            (out / f"{name}.{mode}.json").write_text(json.dumps(body, sort_keys=True, default=str) + "\n")


def _tiny_model(out: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests" / "backends"))
    from conftest import build_tiny_llama, build_tokenizer

    return build_tiny_llama(out, build_tokenizer(), max_positions=4096)


def record(out: Path, data_dir: Path, train_model: Path | None = None) -> None:
    """Write every golden output of the current code into ``out`` (``train_model``: the tiny model to train;
    built into ``out/_tiny`` when None; pass the same folder to two recordings that are compared, since a
    tokenizer trained afresh may break merge ties differently)."""
    out = out.resolve()
    env = {
        **os.environ,
        "TLBENCH_DATA": str(data_dir),
        "TLBENCH_CACHE_DIR": str(out / "_cache"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONHASHSEED": "0",
    }
    _gold(out / "gold", data_dir)
    mock = ["score", "--backend", "mock", "--model", "golden", "--benchmarks", "all", "--limit", "3"]
    _run([*mock, "--out", str(out / "mock"), "--data-dir", str(data_dir), "--no-cache"], env)
    traj = out / "collect" / "traj.jsonl"
    collect = [
        "collect",
        "--backend",
        "mock",
        "--model",
        "noisy",
        "--tasks",
        "synthetic",
        "--limit",
        "24",
        "--max-tools",
        "2",
    ]
    _run([*collect, "--out", str(traj)], env)
    model = train_model.resolve() if train_model is not None else _tiny_model(out / "_tiny")
    train = ["train", "--recipe", "tiny-all", "--model", str(model), "--data", str(traj)]
    _run([*train, "--out", str(out / "train")], env)


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if path.suffix == ".json":
        return json.loads(text)
    if path.name == "README.md":  # the model card: its statistics, not its timings
        return [
            ln for ln in text.splitlines() if not re.search(r"\d+(\.\d+)? ?s\b|time|UTC|version|created", ln)
        ]
    return None


def _norm(value: Any, roots: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {_norm(k, roots): _norm(v, roots) for k, v in value.items() if not VOLATILE.match(str(k))}
    if isinstance(value, list):
        return [_norm(v, roots) for v in value]
    if isinstance(value, str):
        for r in roots:
            value = value.replace(r, "<ROOT>")
        return value
    return value


def compare(a: Path, b: Path) -> list[str]:
    """The relative paths (and first differing key) where ``a`` and ``b`` differ."""
    a, b = a.resolve(), b.resolve()
    roots = tuple(sorted((str(a), str(b)), key=len, reverse=True))  # ".../x2" is replaced before ".../x"
    files = lambda d: {  # noqa: E731
        p.relative_to(d)
        for p in d.rglob("*")
        if p.is_file()
        and not any(part.startswith("_") for part in p.relative_to(d).parts)
        and (p.suffix in (".json", ".jsonl") or p.name == "README.md")
        and "checkpoint" not in str(p)
    }
    fa, fb = files(a), files(b)
    diffs = [f"only in {a}: {p}" for p in sorted(fa - fb)] + [f"only in {b}: {p}" for p in sorted(fb - fa)]
    for rel in sorted(fa & fb):
        va, vb = (
            _norm(_unversioned(rel, _load(a / rel)), roots),
            _norm(_unversioned(rel, _load(b / rel)), roots),
        )
        if va != vb:
            diffs.append(f"differs: {rel}: {_first_diff(va, vb)}")
    return diffs


def _unversioned(rel: Path, value: Any) -> Any:
    """A manifest without its ``schema_version`` (issue 22 added the key; recordings made before it lack
    it): the one key a manifest may gain without an output changing."""
    if rel.name == "manifest.json" and isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "schema_version"}
    return value


def _first_diff(x: Any, y: Any, path: str = "") -> str:
    if isinstance(x, dict) and isinstance(y, dict):
        for k in sorted(set(x) | set(y)):
            if x.get(k) != y.get(k):
                return _first_diff(x.get(k), y.get(k), f"{path}.{k}")
    if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        for i, (u, v) in enumerate(zip(x, y, strict=True)):
            if u != v:
                return _first_diff(u, v, f"{path}[{i}]")
    return f"{path or '<root>'}: {str(x)[:120]!r} != {str(y)[:120]!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record", help="write the golden outputs of the current code")
    rec.add_argument("out", type=Path)
    rec.add_argument("--data-dir", type=Path, default=Path(os.environ.get("TLBENCH_DATA", "../shared/data")))
    rec.add_argument("--train-model", type=Path, default=None, help="tiny model folder to train (reuse it)")
    cmp_ = sub.add_parser("compare", help="list the differences between two recorded folders")
    cmp_.add_argument("a", type=Path)
    cmp_.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "record":
        record(args.out, args.data_dir.resolve(), args.train_model)
        print(f"golden outputs written to {args.out}")
        return 0
    diffs = compare(args.a, args.b)
    print("\n".join(diffs) if diffs else "identical")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
