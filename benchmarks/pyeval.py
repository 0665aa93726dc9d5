"""What Python's ``eval`` would do with a piece of model text, decided from its syntax tree, never by running it.

Why: ToolEyes' official scorer (``Code/Evaluation/util/utils.py``: ``json_format_check`` and
``Tool_selection_score``) and its inference loop read a ReAct ``Action Input`` with ``eval``, so
``{min: "1"}`` (a builtin as the key) and ``{"cnt": 1+2}`` pass its format check and ``{"a": true}`` (a
JSON literal, a NameError in Python) fails it. To reproduce those verdicts without evaluating model output,
:func:`python_eval` walks the :mod:`ast` tree and computes the value for the part of Python that has no side
effects and whose result it can know:

* constants of every kind (``str``, ``bytes``, numbers, ``True``/``False``/``None``, ``...``);
* lists, tuples, sets and dicts (``**`` unpacking of a dict included), with Python's evaluation order and
  its hashability rule (``{[1]: 2}`` is a TypeError);
* unary ``- + ~ not`` and the binary operators on numbers, concatenation and repetition of sequences, set
  operators; results that Python would refuse (``1/0``, ``-"a"``, ``10.0**400``) are errors, decided by
  doing the operation on the already-built plain values (never on model code);
* bare names: a builtin (``min``, ``print``, ``str``) evaluates to the builtin itself (:class:`Builtin`
  here, a non-string dict key); any other identifier is a NameError; ``yield``/``await`` are SyntaxErrors.

Everything else is **undecided**, the one known approximation: calls, attributes, subscripts, f-strings,
comprehensions, lambdas, comparisons, ``and``/``or``, conditional expressions, ``%``-formatting, names
that upstream's scorer module happens to bind (``re``, ``np``, ``json``, ``action_input``, dunders, see
:data:`UPSTREAM_NAMES`), builtins that only some Python versions have, and results over the size bounds
(integers over 100,000 bits, sequences over 1,000,000 items, which upstream would still compute). A
decided error anywhere in an eagerly evaluated part wins over an undecided part (Python would raise
either there or later). The ToolEyes scorer counts undecided inputs per episode (``eval_undecided``).
"""

from __future__ import annotations

import ast
import builtins
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tlbench.parsers._literal import BINOPS as ARITHMETIC

__all__ = ["Builtin", "PyEval", "UNDECIDED_KEY", "UPSTREAM_NAMES", "python_eval", "jsonable"]

Status = Literal["value", "error", "undecided"]

#: Bounds above which a result is not computed (upstream would compute it, perhaps slowly).
MAX_INT_BITS = 100_000
MAX_ITEMS = 1_000_000
MAX_SOURCE = 200_000
_MAX_NODE_DEPTH = 400

#: Builtins that some supported Python versions lack (3.8 to 3.13): undecided.
_VERSIONED = frozenset(
    {"aiter", "anext", "EncodingWarning", "BaseExceptionGroup", "ExceptionGroup", "PythonFinalizationError"}
)
_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_")) - _VERSIONED

#: Names bound in the namespace where ToolEyes' scorer calls ``eval`` (globals of ``util/utils.py``, its
#: star-imports from ``util/process_utils.py`` and ``util/gpt_request.py``, and the locals of
#: ``json_format_check`` / ``Tool_selection_score``): ``{"a": json}`` evaluates there; undecided here.
UPSTREAM_NAMES = frozenset(
    """re os sys copy json time argparse traceback tqdm requests openai jsonlines np plt Rectangle
    AutoTokenizer gpt3_tokenizer count_tokens make_request make_request_completion model_map tool_category
    process_action_pair process_message eval_action_thought_matching eval_thought_quality
    eval_thought_foucus eval_thought_validity eval_relavance get_all_res structuring_data query_with_gpt
    reasoning_format_check json_format_check get_doc action_hallucination_check required_param_check
    param_used_ratio get_task_infer_res param_hallucination_check Format_alignment_score
    Intent_comprehension_score Behavior_planing_score Tool_selection_score Answer_organization_score
    eval_single_data row_column_swap aggregated_data model_eval get_all_data plot_radar plot_radar_single_scen
    response response_seg action_input evaluation_res stat_dict conv_data conv_cnt assistant_response_cnt
    failed_answer origin_TS_score tool_hallu_cnt param_hallu_cnt format_correct_cnt doc valid_TS conv
    action action_hallu param_hallu e""".split()
)


@dataclass(frozen=True, slots=True)
class Builtin:
    """A builtin named in the text (``min``): hashable, never equal to a string."""

    name: str


#: The key of a dict entry whose key expression is undecided.
UNDECIDED_KEY = Builtin("<undecided>")


