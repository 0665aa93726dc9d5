"""BFCL-v3's 32 pure executable functions, behaving as the official checker's functions do.

Why: BFCL's executable checker judges a call by running it and comparing the *result* with the result of
the gold call (research note ``bfcl_toolalpaca.md`` §1.4). The 134 items whose gold calls use only these
functions can therefore be scored offline by execution. A verdict depends on which inputs give equal
results, so each function here computes what gorilla's ``executable_python_function.py`` (at ``d6b5fb8``)
computes, with the same arithmetic in the same order and the same Python behaviour on odd inputs; this is
our own code, written after reading those functions, never a copy. ``tests/upstream/test_bfcl_agreement.py``
checks the gold results against the official ones bit for bit and 10,050 swept predictions' verdicts.

What that means (where a textbook version would differ):

* ``math_gcd`` is Euclid's recursion with Python's ``%`` (no ``abs``: ``math_gcd(450, -300)`` is ``-150``;
  integral floats work, ``150.0``); ``math_lcm`` is ``a * b / gcd`` (a float; ``0, 0`` divides by zero);
* ``get_prime_factors`` divides by trial divisors with true division: an integral float works like the
  integer, a number below 2 has no factors; a non-integral float raises here (upstream never terminates);
* ``get_fibonacci_number(n)`` is ``F(n - 1)`` (``n=1`` -> 0, ``n=2`` -> 1) and the string
  ``"Input should be a positive integer."`` for ``n <= 0``; ``get_fibonacci_sequence(n)`` starts from
  ``[0, 1]`` (so ``n <= 2`` gives ``[0, 1]``);
* ``calculate_permutations`` and ``calc_binomial_probability`` use true division of factorials (floats);
  a factorial of a negative number is 1;
* ``calculate_nutritional_needs``: revised Harris-Benedict BMR (any gender but ``"male"`` uses the female
  formula), activity factors ``[1.2, 1.375, 1.55, 1.725, 1.9][activity_level - 1]`` (Python indexing: a
  float level raises, 0 is the last factor), ``"lose"`` -500 kcal, ``"gain"`` +500, anything else 0;
  macros 30 % / 25 % / 45 % at 4 / 9 / 4 kcal per gram;
* ``calculate_investment_value``: yearly ``value * (1 + return) + contribution``; with inflation the real
  value grows by ``1 + return - inflation[year]`` and the contribution is deflated by ``1 - inflation``;
* ``book_room`` needs ``price``; 10 % off for the code ``"DISCOUNT10"`` only; returns
  ``{customer_id, room_number, check_in_date, check_out_date, total_price}``;
* ``order_food``, ``calculate_cosine_similarity``, ``mat_mul``, ``linear_regression``, ``maxPoints``,
  ``polygon_area``, ``get_distance`` index their lists as the official loops do (a longer second list is
  ignored where they ignore it, a shorter one raises ``IndexError``); ``polygon_area`` needs 3 vertices;
* ``sort_array`` passes ``reverse`` to ``sorted`` as given (a string raises ``TypeError``);
* ``quadratic_roots``: ``[r1, r2]`` with ``** 0.5``, or two ``{"real", "imaginary"}`` dicts;
* ``estimate_derivative(function, x)`` is ``(f(x + 1e-10) - f(x)) / 1e-10`` where ``f`` is the lambda
  *source text*, read with :mod:`ast` into a small arithmetic tree (numbers, its one parameter, unary and
  binary arithmetic, ``math.<name>(...)`` calls and ``math.pi`` / ``math.e``) and evaluated with Python's
  own operators; it is never ``eval``-ed (upstream ``eval``-s it).

Guards that upstream lacks (documented, enforced; outside them the results are upstream's):

* a numeric parameter must be a number (``bool``/``int``/``float``), else ``TypeError``: upstream fails
  on those too, or returns a string or list that never equals a numeric gold result - refusing early
  avoids ``"a" * 10**12`` exhausting memory;
* integers at most 10**15 in magnitude where they drive loops or big-int growth, sequences at most 10,000
  elements (matrices 200 x 200, points 500), lambda source 1,000 characters, powers in a lambda at most 64:
  a call over a bound raises ``ValueError`` (upstream computes, or runs for hours);
* results travel as JSON (tuples become lists, which is what the official checker compares with too).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["PURE_FUNCTIONS", "LIVE_FUNCTIONS", "MAX_INT", "MAX_LEN"]

MAX_INT = 10**15
MAX_LEN = 10_000
_MAX_LOOP = 100_000  # factorial / fibonacci / permutation loop length
_MAX_FACTOR = 10**13  # trial division up to sqrt(10**13) ~ 3.2M steps at worst
Number = int | float


# ------------------------------------------------------------------------------------------- guards


def _num(value: Any, name: str) -> Number:
    """``value`` if it is a number (bool counts, as in Python arithmetic); ``TypeError`` otherwise."""
    if not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise ValueError(f"{name} is too large (bound {MAX_INT})")
    return value


def _loop_bound(value: Any, name: str, bound: int = _MAX_LOOP) -> None:
    if isinstance(value, int | float) and abs(value) > bound:
        raise ValueError(f"{name} is too large for this function (bound {bound})")


def _seq(values: Any, name: str, max_len: int = MAX_LEN) -> Sequence[Any]:
    """A list or tuple, bounded in length (elements are checked where they are used)."""
    if not isinstance(values, list | tuple):
        raise TypeError(f"{name} must be a list, not {type(values).__name__}")
    if len(values) > max_len:
        raise ValueError(f"{name} has more than {max_len} elements")
    return values


def _nums(values: Any, name: str, max_len: int = MAX_LEN) -> list[Number]:
    """A list of numbers (a tuple is accepted as a list), bounded in length."""
    return [_num(v, f"{name}[{i}]") for i, v in enumerate(_seq(values, name, max_len))]


def _at(values: Sequence[Any], i: int, name: str) -> Number:
    """``values[i]`` as a number (Python indexing: ``IndexError`` past the end)."""
    return _num(values[i], f"{name}[{i}]")


# ----------------------------------------------------------------------------------------- arithmetic


def add_binary_numbers(a: str, b: str) -> str:
    """The sum of two binary numbers given as strings, as a binary string without prefix."""
    if not isinstance(a, str) or not isinstance(b, str):
        raise TypeError("a and b must be strings of binary digits")
    if len(a) > 4096 or len(b) > 4096:
        raise ValueError("binary numbers longer than 4096 digits")
    return bin(int(a, 2) + int(b, 2))[2:]


def math_factorial(n: int) -> int:
    """``n!`` by a plain loop (1 for ``n < 2``; a float ``n`` fails in ``range``)."""
    _num(n, "n")
    _loop_bound(n, "n", 5_000)
    result = 1
    for i in range(1, n + 1):
        result *= i
    return result


def math_gcd(a: int, b: int) -> Number:
    """Euclid's algorithm with Python's ``%`` (the sign follows the divisor; no ``abs``)."""
    _num(a, "a")
    _num(b, "b")
    steps = 0
    while b != 0:
        a, b = b, a % b
        steps += 1
        if steps > 10_000:
            raise ValueError("gcd did not converge (non-integral input?)")
    return a


def math_lcm(a: int, b: int) -> float:
    """``a * b / gcd(a, b)`` (true division)."""
    return _num(a, "a") * _num(b, "b") / math_gcd(a, b)


def get_prime_factors(number: int) -> list[int]:
    """Prime factors with multiplicity, ascending (``12 -> [2, 2, 3]``; ``[]`` below 2)."""
    n = _num(number, "number")
    if isinstance(n, float):
        if not n.is_integer():
            raise ValueError("number is not integral (the official loop never ends)")
        n = int(n)
    if n > _MAX_FACTOR:
        raise ValueError(f"number is too large to factor here (bound {_MAX_FACTOR})")
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
    _num(n, "n")
    _loop_bound(n, "n", MAX_LEN)
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
    _num(n, "n")
    _loop_bound(n, "n", MAX_LEN)
    seq = [0, 1]
    for i in range(2, n):
        seq.append(seq[i - 1] + seq[i - 2])
    return seq


def calculate_permutations(n: int, k: int) -> float:
    """``n! / (n - k)!`` by true division."""
    _num(k, "k")
    return math_factorial(n) / math_factorial(n - k)


def calc_binomial_probability(n: int, k: int, p: float) -> float:
    """Binomial pmf ``n! / (k! (n-k)!) * (p^k (1-p)^(n-k))``."""
    _num(p, "p")
    coeff = math_factorial(n) / (math_factorial(k) * math_factorial(n - k))
    return coeff * (p**k * (1 - p) ** (n - k))


# --------------------------------------------------------------------------------------------- physics


def calculate_density(mass: float, volume: float) -> float:
    """``mass / volume``."""
    return _num(mass, "mass") / _num(volume, "volume")


def calculate_displacement(initial_velocity: float, acceleration: float, time: float) -> float:
    """``v0 t + 0.5 a t^2``."""
    v0, a, t = (
        _num(initial_velocity, "initial_velocity"),
        _num(acceleration, "acceleration"),
        _num(time, "time"),
    )
    return v0 * t + 0.5 * a * t**2


def calculate_electrostatic_potential_energy(charge: float, voltage: float) -> float:
    """``charge * voltage``."""
    return _num(charge, "charge") * _num(voltage, "voltage")


def calculate_final_velocity(initial_velocity: float, acceleration: float, time: float) -> float:
    """``v0 + a t``."""
    return _num(initial_velocity, "initial_velocity") + _num(acceleration, "acceleration") * _num(
        time, "time"
    )


# --------------------------------------------------------------------------------------------- finance


def calculate_future_value(present_value: float, interest_rate: float, periods: int) -> float:
    """``pv * (1 + r) ** periods``."""
    pv, r, n = (
        _num(present_value, "present_value"),
        _num(interest_rate, "interest_rate"),
        _num(periods, "periods"),
    )
    _loop_bound(n, "periods", MAX_LEN)
    return pv * (1 + r) ** n


def calculate_investment_value(
    initial_investment: int,
    annual_contribution: float,
    years: int,
    annual_return: float,
    inflation_rate: list[float],
    adjust_for_inflation: bool = True,
) -> float:
    """Nominal value after ``years`` of growth plus yearly contributions, or its inflation-adjusted value."""
    nominal = real = _num(initial_investment, "initial_investment")
    contribution = _num(annual_contribution, "annual_contribution")
    rate = _num(annual_return, "annual_return")
    _num(years, "years")
    _loop_bound(years, "years", MAX_LEN)
    inflation = _seq(inflation_rate, "inflation_rate")
    for year in range(1, years + 1):
        nominal = nominal * (1 + rate) + contribution
        if adjust_for_inflation:
            this_year = _at(inflation, year - 1, "inflation_rate")
            deflator = 1 - (this_year if year <= len(inflation) else _at(inflation, -1, "inflation_rate"))
            real = real * (1 + rate - this_year) + contribution * deflator
        else:
            real = nominal
    return real if adjust_for_inflation else nominal


def mortgage_calculator(loan_amount: float, interest_rate: float, loan_period: int) -> float:
    """Monthly payment of an annuity loan (annual rate / 12, period in years * 12)."""
    principal = _num(loan_amount, "loan_amount")
    monthly = _num(interest_rate, "interest_rate") / 12
    months = _num(loan_period, "loan_period") * 12
    _loop_bound(months, "loan_period", 12 * MAX_LEN)
    growth = (1 + monthly) ** months
    return principal * monthly * growth / (growth - 1)


def order_food(item: list[str], quantity: list[int], price: list[float]) -> float:
    """``sum(quantity[i] * price[i])`` over the positions of ``item``."""
    if not isinstance(item, list | tuple | str):
        raise TypeError("item must be a list")
    if len(item) > MAX_LEN:
        raise ValueError(f"item has more than {MAX_LEN} elements")
    qty, prices = _seq(quantity, "quantity"), _seq(price, "price")
    return sum([_at(qty, i, "quantity") * _at(prices, i, "price") for i in range(len(item))])


def book_room(
    room_type: Any,
    price: float,
    check_in_date: str,
    check_out_date: str,
    customer_id: str,
    discount_code: str | None = None,
) -> dict[str, Any]:
    """The booking: 10 % off ``price`` with the code ``"DISCOUNT10"``."""
    if discount_code and discount_code == "DISCOUNT10":
        price = _num(price, "price") * 0.9
    return {
        "customer_id": customer_id,
        "room_number": room_type,
        "check_in_date": check_in_date,
        "check_out_date": check_out_date,
        "total_price": price,
    }


def calculate_nutritional_needs(
    weight: float, height: float, age: float, gender: str, activity_level: int, goal: str
) -> dict[str, float]:
    """Daily calories and macronutrient grams (revised Harris-Benedict; see the module docstring)."""
    w, h, a = _num(weight, "weight"), _num(height, "height"), _num(age, "age")
    if gender == "male":
        bmr = 88.362 + (13.397 * w) + (4.799 * h) - (5.677 * a)
    else:
        bmr = 447.593 + (9.247 * w) + (3.098 * h) - (4.330 * a)
    calories = bmr * [1.2, 1.375, 1.55, 1.725, 1.9][activity_level - 1]
    if goal == "lose":
        calories -= 500
    elif goal == "gain":
        calories += 500
    return {
        "calories": calories,
        "proteins_g": (calories * 0.30) / 4,
        "fats_g": (calories * 0.25) / 9,
        "carbohydrates_g": (calories * 0.45) / 4,
    }


# ------------------------------------------------------------------------------------ geometry, stats


def calculate_triangle_area(base: int, height: int) -> float:
    """``base * height / 2``."""
    return _num(base, "base") * _num(height, "height") / 2


def geometry_area_circle(radius: int) -> float:
    """``pi r^2``."""
    return math.pi * _num(radius, "radius") ** 2


def get_distance(pointA: Sequence[float], pointB: Sequence[float]) -> float:  # noqa: N803 - documented name
    """Euclidean distance of the first two coordinates of two points (tuples or lists)."""
    a, b = _seq(pointA, "pointA"), _seq(pointB, "pointB")
    dx = _at(a, 0, "pointA") - _at(b, 0, "pointB")
    dy = _at(a, 1, "pointA") - _at(b, 1, "pointB")
    return (dx**2 + dy**2) ** 0.5


def polygon_area(vertices: list[list[float]]) -> float:
    """Shoelace area ``|sum(x_i y_{i+1} - x_{i+1} y_i)| / 2`` (at least 3 vertices)."""
    pts = list(_seq(vertices, "vertices"))
    n = len(pts)
    if n < 3:
        raise ValueError("A polygon must have at least 3 vertices.")
    pts.append(pts[0])
    area: Number = 0
    for i in range(n):
        p, q = _seq(pts[i], "vertex"), _seq(pts[i + 1], "vertex")
        area += (_at(p, 0, "vertex") * _at(q, 1, "vertex")) - (_at(q, 0, "vertex") * _at(p, 1, "vertex"))
    return abs(area) / 2.0


def maxPoints(points: list[list[int]]) -> int:  # noqa: N802 - documented name
    """One more than the largest number of points after a point on one line through it (1 below 2 points)."""
    pts = _seq(points, "points", 500)
    best = 1
    if len(pts) < 2:
        return 1
    for i in range(len(pts)):
        slopes: dict[Any, int] = {}
        for j in range(i + 1, len(pts)):
            dy = _at(pts[j], 1, "points") - _at(pts[i], 1, "points")
            dx = _at(pts[j], 0, "points") - _at(pts[i], 0, "points")
            key: Any = dy / dx if dx != 0 else "inf"
            slopes[key] = 1 + slopes.get(key, 0)
        for count in slopes.values():
            best = max(best, count)
    return best + 1


def calculate_mean(numbers: list[float]) -> float:
    """``sum(numbers) / len(numbers)``."""
    values = _nums(numbers, "numbers")
    return sum(values) / len(values)


def calculate_standard_deviation(numbers: list[float]) -> float:
    """Population standard deviation (divide by ``n``)."""
    mean = calculate_mean(numbers)
    values = _nums(numbers, "numbers")
    return (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5


def calculate_cosine_similarity(vectorA: list[float], vectorB: list[float]) -> float:  # noqa: N803
    """``a . b / (|a| |b|)``; the dot product runs over ``a``'s positions, each norm over its own vector."""
    a, b = _seq(vectorA, "vectorA"), _seq(vectorB, "vectorB")
    dot = sum(_at(a, i, "vectorA") * _at(b, i, "vectorB") for i in range(len(a)))
    norm_a = (sum(_at(a, i, "vectorA") ** 2 for i in range(len(a)))) ** 0.5
    norm_b = (sum(_at(b, i, "vectorB") ** 2 for i in range(len(b)))) ** 0.5
    return dot / (norm_a * norm_b)


