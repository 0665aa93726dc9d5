"""Money, bookings and nutrition among BFCL's executable functions, computing what the official ones compute.

Covered here (where a textbook version would differ):

* ``calculate_nutritional_needs``: revised Harris-Benedict BMR (any gender but ``"male"`` uses the female
  formula), activity factors ``[1.2, 1.375, 1.55, 1.725, 1.9][activity_level - 1]`` (Python indexing: a
  float level raises, 0 is the last factor), ``"lose"`` -500 kcal, ``"gain"`` +500, anything else 0;
  macros 30 % / 25 % / 45 % at 4 / 9 / 4 kcal per gram;
* ``calculate_investment_value``: yearly ``value * (1 + return) + contribution``; with inflation the real
  value grows by ``1 + return - inflation[year]`` and the contribution is deflated by ``1 - inflation``;
* ``book_room`` needs ``price``; 10 % off for the code ``"DISCOUNT10"`` only; returns
  ``{customer_id, room_number, check_in_date, check_out_date, total_price}``;
* ``order_food`` indexes its lists as the official loop does (longer ``quantity``/``price`` lists are
  ignored past ``item``'s length, shorter ones raise ``IndexError``);
* ``calculate_future_value`` and ``mortgage_calculator``: the compound-interest formulas as upstream
  writes them.

Not covered: currencies (plain numbers, as upstream).
"""

from __future__ import annotations

from typing import Any

from tools_env.impls.bfcl_exec.bounds import MAX_LEN, at, loop_bound, num, seq

__all__ = [
    "calculate_future_value",
    "calculate_investment_value",
    "mortgage_calculator",
    "order_food",
    "book_room",
    "calculate_nutritional_needs",
]


def calculate_future_value(present_value: float, interest_rate: float, periods: int) -> float:
    """``pv * (1 + r) ** periods``."""
    pv, r, n = (
        num(present_value, "present_value"),
        num(interest_rate, "interest_rate"),
        num(periods, "periods"),
    )
    loop_bound(n, "periods", MAX_LEN)
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
    nominal = real = num(initial_investment, "initial_investment")
    contribution = num(annual_contribution, "annual_contribution")
    rate = num(annual_return, "annual_return")
    num(years, "years")
    loop_bound(years, "years", MAX_LEN)
    inflation = seq(inflation_rate, "inflation_rate")
    for year in range(1, years + 1):
        nominal = nominal * (1 + rate) + contribution
        if adjust_for_inflation:
            this_year = at(inflation, year - 1, "inflation_rate")
            deflator = 1 - (this_year if year <= len(inflation) else at(inflation, -1, "inflation_rate"))
            real = real * (1 + rate - this_year) + contribution * deflator
        else:
            real = nominal
    return real if adjust_for_inflation else nominal


def mortgage_calculator(loan_amount: float, interest_rate: float, loan_period: int) -> float:
    """Monthly payment of an annuity loan (annual rate / 12, period in years * 12)."""
    principal = num(loan_amount, "loan_amount")
    monthly = num(interest_rate, "interest_rate") / 12
    months = num(loan_period, "loan_period") * 12
    loop_bound(months, "loan_period", 12 * MAX_LEN)
    growth = (1 + monthly) ** months
    return principal * monthly * growth / (growth - 1)


def order_food(item: list[str], quantity: list[int], price: list[float]) -> float:
    """``sum(quantity[i] * price[i])`` over the positions of ``item``."""
    if not isinstance(item, list | tuple | str):
        raise TypeError("item must be a list")
    if len(item) > MAX_LEN:
        raise ValueError(f"item has more than {MAX_LEN} elements")
    qty, prices = seq(quantity, "quantity"), seq(price, "price")
    return sum([at(qty, i, "quantity") * at(prices, i, "price") for i in range(len(item))])


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
        price = num(price, "price") * 0.9
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
    w, h, a = num(weight, "weight"), num(height, "height"), num(age, "age")
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
