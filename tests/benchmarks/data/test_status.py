"""``tlbench data status`` and ``require``: present / missing / corrupt, and the exit codes that follow."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks.data import FileState, load_manifest, require, status
from tlbench.errors import DataError


@pytest.fixture
def toolalpaca_copy(shared_data: Path, tmp_path: Path) -> Path:
    """A writable data dir holding a verified copy of the toolalpaca files only."""
    dest = tmp_path / "data"
    shutil.copytree(shared_data / "toolalpaca", dest / "toolalpaca")
    return dest


def test_status_of_the_shared_data_is_all_ok(cli, shared_data: Path) -> None:
    code, out, err = cli("status", "--data-dir", str(shared_data))
    assert code == 0, err
    assert "all 134 files present and verified" in out
    for name in ("toolalpaca", "rotbench", "bfcl", "tooleyes"):
        assert name in out


def test_data_dir_comes_from_the_environment(cli, shared_data: Path, monkeypatch) -> None:
    monkeypatch.setenv("TLBENCH_DATA", str(shared_data))
    code, out, _ = cli("status", "rotbench")
    assert code == 0 and f"data dir: {shared_data}" in out


def test_corrupted_truncated_and_missing_files_are_reported(cli, toolalpaca_copy: Path) -> None:
    real = toolalpaca_copy / "toolalpaca" / "eval_real.json"
    data = bytearray(real.read_bytes())
    data[1000] ^= 0x01  # same size, one bit flipped
    real.write_bytes(bytes(data))
    simulated = toolalpaca_copy / "toolalpaca" / "eval_simulated.json"
    simulated.write_bytes(simulated.read_bytes()[:-10])  # truncated
    (toolalpaca_copy / "toolalpaca" / "LICENSE").unlink()

    states = {r.file.path: (r.state, r.detail) for r in status(toolalpaca_copy, ["toolalpaca"])}
    assert states["toolalpaca/eval_real.json"][0] is FileState.CORRUPT
    assert "sha256" in states["toolalpaca/eval_real.json"][1]
    assert states["toolalpaca/eval_simulated.json"][0] is FileState.CORRUPT
    assert "size" in states["toolalpaca/eval_simulated.json"][1]
    assert states["toolalpaca/LICENSE"][0] is FileState.MISSING
    assert states["toolalpaca/public_apis.json"][0] is FileState.OK

    code, out, _ = cli("status", "toolalpaca", "--data-dir", str(toolalpaca_copy))
    assert code == 1
    assert "toolalpaca/eval_real.json" in out and "toolalpaca/eval_simulated.json" in out
    assert "toolalpaca/public_apis.json" not in out  # good files only with --verbose
    assert "3 of 4 files missing or corrupt" in out and "tlbench data pull toolalpaca" in out


def test_status_exits_1_when_other_benchmarks_are_missing(cli, toolalpaca_copy: Path) -> None:
    assert cli("status", "toolalpaca", "--data-dir", str(toolalpaca_copy))[0] == 0
    code, out, _ = cli("status", "--data-dir", str(toolalpaca_copy))
    assert code == 1 and "130 of 134 files missing or corrupt" in out


def test_verbose_and_json_outputs(cli, toolalpaca_copy: Path) -> None:
    code, out, _ = cli("status", "toolalpaca", "--verbose", "--data-dir", str(toolalpaca_copy))
    assert code == 0 and "toolalpaca/public_apis.json" in out
    (toolalpaca_copy / "toolalpaca" / "LICENSE").write_text("not the licence", encoding="utf-8")
    code, out, _ = cli("status", "toolalpaca", "--json", "--data-dir", str(toolalpaca_copy))
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    assert doc["benchmarks"]["toolalpaca"] == {"ok": 3, "missing": 0, "corrupt": 1}
    assert [f["path"] for f in doc["files"]] == ["toolalpaca/LICENSE"]
    code, out, _ = cli("status", "toolalpaca", "--json", "--verbose", "--data-dir", str(toolalpaca_copy))
    assert len(json.loads(out)["files"]) == 4


def test_a_directory_in_place_of_a_file_is_corrupt(toolalpaca_copy: Path) -> None:
    target = toolalpaca_copy / "toolalpaca" / "LICENSE"
    target.unlink()
    target.mkdir()
    [result] = [r for r in status(toolalpaca_copy, ["toolalpaca"]) if r.file.path == "toolalpaca/LICENSE"]
    assert result.state is FileState.CORRUPT and "regular file" in result.detail


def test_require_gives_loaders_a_checked_path(toolalpaca_copy: Path) -> None:
    path = require(toolalpaca_copy, "toolalpaca/eval_real.json")
    assert path == toolalpaca_copy / "toolalpaca" / "eval_real.json"
    with pytest.raises(DataError, match="missing benchmark file; run 'tlbench data pull rotbench"):
        require(toolalpaca_copy, "rotbench/Data/First_Turn/clean.json")
    path.write_bytes(b"[]")
    with pytest.raises(DataError, match="wrong size"):
        require(toolalpaca_copy, "toolalpaca/eval_real.json")
    with pytest.raises(DataError, match="not listed in the benchmark manifest"):
        require(toolalpaca_copy, "toolalpaca/train_data.json")


def test_status_selection_keeps_manifest_order(toolalpaca_copy: Path) -> None:
    manifest = load_manifest()
    results = status(toolalpaca_copy, ["bfcl-v3-exec"], manifest=manifest)
    assert [r.file for r in results] == [f for f in manifest.files if f.benchmark == "bfcl"]
    assert {r.state for r in results} == {FileState.MISSING}
