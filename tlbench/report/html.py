"""The self-contained static HTML report: one ``index.html`` with everything inside.

No server, no CDN, no external file: the stylesheet and the item-browser script are package assets
(``assets/report.css``, ``assets/report.js``) inlined into ``assets/report.html``; plots are inline PNG
(``data:`` URIs); the item data is one JSON document in a ``<script type="application/json">`` element,
escaped so that no text inside it can close the element (``<``, ``>`` and ``&`` become ``\\u003c`` ...).
Every text the page shows from the data goes in through ``textContent``, never as HTML.

Item records are compacted for size (prompts are interned: many items share one system prompt) and the
browser renders one page of 50 rows at a time and an item view on demand, so thousands of items stay
responsive. Prompts and gold calls missing from ``items.jsonl`` (runs scored from ``--predictions``)
are taken from the benchmark data when it can be loaded.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import UsageError
from tlbench.report.analysis import analyze_run, item_categories, load_benchmark_items, robustness
from tlbench.report.analysis_text import group_by_benchmark, visible_rows
from tlbench.report.compare import is_episodic
from tlbench.report.render import TABLE_CSS, html_table
from tlbench.report.runs import Run
from tlbench.report.tables import INCOMPLETE, build_tables

__all__ = ["build_report", "write_report", "embed_json"]

_SLOT = re.compile(r"__(CSS|JS|TITLE|META|TABLES|SCORES|COMPARE|ANALYSIS|DATA)__")
_SCORE_KEYS = ("n", "TS", "PI", "CF", "exec_accuracy", "DE", "CE", "VA", "parse_failure_rate", "missing")


def _asset(name: str) -> str:
    return resources.files("tlbench.report").joinpath("assets").joinpath(name).read_text(encoding="utf-8")


def embed_json(value: Any) -> str:
    """JSON text that is safe inside a ``<script>`` element."""
    text = jsonio.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _simple_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table class="simple"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "-" if value is None else str(value)


def _scores_section(runs: Sequence[Run]) -> str:
    benches: list[str] = []
    for r in runs:
        benches.extend(b for b in r.benchmarks if b not in benches)
    parts = []
    for bench in benches:
        keys = [k for k in _SCORE_KEYS if any(k in r.summary(bench) for r in runs)]
        rows = [[r.name, *(_fmt(r.summary(bench).get(k)) for k in keys)] for r in runs if bench in r.results]
        if any(r.failed_items(bench) for r in runs):  # an incomplete run: say how many items it lacks
            keys.append("not scored (generation failed)")
            for row, r in zip(rows, [r for r in runs if bench in r.results], strict=True):
                row.append(r.failed_items(bench))
                row[0] += INCOMPLETE if r.failed_items(bench) else ""
        parts.append(f"<h3>{html.escape(bench)}</h3>" + _simple_table(["run", *keys], rows))
        per = _per_scenario_rows(runs, bench)
        if per:
            cols = [
                k
                for k in ("n", "TS", "PI", "CF", "exec_accuracy", "DE", "CE", "VA")
                if any(k in x[2] for x in per)
            ]
            table = _simple_table(
                ["run", "scenario", *cols], [[r, sc, *(_fmt(v.get(k)) for k in cols)] for r, sc, v in per]
            )
            parts.append(f"<details><summary>per scenario</summary>{table}</details>")
    return "\n".join(parts) or '<p class="note">No scored benchmark.</p>'


def _per_scenario_rows(runs: Sequence[Run], bench: str) -> list[tuple[str, str, Mapping[str, Any]]]:
    out = []
    for r in runs:
        per = (r.results.get(bench) or {}).get("per_scenario")
        if isinstance(per, Mapping) and len(per) > 1:
            out.extend((r.name, str(sc), v) for sc, v in per.items() if isinstance(v, Mapping))
    return out


def _analysis_section(runs: Sequence[Run], data_dir: Path | None, notes: list[str]) -> tuple[str, int]:
    breakdowns = [b for r in runs for b in analyze_run(r, data_dir=data_dir)]
    curves = robustness(runs)
    parts = []
    for bench, group in group_by_benchmark(breakdowns).items():
        rows = [["erroneous", *(f"{b.errors} ({100.0 * b.errors / b.n if b.n else 0:.2f}%)" for b in group)]]
        rows += [
            [label, *(f"{b.counts.get(k, 0)} ({b.share(k):.2f}%)" for b in group)]
            for k, label in visible_rows(group)
        ]
        head = f"<h3>{html.escape(bench)} <span class='note'>(% of {html.escape(group[0].unit)})</span></h3>"
        parts.append(head + _simple_table(["category", *(f"{b.run} (n={b.n})" for b in group)], rows))
    from tlbench.report.plots import all_plots, have_matplotlib

    n_plots = 0
    if have_matplotlib() and breakdowns:
        imgs = []
        for name, png in all_plots(breakdowns, curves).items():
            data = base64.b64encode(png).decode("ascii")
            imgs.append(
                f'<img alt="{html.escape(name)}" title="{html.escape(name)}" src="data:image/png;base64,{data}">'
            )
            n_plots += 1
        parts.insert(0, '<div class="plots">' + "".join(imgs) + "</div>")
    elif breakdowns:
        notes.append("matplotlib is not installed: no plots (pip install 'tlbench[plot]')")
    return "\n".join(parts) or '<p class="note">No item records to analyse.</p>', n_plots


def _compare_section(runs: Sequence[Run], resamples: int = 1000) -> str:
    """Every run against the first: B - A, paired bootstrap 95% CI, exact McNemar (as ``tlbench compare``)."""
    from tlbench.report.compare import compare_runs

    if len(runs) < 2:
        return '<p class="note">One run: nothing to compare (give several run directories).</p>'
    parts = []
    for other in runs[1:]:
        rows, _ = compare_runs(runs[0], other, resamples=resamples)
        table = [
            [
                r.benchmark,
                r.metric + (" ↓" if r.lower_is_better else ""),
                r.n,
                f"{r.a:.2f}",
                f"{r.b_value:.2f}",
                f"{r.diff:+.2f}",
                f"[{r.ci[0]:+.2f}, {r.ci[1]:+.2f}]",
                "-" if r.p_value is None else f"{r.p_value:.3g}",
            ]
            for r in rows
        ]
        head = f"<h3>{html.escape(other.name)} vs {html.escape(runs[0].name)}</h3>"
        headers = ["benchmark", "metric", "n", "A", "B", "B-A", "95% CI", "McNemar p"]
        parts.append(
            head + (_simple_table(headers, table) if table else '<p class="note">No shared items.</p>')
        )
    return "\n".join(parts)


def _call_dicts(value: Any) -> list[Any]:
    out = []
    for c in value or ():
        if isinstance(c, Mapping):
            out.append({k: v for k, v in c.items() if k != "raw"})
    return out


def _gold_of(item: Any) -> list[list[dict[str, Any]]]:
    return [[{"name": c.name, "arguments": dict(c.arguments)} for c in alt] for alt in item.gold]


class _Strings:
    """Interned long strings / prompt values (many items share one prompt)."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[str, int] = {}

    def add(self, value: Any) -> int:
        if value is None or value == "" or value == []:
            return -1
        key = jsonio.dumps(value, sort_keys=True)
        if key not in self._index:
            self._index[key] = len(self.values)
            self.values.append(value)
        return self._index[key]


