"""benchmarks.pyeval: what ``eval`` would give, decided from the AST (the test compares with the real ``eval``
on its own fixed strings; the product code never evaluates anything)."""

from __future__ import annotations

import builtins

import pytest

from benchmarks.pyeval import UNDECIDED_KEY, Builtin, jsonable, python_eval

#: Decidable texts: python_eval must give exactly what eval gives (value or error type).
DECIDED = [
    '{"cnt": 1+2}',
    "{min: '1'}",
    "{'a': print}",
    "{1: 'x', True: 'y'}",
    "{'a': 1, 'a': 2}",
    "{'a': [1, (2, 3)], 'b': {'c': None}}",
    "{'a': 2**10, 'b': 7 // 2, 'c': 7 % 3, 'd': 2 ** -1, 'e': ~7, 'f': not 0, 'g': +4.5}",
    "{'a': (-8) ** 0.5}",
    "{'a': 'ab' + 'cd', 'b': 'ab' * 3, 'c': [1] * 2, 'd': (1,) + (2,), 'e': 3 * 'x'}",
    "{'a': {1, 2}, 'b': {1} | {2}, 'c': {1, 2} - {1}, 'd': b'x', 'e': 3+4j, 'f': ...}",
    "{**{'a': 1}, 'b': 2}",
    "[1, 2]",
    "'text'",
    "None",
    "{}",
    "{'a': 1/0}",
    "{'a': 0 ** -1}",
    "{'a': 10**400/1}",
    "{'a': 10.0**400}",
    "{'a': 1 << -1}",
    "{'a': 'a' + 1}",
    "{'a': -'a'}",
    "{'a': ~1.5}",
    "{[1]: 2}",
    "{'a': {[1]}}",
    "{(1, [2]): 3}",
    "{'a': true}",
    "{'a': null}",
    "{city: 'Paris'}",
    "{'a': min + 1}",
    "{**[1]}",
    "{'a': 1",
    "{'a': 1} trailing",
    "{'a': (yield)}",
    "{'a': [1, 2]}  # comment",
    "{\n  'a': 1,\n  'b': 2\n}",
    "{'q': 'line one\nline two'}",
    "{'a': undefined_fn(1)}",
    "{'a': (1/0)(2)}",
]

#: Texts that depend on running code: undecided, with the keys of a top-level dict display.
UNDECIDED = {
    "{'n': len('ab')}": ("n",),
    "{'a': 'x'.upper(), 'b': 1}": ("a", "b"),
    "{str(1): 'v'}": (UNDECIDED_KEY,),
    "dict(a=1)": None,
    "{'a': json}": ("a",),
    "{'a': action_input}": ("a",),
    "{'a': __name__}": ("a",),
    "{'a': [i for i in range(2)]}": ("a",),
    "{'a': 2**200000}": ("a",),
    "{'a': '%s' % 5}": ("a",),
    "{'a': int | None}": ("a",),
    "{'a': lambda: 1, 'b': 1 if 1 else 2, 'c': 1 < 2, 'd': 1 and 0}": ("a", "b", "c", "d"),
}


def _reference(text: str) -> tuple[str, object]:
    try:
        return "value", eval(text, {"__builtins__": builtins})  # noqa: S307 - the test's own constants
    except BaseException as exc:  # noqa: BLE001
        return "error", type(exc).__name__


def _shape(value: object) -> object:
    """Builtins compare by name (Builtin stands for the builtin object)."""
    if isinstance(value, Builtin):
        return ("builtin", value.name)
    if callable(value) and getattr(value, "__name__", None) in dir(builtins):
        return ("builtin", value.__name__)
    if isinstance(value, dict):
        return {_shape(k): _shape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_shape(v) for v in value)
    if isinstance(value, set):
        return {_shape(v) for v in value}
    return value


@pytest.mark.parametrize("text", DECIDED)
def test_eyes_pyeval_matches_eval_where_decidable(text: str) -> None:
    got = python_eval(text)
    status, want = _reference(text)
    assert got.status == status, (text, got)
    if status == "value":
        assert _shape(got.value) == _shape(want) and type(got.value) is type(want)
    else:
        assert got.reason == want


@pytest.mark.parametrize(("text", "keys"), list(UNDECIDED.items()))
def test_eyes_pyeval_undecided_is_never_run(text: str, keys: tuple | None) -> None:
    got = python_eval(text)
    assert got.status == "undecided" and got.ok and got.keys == keys
    assert got.is_dict == (keys is not None)


def test_eyes_pyeval_decided_error_wins_over_an_undecided_part() -> None:
    assert python_eval("{'a': len('x'), 'b': 1/0}").reason == "ZeroDivisionError"
    assert python_eval("{'a': undefined.attr}").reason == "NameError"
    assert python_eval("{'a': __import__('os').system('x'), 'b': true}").reason == "NameError"


def test_eyes_pyeval_jsonable() -> None:
    value = python_eval("{min: (1, {2}), 'b': b'x', 'c': 3+4j, 'd': ..., 'e': print}").value
    assert jsonable(value) == {
        "<built-in min>": [1, [2]],
        "b": "b'x'",
        "c": "(3+4j)",
        "d": "Ellipsis",
        "e": "<built-in print>",
    }


def test_eyes_pyeval_bounded_and_total() -> None:
    assert python_eval("(" * 150 + "1" + ")" * 150).status == "value"
    assert python_eval("(" * 300 + "1" + ")" * 300).status == "error"  # the parser's nesting limit
    assert python_eval("[" * 5000).status == "error"
    assert python_eval("1" * 300_000).status == "undecided"  # longer than MAX_SOURCE
    assert python_eval("{'a': 'x' * 10**7}").status == "undecided"
    assert python_eval("\x00").status == "error"
    assert python_eval(None).status == "error"  # type: ignore[arg-type]