def linear_regression(x: list[int], y: list[int], point: int) -> float:
    """Least-squares line through ``(x, y)`` (sums formula over ``x``'s positions), evaluated at ``point``."""
    xs, ys = _seq(x, "x"), _seq(y, "y")
    n = len(xs)
    sum_x = sum(_at(xs, i, "x") for i in range(n))
    sum_y = sum(_nums(ys, "y"))
    sum_xx = sum(_at(xs, i, "x") ** 2 for i in range(n))
    sum_xy = sum(_at(xs, i, "x") * _at(ys, i, "y") for i in range(n))
    slope = (n * sum_xy - sum_x * sum_y) / (n * sum_xx - sum_x**2)
    intercept = (sum_y - slope * sum_x) / n
    return slope * _num(point, "point") + intercept


def mat_mul(matA: list[list[float]], matB: list[list[float]]) -> list[list[float]]:  # noqa: N803
    """Matrix product: ``len(matA)`` rows, ``len(matB[0])`` columns, the inner sum over ``matB``'s rows.

    No dimension check, as upstream: exec_parallel_31's gold multiplies a 2x4 by a 2x4 matrix, which runs
    (only the first two entries of each row of ``matA`` are used).
    """
    a, b = _seq(matA, "matA", 200), _seq(matB, "matB", 200)
    cols = len(_seq(b[0], "matB row", 200))
    out: list[list[Number]] = [[0 for _ in range(cols)] for _ in range(len(a))]
    for i in range(len(a)):
        for j in range(cols):
            for k in range(len(b)):
                out[i][j] += _at(a[i], k, "matA row") * _at(b[k], j, "matB row")
    return out


