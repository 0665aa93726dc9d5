"""One generic registry for everything looked up by name (parsers, benchmarks, executors, backends).

Targets may be registered eagerly (the object itself) or lazily as ``"package.module:attr"`` strings, so that
heavy optional dependencies are imported only when the name is used. Unknown names raise ``UsageError`` with
"did you mean" suggestions.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from tlbench.errors import UsageError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> object map with aliases and lazy ``"module:attr"`` targets."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T | str] = {}
        self._canonical: dict[str, str] = {}

    def add(self, name: str, target: T | str, *aliases: str) -> None:
        """Register ``target`` under ``name`` and ``aliases`` (a duplicate name is a programming error)."""
        for key in (name, *aliases):
            if key in self._items and self._items[key] is not target:
                raise ValueError(f"{self.kind} {key!r} is already registered")
            self._items[key] = target
            self._canonical[key] = name

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""

        def deco(obj: T) -> T:
            self.add(name, obj, *aliases)
            return obj

        return deco

    def get(self, name: str) -> T:
        """The object for ``name``; imports a lazy target on first use."""
        try:
            target = self._items[name]
        except KeyError:
            raise UsageError(self.unknown_message(name)) from None
        if isinstance(target, str):
            module_name, _, attr = target.partition(":")
            obj = getattr(importlib.import_module(module_name), attr)
            for key, value in list(self._items.items()):
                if value == target:
                    self._items[key] = obj
            return obj
        return target

    def unknown_message(self, name: str) -> str:
        """The error text for an unknown name, with close matches."""
        close = difflib.get_close_matches(name, list(self._items), n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        return f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(self.names())}"

    def canonical(self, name: str) -> str:
        """The primary name behind an alias."""
        self.get(name)
        return self._canonical[name]

    def names(self) -> list[str]:
        """Primary names, sorted."""
        return sorted(set(self._canonical.values()))

    def choices(self) -> list[str]:
        """Every name a command line may accept: the primary names (sorted), then the aliases (sorted)."""
        primary = self.names()
        return primary + sorted(k for k in self._items if k not in primary)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