def _entry(
    rec: Mapping[str, Any], r: int, b: int, bench: str, data_item: Any, strings: _Strings
) -> dict[str, Any]:
    if is_episodic(bench):
        flags = {"VA": bool(rec.get("correct"))}
    else:
        flags = {k.upper(): bool(rec.get(k)) for k in ("ts", "pi", "cf")}
        if rec.get("exec") is not None:
            flags["exec"] = bool(rec.get("exec"))
    prompt = rec.get("prompt")
    if prompt is None and data_item is not None:
        prompt = [dict(m) for m in data_item.messages]
    gold = rec.get("gold")
    if gold is None and data_item is not None and data_item.gold:
        gold = _gold_of(data_item)
    transcript = rec.get("transcript")
    messages = (
        transcript.get("messages") or transcript.get("conversations")
        if isinstance(transcript, Mapping)
        else None
    )
    if messages and prompt is not None:
        messages = messages[len(prompt) :] if len(messages) > len(prompt) else messages
    output = rec.get("output")
    return {
        "r": r,
        "b": b,
        "i": rec.get("index"),
        "id": str(rec.get("id", rec.get("index", ""))),
        "s": str(rec.get("scenario") or "-"),
        "ok": 1 if rec.get("correct") else 0,
        "m": flags,
        "c": item_categories(rec),
        "o": output if isinstance(output, str) else None,
        "pc": _call_dicts(rec.get("calls")),
        "g": gold,
        "p": strings.add(prompt),
        "t": rec.get("turns") if isinstance(rec.get("turns"), list) else None,
        "tr": messages if isinstance(messages, list) else None,
        "d": rec.get("detail") if isinstance(rec.get("detail"), Mapping) else None,
    }


