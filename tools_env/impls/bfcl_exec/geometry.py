"""Geometry among BFCL's executable functions (areas, distances, collinear points), as the official ones compute.

Covered here: ``get_distance``, ``polygon_area`` and ``maxPoints`` index their lists as the official loops
do (a longer second list is ignored where they ignore it, a shorter one raises ``IndexError``);
``polygon_area`` needs 3 vertices; at most 500 points for ``maxPoints``. Not covered: ``polygon_area`` on
tuples, which upstream refuses (it appends to its argument): a JSON call cannot carry tuples, so
``benchmarks.bfcl`` applies that rule before the call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tools_env.impls.bfcl_exec.bounds import Number, at, num, seq

__all__ = ["calculate_triangle_area", "geometry_area_circle", "get_distance", "polygon_area", "maxPoints"]


def calculate_triangle_area(base: int, height: int) -> float:
    """``base * height / 2``."""
    return num(base, "base") * num(height, "height") / 2


def geometry_area_circle(radius: int) -> float:
    """``pi r^2``."""
    return math.pi * num(radius, "radius") ** 2


def get_distance(pointA: Sequence[float], pointB: Sequence[float]) -> float:  # noqa: N803 - documented name
    """Euclidean distance of the first two coordinates of two points (tuples or lists)."""
    a, b = seq(pointA, "pointA"), seq(pointB, "pointB")
    dx = at(a, 0, "pointA") - at(b, 0, "pointB")
    dy = at(a, 1, "pointA") - at(b, 1, "pointB")
    return (dx**2 + dy**2) ** 0.5


def polygon_area(vertices: list[list[float]]) -> float:
    """Shoelace area ``|sum(x_i y_{i+1} - x_{i+1} y_i)| / 2`` (at least 3 vertices)."""
    pts = list(seq(vertices, "vertices"))
    n = len(pts)
    if n < 3:
        raise ValueError("A polygon must have at least 3 vertices.")
    pts.append(pts[0])
    area: Number = 0
    for i in range(n):
        p, q = seq(pts[i], "vertex"), seq(pts[i + 1], "vertex")
        area += (at(p, 0, "vertex") * at(q, 1, "vertex")) - (at(q, 0, "vertex") * at(p, 1, "vertex"))
    return abs(area) / 2.0


def maxPoints(points: list[list[int]]) -> int:  # noqa: N802 - documented name
    """One more than the largest number of points after a point on one line through it (1 below 2 points)."""
    pts = seq(points, "points", 500)
    best = 1
    if len(pts) < 2:
        return 1
    for i in range(len(pts)):
        slopes: dict[Any, int] = {}
        for j in range(i + 1, len(pts)):
            dy = at(pts[j], 1, "points") - at(pts[i], 1, "points")
            dx = at(pts[j], 0, "points") - at(pts[i], 0, "points")
            key: Any = dy / dx if dx != 0 else "inf"
            slopes[key] = 1 + slopes.get(key, 0)
        for count in slopes.values():
            best = max(best, count)
    return best + 1
