"""Statistics and linear algebra among BFCL's executable functions, as the official ones compute.

Covered here: ``calculate_mean`` and ``calculate_standard_deviation`` (population: divide by ``n``) of a list
of numbers; ``calculate_cosine_similarity``, ``linear_regression`` and ``mat_mul`` index their lists as the
official loops do (a longer second list is ignored where they ignore it, a shorter one raises
``IndexError``); matrices at most 200 rows and 200 columns, no dimension check (as upstream). Not covered:
numerical stability beyond upstream's (same formulas, same order).
"""

from __future__ import annotations

from tools_env.impls.bfcl_exec.bounds import Number, at, num, nums, seq

__all__ = [
    "calculate_mean",
    "calculate_standard_deviation",
    "calculate_cosine_similarity",
    "linear_regression",
    "mat_mul",
]


def calculate_mean(numbers: list[float]) -> float:
    """``sum(numbers) / len(numbers)``."""
    values = nums(numbers, "numbers")
    return sum(values) / len(values)


def calculate_standard_deviation(numbers: list[float]) -> float:
    """Population standard deviation (divide by ``n``)."""
    mean = calculate_mean(numbers)
    values = nums(numbers, "numbers")
    return (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5


def calculate_cosine_similarity(vectorA: list[float], vectorB: list[float]) -> float:  # noqa: N803
    """``a . b / (|a| |b|)``; the dot product runs over ``a``'s positions, each norm over its own vector."""
    a, b = seq(vectorA, "vectorA"), seq(vectorB, "vectorB")
    dot = sum(at(a, i, "vectorA") * at(b, i, "vectorB") for i in range(len(a)))
    norm_a = (sum(at(a, i, "vectorA") ** 2 for i in range(len(a)))) ** 0.5
    norm_b = (sum(at(b, i, "vectorB") ** 2 for i in range(len(b)))) ** 0.5
    return dot / (norm_a * norm_b)


def linear_regression(x: list[int], y: list[int], point: int) -> float:
    """Least-squares line through ``(x, y)`` (sums formula over ``x``'s positions), evaluated at ``point``."""
    xs, ys = seq(x, "x"), seq(y, "y")
    n = len(xs)
    sum_x = sum(at(xs, i, "x") for i in range(n))
    sum_y = sum(nums(ys, "y"))
    sum_xx = sum(at(xs, i, "x") ** 2 for i in range(n))
    sum_xy = sum(at(xs, i, "x") * at(ys, i, "y") for i in range(n))
    slope = (n * sum_xy - sum_x * sum_y) / (n * sum_xx - sum_x**2)
    intercept = (sum_y - slope * sum_x) / n
    return slope * num(point, "point") + intercept


def mat_mul(matA: list[list[float]], matB: list[list[float]]) -> list[list[float]]:  # noqa: N803
    """Matrix product: ``len(matA)`` rows, ``len(matB[0])`` columns, the inner sum over ``matB``'s rows.

    No dimension check, as upstream: exec_parallel_31's gold multiplies a 2x4 by a 2x4 matrix, which runs
    (only the first two entries of each row of ``matA`` are used).
    """
    a, b = seq(matA, "matA", 200), seq(matB, "matB", 200)
    cols = len(seq(b[0], "matB row", 200))
    out: list[list[Number]] = [[0 for _ in range(cols)] for _ in range(len(a))]
    for i in range(len(a)):
        for j in range(cols):
            for k in range(len(b)):
                out[i][j] += at(a[i], k, "matA row") * at(b[k], j, "matB row")
    return out