def quadratic_roots(a: int, b: int, c: int) -> list[Any]:
    """Roots of ``a x^2 + b x + c``: two floats, or two ``{"real", "imaginary"}`` dicts."""
    a, b, c = _num(a, "a"), _num(b, "b"), _num(c, "c")
    d = b**2 - 4 * a * c
    if d >= 0:
        return [(-b + d**0.5) / (2 * a), (-b - d**0.5) / (2 * a)]
    re = -b / (2 * a)
    im = (abs(d) ** 0.5) / (2 * a)
    return [{"real": re, "imaginary": im}, {"real": re, "imaginary": -im}]


def sort_array(array: list[float], reverse: bool = False) -> list[Any]:
    """``sorted(array, reverse=reverse)`` (``reverse`` as given: Python accepts only integers)."""
    return sorted(_seq(array, "array"), reverse=reverse)


# ----------------------------------------------------------------------------- estimate_derivative

_H = 0.0000000001
#: ``math.<name>`` calls a lambda may use.
_MATH: Mapping[str, Callable[..., float]] = {
    name: getattr(math, name)
    for name in (
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "tanh",
        "exp",
        "log",
        "log10",
        "log2",
        "sqrt",
    )
}
_CONSTANTS: Mapping[str, float] = {"pi": math.pi, "e": math.e}
_OPS: Mapping[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda p, q: p + q,
    ast.Sub: lambda p, q: p - q,
    ast.Mult: lambda p, q: p * q,
    ast.Div: lambda p, q: p / q,
    ast.FloorDiv: lambda p, q: p // q,
    ast.Mod: lambda p, q: p % q,
}


