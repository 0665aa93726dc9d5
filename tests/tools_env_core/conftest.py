"""Shared fixtures: one sandbox pool for the module-level tests, with this folder importable by workers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools_env.sandbox import SandboxLimits, SandboxPool

HERE = Path(__file__).resolve().parent


def child_pids() -> set[int]:
    """Direct children of this process, zombies included (read from /proc)."""
    me = os.getpid()
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == me:
            out.add(int(entry))
    return out


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    limits = SandboxLimits(
        timeout_s=2.0, memory_bytes=512 << 20, file_size_bytes=1 << 20, max_output_chars=1 << 16
    )
    with SandboxPool(2, limits, sys_path=[HERE]) as p:
        yield p
