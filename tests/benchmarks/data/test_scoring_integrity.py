"""``tlbench score`` scores only the whole, pinned benchmark data (issue 19, section 4).

A data file with a corrupt item used to be scored on the items that were left, with exit 0 (a warning on
stderr); a wholly corrupt file surfaced as an error about the *predictions*; an edited but well-formed file
was scored as if it were the benchmark. Now each is exit 2 with one line naming the data file, both for
``--predictions`` and for ``--model`` (there before any model is loaded), and nothing is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import tlbench.backends as backends
import tlbench.runner as runner
from tlbench.cli import main

ROTBENCH = "rotbench/Data/First_Turn/clean.json"
BFCL = "bfcl_v3_exec/BFCL_v3_exec_simple.json"
TOOL_DOC = "tooleyes/Tool_Library/Advice/Advice_slip/config_gpt4.json"


def _data_copy(shared: Path, tmp_path: Path, rel: str, change: Callable[[bytes], bytes]) -> Path:
    """A symlink farm of the shared data's folders (nothing copied) with ``rel`` rewritten by ``change``."""
    root = tmp_path / "data"
    for folder in ("rotbench", "bfcl_v3_exec", "toolalpaca", "tooleyes"):
        for src in (shared / folder).rglob("*"):
            if src.is_file():
                dst = root / src.relative_to(shared)
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(src, dst)
    target = root / rel
    body = change((shared / rel).read_bytes())
    target.unlink()
    target.write_bytes(body)
    return root


def _rot_items(change: Callable[[list], None]) -> Callable[[bytes], bytes]:
    def edit(raw: bytes) -> bytes:
        items = json.loads(raw)
        change(items)
        return json.dumps(items, ensure_ascii=False, indent=1).encode()

    return edit


def _drop_conversations(items: list) -> None:
    del items[3]["conversations"]


def _all_bad(items: list) -> None:
    items[:] = [{"id": "x"} for _ in items]


def _new_gold(items: list) -> None:
    conv = items[0]["conversations"]
    conv[-1]["value"] = ['Thought: t\nAction: finish\nAction Input: {"answer": "edited"}']


def _truncate_jsonl(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


CASES = {
    # name: (file, change, benchmark, text the one error line must hold)
    "corrupt_item": (ROTBENCH, _rot_items(_drop_conversations), "rotbench-first-clean", "clean.json"),
    "every_item_bad": (ROTBENCH, _rot_items(_all_bad), "rotbench-first-clean", "clean.json"),
    "edited_gold": (ROTBENCH, _rot_items(_new_gold), "rotbench-first-clean", "differs from the pinned"),
    "truncated_jsonl": (BFCL, _truncate_jsonl, "bfcl-v3-exec", "BFCL_v3_exec_simple.json"),
    "edited_tool_doc": (TOOL_DOC, lambda raw: raw + b"\n", "tooleyes", "config_gpt4.json"),
    "same_size_edit": (
        ROTBENCH,
        lambda raw: raw.replace(b"Danish", b"Dutch!", 1),
        "rotbench-first-clean",
        "sha256",
    ),
}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", sorted(CASES))
def test_score_predictions_refuses_corrupt_or_unpinned_data(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    rel, change, bench, must = CASES[case]
    data = _data_copy(shared_data, tmp_path, rel, change)
    pred = tmp_path / "preds.jsonl"
    pred.write_text('{"index": 0, "output": "Action: x\\nAction Input: {}"}\n', encoding="utf-8")
    out = tmp_path / "out"
    code, err = _run(
        capsys, "score", "--predictions", str(pred), "--benchmark", bench, "--data-dir", str(data),
        "--out", str(out),
    )  # fmt: skip
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and must in lines[0], err
    assert "preds.jsonl" not in lines[0]  # the data file is to blame, not the predictions
    assert not out.exists()


@pytest.mark.parametrize("case", ["corrupt_item", "edited_gold"])
def test_score_model_checks_the_data_before_loading_the_model(
    shared_data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded before the data was checked")

    monkeypatch.setattr(runner, "build_backend", refuse)
    monkeypatch.setattr(backends, "create_backend", refuse)
    rel, change, bench, must = CASES[case]
    data = _data_copy(shared_data, tmp_path, rel, change)
    out = tmp_path / "run"
    code, err = _run(
        capsys, "score", "--model", "smollm2-135m", "--benchmarks", f"toolalpaca-real,{bench}",
        "--limit", "2", "--data-dir", str(data), "--out", str(out),
    )  # fmt: skip
    assert code == 2 and must in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_pinned_data_scores_as_before(shared_data: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    pred = tmp_path / "preds.jsonl"
    pred.write_text('{"index": 0, "output": "Action: x\\nAction Input: {}"}\n', encoding="utf-8")
    code, err = _run(
        capsys, "score", "--predictions", str(pred), "--benchmark", "rotbench-first-clean",
        "--data-dir", str(shared_data), "--json",
    )  # fmt: skip
    assert code == 0, err


def test_a_load_problem_is_refused_even_without_a_pin(tmp_path: Path) -> None:
    """Data the manifest does not pin: an item the loader had to skip still stops scoring (file:line)."""
    from benchmarks.base import Benchmark, LoadReport, load_complete
    from tlbench.errors import DataError

    class Half(Benchmark):
        name = "half"

        def load(self, data_dir: Path, report: LoadReport | None = None) -> list:
            assert report is not None
            report.warn(data_dir / "items.jsonl", 7, "skipped: not JSON")
            report.warn(data_dir / "items.jsonl", 9, "skipped: not JSON")
            return []

    with pytest.raises(DataError, match=r"items.jsonl:7: skipped: not JSON \(and 1 more\).*partial set"):
        load_complete(Half(), tmp_path)
