"""BFCL-v3 exec: ``--mode upstream`` gives the official checker's verdict on every swept prediction (issue 20).

What "official verdict" means here (BFCL has no official TS/PI/CF; ``benchmarks/bfcl`` defines them
after the research note, on the calls the decoder reads):

* **exec** - the executable checker's verdict, on the 134 items whose gold calls run offline (the 106 with
  a live-web call need the live APIs; their exec verdict is not compared, only their decoding);
* **decode** - the call list that BFCL's AST decoder reads from the output (the input of TS/PI/CF), on all
  240 items; a decoder error and an empty list are both "no calls";
* **expected** - the gold calls' execution results that the checker compares with (134 items).

The sweep (``bfcl_sweep.py``: 12,700 predictions, 75 for each of the 134 offline items and 25 for each of
the 106 live ones, built from the public gold calls by 36 kinds of mutation) is regenerated from its seed.
The official side is data, in ``data/bfcl_verdicts.txt.gz`` and ``data/bfcl_expected.json``.

How they were produced (anyone can redo it; the driver is not committed because it runs upstream code):

* upstream ``ShishirPatil/gorilla`` at ``d6b5fb8c5214ba9733de300256a2998755a3e32c``,
  ``berkeley-function-call-leaderboard`` installed (``pip install -e .``, its pinned requirements) in a
  scratch CPython 3.11.7 venv, unmodified; the four API-key variables set to a dummy value (the function
  module refuses to import without them) and ``requests.get/post/request`` replaced in the driver process
  by a function raising ``ConnectionError`` (no network: a live function called by a prediction fails);
* expected results: the question and possible-answer files filtered to the 134 offline items, then
  ``bfcl.eval_checker.eval_runner_helper.get_executable_expected_output`` on them, read back with
  ``bfcl.utils.load_file`` (as ``evaluate_task`` does);
* exec, per prediction, as ``executable_file_runner`` does for one item: ``default_decode_execute_prompting``
  (an exception: 0), ``is_executable_format_output`` (false: 0), then ``executable_checker_non_rest(decoded,
  item with its execution_result, "exec_<category>")["valid"]``; ``-`` for live items;
* decode: ``bfcl.model_handler.utils.default_decode_ast_prompting`` and ``is_function_calling_format_output``,
  written with ``bfcl_sweep.canonical_calls`` (``[]`` on an exception);
* ``SIGALRM`` after 5 s per prediction (never fired); the verdict file holds a header (commit, Python,
  sweep seed, size, SHA-256) and one line per case: ``exec<TAB>decoded calls``.

``python tests/upstream/test_bfcl_agreement.py`` prints the agreement figures.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from collections import Counter
from dataclasses import fields, replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]  # the sweep module; the repo root when run as a script

import bfcl_sweep as sweep  # noqa: E402

from benchmarks.base import Item  # noqa: E402
from benchmarks.bfcl import UPSTREAM, Bfcl, Repairs, exec_check  # noqa: E402
from benchmarks.bfcl.read import read_output  # noqa: E402
from tools_env.impls.bfcl_exec import LIVE_FUNCTIONS  # noqa: E402

VERDICTS = HERE / "data" / "bfcl_verdicts.txt.gz"
EXPECTED = HERE / "data" / "bfcl_expected.json"
UPSTREAM_COMMIT = "d6b5fb8c5214ba9733de300256a2998755a3e32c"

#: Swept predictions whose fixed-mode verdict differs from the official one, per repair alone and with all
#: repairs (``fixed``): (exec verdicts of the 10,050 offline predictions, decoded call lists of all 12,700).
FIXED_DIFFERENCES = {
    "positional": (277, 371),
    "unary_plus": (60, 240),
    "python_parser": (1241, 1663),
    "exec_names": (0, 0),
    "undocumented_params": (0, 0),  # it changes PI/CF only, which have no official counterpart
    "fixed": (1578, 2273),
}


def _data_dir() -> Path:
    return Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")


@cache
def _sweep() -> tuple[list[sweep.Case], list[tuple[str, str]], str]:
    data = _data_dir()
    if not (data / "bfcl_v3_exec" / "BFCL_v3_exec_simple.json").is_file():
        pytest.skip(f"BFCL data not found under {data}")
    with gzip.open(VERDICTS, "rt", encoding="utf-8") as fh:
        header, *lines = fh.read().splitlines()
    verdicts = [tuple(line.split("\t", 1)) for line in lines]
    return sweep.cases(data), verdicts, header  # type: ignore[return-value]


@cache
def _items() -> dict[str, Item]:
    return {it.id: it for it in Bfcl("bfcl-v3-exec").load(_data_dir())}


def _canonical(calls: Any) -> str:
    return sweep.canonical_calls([(c.name, c.arguments) for c in calls])


def test_verdicts_belong_to_this_sweep() -> None:
    cases, verdicts, header = _sweep()
    assert UPSTREAM_COMMIT in header
    assert f"sha256={sweep.fingerprint(cases)}" in header, "the sweep changed: regenerate the verdicts"
    assert len(verdicts) == len(cases) == 12_700
    assert Counter(v[0] for v in verdicts) == {"0": 6575, "1": 3475, "-": 2650}
    assert Counter(c.executable for c in cases) == {True: 10_050, False: 2_650}
    items = _items()
    assert all(
        (v[0] != "-") == items[c.id].metadata["executable"] for c, v in zip(cases, verdicts, strict=True)
    )
    assert len({c.kind for c in cases}) == len(sweep.KINDS) == 36
    assert sweep.LIVE == LIVE_FUNCTIONS  # the generator's own copy (it runs without tlbench)
    assert {items[c.id].scenario for c in cases} == {"simple", "multiple", "parallel", "parallel_multiple"}


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types, all the way down (``1 == 1.0`` is not enough here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def test_gold_results_are_the_official_ones_bit_for_bit() -> None:
    official = json.loads(EXPECTED.read_text(encoding="utf-8"))["expected"]
    items = _items()
    assert len(official) == sum(it.metadata["executable"] for it in items.values()) == 134
    bad = [i for i, exp in official.items() if not _same(list(items[i].metadata["expected"]), exp)]
    assert bad == []


def agreement() -> dict[str, tuple[int, int, list[str]]]:
    """Per verdict kind: (agreeing, swept, first disagreements) of tlbench's upstream mode."""
    cases, verdicts, _ = _sweep()
    items = _items()
    bench = Bfcl("bfcl-v3-exec")
    out: dict[str, list[Any]] = {"exec": [0, 0, []], "decode": [0, 0, []]}
    for case, (v_exec, v_calls) in zip(cases, verdicts, strict=True):
        s = bench.score_item(items[case.id], case.output, "upstream")
        got = {"decode": (_canonical(s.calls), v_calls)}
        if v_exec != "-":
            got["exec"] = ("1" if s.exec else "0", v_exec)
        for kind, (mine, theirs) in got.items():
            row = out[kind]
            row[1] += 1
            row[0] += mine == theirs
            if mine != theirs and len(row[2]) < 10:
                row[2].append(f"{case.id} {case.kind}: official {theirs} tlbench {mine} {case.output!r}")
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def test_upstream_mode_agrees_on_every_swept_prediction() -> None:
    result = agreement()
    assert result["exec"][2] == [] and result["decode"][2] == []
    assert result["exec"][:2] == (10_050, 10_050)
    assert result["decode"][:2] == (12_700, 12_700)


