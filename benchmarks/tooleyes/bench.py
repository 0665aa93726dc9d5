"""The ToolEyes benchmark class: loader, transcript scoring, DE / CE / VA aggregation with side statistics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.base import EPISODE, Benchmark, Item, ItemScore, LoadReport, read_json_list
from benchmarks.metrics import Aggregate, bootstrap_ci, bootstrap_indices, pct, ratio_ci
from benchmarks.registry import register
from benchmarks.tooleyes.episode import EpisodeStats, episode_stats, messages_of
from benchmarks.tooleyes.side import upstream_side_stats
from tlbench import jsonio
from tlbench.errors import DataError
from tlbench.types import ToolDoc

DATA_FILE = "tooleyes/Test_Data/scenario_data_zero_processed.json"


@register
@dataclass(frozen=True, slots=True)
class ToolEyes(Benchmark):
    """The ToolEyes zero-shot test set (382 items)."""

    family = "tooleyes"
    version = "c818fcebe017951570a25e552a7984e40093fd52"
    order = 40
    title = "ToolEyes"
    prompt_style = "react"  # each item's system prompt is the ReAct prompt of the benchmark
    headline = EPISODE
    episodic = True

    name: str = "tooleyes"
    default_format: str = "react"

    @property
    def short(self) -> str:
        """``eyes``."""
        return "eyes"

    @property
    def tables(self) -> tuple[str, ...]:
        """The paper's multi-turn and ablation tables."""
        return ("4", "5")

    @property
    def data_files(self) -> tuple[str, ...]:
        """The pinned files ``load`` and the episodes read (manifest paths; a folder ends in ``/``)."""
        return (DATA_FILE, "tooleyes/Tool_Library/")

    def tool_docs(self, raw: Any) -> tuple[ToolDoc, ...]:
        """The doc loader: a tool folder's ``config_gpt4.json`` (a path, or its loaded list)."""
        from tlbench.docs import docs_from_tooleyes_config

        return docs_from_tooleyes_config(raw)

    def load(self, data_dir: Path, report: LoadReport | None = None) -> list[Item]:
        """Items in file order with the docs of their tool folder; bad entries are reported and skipped."""
        path = Path(data_dir) / DATA_FILE
        raw = read_json_list(path, "tooleyes")
        report = report if report is not None else LoadReport()
        docs_cache: dict[str, tuple[ToolDoc, ...]] = {}
        items = []
        for index, entry in enumerate(raw):
            try:
                tool_path = str(entry["path"])
                rel = tool_path.split("Tool_Library/", 1)[1]
                if ".." in rel.split("/"):
                    raise ValueError(f"bad tool path {tool_path!r}")
                if rel not in docs_cache:
                    docs_cache[rel] = self.tool_docs(
                        Path(data_dir) / "tooleyes" / "Tool_Library" / rel / "config_gpt4.json"
                    )
                messages = tuple(
                    {"role": str(m["from"]), "content": str(m["value"])} for m in entry["conversations"]
                )
                category, _, tool = rel.partition("/")
                items.append(
                    Item(
                        id=str(index),
                        index=index,
                        benchmark=self.name,
                        scenario=str(entry.get("scenario", "")),
                        messages=messages,
                        tools=docs_cache[rel],
                        metadata={
                            "upstream_id": str(entry.get("id", "")),
                            "path": tool_path,
                            "category": category,
                            "tool": tool,
                        },
                    )
                )
            except (KeyError, IndexError, TypeError, ValueError, DataError) as exc:
                report.warn(path, None, f"item {index} skipped: {exc}")
        return items

    def score_transcript(self, item: Item, record: Mapping[str, Any], mode: str = "upstream") -> ItemScore:
        """DE/CE/VA of one episode transcript; a malformed transcript scores as a failed episode."""
        self.repairs_for(mode)  # UsageError for an unknown mode; the side statistics' quirks follow ``mode``
        try:
            stats = episode_stats(record, item.tools)
            upstream = mode == "upstream"
            side = upstream_side_stats(messages_of(record, upstream), item.tools, quirks=upstream)
            error = None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            stats, side, error = EpisodeStats(), {}, f"unreadable transcript: {exc}"
        detail: dict[str, Any] = {
            "mode": mode,
            "upstream_id": item.metadata.get("upstream_id", item.id),
            **stats.to_dict(),
            "upstream": side,
        }
        if error:
            detail["error"] = error
        return ItemScore(
            id=item.id,
            index=item.index,
            scenario=item.scenario,
            ts=error is None and stats.tool_hallucination == 0,
            pi=error is None and stats.de == 0,
            cf=error is None and stats.de == 0 and stats.ce == 0,
            correct=stats.valid,
            parsed=error is None and stats.format_errors == 0,
            calls=stats.calls,
            categories=stats.categories,
            detail=detail,
        )

    def score_item(
        self, item: Item, output: str, mode: str = "upstream", fmt: str | None = None
    ) -> ItemScore:
        """A JSON transcript in ``output``, or one bare generation scored as a one-turn episode."""
        record: Any = None
        if isinstance(output, str) and output.lstrip().startswith("{"):
            try:
                record = jsonio.parse(output)
            except ValueError:
                record = None
        if not isinstance(record, Mapping):
            record = {"messages": [*item.messages, {"role": "assistant", "content": str(output)}]}
        return self.score_transcript(item, record, mode)

    def aggregate(self, scores: Sequence[ItemScore], *, resamples: int = 1000, seed: int = 0) -> Aggregate:
        """DE/CE (pooled per call attempt), VA (per episode), side statistics, per scenario, CIs."""
        return Aggregate(
            _summary(scores),
            {name: _summary(group, short=True) for name, group in _groups(scores).items()},
            _cis(scores, resamples, seed),
        )


