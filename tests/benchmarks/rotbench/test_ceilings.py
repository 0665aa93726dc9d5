"""Gold answers scored as predictions reproduce the upstream ceilings of research note §2.6, and 100 in
fixed mode; quirk 2 (in-place mutation) on First_Turn/clean item 1; the documented repair counts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmarks import BENCHMARKS
from benchmarks.metrics import summary
from benchmarks.rotbench import UPSTREAM, parse_action, score_call

# (turn, level) -> (items, upstream TS=PI=CF with a perfect oracle, items with only-{} golds)
CEILINGS = {
    ("first", "clean"): (105, 92.38, 8),
    ("first", "slight"): (210, 92.38, 16),
    ("first", "medium"): (210, 92.38, 16),
    ("first", "heavy"): (210, 95.24, 10),
    ("first", "union"): (105, 92.38, 8),
    ("third", "clean"): (70, 95.71, 3),
    ("third", "slight"): (140, 95.71, 6),
    ("third", "medium"): (140, 95.71, 6),
    ("third", "heavy"): (140, 97.86, 3),
    ("third", "union"): (70, 98.57, 1),
}


@pytest.mark.parametrize(("turn", "level"), list(CEILINGS))
def test_rot_gold_ceiling_upstream_and_fixed(load_items, turn: str, level: str) -> None:
    name = f"rotbench-{turn}-{level}"
    bench = BENCHMARKS.get(name)
    items = load_items(name)
    n, ceiling, unscorable = CEILINGS[(turn, level)]
    assert len(items) == n
    up = [bench.score_item(it, it.gold[0][0].raw, "upstream") for it in items]
    s = summary(up)
    assert (s["TS"], s["PI"], s["CF"]) == (ceiling, ceiling, ceiling)
    assert sum(sc.detail.get("failure") == "empty_args" for sc in up) == unscorable
    assert s["parse_failure_rate"] == 0.0  # {} args are readable, just refused
    fixed = summary([bench.score_item(it, it.gold[0][0].raw, "fixed") for it in items])
    assert (fixed["TS"], fixed["PI"], fixed["CF"]) == (100.0, 100.0, 100.0)


def test_rot_first_clean_scenarios_balanced(load_items) -> None:
    items = load_items("rotbench-first-clean")
    counts = {s: sum(it.scenario == s for it in items) for s in ("TG", "RS", "DU", "PL", "AM", "IR", "FT")}
    assert set(counts.values()) == {15}


def test_rot_quirk2_inplace_mutation(load_items) -> None:
    bench = BENCHMARKS.get("rotbench-first-clean")
    items = load_items("rotbench-first-clean")
    item = items[1]
    third = item.gold[2][0]
    assert third.name == "get_translation_nllb" and third.arguments["input_text"] == "dog"
    up = bench.score_item(item, third.raw, "upstream")
    assert (up.ts, up.pi, up.cf) == (True, True, False)
    fx = bench.score_item(item, third.raw, "fixed")
    assert (fx.ts, fx.pi, fx.cf) == (True, True, True)
    # the file's CF with item 1 answered by its third gold drops from 92.38 to 91.43
    scores = [bench.score_item(it, (it.gold[2] if it.index == 1 else it.gold[0])[0].raw) for it in items]
    assert summary(scores)["CF"] == 91.43


def _first_gold_changes(items, repairs) -> int:
    def triple(it, rep):
        act = parse_action(it.gold[0][0].raw, rep)
        if not act.ok:
            return (False, False, False)
        m = it.metadata
        golds = [(g[0].name, g[0].arguments) for g in it.gold]
        r = score_call(act.name, act.arguments, golds, m["finish_name"], m["ask_name"], m["tool_names"], rep)
        return (r.ts, r.pi, r.cf)

    return sum(triple(it, repairs) != triple(it, UPSTREAM) for it in items)


@pytest.mark.parametrize(
    ("repair", "expected"),
    [("empty_args", 77), ("fresh_copy", 0), ("position_names", 0), ("strip_name", 0)],
)
def test_rot_documented_repair_counts(load_items, repair: str, expected: int) -> None:
    total = 0
    for turn, level in CEILINGS:
        total += _first_gold_changes(
            load_items(f"rotbench-{turn}-{level}"), replace(UPSTREAM, **{repair: True})
        )
    assert total == expected
