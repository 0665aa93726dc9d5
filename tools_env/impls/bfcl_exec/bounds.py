"""The input bounds of BFCL's executable functions: the guards upstream lacks.

Covered here: a numeric parameter must be a number (``bool``/``int``/``float``), else ``TypeError``
(upstream fails on those too, or returns a string or list that never equals a numeric gold result -
refusing early avoids ``"a" * 10**12`` exhausting memory); integers at most :data:`MAX_INT` in magnitude;
sequences at most :data:`MAX_LEN` elements; loop-driving values at most :data:`MAX_LOOP`. Not covered: the
per-function bounds (matrices, points, lambda text), which the functions set with these helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["MAX_INT", "MAX_LEN", "MAX_LOOP", "MAX_FACTOR", "Number", "num", "loop_bound", "seq", "nums", "at"]


MAX_INT = 10**15
MAX_LEN = 10_000
MAX_LOOP = 100_000  # factorial / fibonacci / permutation loop length
MAX_FACTOR = 10**13  # trial division up to sqrt(10**13) ~ 3.2M steps at worst
Number = int | float


def num(value: Any, name: str) -> Number:
    """``value`` if it is a number (bool counts, as in Python arithmetic); ``TypeError`` otherwise."""
    if not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise ValueError(f"{name} is too large (bound {MAX_INT})")
    return value


def loop_bound(value: Any, name: str, bound: int = MAX_LOOP) -> None:
    if isinstance(value, int | float) and abs(value) > bound:
        raise ValueError(f"{name} is too large for this function (bound {bound})")


def seq(values: Any, name: str, max_len: int = MAX_LEN) -> Sequence[Any]:
    """A list or tuple, bounded in length (elements are checked where they are used)."""
    if not isinstance(values, list | tuple):
        raise TypeError(f"{name} must be a list, not {type(values).__name__}")
    if len(values) > max_len:
        raise ValueError(f"{name} has more than {max_len} elements")
    return values


def nums(values: Any, name: str, max_len: int = MAX_LEN) -> list[Number]:
    """A list of numbers (a tuple is accepted as a list), bounded in length."""
    return [num(v, f"{name}[{i}]") for i, v in enumerate(seq(values, name, max_len))]


def at(values: Sequence[Any], i: int, name: str) -> Number:
    """``values[i]`` as a number (Python indexing: ``IndexError`` past the end)."""
    return num(values[i], f"{name}[{i}]")
