"""MAE: erroneous turns stay in context with zero weight; masked counts per category."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_record, make_traj

from training.mae import masked_counts, turn_targets
from training.pipeline import read_records
from training.sequences import IGNORE, build_examples
from training.trajectory import Trajectory


def test_turn_targets_follow_the_classifier_labels() -> None:
    rec = make_traj()
    with_mae = turn_targets(rec, mae=True)
    assert [t.message_index for t in with_mae] == [1, 3, 5]
    assert [t.train for t in with_mae] == [False, True, True]
    assert with_mae[0].category == "tool_hallucination"
    assert all(t.train for t in turn_targets(rec, mae=False))


def test_environment_faults_are_not_masked() -> None:
    rec = make_record()
    rec["turns"][0].update(category="tool_instability", erroneous=False)
    assert all(t.train for t in turn_targets(Trajectory.from_dict(rec), mae=True))


def _read_back(tmp_path: Path, rec: dict) -> list:
    """``rec`` as ``tlbench train`` reads it: written to a JSONL file, read by the one reader."""
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(rec) + "\n", "utf-8")
    return read_records([path])


def test_the_erroneous_label_decides_over_the_category(tmp_path: Path) -> None:
    """One rule (training.trajectory.is_erroneous) with the record's label first: MAE masks what the record
    labels erroneous (README), and a label that is missing is the rule applied to the category."""
    rec = make_record()
    rec["turns"][1].update(category="tool_hallucination", erroneous=False)  # labelled, so kept
    rec["turns"][2].update(category="correct", erroneous=True)
    del rec["turns"][0]["erroneous"]  # tool_hallucination without a label: the model's error
    (read,) = _read_back(tmp_path, rec)
    assert [t.train for t in turn_targets(read, mae=True)] == [False, True, False]


def test_a_record_without_labels_is_labelled_from_its_feedback_when_read(tmp_path: Path) -> None:
    """``tlbench train`` used to read a missing category as "correct" and a missing label as False."""
    rec = make_record()
    for turn in rec["turns"]:
        turn.pop("category")
        turn.pop("erroneous")
    (read,) = _read_back(tmp_path, rec)
    targets = turn_targets(read, mae=True)
    assert [t.category for t in targets] == ["tool_hallucination", "correct", "correct"]
    assert [t.train for t in targets] == [False, True, True]


def test_masked_counts_per_category() -> None:
    a, b = make_record("a"), make_record("b")
    b["turns"][1].update(category="missing_parameter", erroneous=True)
    trajs = [Trajectory.from_dict(a), Trajectory.from_dict(b)]
    assert masked_counts(trajs, mae=True) == {"tool_hallucination": 2, "missing_parameter": 1}
    assert masked_counts(trajs, mae=False) == {}


def test_masked_turn_keeps_its_context_with_zero_weight(tok) -> None:
    rec = make_traj()
    (with_mae,), s1 = build_examples([rec], tok, "qwen25", mae=True, pkt=False)
    (without,), s2 = build_examples([rec], tok, "qwen25", mae=False, pkt=False)
    # same token sequence: the bad call and its error message are still read as context
    assert with_mae.input_ids == without.input_ids
    text = tok.decode(list(with_mae.input_ids))
    assert "search_nws" in text and "is not defined" in text
    trained = [i for i, lbl in enumerate(with_mae.labels) if lbl != IGNORE]
    trained_all = [i for i, lbl in enumerate(without.labels) if lbl != IGNORE]
    assert set(trained) < set(trained_all)
    dropped = sorted(set(trained_all) - set(trained))
    assert "search_nws" in tok.decode([with_mae.input_ids[i] for i in dropped])
    assert all(with_mae.loss_weights[i] == 0.0 for i in dropped)
    assert all(with_mae.loss_weights[i] == 1.0 for i in trained)
    assert s1.masked == {"tool_hallucination": 1} and s1.trained_turns == 2
    assert s2.masked == {} and s2.trained_turns == 3


def test_context_tokens_never_carry_loss(tok) -> None:
    (ex,), _ = build_examples([make_traj()], tok, "qwen25", mae=False, pkt=False)
    targets = tok.decode([t for t, lbl in zip(ex.input_ids, ex.labels) if lbl != IGNORE])
    assert "news on x" not in targets  # the user query
    assert "[1, 2]" not in targets  # an observation
    assert targets.count("<|im_end|>") == 3  # each assistant turn learns to stop


def test_generated_token_ids_are_the_target_when_they_match(tok) -> None:
    rec = make_record()
    text = rec["messages"][3]["content"]
    ids = tok(text, add_special_tokens=False)["input_ids"]
    rec["turns"][1]["token_ids"] = ids
    (ex,), stats = build_examples([Trajectory.from_dict(rec)], tok, "qwen25", mae=True, pkt=False)
    assert stats.used_token_ids == 1 and stats.token_id_mismatch == 0
    rec["turns"][1]["token_ids"] = [tok.convert_tokens_to_ids("x")] * 3
    _, stats = build_examples([Trajectory.from_dict(rec)], tok, "qwen25", mae=True, pkt=False)
    assert stats.token_id_mismatch == 1 and stats.used_token_ids == 0


def test_record_with_only_erroneous_turns_is_skipped(tok) -> None:
    rec = make_record()
    for t in rec["turns"]:
        t.update(category="wrong_tool", erroneous=True)
    examples, stats = build_examples([Trajectory.from_dict(rec)], tok, "qwen25", mae=True, pkt=False)
    assert examples == [] and stats.skipped == {"no trainable turn": 1}
