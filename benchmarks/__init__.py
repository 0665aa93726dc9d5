"""Benchmarks: loaders and scorers, registered lazily by name in ``BENCHMARKS``.

Names (``tlbench score --benchmark NAME``)::

    rotbench-{first,third}-{clean,slight,medium,heavy,union}   benchmarks.rotbench
    tooleyes                                                   benchmarks.tooleyes
    toolalpaca-real                                            benchmarks.toolalpaca
    bfcl-v3-exec, bfcl-v3-exec-{simple,multiple,parallel,parallel-multiple}   benchmarks.bfcl

Targets are ``"module:attr"`` strings, so importing this package imports no benchmark module; a name is
resolved (and its module imported) on first ``BENCHMARKS.get(name)``.
"""

from __future__ import annotations

from benchmarks.base import BENCHMARKS

__all__ = ["BENCHMARKS", "NAMES"]

_TARGETS: dict[str, str] = {
    **{
        f"rotbench-{turn}-{level}": f"benchmarks.rotbench:ROTBENCH_{turn.upper()}_{level.upper()}"
        for turn in ("first", "third")
        for level in ("clean", "slight", "medium", "heavy", "union")
    },
    "tooleyes": "benchmarks.tooleyes:TOOLEYES",
    "toolalpaca-real": "benchmarks.toolalpaca:TOOLALPACA_REAL",
    "bfcl-v3-exec": "benchmarks.bfcl:BFCL_ALL",
    "bfcl-v3-exec-simple": "benchmarks.bfcl:BFCL_SIMPLE",
    "bfcl-v3-exec-multiple": "benchmarks.bfcl:BFCL_MULTIPLE",
    "bfcl-v3-exec-parallel": "benchmarks.bfcl:BFCL_PARALLEL",
    "bfcl-v3-exec-parallel-multiple": "benchmarks.bfcl:BFCL_PARALLEL_MULTIPLE",
}

#: Every registered benchmark name, in a stable order.
NAMES: tuple[str, ...] = tuple(_TARGETS)

for _name, _target in _TARGETS.items():
    if _name not in BENCHMARKS:
        BENCHMARKS.add(_name, _target)