def per_repair_differences() -> dict[str, tuple[int, int]]:
    """Swept predictions whose exec verdict / decoded calls under each repair alone (and ``fixed``) differ
    from the official ones."""
    cases, verdicts, _ = _sweep()
    items = _items()
    sets = {f.name: replace(UPSTREAM, **{f.name: True}) for f in fields(Repairs)}
    sets["fixed"] = Repairs(**{f.name: True for f in fields(Repairs)})
    out = {name: [0, 0] for name in sets}
    for case, (v_exec, v_calls) in zip(cases, verdicts, strict=True):
        item = items[case.id]
        decoded: dict[tuple[bool, ...], tuple[Any, ...]] = {}  # only three repairs touch the decoder
        for name, repairs in sets.items():
            flags = (repairs.positional, repairs.unary_plus, repairs.python_parser)
            if flags not in decoded:
                parse = read_output(case.output, item, repairs, None)
                decoded[flags] = tuple(parse.calls) if parse.ok else ()
            calls = decoded[flags]
            out[name][1] += _canonical(calls) != v_calls
            if v_exec != "-":
                out[name][0] += ("1" if exec_check(calls, item, repairs)[0] else "0") != v_exec
    return {k: (v[0], v[1]) for k, v in out.items()}


def test_fixed_mode_differs_exactly_as_documented() -> None:
    assert per_repair_differences() == FIXED_DIFFERENCES


if __name__ == "__main__":
    for kind, (agree, swept, bad) in agreement().items():
        print(f"BFCL-v3 exec upstream mode, {kind}: {agree:,} / {swept:,} swept predictions agree")
        for line in bad:
            print("  ", line)
    print("fixed mode, (exec, decode) differing from the official verdict:", per_repair_differences())
