"""RoTBench: ``--mode upstream`` gives the official scorer's verdict on every swept prediction (issue 20 §3).

The sweep (``rotbench_sweep.py``: 14,000 predictions, ten per item of the ten files, built from the public
gold answers by 53 kinds of mutation) is regenerated from its seed and scored with tlbench; the verdicts
it is compared with are data, in ``data/rotbench_verdicts.txt``: what the official code said.

How the verdicts were produced (anyone can redo it; the driver is not committed because it runs upstream
code):

* upstream ``Junjie-Ye/RoTBench`` at ``637e43ae9a978036774c92bb2ab11a83609e304b``, file
  ``Code/Evaluation/evaluate.py``, unmodified, imported as a module by CPython 3.11.7 (it needs only the
  standard library);
* for each case of ``rotbench_sweep.cases(TLBENCH_DATA)``: the module globals ``cata_list = [[0], [], [],
  [], [], [], []]`` and ``check_list = []`` are set, then ``ts_eval``, ``pi_eval`` and ``cf_eval`` (version
  0, the ReAct format) are each called with the one-item lists ``test = [{"conversations": [{"value":
  output}]}]`` and ``answer = [the item of rotbench/Data/<file>.json]``; the metric's verdict is
  ``check_list[-1][0]`` (0 or 1), and ``E`` when the loop raised;
* the file holds a header (upstream commit, Python version, sweep seed, size and SHA-256) and one line
  per case, in sweep order, with the three characters TS PI CF.

Upstream raises on 574 of the predictions (an empty action name: ``IndexError``; a list, number or
``true`` as arguments with a matching name: ``AttributeError`` on ``.keys()``; JSON nested deeper than
the recursion limit: ``RecursionError``), which would abort a whole file's evaluation. tlbench scores
those as unparsable (0/0/0, ``detail["failure"]`` ``empty_name`` / ``not_object`` / ``bad_json``), as
its module docstring says; the test checks exactly that for them.

``python tests/upstream/test_rotbench_agreement.py`` prints the agreement figures.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from dataclasses import fields, replace
from functools import cache
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]  # the sweep module; the repo root when run as a script

import rotbench_sweep as sweep  # noqa: E402

from benchmarks import BENCHMARKS  # noqa: E402
from benchmarks.rotbench import UPSTREAM, Repairs, score_output  # noqa: E402

VERDICTS = HERE / "data" / "rotbench_verdicts.txt"
UPSTREAM_COMMIT = "637e43ae9a978036774c92bb2ab11a83609e304b"
CRASH_FAILURES = {"empty_name", "not_object", "bad_json"}

#: Swept predictions whose fixed-mode TS/PI/CF differ from the official verdict, per repair alone and
#: with all repairs (``fixed``); the ``Repairs`` flags of ``benchmarks/rotbench/scoring.py`` quote them.
FIXED_DIFFERENCES = {
    "empty_args": 923,
    "fresh_copy": 8,
    "position_names": 138,
    "strip_name": 1119,
    "fixed": 2255,
}


def _data_dir() -> Path:
    return Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")


@cache
def _sweep() -> tuple[list[sweep.Case], list[str], str]:
    data = _data_dir()
    if not (data / "rotbench" / "Data" / "First_Turn" / "clean.json").is_file():
        pytest.skip(f"RoTBench data not found under {data}")
    header, *lines = VERDICTS.read_text(encoding="utf-8").splitlines()
    return sweep.cases(data), lines, header


@cache
def _items() -> dict[str, list]:
    out = {}
    for file in sweep.FILES:
        turn, level = file.split("/")
        name = f"rotbench-{'first' if turn == 'First_Turn' else 'third'}-{level}"
        out[file] = BENCHMARKS.get(name).load(_data_dir())
    return out


def _bits(ts: bool, pi: bool, cf: bool) -> str:
    return f"{int(ts)}{int(pi)}{int(cf)}"


def _official(verdict: str) -> str:
    """The verdict tlbench must give: upstream's bits, and 0/0/0 where upstream raised."""
    return "000" if "E" in verdict else verdict


def test_verdicts_belong_to_this_sweep() -> None:
    cases, lines, header = _sweep()
    assert UPSTREAM_COMMIT in header
    assert f"sha256={sweep.fingerprint(cases)}" in header, "the sweep changed: regenerate the verdicts"
    assert len(lines) == len(cases) == 14_000
    assert {len(v) for v in lines} == {3}
    files = Counter(c.file for c in cases)
    assert set(files) == set(sweep.FILES)  # both turns, every noise level
    assert len({c.kind for c in cases}) == len(sweep.KINDS) == 53


def agreement(mode: str = "upstream") -> tuple[int, int, list[str]]:
    """(agreeing, swept, first disagreements) of tlbench's ``mode`` with the official TS/PI/CF verdicts."""
    cases, lines, _ = _sweep()
    items = _items()
    bad: list[str] = []
    agree = 0
    for case, verdict in zip(cases, lines, strict=True):
        item = items[case.file][case.index]
        s = BENCHMARKS.get(item.benchmark).score_item(item, case.output, mode)
        got = _bits(s.ts, s.pi, s.cf)
        ok = got == _official(verdict)
        if ok and "E" in verdict and mode == "upstream":
            ok = s.detail.get("failure") in CRASH_FAILURES
        agree += ok
        if not ok and len(bad) < 10:
            bad.append(
                f"{case.file} #{case.index} {case.kind}: official {verdict} tlbench {got} {case.output!r}"
            )
    return agree, len(cases), bad


def test_upstream_mode_agrees_on_every_swept_prediction() -> None:
    agree, swept, bad = agreement("upstream")
    assert bad == []
    assert agree == swept == 14_000


def test_upstream_crashes_are_counted() -> None:
    _, lines, _ = _sweep()
    assert sum("E" in v for v in lines) == 574
    assert Counter(v for v in lines if "E" in v) == {"EEE": 354, "1EE": 220}


def per_repair_differences() -> dict[str, int]:
    """Swept predictions whose TS/PI/CF under each repair alone (and under ``fixed``) differ from upstream."""
    cases, lines, _ = _sweep()
    items = _items()
    sets = {f.name: replace(UPSTREAM, **{f.name: True}) for f in fields(Repairs)}
    sets["fixed"] = Repairs(**{f.name: True for f in fields(Repairs)})
    out = dict.fromkeys(sets, 0)
    for case, verdict in zip(cases, lines, strict=True):
        item = items[case.file][case.index]
        for name, repairs in sets.items():
            sc = score_output(item, case.output, repairs)
            out[name] += _bits(sc.ts, sc.pi, sc.cf) != _official(verdict)
    return out


def test_fixed_mode_differs_exactly_as_documented() -> None:
    assert per_repair_differences() == FIXED_DIFFERENCES
    agree, swept, _ = agreement("fixed")
    assert swept - agree == FIXED_DIFFERENCES["fixed"]


if __name__ == "__main__":
    up = agreement("upstream")
    print(f"RoTBench upstream mode: {up[0]:,} / {up[1]:,} swept predictions agree on TS, PI and CF")
    for line in up[2]:
        print("  ", line)
    print("fixed mode, predictions differing from the official verdict:", per_repair_differences())
