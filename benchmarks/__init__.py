"""Benchmarks: loaders and scorers, each a :class:`benchmarks.base.Benchmark` registered by ``@register``.

Every benchmark registers itself from its own module (``benchmarks/<family>``: rotbench, tooleyes,
toolalpaca, bfcl); ``NAMES`` lists them all, in run order. Importing this package imports no benchmark
module: ``BENCHMARKS`` finds a module when a name is first asked for (:mod:`benchmarks.registry`), and
``NAMES`` is computed on first use.
"""

from __future__ import annotations

from benchmarks.registry import BENCHMARKS, register

__all__ = ["BENCHMARKS", "NAMES", "register"]


def __getattr__(name: str) -> object:
    if name == "NAMES":  # every registered name in run order (families by ``order``); imports them all
        return tuple(b.name for b in BENCHMARKS.all())
    raise AttributeError(f"module 'benchmarks' has no attribute {name!r}")
