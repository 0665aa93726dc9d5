"""SFT data: trajectories -> token ids, labels and per-token loss weights (:func:`build_examples`).

A trajectory is rendered in the model's prompt format (:func:`tlbench.prompts.render`) turn by turn: the
text before each assistant message is context (weight 0), the assistant message itself is a target. MAE
(:mod:`training.mae`) zeroes erroneous targets; PKT (:mod:`training.pkt`) up-weights key tokens of tool
names. When a turn carries the exact ``token_ids`` its backend generated, those ids are the target (we
train on what was generated); otherwise the target text is tokenized.

One trajectory becomes one sequence when the format renders prefixes consistently (the rendering of the
first n messages is a prefix of the rendering of more); otherwise each target turn becomes its own sample
(prefix + that turn), which gives the same gradient as masking. The loss over these sequences is
:mod:`training.sft`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tlbench.errors import UsageError
from training.mae import TurnTarget, turn_targets
from training.pkt import token_spans, turn_weights
from training.trajectory import Trajectory

__all__ = ["IGNORE", "Example", "BuildStats", "build_examples"]

#: The label of a token that carries no loss (context, MAE-masked turns, padding).
IGNORE = -100


@dataclass(frozen=True, slots=True)
class Example:
    """One training sequence: ids, labels (-100 = no loss) and per-token loss weights."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    loss_weights: tuple[float, ...]
    record_id: str

    def as_row(self) -> dict[str, Any]:
        """The dataset row the trainer consumes."""
        return {
            "input_ids": list(self.input_ids),
            "labels": list(self.labels),
            "loss_weights": list(self.loss_weights),
        }


@dataclass(slots=True)
class BuildStats:
    """What :func:`build_examples` did, for the CLI summary and the model card."""

    records: int = 0
    turns: int = 0
    trained_turns: int = 0
    masked: Counter[str] = field(default_factory=Counter)
    key_tokens: int = 0
    target_tokens: int = 0
    used_token_ids: int = 0
    token_id_mismatch: int = 0
    truncated: int = 0
    per_turn_fallback: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "records": self.records,
            "turns": self.turns,
            "trained_turns": self.trained_turns,
            "masked_turns": dict(self.masked),
            "key_tokens": self.key_tokens,
            "target_tokens": self.target_tokens,
            "used_token_ids": self.used_token_ids,
            "token_id_mismatch": self.token_id_mismatch,
            "truncated": self.truncated,
            "per_turn_fallback": self.per_turn_fallback,
            "skipped": dict(self.skipped),
        }


@dataclass(frozen=True, slots=True)
class _Piece:
    ids: tuple[int, ...]
    weights: tuple[float, ...]  # 0 for context; >0 for trained targets
    target: bool


def _render(fmt: str, messages: Sequence[Mapping[str, Any]], tools: Any, tokenizer: Any, gen: bool) -> str:
    from tlbench.prompts import render

    out = render(fmt, messages, tools or None, tokenizer=tokenizer, add_generation_prompt=gen)
    if not isinstance(out, str):
        raise UsageError(f"prompt format {fmt!r} renders chat messages, not text; train with a text format")
    return out


def _context_ids(tokenizer: Any, text: str, first: bool) -> tuple[int, ...]:
    return tuple(tokenizer(text, add_special_tokens=first)["input_ids"]) if text else ()


