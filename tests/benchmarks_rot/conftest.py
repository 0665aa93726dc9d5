"""Fixtures for the RoTBench / ToolEyes / metrics / score tests: the shared data dir and loaded items."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks import BENCHMARKS
from benchmarks.base import Item


def _data_dir() -> Path:
    return Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The read-only benchmark data; skips when it is absent."""
    path = _data_dir()
    if not (path / "rotbench" / "Data" / "First_Turn" / "clean.json").is_file():
        pytest.skip(f"benchmark data not found under {path}")
    return path


_CACHE: dict[str, list[Item]] = {}


@pytest.fixture(scope="session")
def load_items(data_dir: Path):
    """``load_items(name)`` -> the items of a registered benchmark (cached for the session)."""

    def load(name: str) -> list[Item]:
        if name not in _CACHE:
            _CACHE[name] = BENCHMARKS.get(name).load(data_dir)
        return _CACHE[name]

    return load
