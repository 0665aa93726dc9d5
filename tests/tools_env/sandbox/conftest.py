"""Shared fixtures: one sandbox pool for the module-level tests, with this folder importable by workers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from leak_probe import HERE

from tools_env.sandbox import SandboxLimits, SandboxPool


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    limits = SandboxLimits(
        timeout_s=2.0, memory_bytes=512 << 20, file_size_bytes=1 << 20, max_output_chars=1 << 16
    )
    with SandboxPool(2, limits, sys_path=[HERE]) as p:
        yield p
