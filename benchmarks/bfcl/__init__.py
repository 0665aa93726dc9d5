"""BFCL-v3 executable categories (240 items): loader, execution check and TS/PI/CF scorer.

Data (research note ``bfcl_toolalpaca.md`` §1): ``bfcl_v3_exec/BFCL_v3_exec_<category>.json`` (questions and
docs, JSON Lines) with the gold in ``possible_answer/`` - the fixed data at gorilla ``d6b5fb8``, release
``"d6b5fb8"`` (default) - or the paper-era files in ``v3_release_2024-09-20/`` with the gold inside each
question line, release ``"v3-2024-09-20"``. The two differ in exec_parallel_multiple_30 (3 gold calls at
the release, 2 later) and exec_parallel_10 (question text). Item ids are BFCL's (``exec_simple_0``);
``index`` is the position in the benchmark (``bfcl-v3-exec`` concatenates simple, multiple, parallel,
parallel_multiple); ``scenario`` is the category. Gold calls are Python call strings read with :mod:`ast`
(never executed), positional arguments named by the doc's parameter order (exec_parallel_multiple_18's
``calculate_mean([1,3,4,6,8])`` is the only one), constant arithmetic folded (``p=1/6``, ``500*500``).

Per item two verdicts:

``exec`` - BFCL's executable checker (§1.4), on the 134 items whose gold calls all use the 32 pure
functions (``tools_env.impls.bfcl_exec``, which compute what the official functions compute: the gold
results are the official ones bit for bit); None for the 106 items with a live-web call (those cannot be
run offline; their headline ``correct`` falls back to CF, the argument comparison the note suggests, and
``detail["fallback"]`` says so). A prediction passes when: the output decodes to calls; their number
equals the gold count (exactly one for exec_simple); each gold call, in gold order, is matched greedily to
the first unused predicted call whose execution result equals the gold call's result under Python ``==``
(no numeric tolerance: ``1 == 1.0`` passes, ``"5"`` for ``5`` fails because the function raises, names
are case-sensitive because an unknown name cannot run). A tuple result compares as a list. The official
functions receive Python values, tuples included: ``polygon_area`` appends to its argument, so a tuple of
vertices fails there (the sandbox receives JSON lists, so :func:`execute` applies that rule itself).

TS / PI / CF - the note's §1.7 scorer (BFCL has none of its own), cumulative, order-free and one-to-one for
parallel items: TS = equal multisets of names; PI = equal multisets of (name, key set); CF = a perfect
matching of calls with equal names, keys and values (numbers compared numerically with relative tolerance
1e-9, bools only with bools, ``estimate_derivative`` lambda strings by their ``ast.dump``, tuples as lists).
An optional parameter given with its documented ``default`` counts as omitted, on both sides. They are
computed on the calls the decoder reads, so "the official verdict" for them is that reading.

Two modes. ``upstream`` decodes the output as BFCL's prompting decoder does (:mod:`benchmarks.bfcl_decode`
lists every rule: the call list's ends stripped of backticks, newlines and spaces, then of ``[ ] '``;
keyword arguments only, a positional argument is *dropped*; any unary operator on a constant reads as a
minus; arithmetic evaluated with Python's semantics; a bare name, a call or a subscript read as text).
Other formats (``fmt`` other than ``python``) go through :func:`tlbench.parsers.parse`, as BFCL's FC
models' tool calls do.

Agreement (``tests/upstream/test_bfcl_agreement.py``, gorilla ``d6b5fb8``'s own checker run on a seeded
sweep of 12,700 predictions built from the public gold calls, 36 kinds of mutation): the exec verdict
agrees on all 10,050 predictions for the 134 offline items, the decoded call list on all 12,700. Before
the fixes this needed, 794 exec verdicts and 1,059 decoded call lists differed (each fix is pinned by a
test): 765 / 1,059 from the decoder - the strip of ``[ ] '`` (``['f(a=1)']`` and ``[f(a=1)]]`` decode,
``[f(a=1)] # done`` and an indented call list do not: 563 / 685), the unary-operator rule (``-(-x)``
fails, ``not x`` is ``-x``), arithmetic on lists and strings, and names, calls, subscripts and ``...``
read as text; 26 exec verdicts from the pure functions' semantics (integral floats in
``get_prime_factors``, ``sort_array``'s ``reverse``, the nutritional-needs formula with its gender and
activity-level handling; ``math_gcd``'s signs showed once the decoder was right; the Fibonacci, investment,
booking and other formulas were aligned too, so that the 134 gold results are the official ones bit for
bit); 3 from tuples (``polygon_area``).

``fixed`` repairs the quirks listed as the flags of :class:`Repairs`, each with what it changes (counts:
items whose verdict changes when the gold strings are scored verbatim as the prediction, over the 240
items, :func:`repair_counts`; then swept predictions whose exec verdict / decoded calls differ from the
official ones with that repair alone, 1,578 / 2,273 with all of them).

In both modes the stale ``execution_result_type`` of exec_parallel_multiple_30 (3 entries for 2 gold calls at
d6b5fb8) is paired with the calls by index and the extra entry ignored.

Execution goes through :func:`execute`: each call runs in ``tools_env``'s sandbox pool (a worker process with
resource limits and a time-out; the functions also bound their inputs), so a call that hangs, crashes or
exhausts memory is a failed call, never a stuck or crashed scorer. Outcomes of pure calls are cached per
process by name and arguments (4,096 at most; time-outs and crashes are never cached).

Modules: :mod:`~benchmarks.bfcl.repairs` (the ``fixed`` flags), :mod:`~benchmarks.bfcl.read` (an output to
calls), :mod:`~benchmarks.bfcl.execution` (the executable check), :mod:`~benchmarks.bfcl.match` (TS / PI /
CF), :mod:`~benchmarks.bfcl.load` (data files, docs, gold calls), :mod:`~benchmarks.bfcl.bench` (the
registered benchmark); BFCL's prompting decoder is :mod:`benchmarks.bfcl_decode`.
"""

from __future__ import annotations

from benchmarks.bfcl.bench import (
    BFCL_ALL,
    BFCL_MULTIPLE,
    BFCL_PARALLEL,
    BFCL_PARALLEL_MULTIPLE,
    BFCL_SIMPLE,
    CATEGORIES,
    RELEASES,
    Bfcl,
    repair_counts,
)
from benchmarks.bfcl.execution import ExecOutcome, exec_check, execute
from benchmarks.bfcl.load import parse_gold_call, prompted_functions
from benchmarks.bfcl.match import match_calls, perfect_matching, values_equal
from benchmarks.bfcl.read import decode_upstream
from benchmarks.bfcl.repairs import FIXED, UPSTREAM, Repairs

__all__ = [
    "CATEGORIES",
    "RELEASES",
    "Bfcl",
    "repair_counts",
    "BFCL_ALL",
    "BFCL_SIMPLE",
    "BFCL_MULTIPLE",
    "BFCL_PARALLEL",
    "BFCL_PARALLEL_MULTIPLE",
    "ExecOutcome",
    "execute",
    "exec_check",
    "parse_gold_call",
    "prompted_functions",
    "match_calls",
    "values_equal",
    "perfect_matching",
    "decode_upstream",
    "Repairs",
    "UPSTREAM",
    "FIXED",
]
