"""Integers and plain numbers among BFCL's executable functions, computing what the official ones compute.

Covered here (where a textbook version would differ):

* ``math_gcd`` is Euclid's recursion with Python's ``%`` (no ``abs``: ``math_gcd(450, -300)`` is ``-150``;
  integral floats work, ``150.0``); ``math_lcm`` is ``a * b / gcd`` (a float; ``0, 0`` divides by zero);
* ``get_prime_factors`` divides by trial divisors with true division: an integral float works like the
  integer, a number below 2 has no factors; a non-integral float raises here (upstream never terminates);
* ``get_fibonacci_number(n)`` is ``F(n - 1)`` (``n=1`` -> 0, ``n=2`` -> 1) and the string
  ``"Input should be a positive integer."`` for ``n <= 0``; ``get_fibonacci_sequence(n)`` starts from
  ``[0, 1]`` (so ``n <= 2`` gives ``[0, 1]``);
* ``calculate_permutations`` and ``calc_binomial_probability`` use true division of factorials (floats);
  a factorial of a negative number is 1;
* ``quadratic_roots``: ``[r1, r2]`` with ``** 0.5``, or two ``{"real", "imaginary"}`` dicts;
* ``sort_array`` passes ``reverse`` to ``sorted`` as given (a string raises ``TypeError``).

Not covered: the bounds shared by every function (:mod:`tools_env.impls.bfcl_exec.bounds`).
"""

from __future__ import annotations

from typing import Any

from tools_env.impls.bfcl_exec.bounds import MAX_FACTOR, MAX_LEN, Number, loop_bound, num, seq

__all__ = [
    "add_binary_numbers",
    "math_factorial",
    "math_gcd",
    "math_lcm",
    "get_prime_factors",
    "get_fibonacci_number",
    "get_fibonacci_sequence",
    "calculate_permutations",
    "calc_binomial_probability",
    "quadratic_roots",
    "sort_array",
]


def add_binary_numbers(a: str, b: str) -> str:
    """The sum of two binary numbers given as strings, as a binary string without prefix."""
    if not isinstance(a, str) or not isinstance(b, str):
        raise TypeError("a and b must be strings of binary digits")
    if len(a) > 4096 or len(b) > 4096:
        raise ValueError("binary numbers longer than 4096 digits")
    return bin(int(a, 2) + int(b, 2))[2:]


def math_factorial(n: int) -> int:
    """``n!`` by a plain loop (1 for ``n < 2``; a float ``n`` fails in ``range``)."""
    num(n, "n")
    loop_bound(n, "n", 5_000)
    result = 1
    for i in range(1, n + 1):
        result *= i
    return result


def math_gcd(a: int, b: int) -> Number:
    """Euclid's algorithm with Python's ``%`` (the sign follows the divisor; no ``abs``)."""
    num(a, "a")
    num(b, "b")
    steps = 0
    while b != 0:
        a, b = b, a % b
        steps += 1
        if steps > 10_000:
            raise ValueError("gcd did not converge (non-integral input?)")
    return a


def math_lcm(a: int, b: int) -> float:
    """``a * b / gcd(a, b)`` (true division)."""
    return num(a, "a") * num(b, "b") / math_gcd(a, b)


def get_prime_factors(number: int) -> list[int]:
    """Prime factors with multiplicity, ascending (``12 -> [2, 2, 3]``; ``[]`` below 2)."""
    n = num(number, "number")
    if isinstance(n, float):
        if not n.is_integer():
            raise ValueError("number is not integral (the official loop never ends)")
        n = int(n)
    if n > MAX_FACTOR:
        raise ValueError(f"number is too large to factor here (bound {MAX_FACTOR})")
    factors: list[int] = []
    d = 2
    while d * d <= n:
        while n % d == 0:
            factors.append(d)
            n //= d
        d += 1
    if n > 1:
        factors.append(n)
    return factors


def get_fibonacci_number(n: int) -> int | str:
    """``F(n - 1)`` with ``F(0) = 0``: ``n=1`` -> 0, ``n=2`` -> 1; a message for ``n <= 0``."""
    num(n, "n")
    loop_bound(n, "n", MAX_LEN)
    if n <= 0:
        return "Input should be a positive integer."
    if n == 1:
        return 0
    if n == 2:
        return 1
    a, b = 0, 1
    for _ in range(2, n):
        a, b = b, a + b
    return b


def get_fibonacci_sequence(n: int) -> list[int]:
    """``[0, 1]`` extended to ``n`` Fibonacci numbers (never shorter than two)."""
    num(n, "n")
    loop_bound(n, "n", MAX_LEN)
    seq = [0, 1]
    for i in range(2, n):
        seq.append(seq[i - 1] + seq[i - 2])
    return seq


def calculate_permutations(n: int, k: int) -> float:
    """``n! / (n - k)!`` by true division."""
    num(k, "k")
    return math_factorial(n) / math_factorial(n - k)


def calc_binomial_probability(n: int, k: int, p: float) -> float:
    """Binomial pmf ``n! / (k! (n-k)!) * (p^k (1-p)^(n-k))``."""
    num(p, "p")
    coeff = math_factorial(n) / (math_factorial(k) * math_factorial(n - k))
    return coeff * (p**k * (1 - p) ** (n - k))


def quadratic_roots(a: int, b: int, c: int) -> list[Any]:
    """Roots of ``a x^2 + b x + c``: two floats, or two ``{"real", "imaginary"}`` dicts."""
    a, b, c = num(a, "a"), num(b, "b"), num(c, "c")
    d = b**2 - 4 * a * c
    if d >= 0:
        return [(-b + d**0.5) / (2 * a), (-b - d**0.5) / (2 * a)]
    re = -b / (2 * a)
    im = (abs(d) ** 0.5) / (2 * a)
    return [{"real": re, "imaginary": im}, {"real": re, "imaginary": -im}]


def sort_array(array: list[float], reverse: bool = False) -> list[Any]:
    """``sorted(array, reverse=reverse)`` (``reverse`` as given: Python accepts only integers)."""
    return sorted(seq(array, "array"), reverse=reverse)
