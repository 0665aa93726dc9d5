"""ToolAlpaca eval_real (11 real APIs, 114 instructions): loader and deterministic TS/PI/CF scorer.

There is no official deterministic ToolAlpaca scorer: upstream (``tangqiaoyu/ToolAlpaca@189069998d``,
``evaluation.py``) evaluates with a GPT-4 judge only, and TL-Training (``Junjie-Ye/TL-Training``)
publishes no evaluation code. The closest official code that defines TS/PI/CF, RoTBench's
``evaluate.py``, reads one strict-JSON ReAct action against a RoTBench item; running it on ToolAlpaca
needs conversion choices that no official code makes, and its rules are not these (its ``{}`` rule would
make the 25 zero-argument gold calls unscorable, it compares values type-exactly and counts the
authentication key): on the seeded sweep of ``tests/upstream/toolalpaca_sweep.py`` it gives tlbench's
Mode A upstream verdicts on 5,756 of 10,231 ReAct predictions. So this module is tlbench's own scorer,
the deterministic one the research note suggests (``bfcl_toolalpaca.md`` §2.4), with its pitfalls (§2.5)
handled as follows; ``upstream`` mode means "the strict rules", not "an official scorer's verdicts".
``tests/upstream/test_toolalpaca_agreement.py`` pins every verdict of the sweep (11,430 predictions, Mode
A and B, both modes) against an independent reading of this docstring.

Items: one per instruction, in file order (API by API); ``id`` is ``"<API name>/<k>"``, ``scenario`` the API
name. ``messages`` is the instruction as one user message; ``tools`` are the API's functions
(:func:`tlbench.docs.docs_from_toolalpaca`: the keys of ``Function_Projection``, parameters from the JSON
after ``Parameters:``; the ``components`` pseudo-entry is not a tool). Gold: the ``Golden_Answers`` calls in
order, ``Action_Input`` read as JSON.

Pitfalls:

* malformed gold JSON (CurrencyBeacon 4, 8, 9, 10: ``"symbols": "symbols": [...]``) is repaired on load to
  ``"symbols": [...]`` (``metadata["repaired_json"]``);
* authentication parameters (the keys of ``Authentication``: ``access_key``, ``appid``, ``api_key``) are
  removed from the gold on load - the 34 gold calls carry upstream authors' literal keys, which never
  enter an ``Item`` - and ignored in predictions; the docs keep them (they are in the upstream docs);
* the 6 AviationAPI items (5-10) whose gold uses functions missing from the docs are kept and flagged
  (``metadata["undocumented_gold"]``): a doc-faithful model cannot reach TS there, so its TS ceiling is
  108/114 = 94.74. Gold answers scored as predictions still give 100 (the names match);
* values are compared by the doc type: a number and a numeric string are equal when they denote the same
  number (gold ``"year": 2024`` vs ``"2024"``; ``amount`` is typed string but the gold gives 500); strings
  are compared after ``strip()``.

Matching (``calls``): ``"first"`` (Mode A, the default: the ReAct format asks for one action per turn) scores
the first predicted call against the best gold call of the item - TS = same name, PI = and the same key set,
CF = and equal values, best by (CF, PI, TS); ``"all"`` (Mode B) needs the whole gold sequence, matched
order-free and one-to-one like BFCL parallel items (TS: equal name multisets; PI: equal (name, key set)
multisets; CF: a perfect matching of equal calls). In ``"all"`` a ReAct output is read action by action.

Modes: ``upstream`` is the note's strict scorer. ``fixed`` adds the lenient variants the note proposes, the
flags of :class:`Repairs` (each changes 0 items with gold answers as predictions, since gold matches itself;
the repairs matter for model outputs).

Remaining arbitrary gold choices (Fruityvice 9 picks apple and banana for "fruits in season"; CurrencyBeacon
9/10 assume July 2023; Cataas 5 uses three ``getRandomCat`` calls) are not repaired: they bound a model's CF
below 100 and are listed in ``metadata["arbitrary_gold"]``.

Modules: :mod:`~benchmarks.toolalpaca.scoring` (the repairs, value equality and the Mode A / B verdicts) and
:mod:`~benchmarks.toolalpaca.bench` (the loader with its gold repairs, output reading, the registered
benchmark).
"""

from __future__ import annotations

from benchmarks.toolalpaca.bench import (
    ARBITRARY_GOLD,
    ERRATA,
    RELPATH,
    TOOLALPACA_REAL,
    TOOLALPACA_REAL_ALL,
    ToolAlpaca,
    repair_action_input,
)
from benchmarks.toolalpaca.scoring import (
    FIXED,
    UPSTREAM,
    Context,
    Repairs,
    score_all,
    score_first,
    values_match,
)

__all__ = [
    "RELPATH",
    "ERRATA",
    "ARBITRARY_GOLD",
    "ToolAlpaca",
    "repair_action_input",
    "TOOLALPACA_REAL",
    "TOOLALPACA_REAL_ALL",
    "Repairs",
    "UPSTREAM",
    "FIXED",
    "Context",
    "values_match",
    "score_first",
    "score_all",
]
