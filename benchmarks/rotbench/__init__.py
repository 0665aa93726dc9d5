"""RoTBench (First_Turn / Third_Turn x clean, slight, medium, heavy, union): loader and TS/PI/CF scorer.

Items come from ``rotbench/Data/<First_Turn|Third_Turn>/<level>.json`` (a JSON list). The model sees the
conversation up to the last assistant message (system + user for First_Turn, plus two earlier actions and
their observations for Third_Turn) and must write ONE ReAct action; the last assistant value is the list of
acceptable gold answers. Item ids are the file positions as text (``"0"``, ``"1"``, ...), because upstream
ids (``"Turn 1: <query>"``) repeat across the noisy halves; the upstream id is kept in
``metadata["upstream_id"]``. Tool docs come from the JSON list in the system prompt.

Two scoring modes (research note ``rotbench_tooleyes.md`` §2):

``upstream`` reproduces ``evaluate.py --version 0`` item by item, quirks included:

* the name is ``s[s.find("Action:") + 8 : s.find("Action Input:")]`` minus ONE trailing ``"\n"`` (no other
  stripping; a missing marker makes ``find`` return -1 and the slices run on as upstream's do);
* the arguments are ``json.loads(s[i_in + 14:])``: strict JSON, nothing after the object;
* a prediction whose arguments are falsy (``{}``, ``[]``, ``0``, ``null``) or a string scores 0/0/0;
  upstream *crashes* on an empty name (IndexError), on a list/number/``true`` as arguments once the name
  matches a gold (AttributeError on ``.keys()``) and on JSON nested beyond Python's recursion limit
  (RecursionError): all are scored as unparsable here (``empty_name`` / ``not_object`` / ``bad_json``);
* ``finish`` and ``ask_to_user`` are identified by position (last and second-to-last tool); a literal
  ``finish`` prediction is renamed to the finish-position tool's name when a gold of that tool is met, in
  each of upstream's three loops (TS, PI, CF) separately, each loop starting again from the prediction as
  written (so the TS loop stopping at a tool literally named ``finish`` does not keep the PI loop from
  reaching the finish-position tool's gold);
* TS: some gold has the same name; PI: ... and the same key set (keys whose gold value is the string
  ``"None"`` must be present, any value); CF: ... and equal values after dropping the ``"None"`` keys,
  except that CF = PI (values are not compared) when the gold's tool is the finish- or ask-position tool
  *or is literally named* ``finish`` / ``ask_to_user`` (upstream renames the two position tools to those
  names and then skips on the name, so a tool that the heavy/union noise merely named ``finish`` or
  ``ask_to_user`` skips too: 123 of the 14,000 swept predictions, all in First_Turn heavy/union and
  Third_Turn heavy);
* CF mutates the prediction in place: the ``"None"`` keys of every name-and-key-matching gold are deleted
  from the prediction dict before the value comparison, so a later gold of the same tool with a
  ``"None"`` key then fails its key check (quirk 2: item 1 of First_Turn/clean, third gold).

Agreement (``tests/upstream/test_rotbench_agreement.py``): on a seeded sweep of 14,000 predictions built
from the public golds (every file, noise level and turn; 53 kinds of mutation of names, keys, values,
types and format), upstream mode gives the official ``evaluate.py``'s TS/PI/CF on all 14,000; the 574 on
which ``evaluate.py`` raises are scored 0/0/0 as unparsable.

``fixed`` repairs four things: the flags of :class:`Repairs`, each with what it changes (measured).

In both modes the parse-failure reason is kept in ``detail["failure"]``; the classifier categories come
from :func:`tlbench.classify.classify` against the gold alternatives with ``"None"`` as the wildcard value.
Other output formats (``fmt`` other than ``react``) are read with :func:`tlbench.parsers.parse`; its first
call is scored with the same TS/PI/CF rules (a bare final answer counts as a ``finish`` call).

Modules: :mod:`~benchmarks.rotbench.scoring` (upstream's reading of an action, the repairs and TS / PI / CF)
and :mod:`~benchmarks.rotbench.bench` (the loader, output reading in other formats, the registered files).
"""

from __future__ import annotations

from benchmarks.rotbench.bench import LEVELS, ROTBENCH, SCENARIOS, TURNS, RoTBench, score_output
from benchmarks.rotbench.scoring import (
    FIXED,
    NONE_VALUE,
    UPSTREAM,
    CallScore,
    ReactAction,
    Repairs,
    parse_action,
    score_call,
)

__all__ = [
    "TURNS",
    "LEVELS",
    "SCENARIOS",
    "RoTBench",
    "ROTBENCH",
    "score_output",
    "NONE_VALUE",
    "Repairs",
    "UPSTREAM",
    "FIXED",
    "ReactAction",
    "CallScore",
    "parse_action",
    "score_call",
]
