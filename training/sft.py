"""Supervised stage of TL-Training: the weighted loss over the sequences of :mod:`training.sequences`.

:class:`WeightedSFTTrainer` is ``trl.SFTTrainer`` whose loss is ``sum(w * ce) / sum(w)`` over label
tokens (``norm="token"``, batch-global: equal to trl's stock loss when every weight is 1) or the mean of
per-sample weighted means (``norm="sample"``, the reference code's per-sequence normalisation); with
gradient accumulation the denominator is that of the whole accumulated batch (:func:`loss_normaliser`).
:func:`weighted_loss` is a pure function of logits, labels and weights; :class:`WeightedCollator` pads the
rows :func:`training.sequences.build_examples` makes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from training.sequences import IGNORE

__all__ = ["WeightedCollator", "weighted_loss", "loss_normaliser", "make_trainer_class"]


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