def _target_piece(
    tokenizer: Any,
    text: str,
    turn: TurnTarget,
    candidates: Sequence[str],
    *,
    pkt: bool,
    w_max: float,
    stats: BuildStats,
) -> _Piece:
    """The target tokens of one assistant turn (generated ids when they match the text) and weights."""
    ids: list[int] | None = None
    if turn.token_ids:
        gen = list(turn.token_ids)
        decoded = tokenizer.decode(gen, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        if decoded and text.startswith(decoded):
            rest = text[len(decoded) :]
            ids = gen + (list(tokenizer(rest, add_special_tokens=False)["input_ids"]) if rest else [])
            stats.used_token_ids += 1
        else:
            stats.token_id_mismatch += 1
    if pkt and turn.train:
        called = [str(c.get("name")) for c in turn.calls]
        tok_ids, weights, keys = turn_weights(tokenizer, text, ids, called, candidates, w_max)
        stats.key_tokens += len(keys)
    else:
        tok_ids = ids if ids is not None else token_spans(tokenizer, text)[0]
        weights = [1.0] * len(tok_ids)
    if not turn.train:
        weights = [0.0] * len(tok_ids)
    else:
        stats.target_tokens += len(tok_ids)
    return _Piece(tuple(tok_ids), tuple(weights), True)


def _pieces_to_example(
    pieces: Sequence[_Piece], record_id: str, max_length: int, stats: BuildStats
) -> Example | None:
    ids: list[int] = []
    labels: list[int] = []
    weights: list[float] = []
    for p in pieces:
        ids += p.ids
        for t, w in zip(p.ids, p.weights, strict=True):
            labels.append(t if (p.target and w > 0) else IGNORE)
            weights.append(w if p.target else 0.0)
    if len(ids) > max_length:
        stats.truncated += 1
        ids, labels, weights = ids[:max_length], labels[:max_length], weights[:max_length]
    # the first token is never predicted: a label there would be dropped by the shift anyway
    if not any(lbl != IGNORE for lbl in labels[1:]):
        stats.skipped["no trainable target within max_length"] += 1
        return None
    return Example(tuple(ids), tuple(labels), tuple(weights), record_id)


def _tool_names(tools: Iterable[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for t in tools:
        if isinstance(t, Mapping):
            fn = t.get("function") if isinstance(t.get("function"), Mapping) else t
            if fn.get("name"):
                names.append(str(fn["name"]))
    return names


def build_examples(
    trajectories: Iterable[Trajectory],
    tokenizer: Any,
    fmt: str,
    *,
    mae: bool,
    pkt: bool,
    w_max: float = 9.0,
    max_length: int = 2048,
) -> tuple[list[Example], BuildStats]:
    """Turn trajectories into weighted training sequences (one per trajectory, or one per target turn
    when the format does not render prefixes consistently; see the module docstring)."""
    builder = _Builder(tokenizer, fmt, mae=mae, pkt=pkt, w_max=w_max, max_length=max_length)
    examples = [ex for traj in trajectories for ex in builder.examples(traj)]
    return examples, builder.stats


@dataclass
class _Builder:
    """The state of one :func:`build_examples` call: its settings and the counters it fills."""

    tokenizer: Any
    fmt: str
    mae: bool
    pkt: bool
    w_max: float
    max_length: int
    stats: BuildStats = field(default_factory=BuildStats)

    def examples(self, traj: Trajectory) -> list[Example]:
        """The sequences of one trajectory (none when no turn is trained or it cannot be rendered)."""
        stats = self.stats
        stats.records += 1
        targets = turn_targets(traj, mae=self.mae)
        stats.turns += len(targets)
        for t in targets:
            if t.train:
                stats.trained_turns += 1
            else:
                stats.masked[t.category] += 1
        if not any(t.train for t in targets):
            stats.skipped["no trainable turn"] += 1
            return []
        try:
            rendered = [
                (
                    _render(self.fmt, traj.messages[: t.message_index], traj.tools, self.tokenizer, True),
                    _render(
                        self.fmt, traj.messages[: t.message_index + 1], traj.tools, self.tokenizer, False
                    ),
                )
                for t in targets
            ]
        except (ValueError, TypeError, KeyError) as exc:
            stats.skipped[f"unrenderable: {type(exc).__name__}"] += 1
            return []
        candidates = _tool_names(traj.tools)
        consistent = all(full.startswith(prompt) for prompt, full in rendered) and all(
            rendered[k + 1][0].startswith(rendered[k][1]) for k in range(len(rendered) - 1)
        )
        if consistent:
            return self._whole(traj.id, targets, rendered, candidates)
        stats.per_turn_fallback += 1
        return self._per_turn(traj.id, targets, rendered, candidates)

    def _whole(
        self,
        rid: str,
        targets: Sequence[TurnTarget],
        rendered: Sequence[tuple[str, str]],
        candidates: list[str],
    ) -> list[Example]:
        """One sequence: each turn's new context (weight 0), then its target."""
        pieces: list[_Piece] = []
        prev = ""
        for t, (prompt, full) in zip(targets, rendered, strict=True):
            ctx = _context_ids(self.tokenizer, prompt[len(prev) :], first=not pieces)
            pieces.append(_Piece(ctx, (0.0,) * len(ctx), False))
            pieces.append(self._target(full[len(prompt) :], t, candidates))
            prev = full
        ex = _pieces_to_example(pieces, rid, self.max_length, self.stats)
        return [] if ex is None else [ex]

    def _per_turn(
        self,
        rid: str,
        targets: Sequence[TurnTarget],
        rendered: Sequence[tuple[str, str]],
        candidates: list[str],
    ) -> list[Example]:
        """One sequence per trained turn: its whole prompt (weight 0), then the turn."""
        out: list[Example] = []
        for t, (prompt, full) in zip(targets, rendered, strict=True):
            if not t.train:
                continue
            if not full.startswith(prompt):
                self.stats.skipped["turn rendering does not extend its prompt"] += 1
                continue
            ctx = _context_ids(self.tokenizer, prompt, first=True)
            tgt = self._target(full[len(prompt) :], t, candidates)
            ex = _pieces_to_example(
                [_Piece(ctx, (0.0,) * len(ctx), False), tgt], rid, self.max_length, self.stats
            )
            if ex is not None:
                out.append(ex)
        return out

    def _target(self, text: str, turn: TurnTarget, candidates: Sequence[str]) -> _Piece:
        return _target_piece(
            self.tokenizer, text, turn, candidates, pkt=self.pkt, w_max=self.w_max, stats=self.stats
        )