@dataclass(frozen=True, slots=True)
class PyEval:
    """The outcome of Python's ``eval`` on a text: a ``value``, an ``error`` (with its Python exception name), or
    ``undecided``. For an undecided text whose top level is a dict display, ``keys`` lists its keys
    (:data:`UNDECIDED_KEY` for a key that is itself undecided); ``None`` otherwise."""

    status: Status
    value: Any = None
    reason: str = ""
    keys: tuple[Any, ...] | None = None

    @property
    def ok(self) -> bool:
        """Upstream's ``eval`` succeeds (assumed for an undecided text)."""
        return self.status != "error"

    @property
    def is_dict(self) -> bool:
        """The result is a dict (a decided dict value, or an undecided dict display)."""
        return isinstance(self.value, dict) if self.status == "value" else self.keys is not None

    def dict_keys(self) -> tuple[Any, ...]:
        """The keys of a dict result (empty for anything else)."""
        if self.status == "value" and isinstance(self.value, dict):
            return tuple(self.value)
        return self.keys or ()


class _Error(Exception):
    """``eval`` would raise (the Python exception name in ``args[0]``)."""


class _Undecided(Exception):
    """The value cannot be known without running code."""


_UNDECIDED_NODES = (
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.IfExp,
    ast.BoolOp,
    ast.Compare,
    ast.NamedExpr,
)
_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    **ARITHMETIC,  # + - * / // % ** (the literal reader's table)
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.MatMult: operator.matmul,
}
_SEQUENCES = (str, bytes, list, tuple)


def _is_int(v: Any) -> bool:
    return isinstance(v, int)  # bool included, as in Python


def _hashable(v: Any) -> bool:
    if isinstance(v, list | dict | set):
        return False
    if isinstance(v, tuple):
        return all(_hashable(x) for x in v)
    return True


def _bits(v: int) -> int:
    return abs(int(v)).bit_length()


def _check_size(op: ast.operator, a: Any, b: Any) -> None:
    """Refuse operations whose result would be too large to build here (upstream would build it)."""
    if (
        isinstance(op, ast.Pow)
        and _is_int(a)
        and _is_int(b)
        and b > 0
        and max(_bits(a), 1) * b > MAX_INT_BITS
    ):
        raise _Undecided("power too large")
    if isinstance(op, ast.LShift) and _is_int(a) and _is_int(b) and b > MAX_INT_BITS:
        raise _Undecided("shift too large")
    if isinstance(op, ast.Mult):
        if _is_int(a) and _is_int(b) and _bits(a) + _bits(b) > MAX_INT_BITS:
            raise _Undecided("product too large")
        for seq, n in ((a, b), (b, a)):
            if isinstance(seq, _SEQUENCES) and _is_int(n) and len(seq) * max(int(n), 0) > MAX_ITEMS:
                raise _Undecided("repetition too large")
    if isinstance(op, ast.Add) and isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        if len(a) + len(b) > MAX_ITEMS:
            raise _Undecided("concatenation too large")


def _binop(op: ast.operator, a: Any, b: Any) -> Any:
    """One binary operation on plain values built from literals, with Python's outcome."""
    if isinstance(a, Builtin) or isinstance(b, Builtin):
        if isinstance(op, ast.BitOr):
            raise _Undecided("'|' on a builtin (a type union on Python 3.10+)")
        raise _Error("TypeError")
    if isinstance(op, ast.Mod) and isinstance(a, str | bytes):
        raise _Undecided("%-formatting")
    if isinstance(op, ast.BitOr) and isinstance(a, dict) and isinstance(b, dict):
        raise _Undecided("dict union (Python 3.9+)")
    _check_size(op, a, b)
    try:
        return _BINOPS[type(op)](a, b)
    except (TypeError, ZeroDivisionError, OverflowError, ValueError, MemoryError) as exc:
        raise _Error(type(exc).__name__) from None


def _unary(op: ast.unaryop, v: Any) -> Any:
    if isinstance(op, ast.Not):
        return not (True if isinstance(v, Builtin) else v)
    if isinstance(v, Builtin):
        raise _Error("TypeError")
    fn = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}[type(op)]
    try:
        return fn(v)
    except TypeError:
        raise _Error("TypeError") from None