def _d(score: ItemScore, key: str) -> float:
    value = score.detail.get(key, 0)
    return float(value) if isinstance(value, int | float) else 0.0


def _groups(scores: Sequence[ItemScore]) -> dict[str, list[ItemScore]]:
    groups: dict[str, list[ItemScore]] = {}
    for s in scores:
        groups.setdefault(s.scenario or "-", []).append(s)
    return groups


def _side_of_present(scores: Sequence[ItemScore], mode: str) -> list[Mapping[str, Any]]:
    """The side statistics each present episode contributes to the official summary.

    Upstream (``aggregated_data``) picks, for every scenario, the FIRST sample of the input file with each
    query id: the two queries asked under two tools (items 44/96 and 50/97) are both counted with the
    episode that comes first, so in upstream mode a present episode contributes the statistics of the first
    present episode with its upstream id. Episodes whose statistics do not exist (an unreadable transcript,
    or one the official pipeline crashes on) are left out.
    """
    present = [s for s in scores if not s.detail.get("missing")]
    first: dict[str, Mapping[str, Any]] = {}
    out = []
    for s in present:
        side = s.detail.get("upstream") or {}
        if mode == "upstream":
            key = str(s.detail.get("upstream_id", s.id))
            side = first.setdefault(key, side)
        if side and not side.get("crash"):
            out.append(side)
    return out


def _summary(scores: Sequence[ItemScore], short: bool = False) -> dict[str, Any]:
    attempts = sum(_d(s, "attempts") for s in scores)
    out: dict[str, Any] = {
        "n": len(scores),
        "DE": pct(sum(_d(s, "de") for s in scores), attempts),
        "CE": pct(sum(_d(s, "ce") for s in scores), attempts),
        "VA": pct(sum(s.correct for s in scores), len(scores)),
    }
    if short:
        return out
    present = [s for s in scores if not s.detail.get("missing")]
    mode = next((str(s.detail.get("mode")) for s in present), "upstream")
    side = _side_of_present(scores, mode)
    n = len(side)
    out.update(
        {
            "attempts": int(attempts),
            "parse_failure_rate": pct(sum(_d(s, "format_errors") for s in scores), attempts),
            "instability_rate": pct(sum(_d(s, "instability") for s in scores), attempts),
            "missing": len(scores) - len(present),
            "side_episodes": n,
            "upstream_crashes": sum(1 for s in present if (s.detail.get("upstream") or {}).get("crash"))
            + sum(1 for s in present if not s.detail.get("upstream")),
            "Ans_pass_mean": pct(sum(x.get("Ans_pass", 0) for x in side), n),
            "IF_mean": pct(sum(x.get("IF", 0) for x in side), n),
            "tool_reality_mean": pct(sum(x.get("tool_reality", 0) for x in side), n),
            "format_err_per_episode": round(sum(x.get("format_err_cnt", 0) for x in side) / n, 2)
            if n
            else 0.0,
            "conv_react_err_sum": sum(x.get("conv_react_err", 0) for x in side),
            "conv_json_err_sum": sum(x.get("conv_json_err", 0) for x in side),
            "conv_force_terminated_sum": sum(x.get("conv_force_terminated", 0) for x in side),
            "eval_undecided": sum((s.detail.get("upstream") or {}).get("eval_undecided", 0) for s in present),
        }
    )
    return out


def _cis(scores: Sequence[ItemScore], resamples: int, seed: int) -> dict[str, tuple[float, float]]:
    draws = bootstrap_indices(len(scores), resamples, seed)
    attempts = [_d(s, "attempts") for s in scores]
    return {
        "DE": ratio_ci([_d(s, "de") for s in scores], attempts, indices=draws),
        "CE": ratio_ci([_d(s, "ce") for s in scores], attempts, indices=draws),
        "VA": bootstrap_ci([float(s.correct) for s in scores], indices=draws),
    }


(TOOLEYES,) = ToolEyes.variants()
