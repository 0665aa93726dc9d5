"""Suite-wide settings and fixtures: hypothesis examples get no deadline; the shared benchmark data.

A per-example deadline (hypothesis' default is 200 ms) is a timing assertion, and the default suite asserts no
timings: a loaded machine would fail it. Speed targets live in ``tests/perf`` (``python tests/perf/run_all.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    from hypothesis import settings
except ImportError:  # hypothesis is a dev dependency; the tests that use it import it themselves
    pass
else:
    settings.register_profile("tlbench", deadline=None)
    settings.load_profile("tlbench")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The read-only benchmark data (``$TLBENCH_DATA`` or /work/shared/data); skips when it is absent."""
    path = Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")
    if not (path / "rotbench" / "Data" / "First_Turn" / "clean.json").is_file():
        pytest.skip(f"benchmark data not found under {path}")
    return path


_ITEMS: dict[str, list] = {}


@pytest.fixture(scope="session")
def load_items(data_dir: Path):  # noqa: ANN201 - a function
    """``load_items(name)`` -> the items of a registered benchmark (cached for the session)."""

    def load(name: str) -> list:
        from benchmarks import BENCHMARKS

        if name not in _ITEMS:
            _ITEMS[name] = BENCHMARKS.get(name).load(data_dir)
        return _ITEMS[name]

    return load