def _items_data(runs: Sequence[Run], data_dir: Path | None) -> dict[str, Any]:
    benches: list[str] = []
    for run in runs:
        benches.extend(b for b in run.benchmarks if b not in benches)
    strings = _Strings()
    items: list[dict[str, Any]] = []
    cats: set[str] = set()
    for r, run in enumerate(runs):
        for bench in run.benchmarks:
            data_items = load_benchmark_items(bench, data_dir)
            for rec in run.items(bench):
                entry = _entry(rec, r, benches.index(bench), bench, data_items.get(rec.get("index")), strings)
                cats.update(entry["c"])
                items.append(entry)
    return {
        "runs": [r.name for r in runs],
        "benches": benches,
        "cats": sorted(cats),
        "strings": strings.values,
        "items": items,
    }


def _meta(runs: Sequence[Run]) -> str:
    parts = []
    for r in runs:
        m = r.manifest
        bits = [
            f"{k}={m[k]}"
            for k in ("model", "backend", "prompt_format", "mode", "limit")
            if m.get(k) is not None
        ]
        parts.append(f"{r.name}: " + ", ".join(bits) if bits else r.name)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return html.escape(" | ".join(parts) + f" | generated {stamp}")


def build_report(
    runs: Sequence[Run], *, baseline: str | None = None, data_dir: Path | None = None
) -> tuple[str, dict[str, Any]]:
    """The report page and statistics (``items``, ``plots``, ``notes``)."""
    if not runs:
        raise UsageError("give at least one run directory")
    notes: list[str] = []
    tables = build_tables(runs, baseline=baseline)
    tables_html = "\n".join(f'<div class="scroll">{html_table(t)}</div>' for t in tables) or (
        '<p class="note">None of the runs has a benchmark of the paper\'s Tables 3-5.</p>'
    )
    analysis_html, n_plots = _analysis_section(runs, data_dir, notes)
    data = _items_data(runs, data_dir)
    title = "tlbench report: " + ", ".join(r.name for r in runs)
    values = {
        "CSS": TABLE_CSS + "\n" + _asset("report.css"),
        "JS": _asset("report.js"),
        "TITLE": html.escape(title),
        "META": _meta(runs),
        "TABLES": tables_html,
        "SCORES": _scores_section(runs),
        "COMPARE": _compare_section(runs),
        "ANALYSIS": analysis_html,
        "DATA": embed_json(data),
    }
    # one pass: text substituted in is never scanned again (a run named "__DATA__" stays a name)
    page = _SLOT.sub(lambda m: values[m.group(1)], _asset("report.html"))
    return page, {"items": len(data["items"]), "plots": n_plots, "notes": notes}


def write_report(
    runs: Sequence[Run], out: Path, *, baseline: str | None = None, data_dir: Path | None = None
) -> tuple[Path, dict[str, Any]]:
    """Write ``out/index.html``; returns its path and the statistics (plus ``bytes``)."""
    page, stats = build_report(runs, baseline=baseline, data_dir=data_dir)
    path = Path(out) / "index.html"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    stats["bytes"] = path.stat().st_size
    return path, stats
