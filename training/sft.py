"""Supervised stage of TL-Training: trajectories -> token ids, labels and per-token loss weights -> trainer.

A trajectory is rendered in the model's prompt format (:func:`tlbench.prompts.render`) turn by turn: the
text before each assistant message is context (weight 0), the assistant message itself is a target. MAE
(:mod:`training.mae`) zeroes erroneous targets; PKT (:mod:`training.pkt`) up-weights key tokens of tool
names. When a turn carries the exact ``token_ids`` its backend generated, those ids are the target (we
train on what was generated); otherwise the target text is tokenized.

One trajectory becomes one sequence when the format renders prefixes consistently (the rendering of the
first n messages is a prefix of the rendering of more); otherwise each target turn becomes its own sample
(prefix + that turn), which gives the same gradient as masking.

:class:`WeightedSFTTrainer` is ``trl.SFTTrainer`` whose loss is ``sum(w * ce) / sum(w)`` over label
tokens (``norm="token"``, batch-global: equal to trl's stock loss when every weight is 1) or the mean of
per-sample weighted means (``norm="sample"``, the reference code's per-sequence normalisation); with
gradient accumulation the denominator is that of the whole accumulated batch (:func:`loss_normaliser`).
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

__all__ = [
    "Example",
    "BuildStats",
    "build_examples",
    "WeightedCollator",
    "weighted_loss",
    "loss_normaliser",
    "make_trainer_class",
]

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
    """Turn trajectories into weighted training sequences."""
    stats = BuildStats()
    examples: list[Example] = []
    for traj in trajectories:
        stats.records += 1
        rid = traj.id
        messages = traj.messages
        tools = traj.tools
        candidates = _tool_names(tools)
        targets = turn_targets(traj, mae=mae)
        stats.turns += len(targets)
        for t in targets:
            if t.train:
                stats.trained_turns += 1
            else:
                stats.masked[t.category] += 1
        if not any(t.train for t in targets):
            stats.skipped["no trainable turn"] += 1
            continue
        try:
            rendered = [
                (
                    _render(fmt, messages[: t.message_index], tools, tokenizer, True),
                    _render(fmt, messages[: t.message_index + 1], tools, tokenizer, False),
                )
                for t in targets
            ]
        except (ValueError, TypeError, KeyError) as exc:
            stats.skipped[f"unrenderable: {type(exc).__name__}"] += 1
            continue
        consistent = all(full.startswith(prompt) for prompt, full in rendered) and all(
            rendered[k + 1][0].startswith(rendered[k][1]) for k in range(len(rendered) - 1)
        )
        if consistent:
            pieces: list[_Piece] = []
            prev = ""
            for t, (prompt, full) in zip(targets, rendered, strict=True):
                ctx = _context_ids(tokenizer, prompt[len(prev) :], first=not pieces)
                pieces.append(_Piece(ctx, (0.0,) * len(ctx), False))
                pieces.append(
                    _target_piece(
                        tokenizer, full[len(prompt) :], t, candidates, pkt=pkt, w_max=w_max, stats=stats
                    )
                )
                prev = full
            ex = _pieces_to_example(pieces, rid, max_length, stats)
            if ex is not None:
                examples.append(ex)
            continue
        stats.per_turn_fallback += 1
        for t, (prompt, full) in zip(targets, rendered, strict=True):
            if not t.train:
                continue
            if not full.startswith(prompt):
                stats.skipped["turn rendering does not extend its prompt"] += 1
                continue
            ctx = _context_ids(tokenizer, prompt, first=True)
            tgt = _target_piece(
                tokenizer, full[len(prompt) :], t, candidates, pkt=pkt, w_max=w_max, stats=stats
            )
            ex = _pieces_to_example([_Piece(ctx, (0.0,) * len(ctx), False), tgt], rid, max_length, stats)
            if ex is not None:
                examples.append(ex)
    return examples, stats


class WeightedCollator:
    """Right-pads ``input_ids`` (pad id), ``labels`` (-100), ``loss_weights`` (0) and builds the mask."""

    def __init__(self, pad_token_id: int) -> None:
        self.pad_token_id = int(pad_token_id)

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        import torch

        n = max(len(r["input_ids"]) for r in rows)
        ids, labels, weights, mask = [], [], [], []
        for r in rows:
            k = n - len(r["input_ids"])
            ids.append(list(r["input_ids"]) + [self.pad_token_id] * k)
            labels.append(list(r["labels"]) + [IGNORE] * k)
            weights.append([float(w) for w in r["loss_weights"]] + [0.0] * k)
            mask.append([1] * len(r["input_ids"]) + [0] * k)
        return {
            "input_ids": torch.tensor(ids, dtype=torch.long),
            "attention_mask": torch.tensor(mask, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long),
            "loss_weights": torch.tensor(weights, dtype=torch.float32),
        }


def _shifted_weights(labels: Any, weights: Any, dtype: Any) -> tuple[Any, Any]:
    """(targets, weights) of the predicted positions: position t predicts token t+1; -100 labels weigh 0."""
    tgt = labels[:, 1:]
    return tgt, weights[:, 1:].to(dtype) * (tgt != IGNORE).to(dtype)


def loss_normaliser(labels: Any, weights: Any, norm: str = "token") -> Any:
    """The denominator :func:`weighted_loss` divides by, for one batch: the total weight of its label tokens
    (``norm="token"``) or the number of its sequences that carry any weight (``norm="sample"``).

    Summed over the micro-batches of one optimizer step it is the denominator of the whole accumulated batch
    (what the trainer passes on as ``num_items_in_batch``). Why a weight and not trl's token count: the loss
    is ``sum(w * ce) / sum(w)``; the two agree only when every label token weighs 1 (no PKT; MAE gives a
    masked token label -100 and weight 0, so it is in neither).
    """
    import torch

    _, wm = _shifted_weights(labels, weights, torch.float32)
    if norm == "sample":
        return (wm.sum(dim=1) > 0).sum().to(torch.float32)
    return wm.sum()


def weighted_loss(logits: Any, labels: Any, weights: Any, norm: str = "token", normaliser: Any = None) -> Any:
    """Shifted weighted cross-entropy: ``sum(w * ce) / sum(w)`` over label tokens.

    ``norm="token"`` normalises over the whole batch (equals the stock mean CE when all weights are 1);
    ``norm="sample"`` takes each sequence's weighted mean, then the mean over sequences. ``normaliser``
    replaces this batch's own denominator (:func:`loss_normaliser`) by that of the whole accumulated batch,
    so that the losses of its micro-batches add up to the loss of the accumulated batch.
    """
    import torch
    import torch.nn.functional as F

    lg = logits[:, :-1].float()
    tgt, wm = _shifted_weights(labels, weights, lg.dtype)
    nll = F.cross_entropy(lg.reshape(-1, lg.size(-1)), tgt.reshape(-1), ignore_index=IGNORE, reduction="none")
    nll = nll.view_as(tgt)
    if norm == "sample":
        per_row = wm.sum(dim=1)
        per = (nll * wm).sum(dim=1) / per_row.clamp(min=1e-8)
        has = (per_row > 0).to(lg.dtype)
        den = has.sum() if normaliser is None else torch.as_tensor(normaliser, dtype=lg.dtype)
        return (per * has).sum() / den.clamp(min=1.0)
    den = wm.sum() if normaliser is None else torch.as_tensor(normaliser, dtype=lg.dtype)
    return (nll * wm).sum() / torch.clamp(den, min=1e-8)


def make_trainer_class(norm: str = "token") -> type:
    """A ``trl.SFTTrainer`` subclass whose ``compute_loss`` applies the ``loss_weights`` column."""
    from trl import SFTTrainer

    class WeightedSFTTrainer(SFTTrainer):
        """SFTTrainer with per-token loss weights (PKT) and zero-weight turns (MAE).

        Gradient accumulation: :meth:`get_batch_samples` hands every micro-batch of an optimizer step the
        :func:`loss_normaliser` of them all as ``num_items_in_batch``, and :meth:`compute_loss` divides by
        it, so the accumulated gradient is that of one batch of all the micro-batches (trl's own loss does
        the same with a token count). The loss is then already scaled for the accumulation
        (``loss_is_scaled_for_ga``; transformers releases without that attribute decide the same from
        ``num_items_in_batch`` being set, for every causal LM whose ``forward`` takes ``**kwargs``).
        """

        loss_norm = norm
        loss_is_scaled_for_ga = True

        def get_batch_samples(self, epoch_iterator: Any, num_batches: int, device: Any) -> tuple[list, Any]:
            batches, _ = super().get_batch_samples(epoch_iterator, num_batches, device)
            if not batches:
                return batches, None
            total = sum(loss_normaliser(b["labels"], b["loss_weights"], self.loss_norm) for b in batches)
            if self.args.average_tokens_across_devices and self.args.world_size > 1:
                total = self.accelerator.gather(
                    total.to(device)
                ).sum()  # every rank's share, like trl's count
            return batches, total.to(device)

        def compute_loss(  # type: ignore[override]
            self,
            model: Any,
            inputs: dict[str, Any],
            return_outputs: bool = False,
            num_items_in_batch: Any = None,
        ) -> Any:
            weights = inputs.pop("loss_weights")
            labels = inputs.pop("labels")
            out = model(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], use_cache=False
            )
            loss = weighted_loss(out.logits, labels, weights, self.loss_norm, num_items_in_batch)
            if num_items_in_batch is not None and self.args.average_tokens_across_devices:
                loss = loss * self.accelerator.num_processes  # DDP averages the ranks' gradients
            return (loss, out) if return_outputs else loss

    return WeightedSFTTrainer
