"""The weighted SFT loss: equal to trl's stock loss with all weights 1; weights and masks act as stated."""

from __future__ import annotations

import pytest
from conftest import make_traj

from training.sequences import build_examples
from training.sft import WeightedCollator, make_trainer_class, weighted_loss


def _trainer(tiny_model_dir, tok, tmp_path, rows, norm="token", *, accum=1, cls=None, collator=None):  # noqa: ANN001, ANN202
    """A trainer of one optimizer step over ``rows``: ``accum`` micro-batches of ``len(rows) // accum``."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32)
    args = SFTConfig(
        output_dir=str(tmp_path / "o"),
        per_device_train_batch_size=len(rows) // accum,
        gradient_accumulation_steps=accum,
        report_to=[],
        remove_unused_columns=False,
        dataset_kwargs={"skip_prepare_dataset": True},
        use_cpu=True,
        bf16=False,  # trl's default on a CPU too: float32 as `tlbench train` runs there
        gradient_checkpointing=False,
        max_steps=1,
        max_grad_norm=0.0,  # no clipping: the gradients compared are the raw accumulated ones
        save_strategy="no",
        disable_tqdm=True,
    )
    trainer = (cls or make_trainer_class(norm))(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tok,
        data_collator=collator or WeightedCollator(tok.pad_token_id),
    )
    return trainer, model


def _rows(tok, **kw):  # noqa: ANN001, ANN003, ANN202
    recs = [make_traj("a", "x"), make_traj("b", "a longer topic to make the lengths differ")]
    examples, _ = build_examples(recs, tok, "qwen25", **kw)
    return [e.as_row() for e in examples]


def test_all_ones_equals_trl_stock_loss(tiny_model_dir, tok, tmp_path) -> None:
    import torch
    from trl import SFTTrainer

    rows = _rows(tok, mae=True, pkt=False)  # MAE-masked labels, every weight 1
    assert {w for r in rows for w in r["loss_weights"]} == {0.0, 1.0}
    trainer, model = _trainer(tiny_model_dir, tok, tmp_path, rows)
    batch = WeightedCollator(tok.pad_token_id)(rows)
    stock_inputs = {k: v for k, v in batch.items() if k != "loss_weights"}
    with torch.no_grad():
        ours = trainer.compute_loss(model, dict(batch))
        stock = SFTTrainer.compute_loss(trainer, model, dict(stock_inputs))
    assert abs(float(ours) - float(stock)) < 1e-6
    # inside an accumulated step: our normaliser (the weight of the step) is trl's token count when all
    # weights are 1, and both losses divide by it (here: this batch is half of a step of twice its size)
    _, ours_n = trainer.get_batch_samples(iter([batch]), 1, "cpu")
    _, stock_n = SFTTrainer.get_batch_samples(trainer, iter([stock_inputs]), 1, "cpu")
    assert float(ours_n) == float(stock_n) > 0
    with torch.no_grad():
        ours = trainer.compute_loss(model, dict(batch), num_items_in_batch=2 * ours_n)
        stock = SFTTrainer.compute_loss(trainer, model, dict(stock_inputs), num_items_in_batch=2 * stock_n)
    assert abs(float(ours) - float(stock)) < 1e-6


def test_weights_change_the_loss_and_zero_weight_ignores_a_token(tiny_model_dir, tok, tmp_path) -> None:
    import torch

    rows = _rows(tok, mae=True, pkt=True)
    trainer, model = _trainer(tiny_model_dir, tok, tmp_path, rows)
    batch = WeightedCollator(tok.pad_token_id)(rows)
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    ones = (batch["labels"] != -100).float()
    plain = weighted_loss(logits, batch["labels"], ones)
    weighted = weighted_loss(logits, batch["labels"], batch["loss_weights"])
    assert float(plain) != pytest.approx(float(weighted))
    # by hand: sum(w * ce) / sum(w) over shifted label tokens
    lg, tgt, w = logits[:, :-1], batch["labels"][:, 1:], batch["loss_weights"][:, 1:]
    ce = torch.nn.functional.cross_entropy(
        lg.reshape(-1, lg.size(-1)), tgt.reshape(-1), ignore_index=-100, reduction="none"
    ).view_as(tgt)
    m = (tgt != -100).float()
    assert float(weighted) == pytest.approx(float((ce * w * m).sum() / (w * m).sum()), rel=1e-6)
    # a label whose weight is 0 does not move the loss
    w0 = batch["loss_weights"].clone()
    k = int((batch["labels"][0, 1:] != -100).nonzero()[0]) + 1
    w0[0, k] = 0.0
    lbl = batch["labels"].clone()
    lbl[0, k] = -100
    assert float(weighted_loss(logits, batch["labels"], w0)) == pytest.approx(
        float(weighted_loss(logits, lbl, batch["loss_weights"])), rel=1e-6
    )


def test_sample_norm_is_the_mean_of_per_sequence_means(tiny_model_dir, tok, tmp_path) -> None:
    import torch

    rows = _rows(tok, mae=False, pkt=True)
    _, model = _trainer(tiny_model_dir, tok, tmp_path, rows)
    batch = WeightedCollator(tok.pad_token_id)(rows)
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    per = [
        float(weighted_loss(logits[i : i + 1], batch["labels"][i : i + 1], batch["loss_weights"][i : i + 1]))
        for i in range(2)
    ]
    both = float(weighted_loss(logits, batch["labels"], batch["loss_weights"], norm="sample"))
    assert both == pytest.approx(sum(per) / 2, rel=1e-6)


def test_collator_pads_right_with_zero_weight(tok) -> None:
    rows = [
        {"input_ids": [5, 6, 7], "labels": [-100, 6, 7], "loss_weights": [0.0, 1.0, 9.0]},
        {"input_ids": [5], "labels": [-100], "loss_weights": [0.0]},
    ]
    b = WeightedCollator(0)(rows)
    assert b["input_ids"].tolist() == [[5, 6, 7], [5, 0, 0]]
    assert b["labels"].tolist() == [[-100, 6, 7], [-100, -100, -100]]
    assert b["loss_weights"].tolist() == [[0.0, 1.0, 9.0], [0.0, 0.0, 0.0]]
    assert b["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]


class _GradSnapshot:
    """A ``TrainerCallback`` (duck-typed) keeping the accumulated gradients just before the optimizer step."""

    def __init__(self, model) -> None:  # noqa: ANN001
        self.model, self.grads = model, {}

    def __getattr__(self, name: str):  # noqa: ANN204
        if name.startswith("on_"):
            return lambda *a, **k: None
        raise AttributeError(name)

    def on_pre_optimizer_step(self, *a, **k) -> None:  # noqa: ANN002, ANN003
        self.grads = {
            n: p.grad.detach().clone() for n, p in self.model.named_parameters() if p.grad is not None
        }


def _step_grads(tiny_model_dir, tok, tmp_path, rows, *, accum, **kw):  # noqa: ANN001, ANN003, ANN202
    trainer, model = _trainer(tiny_model_dir, tok, tmp_path / f"a{accum}", rows, accum=accum, **kw)
    snap = _GradSnapshot(model)
    trainer.add_callback(snap)
    trainer.train()
    assert snap.grads
    return snap.grads


def _assert_same_grads(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    worst = max(float((a[k] - b[k]).abs().max()) for k in a)
    assert worst < 1e-6, worst


@pytest.mark.parametrize("norm", ["token", "sample"])
def test_gradient_accumulation_gives_the_gradient_of_the_whole_batch(
    tiny_model_dir, tok, tmp_path, norm
) -> None:
    """2 micro-batches of 1 (``num_items_in_batch``: the accumulated weight) = one batch of 2, PKT weights."""
    rows = _rows(tok, mae=True, pkt=True)
    assert len(rows) == 2 and len({len(r["input_ids"]) for r in rows}) == 2
    assert len({w for r in rows for w in r["loss_weights"]} - {0.0, 1.0}) > 0  # non-uniform weights
    whole = _step_grads(tiny_model_dir, tok, tmp_path, rows, accum=1, norm=norm)
    accumulated = _step_grads(tiny_model_dir, tok, tmp_path, rows, accum=2, norm=norm)
    _assert_same_grads(accumulated, whole)