class _Walker:
    """Evaluates in Python's order; remembers the first undecided part and keeps going, so that a later
    decided error still wins."""

    def __init__(self) -> None:
        self.undecided: str | None = None

    def defer(self, reason: str) -> None:
        if self.undecided is None:
            self.undecided = reason
        raise _Undecided(reason)

    def strict(self, nodes: list[ast.AST], depth: int) -> list[Any]:
        """Evaluate each node; an undecided one does not stop the later ones (their errors count)."""
        out: list[Any] = []
        pending: _Undecided | None = None
        for node in nodes:
            try:
                out.append(self.value(node, depth))
            except _Undecided as exc:
                pending = pending or exc
                out.append(UNDECIDED_KEY)
        if pending is not None:
            raise pending
        return out

    def value(self, node: ast.AST, depth: int = 0) -> Any:
        if depth > _MAX_NODE_DEPTH:
            self.defer("expression too deep")
        d = depth + 1
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                self.strict([e.value if isinstance(e, ast.Starred) else e for e in node.elts], d)
                self.defer("starred element")
            items = self.strict(list(node.elts), d)
            if isinstance(node, ast.Set):
                if not all(_hashable(x) for x in items):
                    raise _Error("TypeError")
                return set(items)
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Dict):
            return self.dict_display(node, d)
        if isinstance(node, ast.UnaryOp):
            return _unary(node.op, self.value(node.operand, d))
        if isinstance(node, ast.BinOp):
            left, right = self.strict([node.left, node.right], d)
            try:
                return _binop(node.op, left, right)
            except _Undecided as exc:
                self.defer(str(exc))
        if isinstance(node, ast.Yield | ast.YieldFrom | ast.Await):
            raise _Error("SyntaxError")
        if isinstance(node, _UNDECIDED_NODES):
            self.defer(type(node).__name__)
        # Eagerly evaluated containers of code: their parts run first, then the undecidable step.
        if isinstance(node, ast.Call):
            args = [a.value if isinstance(a, ast.Starred) else a for a in node.args]
            self.strict([node.func, *args, *(k.value for k in node.keywords)], d)
        elif isinstance(node, ast.Attribute):
            self.value(node.value, d)
        elif isinstance(node, ast.Subscript):
            self.strict([node.value, node.slice], d)
        elif isinstance(node, ast.Slice):
            self.strict([p for p in (node.lower, node.upper, node.step) if p is not None], d)
        elif isinstance(node, ast.JoinedStr | ast.FormattedValue):
            parts = node.values if isinstance(node, ast.JoinedStr) else [node.value]
            self.strict(list(parts), d)
        self.defer(type(node).__name__)
        raise AssertionError("unreachable")  # pragma: no cover - defer always raises

    def name(self, ident: str) -> Any:
        if ident in UPSTREAM_NAMES or ident.startswith("__") or ident in _VERSIONED:
            self.defer(f"name {ident!r}")
        if ident in _BUILTINS:
            return Builtin(ident)
        raise _Error("NameError")

    def dict_display(self, node: ast.Dict, d: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        pending: _Undecided | None = None
        for k, v in zip(node.keys, node.values, strict=True):
            try:
                if k is None:
                    other = self.value(v, d)
                    if not isinstance(other, dict):
                        raise _Error("TypeError")
                    out.update(other)
                    continue
                key, value = self.strict([k, v], d)
                if not _hashable(key):
                    raise _Error("TypeError")
                out[key] = value
            except _Undecided as exc:
                pending = pending or exc
        if pending is not None:
            raise pending
        return out


def _display_keys(node: ast.AST) -> tuple[Any, ...] | None:
    """The keys of a top-level dict display whose value is undecided (undecided keys marked)."""
    if not isinstance(node, ast.Dict) or any(k is None for k in node.keys):
        return None
    keys = []
    for k in node.keys:
        try:
            keys.append(_Walker().value(k))
        except (_Undecided, _Error):
            keys.append(UNDECIDED_KEY)
    return tuple(keys)


def python_eval(text: str) -> PyEval:
    """What Python's ``eval`` would give for ``text`` (see the module docstring); never runs the text."""
    if not isinstance(text, str):
        return PyEval("error", reason="TypeError")
    if len(text) > MAX_SOURCE:
        return PyEval("undecided", reason="text too long")
    source = text.lstrip(" \t")  # Python's eval drops a string's leading spaces and tabs
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError):  # ValueError: NUL bytes
        return PyEval("error", reason="SyntaxError")
    except (RecursionError, MemoryError):
        return PyEval("undecided", reason="expression too complex to parse")
    walker = _Walker()
    try:
        value = walker.value(tree.body)
    except _Error as exc:
        return PyEval("error", reason=str(exc.args[0]))
    except _Undecided as exc:
        return PyEval("undecided", reason=str(exc), keys=_display_keys(tree.body))
    except RecursionError:
        return PyEval("undecided", reason="expression too deep")
    return PyEval("value", value)


def jsonable(value: Any, _depth: int = 0) -> Any:
    """A JSON-shaped copy of an evaluated value: tuples and sets become lists, non-string keys and other
    scalars (bytes, complex, builtins, ``...``) become their text."""
    if _depth > _MAX_NODE_DEPTH:
        return "..."
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else _label(k): jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, _depth + 1) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v, _depth + 1) for v in value), key=repr)
    return _label(value)


def _label(value: Any) -> str:
    if isinstance(value, Builtin):
        return f"<built-in {value.name}>"
    return repr(value)
