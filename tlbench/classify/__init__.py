"""The single error classifier: every scorer, the MAE masker, the IRM reward and ``tools_env`` call this.

Three entry points, from the narrowest to the widest:

* :func:`check_against_docs` judges one call against the documentation only (tool hallucination,
  parameter hallucination, missing required parameter, type mismatch);
* :func:`classify_call` judges one call against the documentation **and** a list of acceptable gold calls
  (adds wrong tool with its Table 1 sub-type, redundant parameter, content error with a normalised-equal flag);
* :func:`classify` judges a whole turn (a :class:`ParseResult` or a list of calls), matching parallel calls to
  the gold order-free and one-to-one; :func:`classify_output` parses the raw text first.

:func:`classify_feedback` maps an execution feedback (a ``tools_env`` :class:`Feedback` or a recorded upstream
text such as ``"f() missing 1 required positional argument: 'p'"``) to an :class:`ErrorKind`, so that recorded
One package, split along its seams (callers import every name from :mod:`tlbench.classify`):

* :mod:`~tlbench.classify.severity` - the severity order below;
* :mod:`~tlbench.classify.values` - the JSON type check, exact equality and the normalised ("synonym") form;
* :mod:`~tlbench.classify.names` - tool-name tokens and the wrong-tool sub-types;
* :mod:`~tlbench.classify.calls` - one call against the docs and the gold calls;
* :mod:`~tlbench.classify.turn` - one turn: parallel-call matching, alternatives, ``classify_output``;
* :mod:`~tlbench.classify.gold` - gold answers read from their upstream shapes;
* :mod:`tlbench.feedback` - the feedback texts (outside the package: it needs nothing of it).

trajectories without labels can be judged from their feedback alone.

Severity order (most severe first; a turn's headline is its most severe call kind)::

    UNPARSABLE > TOOL_HALLUCINATION > WRONG_TOOL > PARAMETER_HALLUCINATION > MISSING_PARAMETER
    > REDUNDANT_PARAMETER > TYPE_MISMATCH > CONTENT_ERROR > TOOL_CALL_FAILURE > TOOL_INSTABILITY > OTHER > CORRECT

Decisions the paper leaves open (documented here, tested in ``tests/classify``):

* **Finish.** A call whose name is a finish name (``finish``, ``final_answer``) is never a tool hallucination,
  even when the docs do not list it (BFCL docs have no finish tool). A parsed final answer without calls counts
  as a ``finish`` call when the gold is compared; two finish names always match each other. The *text* of a
  finish or ask-user call is free text and is not compared (as RoTBench's CF does); its keys are.
* **Gold shapes.** ``gold`` for :func:`classify` is a list of alternatives, each a list of calls (parallel calls,
  matched order-free). A flat list of calls means "any one of these single calls" (RoTBench's answer lists).
  An empty alternative (``[[]]``) means "no call expected": a final answer is then CORRECT, any call is
  WRONG_TOOL. ``None`` or an empty list means "no gold": documentation-only checks.
* **Missing / extra calls.** A gold call left unmatched gives a ``CallVerdict(call=None, kinds=(WRONG_TOOL,))``;
  a predicted call left unmatched is WRONG_TOOL (or TOOL_HALLUCINATION when it is not documented). A final
  answer where the gold expects a call is therefore WRONG_TOOL.
* **Defaults.** A predicted key the gold omits is not redundant when its value equals the documented default;
  a gold key the prediction omits is not missing when the gold value equals the documented default.
* **Hallucination vs redundancy.** With gold, a key that the gold uses is never hallucinated (gold wins over an
  incomplete doc); a key outside the gold is hallucinated if the doc has a properties schema without it,
  otherwise redundant.
* **Type mismatch with gold.** Only values that differ from the gold are type-checked (a value equal to the gold
  is right whatever the doc says); such a value is both TYPE_MISMATCH and CONTENT_ERROR.
* **Wildcard.** ``wildcard="None"`` reproduces RoTBench's rule that a gold value ``"None"`` accepts any value
  (the key must still be present).
"""

from __future__ import annotations

from tlbench.classify.calls import check_against_docs, classify_call
from tlbench.classify.gold import gold_alternatives
from tlbench.classify.names import name_tokens, wrong_tool_kind
from tlbench.classify.severity import SEVERITY, most_severe, severity_rank
from tlbench.classify.turn import classify, classify_output
from tlbench.classify.values import normalise_value, type_matches, values_normalised_equal
from tlbench.feedback import FeedbackDetail, classify_feedback, classify_feedback_detail

__all__ = [
    "SEVERITY",
    "severity_rank",
    "most_severe",
    "check_against_docs",
    "classify_call",
    "classify",
    "classify_output",
    "classify_feedback",
    "classify_feedback_detail",
    "FeedbackDetail",
    "name_tokens",
    "wrong_tool_kind",
    "normalise_value",
    "values_normalised_equal",
    "type_matches",
    "gold_alternatives",
]
