"""RoTBench's scoring rules: ``evaluate.py``'s reading of one ReAct action, the ``fixed`` repairs and the
TS / PI / CF of one call against the gold alternatives (see the package docstring).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import base

#: A gold value meaning "this key must be present, any value".
NONE_VALUE = "None"


_ACTION = "Action:"


_INPUT = "Action Input:"


@dataclass(frozen=True, slots=True)
class Repairs(base.Repairs):
    """The quirks of ``evaluate.py`` that ``fixed`` mode repairs. Counts: items whose score changes when the
    first gold answer of every item is scored as the prediction, over all ten files (1,400 items; see the
    tests), and swept predictions whose fixed-mode TS/PI/CF differ from the official verdict with that
    repair alone (2,255 with all four)."""

    empty_args: bool = False
    """``{}`` arguments are a valid call (upstream ceiling 92.38 on First_Turn/clean becomes 100). Changes
    8/16/16/10/8 First_Turn and 3/6/6/3/1 Third_Turn items (clean/slight/medium/heavy/union), 77 in all (84
    of the 1,912 individual gold answers when each gold answer is scored as a prediction); 923 swept
    predictions."""
    fresh_copy: bool = False
    """Every gold is compared with a fresh copy of the prediction (no in-place mutation). Changes 0 items
    with first-gold predictions, and 24 individual gold answers over the ten files when each one is scored
    as a prediction (an earlier gold of the same tool matches keys but not values, as for item 1's third
    gold: upstream TS=PI=1, CF=0); 8 swept predictions."""
    position_names: bool = False
    """``finish`` / ``ask_to_user`` mean the position tools only. A literal ``finish`` / ``ask_to_user``
    prediction is accepted for the finish/ask-position tool only when no tool of the item is really called
    that (upstream accepts ``finish`` even when the heavy noise gave that name to another tool, and never
    accepts ``ask_to_user`` for a renamed ask tool), and values are compared for every tool but the two
    position tools (upstream skips them for a tool literally named ``finish`` / ``ask_to_user`` too).
    Changes 0 items with gold predictions (gold answers use the item's own names); 138 swept predictions
    (123 of them the literal-name value skip)."""
    strip_name: bool = False
    """Surrounding whitespace (spaces, ``\\r``, several newlines) around the action name is ignored. Changes
    0 items with gold predictions; 1,119 swept predictions."""


UPSTREAM = Repairs.upstream()


FIXED = Repairs.fixed()


repairs_for = Repairs.for_mode


@dataclass(frozen=True, slots=True)
class ReactAction:
    """One ReAct action read with upstream's slicing rule: a name and arguments, or a failure reason."""

    name: str = ""
    arguments: Any = None
    failure: str | None = None

    @property
    def ok(self) -> bool:
        """True when the action can be scored."""
        return self.failure is None


def parse_action(text: object, repairs: Repairs = UPSTREAM, *, gold: bool = False) -> ReactAction:
    """Read ``text`` as upstream's version-0 evaluator does (see the module docstring).

    ``gold=True`` skips the prediction-only rejections (falsy arguments), as upstream parses gold answers
    without them. Never raises: upstream's crashes become failures ``"empty_name"`` / ``"not_object"``.
    """
    if not isinstance(text, str):
        return ReactAction(failure="not_text")
    i_act = text.find(_ACTION)
    i_in = text.find(_INPUT)
    if repairs.strip_name and (i_act < 0 or i_in < 0):
        return ReactAction(failure="no_action")
    name = text[i_act + 8 : i_in]
    if repairs.strip_name:
        name = name.strip()
    elif name.endswith("\n"):
        name = name[:-1]
    elif not name:
        return ReactAction(failure="empty_name")  # upstream: IndexError on name[-1]
    try:
        args = json.loads(text[i_in + 14 :])
    except (ValueError, RecursionError):
        return ReactAction(name=name, failure="bad_json")
    if isinstance(args, str):
        return ReactAction(name=name, arguments=args, failure="not_object")
    if not gold and not repairs.empty_args and not args:
        return ReactAction(name=name, arguments=args, failure="empty_args")
    if not isinstance(args, dict):
        return ReactAction(name=name, arguments=args, failure="not_object")  # upstream: AttributeError
    if not name:
        return ReactAction(name=name, arguments=args, failure="empty_name")
    return ReactAction(name=name, arguments=args)


@dataclass(frozen=True, slots=True)
class CallScore:
    """TS/PI/CF of one predicted call, and the gold alternative that gave the best verdict."""

    ts: bool = False
    pi: bool = False
    cf: bool = False
    gold_index: int | None = None


def _name_matches(
    g_name: str, pred_name: str, finish: str, ask: str, tool_names: frozenset[str], repairs: Repairs
) -> bool:
    if g_name == pred_name:
        return True
    if not repairs.position_names:
        return False
    return (g_name == finish and pred_name == "finish" and "finish" not in tool_names) or (
        g_name == ask and pred_name == "ask_to_user" and "ask_to_user" not in tool_names
    )


def _values_skipped(g_name: str, finish: str, ask: str, repairs: Repairs) -> bool:
    """Whether CF skips the value comparison for a gold of this tool (then CF = PI).

    Upstream renames the gold's tool (the last tool to ``"finish"``, then the second-to-last to
    ``"ask_to_user"``) and skips when the result is either literal name, so a tool that the heavy/union noise
    merely *named* ``finish`` or ``ask_to_user`` skips too. ``position_names`` keeps the skip for the two
    position tools only.
    """
    if g_name in (finish, ask):
        return True
    return not repairs.position_names and g_name in ("finish", "ask_to_user")


def score_call(
    pred_name: str,
    pred_args: Mapping[str, Any],
    golds: Sequence[tuple[str, Mapping[str, Any]]],
    finish: str,
    ask: str,
    tool_names: Sequence[str] = (),
    repairs: Repairs = UPSTREAM,
) -> CallScore:
    """TS/PI/CF of one parsed prediction against the gold alternatives ``(name, args)``, in order.

    ``finish``/``ask`` are the names of the last and second-to-last tools. With ``UPSTREAM`` this is
    upstream's procedure: three separate loops over the golds (TS, PI, CF), each starting from the
    prediction as written and renaming a literal ``finish`` when it meets the finish-position tool's gold,
    and the in-place mutation of the prediction in CF.
    """
    names = frozenset(tool_names)

    def matches(g_name: str, name: str) -> tuple[bool, str]:
        """(same tool, the prediction's name from here on): upstream renames a literal ``finish``."""
        if not repairs.position_names and g_name == finish and name == "finish":
            name = g_name
        return _name_matches(g_name, name, finish, ask, names, repairs), name

    pred = dict(pred_args)
    ts = pi = cf = False
    best: int | None = None
    name = pred_name
    for i, (g_name, _) in enumerate(golds):
        same, name = matches(g_name, name)
        if same:
            ts, best = True, i
            break
    name = pred_name  # each of upstream's loops reads the prediction afresh
    for i, (g_name, g_args) in enumerate(golds):
        same, name = matches(g_name, name)
        if same and set(g_args) == set(pred):
            pi, best = True, i
            break
    if pi:
        name = pred_name
        for i, (g_name, g_args) in enumerate(golds):
            candidate = dict(pred) if repairs.fresh_copy else pred
            same, name = matches(g_name, name)
            if not same or set(g_args) != set(candidate):
                continue
            if _values_skipped(g_name, finish, ask, repairs):
                cf, best = True, i
                break
            gold = dict(g_args)
            for key in [k for k, v in gold.items() if v == NONE_VALUE]:
                del gold[key]
                del candidate[key]  # upstream mutates the prediction itself (quirk 2)
            if gold == candidate:
                cf, best = True, i
                break
    return CallScore(ts=ts, pi=pi, cf=cf, gold_index=best)
