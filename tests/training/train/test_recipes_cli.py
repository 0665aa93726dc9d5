"""Recipes (Table 5 rows, tiny presets, extends, strict keys) and `tlbench train` end to end on a tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_record

from tlbench.cli import main
from tlbench.errors import UsageError
from training.recipe import TABLE5_ORDER, list_recipes, load_recipe

ROWS = {
    "none": (False, False, False),
    "mae": (True, False, False),
    "pkt": (False, True, False),
    "irm": (False, False, True),
    "mae_pkt": (True, True, False),
    "mae_irm": (True, False, True),
    "pkt_irm": (False, True, True),
    "all": (True, True, True),
}


@pytest.mark.parametrize("name", list(ROWS))
def test_table5_rows_and_paper_hyperparameters(name: str) -> None:
    r = load_recipe(name)
    assert (r.sft.mae, r.sft.pkt, r.rl.enabled) == ROWS[name]
    assert (r.sft.learning_rate, r.sft.batch_size, r.sft.epochs, r.sft.w_max) == (1e-6, 4, 1.0, 9.0)
    if r.rl.enabled:
        assert (r.rl.actor_lr, r.rl.critic_lr, r.rl.batch_size, r.rl.epochs) == (2e-6, 1e-6, 8, 3.0)
    tiny = load_recipe(f"tiny-{name}")
    assert (tiny.sft.mae, tiny.sft.pkt, tiny.rl.enabled) == ROWS[name]  # same switches, smaller sizes
    assert tiny.preset == "tiny" and 0 < tiny.sft.max_steps <= 20 and tiny.description == r.description


def test_list_order() -> None:
    names = list_recipes()
    assert names[:8] == list(TABLE5_ORDER) and names[8:16] == [f"tiny-{n}" for n in TABLE5_ORDER]


def test_bad_recipes_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "all"\n[sft]\nlearning_rat = 1e-5\n', encoding="utf-8")
    with pytest.raises(UsageError, match="unknown key.*learning_rat"):
        load_recipe(str(bad))
    bad.write_text('[sft]\nmae = "yes"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="expected bool"):
        load_recipe(str(bad))
    bad.write_text('[rl]\nalgo = "dpo"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="grpo"):
        load_recipe(str(bad))
    with pytest.raises(UsageError, match="unknown recipe"):
        load_recipe("nope")


def test_cli_list_recipes(capsys) -> None:
    assert main(["train", "--list-recipes"]) == 0
    out = capsys.readouterr().out
    assert "tiny-all" in out and "MAE+PKT+IRM" in out and "1e-06/4/1" in out


def test_cli_missing_options_exit_2(capsys) -> None:
    assert main(["train", "--recipe", "tiny-none"]) == 2
    assert "missing --data, --out" in capsys.readouterr().err


def test_cli_train_saves_a_loadable_model_with_card_and_resumes(tiny_model_dir, tmp_path, capsys) -> None:
    data = tmp_path / "traj.jsonl"
    recs = [make_record(f"r{i}", t) for i, t in enumerate("abc")]
    for r in recs:
        r["meta"] = {"prompt_format": "qwen25"}
    data.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    out = tmp_path / "model"
    argv = [
        "train",
        "--recipe",
        "tiny-mae_pkt",
        "--model",
        str(tiny_model_dir),
        "--data",
        str(data),
        "--out",
        str(out),
        "--max-steps",
        "2",
        "--keep-stages",
    ]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "masked by MAE (tool_hallucination: 3)" in err
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["prompt_format"] == "qwen25" and summary["sft"]["steps"] == 2
    assert summary["data_hashes"][str(data)] and summary["sft"]["masked_turns"] == {"tool_hallucination": 3}
    card = (out / "README.md").read_text()
    assert "tiny-mae_pkt" in card and "MAE+PKT" in card and summary["data_hashes"][str(data)] in card
    logs = [json.loads(x) for x in (out / "logs" / "train_log.jsonl").read_text().splitlines()]
    assert [x["step"] for x in logs if "loss" in x] == [1, 2]
    from tlbench.models import load_hf, resolve_model

    model, _ = load_hf(resolve_model(out, tmp_path / "cache").path, dtype="float32", device="cpu")
    assert model.config.vocab_size > 0
    # a second run of a finished job does nothing
    assert main(argv) == 0
    assert "nothing to do" in capsys.readouterr().err
    # a killed run (finished sft stage, no final model) resumes at the next stage, not from scratch
    (out / "train_summary.json").unlink()
    assert main(argv) == 0
    assert "already done (resume)" in capsys.readouterr().err


def test_accelerate_configs_parse() -> None:
    import yaml

    folder = Path(__file__).resolve().parents[3] / "training" / "accelerate"
    kinds = {p.stem: yaml.safe_load(p.read_text())["distributed_type"] for p in folder.glob("*.yaml")}
    assert kinds == {
        "deepspeed_zero2": "DEEPSPEED",
        "deepspeed_zero3": "DEEPSPEED",
        "fsdp": "FSDP",
        "multi_gpu": "MULTI_GPU",
    }
