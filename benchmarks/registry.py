"""The benchmark registry: ``@register`` next to a benchmark class, and a lazy index that finds the classes.

Why there is no hand-written list of names: adding a benchmark must touch its own module only. A module
registers its classes when it is imported (``@register`` adds every variant by name), so the index imports
modules only when it needs them:

* ``import benchmarks`` imports no benchmark module;
* ``BENCHMARKS.get(name)`` for a name not registered yet first imports ``benchmarks.<first word of the
  name>`` (``rotbench-first-clean`` -> ``benchmarks.rotbench``: the convention that keeps one lookup from
  importing every benchmark), then, if the name is still unknown, every module of the package;
* a question about the whole set (:meth:`BenchmarkRegistry.all`, ``names()``, an unknown name's error
  message) imports every module of the package once.

A class registered from anywhere else (a test module's toy benchmark) is seen by every command that runs
in the same process; :meth:`BenchmarkRegistry.unregister` takes it out again.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from typing import TypeVar

from benchmarks.base import Benchmark
from tlbench.registry import Registry

__all__ = ["BenchmarkRegistry", "BENCHMARKS", "register"]

B = TypeVar("B", bound=type[Benchmark])


class BenchmarkRegistry(Registry[Benchmark]):
    """Benchmarks by name (see the module docstring); registration order is kept for :meth:`all`."""

    def __init__(self, package: str) -> None:
        super().__init__("benchmark")
        self._package = package
        self._scanned = False
        self._rank: dict[str, int] = {}

    def add_variants(self, cls: type[Benchmark]) -> None:
        """Register every variant of ``cls`` under its name (a duplicate name is a programming error)."""
        for bench in cls.variants():
            self.add(bench.name, bench)
            self._rank.setdefault(bench.name, len(self._rank))

    def unregister(self, cls: type[Benchmark]) -> None:
        """Remove every name registered to an instance of ``cls`` (tests that register a toy benchmark)."""
        for key in [k for k, v in self._items.items() if isinstance(v, cls)]:
            del self._items[key]
            del self._canonical[key]
            self._rank.pop(key, None)

    def discover(self, name: str | None = None) -> None:
        """Import the module that should register ``name``, or (``None``, or still unknown) every module."""
        if name is not None:
            word = name.split("-", 1)[0]
            module = f"{self._package}.{word}"
            if word.isidentifier() and _exists(module):
                importlib.import_module(module)
            if name in self._items:
                return
        if self._scanned:
            return
        package = importlib.import_module(self._package)
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{self._package}.{info.name}")
        self._scanned = True

    def get(self, name: str) -> Benchmark:
        """The benchmark registered as ``name`` (its module imported on first use); ``UsageError`` if none."""
        if name not in self._items:
            self.discover(name)
        return super().get(name)

    def find(self, name: str) -> Benchmark | None:
        """The benchmark registered as ``name``, or None (a run directory may name one this code lacks)."""
        return self.get(name) if name in self else None

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        self.discover()
        return super().names()

    def all(self) -> tuple[Benchmark, ...]:
        """Every registered benchmark (aliases once) by family ``order``, then registration order."""
        self.discover()
        unique = {name: self.get(name) for name in super().names()}
        ordered = sorted(unique, key=lambda n: (type(unique[n]).order, self._rank.get(n, 0)))
        return tuple(unique[n] for n in ordered)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str) and name not in self._items:
            self.discover(name)
        return super().__contains__(name)


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


#: Every benchmark, by name.
BENCHMARKS = BenchmarkRegistry("benchmarks")


def register(cls: B) -> B:
    """Class decorator: register every variant of a :class:`~benchmarks.base.Benchmark` subclass by name."""
    BENCHMARKS.add_variants(cls)
    return cls
