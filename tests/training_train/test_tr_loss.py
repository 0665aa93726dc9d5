"""The weighted SFT loss: equal to trl's stock loss with all weights 1; weights and masks act as stated."""

from __future__ import annotations

import pytest
from conftest import make_traj

from training.sft import WeightedCollator, build_examples, make_trainer_class, weighted_loss


def _trainer(tiny_model_dir, tok, tmp_path, rows, norm="token"):  # noqa: ANN001, ANN202
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32)
    args = SFTConfig(
        output_dir=str(tmp_path / "o"),
        per_device_train_batch_size=len(rows),
        report_to=[],
        remove_unused_columns=False,
        dataset_kwargs={"skip_prepare_dataset": True},
        use_cpu=True,
        max_steps=1,
        save_strategy="no",
        disable_tqdm=True,
    )
    cls = make_trainer_class(norm)
    trainer = cls(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tok,
        data_collator=WeightedCollator(tok.pad_token_id),
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
    with torch.no_grad():
        ours = trainer.compute_loss(model, dict(batch))
        stock_inputs = {k: v for k, v in batch.items() if k != "loss_weights"}
        stock = SFTTrainer.compute_loss(trainer, model, stock_inputs)
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
