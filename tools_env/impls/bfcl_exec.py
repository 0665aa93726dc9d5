"""BFCL-v3's 32 pure executable functions, re-implemented from their documentation in the benchmark data.

Why: BFCL's executable checker judges a call by running it and comparing the *result* with the result of
the gold call (research note ``bfcl_toolalpaca.md`` §1.4). The 134 items whose gold calls use only these
functions can therefore be scored offline by execution. Nothing here was copied from upstream: each
function is the textbook formula its doc describes (names and parameter names are the documented ones).

Behaviour choices (upstream's results are not recorded in the data for pure functions, so the gold calls
are scored against their own execution here; these choices matter only when a prediction differs from the
gold call but might give the same result):

* Numeric parameters must be numbers: ``bool``/``int``/``float`` are accepted, anything else (a number
  written as a string ``"5"``) raises ``TypeError`` - upstream's Python arithmetic fails on strings too,
  and refusing early also avoids string repetition (``"a" * 10**12``) exhausting memory.
* Integer-only quantities (factorials, permutations, Fibonacci, prime factors, binary numbers, gcd/lcm
  via Euclid's loop) use plain Python ``range``/``%``: an integral float works where Python allows it
  (``math_gcd(a=450.0, b=300)`` gives ``150.0``, equal to ``150``) and fails where it does not
  (``math_factorial(n=5.0)`` raises ``TypeError`` as ``range`` does). So "an int given as float passes
  only where the result is equal" holds by construction.
* ``get_fibonacci_number(n)`` is ``F(n)`` with ``F(0)=0, F(1)=1`` (the doc: "starts with 0 followed by 1");
  ``get_fibonacci_sequence(n)`` is the first ``n`` numbers ``[0, 1, 1, 2, ...]``.
* ``calculate_standard_deviation`` is the population deviation (divide by ``n``).
* ``quadratic_roots`` returns ``[r1, r2]`` with ``r1 = (-b + sqrt(d)) / 2a``; for a negative discriminant
  each root is ``{"real": re, "imaginary": im}`` (JSON-ready instead of Python ``complex``).
* ``estimate_derivative(function, x)`` takes the lambda *source text* (``'lambda x: 3*x**2 + 2*x + 1'``)
  and reads it with :mod:`ast` into a tiny arithmetic tree (numbers, the lambda's one parameter,
  ``+ - * / ** %``, unary signs, and ``math``-style ``sin cos tan exp log sqrt``); it is never ``eval``-ed.
  The derivative is the forward difference with ``h = 1e-10``, as the research note describes upstream's.
* ``calculate_nutritional_needs``: Mifflin-St Jeor BMR (male +5, female -161, other: the mean of the two),
  activity factors 1.2/1.375/1.55/1.725/1.9 for levels 1-5, goal lose -500 kcal / gain +500 kcal,
  macros 30% protein, 25% fat, 45% carbohydrates (grams at 4/9/4 kcal per gram).
* ``mortgage_calculator``: annual rate / 12, period in years * 12 months, standard annuity formula
  (zero rate: principal / months).
* ``calculate_investment_value``: each year ``value = value * (1 + annual_return) + annual_contribution``,
  then, when ``adjust_for_inflation``, divided by ``1 + inflation_rate[year]``.
* ``book_room`` returns the booking as a dict (the docs give no return shape); ``order_food`` the total
  ``sum(quantity * price)``.

Bounds (documented, enforced): integers at most 10**15 in magnitude where they drive loops or big-int
growth, sequences at most 10,000 elements (matrices 200 x 200, points 500), lambda source 1,000
characters. A call over a bound raises ``ValueError``; callers score that as a failed call.
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


def _nums(values: Any, name: str, max_len: int = MAX_LEN) -> list[Number]:
    """A list of numbers (a tuple is accepted as a list), bounded in length."""
    if not isinstance(values, list | tuple):
        raise TypeError(f"{name} must be a list, not {type(values).__name__}")
    if len(values) > max_len:
        raise ValueError(f"{name} has more than {max_len} elements")
    return [_num(v, f"{name}[{i}]") for i, v in enumerate(values)]


def _point(value: Any, name: str) -> tuple[Number, Number]:
    pt = _nums(value, name, 2)
    if len(pt) != 2:
        raise ValueError(f"{name} must have two coordinates")
    return pt[0], pt[1]


# ----------------------------------------------------------------------------------------- arithmetic


def add_binary_numbers(a: str, b: str) -> str:
    """The sum of two binary numbers given as strings, as a binary string without prefix."""
    if not isinstance(a, str) or not isinstance(b, str):
        raise TypeError("a and b must be strings of binary digits")
    if len(a) > 4096 or len(b) > 4096:
        raise ValueError("binary numbers longer than 4096 digits")
    return bin(int(a, 2) + int(b, 2))[2:]


def math_factorial(n: int) -> int:
    """``n!`` by a plain loop (a float ``n`` fails in ``range``, as upstream's Python would)."""
    _num(n, "n")
    _loop_bound(n, "n", 5_000)
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result


def math_gcd(a: int, b: int) -> Number:
    """Greatest common divisor by Euclid's loop."""
    a, b = abs(_num(a, "a")), abs(_num(b, "b"))
    steps = 0
    while b:
        a, b = b, a % b
        steps += 1
        if steps > 10_000:
            raise ValueError("gcd did not converge (non-integral input?)")
    return a


def math_lcm(a: int, b: int) -> Number:
    """Least common multiple ``|a*b| / gcd(a, b)`` (0 when either is 0)."""
    g = math_gcd(a, b)
    if not g:
        return 0
    product = abs(_num(a, "a") * _num(b, "b"))
    return product // g


def get_prime_factors(number: int) -> list[int]:
    """Prime factors with multiplicity, ascending (``12 -> [2, 2, 3]``), by trial division."""
    n = _num(number, "number")
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError("number must be an integer")
    if abs(n) > _MAX_FACTOR:
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


def get_fibonacci_number(n: int) -> int:
    """``F(n)`` with ``F(0) = 0`` and ``F(1) = 1``."""
    _num(n, "n")
    _loop_bound(n, "n", MAX_LEN)
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def get_fibonacci_sequence(n: int) -> list[int]:
    """The first ``n`` Fibonacci numbers ``[0, 1, 1, 2, 3, ...]``."""
    _num(n, "n")
    _loop_bound(n, "n", MAX_LEN)
    seq: list[int] = []
    a, b = 0, 1
    for _ in range(n):
        seq.append(a)
        a, b = b, a + b
    return seq


def calculate_permutations(n: int, k: int) -> int:
    """``n! / (n - k)!``: ordered choices of ``k`` out of ``n``."""
    _num(n, "n")
    _num(k, "k")
    _loop_bound(n, "n", 5_000)
    result = 1
    for i in range(n - k + 1, n + 1):
        result *= i
    return result


def calc_binomial_probability(n: int, k: int, p: float) -> float:
    """Binomial pmf ``C(n, k) p^k (1-p)^(n-k)``, the coefficient from factorials."""
    _num(p, "p")
    coeff = math_factorial(n) // (math_factorial(k) * math_factorial(n - k))
    return coeff * p**k * (1 - p) ** (n - k)


# --------------------------------------------------------------------------------------------- physics


def calculate_density(mass: float, volume: float) -> float:
    """``mass / volume``."""
    return _num(mass, "mass") / _num(volume, "volume")


def calculate_displacement(initial_velocity: float, acceleration: float, time: float) -> float:
    """``v0 t + a t^2 / 2``."""
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
    """Value after ``years`` of growth plus yearly contributions, deflated year by year when asked."""
    value = _num(initial_investment, "initial_investment")
    contribution = _num(annual_contribution, "annual_contribution")
    rate = _num(annual_return, "annual_return")
    _num(years, "years")
    _loop_bound(years, "years", MAX_LEN)
    inflation = _nums(inflation_rate, "inflation_rate")
    for year in range(years):
        value = value * (1 + rate) + contribution
        if adjust_for_inflation:
            value = value / (1 + inflation[year])
    return value


def mortgage_calculator(loan_amount: float, interest_rate: float, loan_period: int) -> float:
    """Monthly payment of an annuity loan (annual rate, period in years)."""
    principal = _num(loan_amount, "loan_amount")
    monthly = _num(interest_rate, "interest_rate") / 12
    months = _num(loan_period, "loan_period") * 12
    _loop_bound(months, "loan_period", 12 * MAX_LEN)
    if monthly == 0:
        return principal / months
    growth = (1 + monthly) ** months
    return principal * monthly * growth / (growth - 1)


def order_food(item: list[str], quantity: list[int], price: list[float]) -> float:
    """The total price ``sum(quantity[i] * price[i])`` (the three lists must have equal lengths)."""
    if not isinstance(item, list | tuple):
        raise TypeError("item must be a list")
    qty, prices = _nums(quantity, "quantity"), _nums(price, "price")
    if not len(item) == len(qty) == len(prices):
        raise ValueError("item, quantity and price must have the same length")
    return sum(q * p for q, p in zip(qty, prices, strict=True))


def book_room(
    room_type: Any,
    check_in_date: str,
    check_out_date: str,
    customer_id: str,
    price: float = 0.0,
    discount_code: str | None = None,
) -> dict[str, Any]:
    """The booking as a dict (the docs give no return shape; this one is deterministic)."""
    _num(price, "price")
    for key, value in (
        ("check_in_date", check_in_date),
        ("check_out_date", check_out_date),
        ("customer_id", customer_id),
    ):
        if not isinstance(value, str):
            raise TypeError(f"{key} must be a string")
    if not isinstance(room_type, str | dict):
        raise TypeError("room_type must be a string or an object")
    return {
        "customer_id": customer_id,
        "room_type": room_type,
        "check_in_date": check_in_date,
        "check_out_date": check_out_date,
        "price": price,
        "discount_code": discount_code,
    }


def calculate_nutritional_needs(
    weight: float, height: float, age: float, gender: str, activity_level: float, goal: str
) -> dict[str, float]:
    """Daily calories and macronutrient grams (Mifflin-St Jeor; see the module docstring)."""
    w, h, a = _num(weight, "weight"), _num(height, "height"), _num(age, "age")
    base = 10 * w + 6.25 * h - 5 * a
    offsets = {"male": 5.0, "female": -161.0, "other": -78.0}
    if gender not in offsets:
        raise ValueError("gender must be one of male, female, other")
    factors = {1: 1.2, 2: 1.375, 3: 1.55, 4: 1.725, 5: 1.9}
    level = _num(activity_level, "activity_level")
    if level not in factors:
        raise ValueError("activity_level must be one of 1, 2, 3, 4, 5")
    goals = {"lose": -500.0, "maintain": 0.0, "gain": 500.0}
    if goal not in goals:
        raise ValueError("goal must be one of lose, gain, maintain")
    calories = (base + offsets[gender]) * factors[level] + goals[goal]
    return {
        "calories": calories,
        "proteins_g": calories * 0.30 / 4,
        "fats_g": calories * 0.25 / 9,
        "carbohydrates_g": calories * 0.45 / 4,
    }


# ------------------------------------------------------------------------------------ geometry, stats


def calculate_triangle_area(base: int, height: int) -> float:
    """``base * height / 2``."""
    return _num(base, "base") * _num(height, "height") / 2


def geometry_area_circle(radius: int) -> float:
    """``pi r^2``."""
    return math.pi * _num(radius, "radius") ** 2


def get_distance(pointA: Sequence[float], pointB: Sequence[float]) -> float:  # noqa: N803 - documented name
    """Euclidean distance of two 2D points (tuples or lists)."""
    ax, ay = _point(pointA, "pointA")
    bx, by = _point(pointB, "pointB")
    return ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5


def polygon_area(vertices: list[list[float]]) -> float:
    """Shoelace area ``|sum(x_i y_{i+1} - x_{i+1} y_i)| / 2``."""
    if not isinstance(vertices, list | tuple) or len(vertices) > MAX_LEN:
        raise TypeError("vertices must be a list of [x, y] points")
    pts = [_point(v, f"vertices[{i}]") for i, v in enumerate(vertices)]
    total = 0.0
    for i, (x1, y1) in enumerate(pts):
        x2, y2 = pts[(i + 1) % len(pts)]
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def maxPoints(points: list[list[int]]) -> int:  # noqa: N802 - documented name
    """The largest number of the given points that lie on one straight line."""
    if not isinstance(points, list | tuple) or len(points) > 500:
        raise TypeError("points must be a list of at most 500 [x, y] points")
    pts = [_point(p, f"points[{i}]") for i, p in enumerate(points)]
    best = min(len(pts), 2) if pts else 0
    for i, (x1, y1) in enumerate(pts):
        for j in range(i + 1, len(pts)):
            x2, y2 = pts[j]
            count = sum(1 for (x3, y3) in pts if (x2 - x1) * (y3 - y1) == (y2 - y1) * (x3 - x1))
            best = max(best, count)
    return best


def calculate_mean(numbers: list[float]) -> float:
    """Arithmetic mean."""
    values = _nums(numbers, "numbers")
    return sum(values) / len(values)


def calculate_standard_deviation(numbers: list[float]) -> float:
    """Population standard deviation (divide by ``n``)."""
    values = _nums(numbers, "numbers")
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5


def calculate_cosine_similarity(vectorA: list[float], vectorB: list[float]) -> float:  # noqa: N803
    """``a . b / (|a| |b|)`` (vectors of equal length)."""
    a, b = _nums(vectorA, "vectorA"), _nums(vectorB, "vectorB")
    if len(a) != len(b):
        raise ValueError("vectors must have the same length")
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def linear_regression(x: list[int], y: list[int], point: int) -> float:
    """Least-squares line through ``(x, y)``, evaluated at ``point``."""
    xs, ys = _nums(x, "x"), _nums(y, "y")
    if len(xs) != len(ys) or not xs:
        raise ValueError("x and y must be non-empty and of the same length")
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((v - mx) ** 2 for v in xs)
    slope = sum((u - mx) * (v - my) for u, v in zip(xs, ys, strict=True)) / sxx
    return slope * _num(point, "point") + (my - slope * mx)


def mat_mul(matA: list[list[float]], matB: list[list[float]]) -> list[list[float]]:  # noqa: N803
    """Matrix product, row of ``matA`` times column of ``matB``, pairs cut at the shorter one.

    No dimension check, on purpose: exec_parallel_31's gold multiplies a 2x4 by a 2x4 matrix, which runs
    (giving a 2x4 result from the first two entries of each row) only when rows and columns are paired as
    Python's ``zip`` pairs them; a strict check would make a gold call fail.
    """
    a = [_nums(r, "matA row", 200) for r in _rows(matA, "matA")]
    b = [_nums(r, "matB row", 200) for r in _rows(matB, "matB")]
    cols = list(zip(*b))  # noqa: B905 - truncation is the documented behaviour
    return [[sum(x * y for x, y in zip(row, col)) for col in cols] for row in a]  # noqa: B905


def _rows(mat: Any, name: str) -> list[Any]:
    if not isinstance(mat, list | tuple) or len(mat) > 200:
        raise TypeError(f"{name} must be a list of at most 200 rows")
    return list(mat)


def quadratic_roots(a: int, b: int, c: int) -> list[Any]:
    """Roots of ``a x^2 + b x + c``: two floats, or two ``{"real", "imaginary"}`` dicts."""
    a, b, c = _num(a, "a"), _num(b, "b"), _num(c, "c")
    d = b * b - 4 * a * c
    if d >= 0:
        root = math.sqrt(d)
        return [(-b + root) / (2 * a), (-b - root) / (2 * a)]
    im = math.sqrt(-d) / (2 * a)
    re = -b / (2 * a)
    return [{"real": re, "imaginary": im}, {"real": re, "imaginary": -im}]


def sort_array(array: list[float], reverse: bool = False) -> list[Any]:
    """The array sorted ascending (descending with ``reverse=True``)."""
    if not isinstance(array, list | tuple) or len(array) > MAX_LEN:
        raise TypeError(f"array must be a list of at most {MAX_LEN} elements")
    return sorted(array, reverse=bool(reverse))


# ----------------------------------------------------------------------------- estimate_derivative

_H = 1e-10
_MATH: Mapping[str, Callable[[float], float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
}
_OPS: Mapping[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda p, q: p + q,
    ast.Sub: lambda p, q: p - q,
    ast.Mult: lambda p, q: p * q,
    ast.Div: lambda p, q: p / q,
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


def _eval_at(node: ast.AST, var: str, x: float, depth: int = 0) -> Number:
    """Evaluate the arithmetic tree at ``x`` (bounded depth; powers limited to exponents within 64)."""
    if depth > 60:
        raise ValueError("function expression is nested too deeply")
    d = depth + 1
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.Name) and node.id == var:
        return x
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _eval_at(node.operand, var, x, d)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        left, right = _eval_at(node.left, var, x, d), _eval_at(node.right, var, x, d)
        if isinstance(node.op, ast.Pow):
            if abs(right) > 64:
                raise ValueError("exponent larger than 64")
            return float(left) ** right
        op = _OPS.get(type(node.op))
        if op is not None:
            return op(left, right)
    if isinstance(node, ast.Call) and not node.keywords and len(node.args) == 1:
        fn = node.func
        name = fn.attr if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) else None
        if isinstance(fn, ast.Name):
            name = fn.id
        if name in _MATH:
            return _MATH[name](float(_eval_at(node.args[0], var, x, d)))
    raise ValueError(f"unsupported expression in function: {type(node).__name__}")


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
