"""Fixtures for the trajectory / task / importer / collect tests: a small tool set, the shared data dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tlbench.types import ToolDoc


def _schema(*names: str, required: tuple[str, ...] = ()) -> dict:
    return {
        "type": "object",
        "properties": {n: {"type": "string", "description": f"the {n}"} for n in names},
        "required": list(required),
    }


@pytest.fixture()
def weather_docs() -> tuple[ToolDoc, ...]:
    """Tools whose names share long prefixes (PKT's near misses), plus ask_to_user / finish."""
    return (
        ToolDoc(
            "get_weather",
            "Returns the current weather of a city.",
            _schema("city", "unit", required=("city",)),
            ("city",),
        ),
        ToolDoc(
            "get_weather_history",
            "Returns past weather of a city.",
            _schema("city", "date", required=("city", "date")),
            ("city", "date"),
        ),
        ToolDoc(
            "get_time", "Returns the local time of a city.", _schema("city", required=("city",)), ("city",)
        ),
        ToolDoc("ask_to_user", "Ask the user.", _schema("question", required=("question",)), ("question",)),
        ToolDoc("finish", "Finish the task.", _schema("answer", required=("answer",)), ("answer",)),
    )


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The read-only benchmark data (ToolEyes tool library etc.); skips when it is absent."""
    path = Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")
    if not (path / "tooleyes" / "Tool_Library").is_dir():
        pytest.skip(f"benchmark data not found under {path}")
    return path
