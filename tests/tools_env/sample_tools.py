"""Decorated tools for the registry/env tests (importable by sandbox workers from this folder)."""

from __future__ import annotations

from typing import Literal, Optional

from tools_env.registry import ToolRegistry

REG = ToolRegistry()


@REG.tool
def add(a: int, b: int = 0) -> int:
    """Add two integers.

    Args:
        a: the first term
        b: the second term
    """
    return a + b


@REG.tool
def describe(name: str, tags: list[str], unit: Literal["c", "f"] = "c", note: Optional[str] = None) -> dict:
    """Echo a structured record."""
    return {"name": name, "tags": tags, "unit": unit, "note": note}


@REG.tool
def save(text: str, *, workdir: str) -> str:
    """Write text into the episode directory."""
    import os

    with open(os.path.join(workdir, "saved.txt"), "w", encoding="utf-8") as fh:
        fh.write(text)
    return "saved"


@REG.tool
def explode(x: float) -> float:
    """Fail with a ValueError."""
    raise ValueError(f"cannot handle {x}")
