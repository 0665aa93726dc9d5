"""``tlbench train`` on bad input: one line, exit code 2, no model loaded and nothing left in OUT.

Issue 19, section 4: without the ``train`` extra the command loaded the model, created OUT/stages and died
of a ModuleNotFoundError; ``token_ids`` outside the vocabulary died of an OverflowError in the tokenizer's
decode (``training/sft.py``) after the model had loaded.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tlbench.cli import main


def _conftest():  # noqa: ANN202 - a module; by path: other tests/ folders have a `conftest` module too
    spec = importlib.util.spec_from_file_location(
        "tr_bad_input_conftest", Path(__file__).with_name("conftest.py")
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


make_record = _conftest().make_record


@pytest.fixture
def no_model_load(monkeypatch: pytest.MonkeyPatch) -> None:
    import transformers

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was loaded before the input was checked")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", refuse)


def _argv(model: Path, data: Path, out: Path) -> list[str]:
    return ["train", "--recipe", "tiny-none", "--model", str(model), "--data", str(data), "--out", str(out)]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tlbench train: error: "), err
    return err[0]


def test_without_the_train_extra_one_line_names_the_extra(
    tiny_model_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_model_load: None,
) -> None:
    monkeypatch.setitem(sys.modules, "trl", None)  # what an install without the extra looks like to Python
    data = _write(tmp_path / "t.jsonl", [make_record()])
    out = tmp_path / "model"
    assert main(_argv(tiny_model_dir, data, out)) == 2
    line = _error_line(capsys)
    assert "pip install 'tlbench[train]'" in line and "trl" in line
    assert not out.exists()


@pytest.mark.parametrize("bad", [10**12, -1], ids=["huge", "negative"])
def test_token_ids_outside_the_vocabulary_name_the_trajectory_line(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], no_model_load: None, bad: int
) -> None:
    records = [make_record("r1"), make_record("r2")]
    records[1]["turns"][1]["token_ids"] = [5, bad, 6]
    data = _write(tmp_path / "t.jsonl", records)
    out = tmp_path / "model"
    assert main(_argv(tiny_model_dir, data, out)) == 2
    line = _error_line(capsys)
    assert f"{data}:2:" in line and "turns[1].token_ids" in line and str(bad) in line
    assert not out.exists()


def test_an_unknown_prompt_format_is_refused_before_the_model(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], no_model_load: None
) -> None:
    data = _write(tmp_path / "t.jsonl", [make_record()])
    out = tmp_path / "model"
    assert main([*_argv(tiny_model_dir, data, out), "--prompt-format", "nope"]) == 2
    assert "nope" in _error_line(capsys)
    assert not out.exists()
