"""Trajectory records: the one reader, writer and labeller of ``tlbench collect`` / importer output.

A trajectory is one finished tool-use episode in the schema of ``docs/formats.md`` ("Trajectories"):
messages, and per assistant message its parsed calls, the tools_env feedback, the shared classifier's
category, the MAE ``erroneous`` flag, the IRM reward (when gold is known) and the exact generated token ids.

The package, one concern per module:

* :mod:`~training.trajectory.record` - :class:`Trajectory` / :class:`Turn` (frozen) and their JSON form
  (:meth:`Trajectory.to_dict` / :meth:`Trajectory.from_dict`: unknown keys are ignored, malformed ones raise
  :class:`DataError`), and :func:`is_erroneous`, the one rule for the ``erroneous`` label MAE masks;
* :mod:`~training.trajectory.jsonl` - :func:`read_trajectories` streams a JSONL file, naming ``file:line``
  on a bad line and skipping a truncated last line (what a killed writer leaves) with a
  :class:`TruncatedLineWarning`; :class:`TrajectoryWriter` appends one record per call with flush + fsync,
  so a ``kill -9`` loses at most the record being written, and on resume it truncates a partial last line
  and skips ids already present;
* :mod:`~training.trajectory.labels` - :func:`label_turns` fills the per-turn labels from messages + tool
  docs through :mod:`tlbench.parsers`, :mod:`tlbench.classify` and :mod:`tlbench.reward` (never a second
  classifier); :class:`GoldTracker` / :func:`align_gold` pick the gold step each turn is judged against.
"""

from __future__ import annotations

from training.trajectory.jsonl import (
    TrajectoryWriter,
    TruncatedLineWarning,
    read_ids,
    read_numbered,
    read_trajectories,
)
from training.trajectory.labels import FINISH_STEP, GoldTracker, align_gold, label_turns
from training.trajectory.record import MODEL_CAUSED, ROLES, Trajectory, Turn, is_erroneous

__all__ = [
    "ROLES",
    "Turn",
    "Trajectory",
    "TruncatedLineWarning",
    "read_trajectories",
    "read_numbered",
    "read_ids",
    "TrajectoryWriter",
    "MODEL_CAUSED",
    "is_erroneous",
    "label_turns",
    "FINISH_STEP",
    "GoldTracker",
    "align_gold",
]
