"""ToolEyes (382 zero-shot items): loader, and DE / CE / VA scoring of multi-turn episode transcripts.

Items come from ``tooleyes/Test_Data/scenario_data_zero_processed.json``; item ids are file positions as
text (upstream ids repeat: two queries appear under two tools; ``metadata["upstream_id"]`` and
``metadata["path"]`` keep the upstream key). The tool docs are ``Tool_Library/<Category>/<Tool>/
config_gpt4.json`` for the item's ``path``. There are no gold answers: ToolEyes is scored from episodes.

Transcript records (one JSON object per line of ``--predictions``), the format accepted:

* ``index`` (int) and/or ``id`` (str; ``path`` may disambiguate an upstream id), matched as in
  ``benchmarks/predictions.py``;
* EITHER ``turns`` (``tools_env.episode.Episode.to_dict()``: per turn ``raw``, ``parse`` with ``calls`` /
  ``failure``, ``feedback`` with ``category`` per call), with ``fmt``, ``forced`` / ``finished`` (the
  record may also nest these under ``"episode"``);
* OR ``messages`` (``{"role", "content"}``) or upstream ``conversations`` (``{"from", "value"}``): the
  whole conversation, system and user first, as upstream's inference stores it. Assistant messages are
  re-read with the official scorer's rule (:func:`react_split`); the following ``function``/``user``
  message is the call's feedback, categorised with :func:`tlbench.classify.classify_feedback`.

Definitions (research note ``rotbench_tooleyes.md`` §5.3), per *call attempt* = every assistant
generation except the model's own final finish and a harness-forced finish; a generation with several
calls gives one attempt per call (``finish`` excluded):

* DE: the call has a tool hallucination, a parameter hallucination or a missing required parameter
  against a FRESH copy of the doc (``tlbench.classify.check_against_docs``; no cumulative gate; at most
  one DE per call; a type mismatch is not a DE);
* CE: any other error: a format error (the generation is not a readable call, or it is a reply without
  a call), or a DE-free call whose execution failed (feedback category ``tool_call_failure``, ``other``,
  or a runtime DE-like category that the doc did not predict, ToolEyes' code and docs disagree for 74
  functions). Tool *instability* (timeouts, 5xx, ``{"error": "connection error."}``) is the environment's
  fault, not the model's: it is counted apart (``instability``) and is not a CE;
* VA: the episode ended by the model's own well-formed ``finish`` call within 9 generations; a forced
  finish, a crash or a transcript that stops without finishing is not VA. A reply without a call (a bare
  ``Final Answer:``, a text-only reply through native ``tools=``) is a format error, not a finish, in
  every format: ToolEyes' inference ends an episode only on a ``finish`` action, and its function-calling
  path (``Code/Inference/models.py``, ``mode == "function_call"``) writes a reply without
  ``function_call`` as ``Action: `` with ``{}``, an empty action that ends nothing
  (:class:`tools_env.episode.Episode` applies the same rule while running).

``DE`` and ``CE`` are pooled rates: ``100 * sum(errors) / sum(attempts)`` over all episodes (lower is
better); ``VA`` is ``100 * mean(valid)`` over all 382 items (a missing episode is not valid). CIs resample
episodes. Per-item ``ts``/``pi``/``cf`` mean: no tool hallucination / no DE / no DE and no CE in the
episode; ``correct`` is VA.

Upstream's rule-based statistics (``Code/Evaluation/util/utils.py``: ``Format_alignment_score`` and
``Tool_selection_score`` inside ``eval_single_data``; research note §5.2) are reproduced per episode in
``detail["upstream"]`` (:func:`upstream_side_stats`): ``Ans_pass``, ``IF``, ``tool_reality``,
``format_err_cnt``, ``conv_react_err``, ``conv_json_err``, ``conv_force_terminated``, in upstream mode
item by item, quirks included:

* a message is read as ``process_message`` reads it (:func:`react_split`): the action is the text between
  the first ``Action:`` and the next ``Action Input:`` with every literal two-character ``\n`` and every
  ``Action:`` removed (``get_uuid\n`` is ``get_uuid``); the input is checked with ``eval``, which
  tlbench never calls: :func:`benchmarks.pyeval.python_eval` decides from the AST whether it would
  succeed and what it returns (literals, containers, arithmetic, builtins as names: ``{min: "1"}`` and
  ``{"cnt": 1+2}`` pass, ``{"a": true}`` fails). The one approximation: an input whose value depends on
  running code (a call, an attribute, a comprehension, a name upstream's module binds; see
  ``benchmarks/pyeval.py``) is assumed to evaluate, to a dict with the displayed keys when it is a dict
  display and to a non-dict otherwise. ``eval_undecided`` counts such inputs per episode (summary:
  ``eval_undecided``); over the 12,000-episode sweep of ``tests/upstream/`` 1,387 episodes hold one and 122
  of those get another verdict than upstream's, every other episode agrees;
* the final message is every assistant message equal to the conversation's last message of ANY role
  (an episode that ends on a function message has no final message; its last call is an ordinary one);
* ``Ans_pass`` starts at 1 (0 only for a forced finish); the tool-hallucination gate is cumulative; the
  ``required`` list is one mutable copy per sample that forgets supplied parameters;
* ``crash``: the official pipeline would raise on this episode (its judge-prompt builder cannot split a
  message without ``Action:`` / ``Input`` / ``Action Input:``, or ``Tool_selection_score`` calls
  ``.keys()`` on a non-dict input of a documented tool); the figures are still given, the summary leaves
  the episode out and counts it (``upstream_crashes``);
* ``turns`` records hold raw generations: each is first stored the way upstream's inference loop stores
  it (:func:`stored_text`: ``react_parser`` plus the ``"}`` repair of a truncated finish; a native call
  written as the function-calling path writes it, :func:`rendered_call`), so a tlbench episode gets the
  verdict upstream would give it.

``fixed`` mode drops those quirks: the final message is the last assistant message, a sample without one
has ``Ans_pass`` 0, every call is checked against a fresh doc, no episode crashes. DE/CE/VA are the same
in both modes.

Summary figures, named for what they are (upstream's ``aggregated_data``): ``Ans_pass_mean``,
``IF_mean`` and ``tool_reality_mean`` (percent) and ``format_err_per_episode`` are means over the
episodes present (``side_episodes``; a missing or crashing episode is not in the official input), and
``conv_react_err_sum``, ``conv_json_err_sum``, ``conv_force_terminated_sum`` are sums over them. In
upstream mode the two queries asked under two tools (items 44/96, 50/97) both contribute the episode of
the first present item, as upstream's per-scenario selection by query id does.

Modules: :mod:`~benchmarks.tooleyes.react` (reading one message, storing one generation),
:mod:`~benchmarks.tooleyes.episode` (DE/CE/VA counts of a transcript), :mod:`~benchmarks.tooleyes.side`
(upstream's side statistics), :mod:`~benchmarks.tooleyes.bench` (the registered benchmark and its summary).
"""

from __future__ import annotations

from benchmarks.tooleyes.bench import DATA_FILE, TOOLEYES, ToolEyes
from benchmarks.tooleyes.episode import MAX_GENERATIONS, EpisodeStats, episode_stats
from benchmarks.tooleyes.react import ReactSplit, judge_prompts_ok, react_split, rendered_call, stored_text
from benchmarks.tooleyes.side import SIDE_KEYS, upstream_side_stats

__all__ = [
    "TOOLEYES",
    "ToolEyes",
    "DATA_FILE",
    "MAX_GENERATIONS",
    "EpisodeStats",
    "episode_stats",
    "ReactSplit",
    "react_split",
    "judge_prompts_ok",
    "stored_text",
    "rendered_call",
    "SIDE_KEYS",
    "upstream_side_stats",
]