def _lambda_tree(source: str) -> tuple[str, ast.expr]:
    """The parameter name and body of ``lambda x: <arithmetic>`` (parsed, never executed)."""
    if not isinstance(source, str):
        raise TypeError("function must be the source text of a lambda")
    if len(source) > 1000:
        raise ValueError("function text longer than 1000 characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ValueError("function is not a valid lambda expression") from None
    node = tree.body
    if not isinstance(node, ast.Lambda) or len(node.args.args) != 1 or node.args.defaults:
        raise ValueError("function must be a one-argument lambda, e.g. 'lambda x: x**2'")
    return node.args.args[0].arg, node.body


def _eval_at(node: ast.AST, var: str, x: Number, depth: int = 0) -> Any:
    """Evaluate the arithmetic tree at ``x`` with Python's operators (bounded depth and powers)."""
    if depth > 60:
        raise ValueError("function expression is nested too deeply")
    d = depth + 1
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.Name) and node.id == var:
        return x
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "math":
        if node.attr in _CONSTANTS:
            return _CONSTANTS[node.attr]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
        v = _eval_at(node.operand, var, x, d)
        if isinstance(node.op, ast.Not):
            return not v
        return -v if isinstance(node.op, ast.USub) else +v
    if isinstance(node, ast.BinOp):
        left, right = _eval_at(node.left, var, x, d), _eval_at(node.right, var, x, d)
        if isinstance(node.op, ast.Pow):
            if abs(right) > 64:
                raise ValueError("exponent larger than 64")
            return left**right
        op = _OPS.get(type(node.op))
        if op is not None:
            return op(left, right)
    if isinstance(node, ast.Call) and not node.keywords and node.args:
        fn = node.func
        if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) and fn.value.id == "math":
            if fn.attr in _MATH:
                return _MATH[fn.attr](*(_eval_at(a, var, x, d) for a in node.args))
    raise ValueError(f"unsupported expression in function: {ast.dump(node)[:60]}")


