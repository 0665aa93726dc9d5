"""Fixtures for the BFCL / ToolAlpaca tests: the shared data dir and loaded items (cached per session)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.base import Item
from benchmarks.bfcl import Bfcl
from benchmarks.toolalpaca import TOOLALPACA_REAL


def _data_dir() -> Path:
    return Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")


@pytest.fixture(scope="session")
def bfcl_data_dir() -> Path:
    """The read-only benchmark data; skips when BFCL or ToolAlpaca files are absent."""
    path = _data_dir()
    if not (path / "bfcl_v3_exec" / "BFCL_v3_exec_simple.json").is_file():
        pytest.skip(f"BFCL data not found under {path}")
    if not (path / "toolalpaca" / "eval_real.json").is_file():
        pytest.skip(f"ToolAlpaca data not found under {path}")
    return path


_CACHE: dict[str, list[Item]] = {}


@pytest.fixture(scope="session")
def bfcl_items(bfcl_data_dir: Path) -> dict[str, Item]:
    """All 240 items of the fixed (d6b5fb8) data, by id."""
    if "bfcl" not in _CACHE:
        _CACHE["bfcl"] = Bfcl("bfcl-v3-exec").load(bfcl_data_dir)
    return {it.id: it for it in _CACHE["bfcl"]}


@pytest.fixture(scope="session")
def bfcl_release_items(bfcl_data_dir: Path) -> dict[str, Item]:
    """All 240 items of the v3 release (2024-09-20), by id."""
    if "bfcl-release" not in _CACHE:
        _CACHE["bfcl-release"] = Bfcl("bfcl-v3-exec", release="v3-2024-09-20").load(bfcl_data_dir)
    return {it.id: it for it in _CACHE["bfcl-release"]}


@pytest.fixture(scope="session")
def ta_items(bfcl_data_dir: Path) -> dict[str, Item]:
    """The 114 ToolAlpaca eval_real items, by id."""
    if "ta" not in _CACHE:
        _CACHE["ta"] = TOOLALPACA_REAL.load(bfcl_data_dir)
    return {it.id: it for it in _CACHE["ta"]}
