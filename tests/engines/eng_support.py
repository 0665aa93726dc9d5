"""Constants and helpers shared by the engine tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

LIMIT = int(os.environ.get("TLBENCH_ENGINES_LIMIT", "8"))
NEW_TOKENS = int(os.environ.get("TLBENCH_ENGINES_NEW", "24"))
BENCHMARKS = ("toolalpaca-real", "bfcl-v3-exec", "rotbench-first-clean", "tooleyes")
#: what the runner's ``auto`` picks for SmolLM2 (ChatML, no tools in its template), per benchmark: the
#: ``openai`` backend sends these text prompts to the server's /v1/completions so all three see one prompt
FORMATS = {
    "toolalpaca-real": "qwen25",
    "bfcl-v3-exec": "qwen25",
    "rotbench-first-clean": "react-chatml",
    "tooleyes": "react-chatml",
}
#: vLLM settings that work on a CPU (issue 21): eager mode, a context that holds ToolEyes histories
ENGINE_ARGS = {"enforce_eager": True, "max_model_len": 8192}


@dataclass
class Report:
    """Figures the tests measure, printed at the end of the session and written to JSON."""

    parity: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # pair -> bench -> [same, total]
    figures: dict[str, Any] = field(default_factory=dict)

    def add_parity(self, pair: str, bench: str, same: int, total: int) -> None:
        self.parity.setdefault(pair, {})[bench] = [same, total]


REPORT = Report()


def run_config(out: Path, data_dir: Path, model: str, **kw: Any) -> Any:
    from tlbench.runner import RunConfig

    base: dict[str, Any] = dict(
        model=model, out=out, data_dir=data_dir, benchmarks=BENCHMARKS, limit=LIMIT,
        max_new_tokens=NEW_TOKENS, dtype="float32", use_cache=False, resamples=10,
    )  # fmt: skip
    base.update(kw)
    return RunConfig(**base)


# ------------------------------------------------------------------------------------------ comparing runs


def outputs(run_dir: Path, bench: str) -> list[Any]:
    """Per item: the output text, or for episodes the list of every round's output."""
    rows = [json.loads(line) for line in (run_dir / bench / "items.jsonl").read_text().splitlines()]
    if rows and "turns" in rows[0]:
        return [[t["output"] for t in r["turns"]] for r in rows]
    return [r["output"] for r in rows]


def compare(report: Report, pair: str, a: Path, b: Path, benches: tuple[str, ...] = BENCHMARKS) -> list[str]:
    """Record identical/total per benchmark; returns the benchmarks that differ, with the first mismatch."""
    bad = []
    for bench in benches:
        x, y = outputs(a, bench), outputs(b, bench)
        same = sum(p == q for p, q in zip(x, y, strict=False))
        report.add_parity(pair, bench, same, len(x))
        if same != len(x) or len(x) != len(y) or len(x) < min(LIMIT, 8):
            first = next((i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), None)
            detail = f"item {first}: {x[first]!r:.200} != {y[first]!r:.200}" if first is not None else ""
            bad.append(f"{bench}: {same}/{len(x)} identical (vs {len(y)}) {detail}")
    return bad
