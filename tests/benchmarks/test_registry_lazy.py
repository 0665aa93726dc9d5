"""Every benchmark name is registered lazily; importing the package imports no benchmark module."""

from __future__ import annotations

import subprocess
import sys

import benchmarks
from benchmarks import BENCHMARKS, NAMES

EXPECTED = {
    *(
        f"rotbench-{t}-{lv}"
        for t in ("first", "third")
        for lv in ("clean", "slight", "medium", "heavy", "union")
    ),
    "tooleyes",
    "toolalpaca-real",
    "bfcl-v3-exec",
    "bfcl-v3-exec-simple",
    "bfcl-v3-exec-multiple",
    "bfcl-v3-exec-parallel",
    "bfcl-v3-exec-parallel-multiple",
}


def test_rot_registry_names() -> None:
    assert set(NAMES) == EXPECTED and set(BENCHMARKS.names()) >= EXPECTED
    assert benchmarks.BENCHMARKS is BENCHMARKS


def test_rot_registry_is_lazy() -> None:
    code = "import sys, benchmarks; print(any(m in sys.modules for m in ('benchmarks.rotbench', 'benchmarks.tooleyes')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_rot_registry_resolves_own_benchmarks() -> None:
    for name in EXPECTED:
        if name.startswith(("rotbench", "tooleyes")):
            bench = BENCHMARKS.get(name)
            assert bench.name == name and bench.default_format == "react"