def estimate_derivative(function: str, x: float) -> float:
    """Forward-difference derivative ``(f(x + h) - f(x)) / h`` with ``h = 1e-10``."""
    var, body = _lambda_tree(function)
    x0 = _num(x, "x")
    return (_eval_at(body, var, x0 + _H) - _eval_at(body, var, x0)) / _H


# ---------------------------------------------------------------------------------------------- tables

#: The 32 pure functions by their BFCL name.
PURE_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        add_binary_numbers,
        book_room,
        calc_binomial_probability,
        calculate_cosine_similarity,
        calculate_density,
        calculate_displacement,
        calculate_electrostatic_potential_energy,
        calculate_final_velocity,
        calculate_future_value,
        calculate_investment_value,
        calculate_mean,
        calculate_nutritional_needs,
        calculate_permutations,
        calculate_standard_deviation,
        calculate_triangle_area,
        estimate_derivative,
        geometry_area_circle,
        get_distance,
        get_fibonacci_number,
        get_fibonacci_sequence,
        get_prime_factors,
        linear_regression,
        mat_mul,
        math_factorial,
        math_gcd,
        math_lcm,
        maxPoints,
        mortgage_calculator,
        order_food,
        polygon_area,
        quadratic_roots,
        sort_array,
    )
}

#: The 19 functions that call live web APIs upstream (never executed here; scored by argument comparison).
LIVE_FUNCTIONS: frozenset[str] = frozenset(
    {
        "get_weather_data",
        "get_coordinate_by_ip_address",
        "get_zipcode_by_ip_address",
        "retrieve_city_based_on_zipcode",
        "retrieve_holiday_by_year",
        "convert_currency",
        "get_coordinates_from_city",
        "get_movie_rating",
        "get_movie_director",
        "find_term_on_urban_dictionary",
        "get_covid_death_by_country",
        "get_active_covid_case_by_country",
        "get_rating_by_amazon_ASIN",
        "get_price_by_amazon_ASIN",
        "get_product_name_by_amazon_ASIN",
        "get_company_name_by_stock_name",
        "get_stock_price_by_stock_name",
        "get_stock_history",
        "get_time_zone_by_coord",
    }
)
