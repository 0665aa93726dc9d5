"""BFCL-v3 executable categories (240 items): loader, execution check and TS/PI/CF scorer.

Data (research note ``bfcl_toolalpaca.md`` §1): ``bfcl_v3_exec/BFCL_v3_exec_<category>.json`` (questions and
docs, JSON Lines) with the gold in ``possible_answer/`` - the fixed data at gorilla ``d6b5fb8``, release
``"d6b5fb8"`` (default) - or the paper-era files in ``v3_release_2024-09-20/`` with the gold inside each
question line, release ``"v3-2024-09-20"``. The two differ in exec_parallel_multiple_30 (3 gold calls at
the release, 2 later) and exec_parallel_10 (question text). Item ids are BFCL's (``exec_simple_0``);
``index`` is the position in the benchmark (``bfcl-v3-exec`` concatenates simple, multiple, parallel,
parallel_multiple); ``scenario`` is the category. Gold calls are Python call strings read with :mod:`ast`
(never executed), positional arguments named by the doc's parameter order (exec_parallel_multiple_18's
``calculate_mean([1,3,4,6,8])`` is the only one), constant arithmetic folded (``p=1/6``, ``500*500``).

Per item two verdicts:

``exec`` - BFCL's executable checker (§1.4), on the 134 items whose gold calls all use the 32 pure
functions (``tools_env.impls.bfcl_exec``, which compute what the official functions compute: the gold
results are the official ones bit for bit); None for the 106 items with a live-web call (those cannot be
run offline; their headline ``correct`` falls back to CF, the argument comparison the note suggests, and
``detail["fallback"]`` says so). A prediction passes when: the output decodes to calls; their number
equals the gold count (exactly one for exec_simple); each gold call, in gold order, is matched greedily to
the first unused predicted call whose execution result equals the gold call's result under Python ``==``
(no numeric tolerance: ``1 == 1.0`` passes, ``"5"`` for ``5`` fails because the function raises, names
are case-sensitive because an unknown name cannot run). A tuple result compares as a list. The official
functions receive Python values, tuples included: ``polygon_area`` appends to its argument, so a tuple of
vertices fails there (the sandbox receives JSON lists, so :func:`execute` applies that rule itself).

TS / PI / CF - the note's §1.7 scorer (BFCL has none of its own), cumulative, order-free and one-to-one for
parallel items: TS = equal multisets of names; PI = equal multisets of (name, key set); CF = a perfect
matching of calls with equal names, keys and values (numbers compared numerically with relative tolerance
1e-9, bools only with bools, ``estimate_derivative`` lambda strings by their ``ast.dump``, tuples as lists).
An optional parameter given with its documented ``default`` counts as omitted, on both sides. They are
computed on the calls the decoder reads, so "the official verdict" for them is that reading.

Two modes. ``upstream`` decodes the output as BFCL's prompting decoder does (:mod:`benchmarks.bfcl_decode`
lists every rule: the call list's ends stripped of backticks, newlines and spaces, then of ``[ ] '``;
keyword arguments only, a positional argument is *dropped*; any unary operator on a constant reads as a
minus; arithmetic evaluated with Python's semantics; a bare name, a call or a subscript read as text).
Other formats (``fmt`` other than ``python``) go through :func:`tlbench.parsers.parse`, as BFCL's FC
models' tool calls do.

Agreement (``tests/upstream/test_bfcl_agreement.py``, gorilla ``d6b5fb8``'s own checker run on a seeded
sweep of 12,700 predictions built from the public gold calls, 36 kinds of mutation): the exec verdict
agrees on all 10,050 predictions for the 134 offline items, the decoded call list on all 12,700. Before
the fixes this needed, 794 exec verdicts and 1,059 decoded call lists differed (each fix is pinned by a
test): 765 / 1,059 from the decoder - the strip of ``[ ] '`` (``['f(a=1)']`` and ``[f(a=1)]]`` decode,
``[f(a=1)] # done`` and an indented call list do not: 563 / 685), the unary-operator rule (``-(-x)``
fails, ``not x`` is ``-x``), arithmetic on lists and strings, and names, calls, subscripts and ``...``
read as text; 26 exec verdicts from the pure functions' semantics (integral floats in
``get_prime_factors``, ``sort_array``'s ``reverse``, the nutritional-needs formula with its gender and
activity-level handling; ``math_gcd``'s signs showed once the decoder was right; the Fibonacci, investment,
booking and other formulas were aligned too, so that the 134 gold results are the official ones bit for
bit); 3 from tuples (``polygon_area``).

``fixed`` repairs the quirks listed as the flags of :class:`Repairs`, each with what it changes (counts:
items whose verdict changes when the gold strings are scored verbatim as the prediction, over the 240
items, :func:`repair_counts`; then swept predictions whose exec verdict / decoded calls differ from the
official ones with that repair alone, 1,578 / 2,273 with all of them).

In both modes the stale ``execution_result_type`` of exec_parallel_multiple_30 (3 entries for 2 gold calls at
d6b5fb8) is paired with the calls by index and the extra entry ignored.

Execution goes through :func:`execute`: each call runs in ``tools_env``'s sandbox pool (a worker process with
resource limits and a time-out; the functions also bound their inputs), so a call that hangs, crashes or
exhausts memory is a failed call, never a stuck or crashed scorer. Outcomes of pure calls are cached per
process by name and arguments (4,096 at most; time-outs and crashes are never cached).
"""

from __future__ import annotations

import ast
import atexit
import math
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from benchmarks import base
from benchmarks.base import EXEC, SINGLE_TURN, Benchmark, Item, ItemScore, LoadReport
from benchmarks.bfcl_decode import decode_upstream as _decode
from benchmarks.bfcl_decode import read_literal_calls
from benchmarks.registry import register
from tlbench import jsonio
from tlbench.errors import DataError, UsageError
from tlbench.types import ErrorKind, ParseFailure, ParseResult, ToolCall, ToolDoc, canonical_json
from tools_env.env import ToolEnv
from tools_env.impls.bfcl_exec import LIVE_FUNCTIONS, PURE_FUNCTIONS
from tools_env.registry import ToolRegistry

__all__ = [
    "CATEGORIES",
    "RELEASES",
    "Repairs",
    "UPSTREAM",
    "FIXED",
    "ExecOutcome",
    "Bfcl",
    "decode_upstream",
    "parse_gold_call",
    "execute",
    "exec_check",
    "match_calls",
    "values_equal",
    "perfect_matching",
    "repair_counts",
    "BFCL_ALL",
    "BFCL_SIMPLE",
    "BFCL_MULTIPLE",
    "BFCL_PARALLEL",
    "BFCL_PARALLEL_MULTIPLE",
]

CATEGORIES = ("simple", "multiple", "parallel", "parallel_multiple")
#: Release name -> folder under the data dir (and whether the gold is inside the question lines).
RELEASES: Mapping[str, tuple[str, bool]] = {
    "d6b5fb8": ("bfcl_v3_exec", False),
    "v3-2024-09-20": ("bfcl_v3_exec/v3_release_2024-09-20", True),
}
#: Relative tolerance of numeric value comparison in CF (execution uses exact ``==``).
REL_TOL = 1e-9


@dataclass(frozen=True, slots=True)
class Repairs(base.Repairs):
    """Which upstream quirks to repair (all off = ``upstream``, all on = ``fixed``). Counts: items over the
    240 whose verdict changes with the gold strings as the prediction; swept predictions whose exec verdict /
    decoded calls differ from the official ones with that repair alone."""

    positional: bool = False
    """Positional arguments are named by the doc's parameter order. Changes 1 item
    (exec_parallel_multiple_18: upstream PI/CF 0, fixed 1; it has a live call, so ``exec`` is None);
    277 / 371 swept predictions."""
    unary_plus: bool = False
    """``+x`` is ``x``. Changes 0 items (no gold value is written with a unary plus); 60 / 240 swept
    predictions."""
    python_parser: bool = False
    """The output is read by the shared python parser instead of BFCL's decoder: a fenced block with a
    language tag (```` ```python ````), NexusRaven's ``Call:`` prefix and prose around the calls are
    accepted, the call list's ends are not stripped of ``[ ] '``, and values are Python literals (a bare
    name, a call, a subscript, ``not``/``~`` or arithmetic on lists or strings is refused). Changes 0 items;
    1,241 / 1,663 swept predictions (both ways: 672 exec verdicts become right, 569 wrong)."""
    exec_names: bool = False
    """A predicted call matches a gold call in the execution check only when the names are equal too
    (upstream compares results alone, so ``calculate_density(mass=50, volume=1)`` would pass for a gold
    ``calculate_electrostatic_potential_energy(charge=5, voltage=10)``). Changes 0 items; 0 swept."""
    undocumented_params: bool = False
    """A gold parameter missing from the item's docs (``price`` of ``book_room`` in exec_multiple_45) is
    ignored in PI/CF, so a schema-faithful prediction can match. Changes 0 items with gold predictions (1
    item is affected: a prediction without ``price`` passes PI/CF there in fixed mode); 0 swept (it changes
    PI/CF only)."""


UPSTREAM = Repairs.upstream()
FIXED = Repairs.fixed()
repairs_for = Repairs.for_mode


# ------------------------------------------------------------------------------------------- decoding


def decode_upstream(text: object, docs: Sequence[ToolDoc] = (), repairs: Repairs = UPSTREAM) -> ParseResult:
    """BFCL's prompting decoder (:mod:`benchmarks.bfcl_decode`); ``repairs`` may name positional arguments
    and read ``+x`` as ``x``. Never raises."""
    return _decode(text, docs, positional=repairs.positional, unary_plus=repairs.unary_plus)


def parse_gold_call(text: str, docs: Sequence[ToolDoc]) -> ToolCall:
    """One gold call string (positional arguments named by doc order); ``ValueError`` when unreadable."""
    result = read_literal_calls(text, docs)
    if not result.ok or len(result.calls) != 1:
        reason = result.failure.message if result.failure else "not one call"
        raise ValueError(f"gold call unreadable: {reason}")
    return result.calls[0]


def _read_output(output: object, item: Item, repairs: Repairs, fmt: str | None) -> ParseResult:
    docs = list(item.tools)
    if fmt in (None, "python"):
        if not repairs.python_parser:
            return decode_upstream(output, docs, repairs)
        from tlbench.parsers.python_format import parse_python

        if not isinstance(output, str):
            return ParseResult(failure=ParseFailure("not_text", "output is not a string"))
        return parse_python(
            output,
            docs,
            positional="map" if repairs.positional else "drop",
            unary_plus="plus" if repairs.unary_plus else "minus",
        )
    from tlbench.parsers import parse

    try:
        return parse(output, fmt, docs)
    except NotImplementedError:
        raise UsageError(f"the {fmt!r} parser is not available yet") from None


# ------------------------------------------------------------------------------------------ execution


@dataclass(frozen=True, slots=True)
class ExecOutcome:
    """The result of running one call: ``ok`` and ``value``, or ``error`` (the exception text)."""

    ok: bool
    value: Any = None
    error: str = ""


#: Outcomes of pure calls by name and canonical arguments (least recently used dropped first): the functions
#: are deterministic, and a sweep or a sampled run repeats the same calls many times. A time-out or a
#: crashed worker is never cached.
_RESULTS: OrderedDict[str, ExecOutcome] = OrderedDict()
_RESULTS_MAX = 4096

#: Official functions that append to a list argument: given a Python tuple (BFCL's decoder keeps tuples)
#: they raise ``AttributeError``. The sandbox receives JSON lists, so the rule is applied here.
_MUTATED_ARGS: Mapping[str, str] = {"polygon_area": "vertices"}


def execute(call: ToolCall) -> ExecOutcome:
    """Run one call of a pure BFCL function in ``tools_env``'s sandbox pool. Unknown or live names fail;
    exceptions, time-outs and crashes are failed calls.

    Upstream runs the call as given (no schema validation), so the environment is asked not to validate. A
    tuple result arrives as a list (JSON), which is what upstream's checker converts it to.
    """
    if call.name not in PURE_FUNCTIONS:
        why = "needs a live web API" if call.name in LIVE_FUNCTIONS else "is not an executable BFCL function"
        return ExecOutcome(False, error=f"{call.name!r} {why}")
    mutated = _MUTATED_ARGS.get(call.name)
    if mutated is not None and isinstance(call.arguments.get(mutated), tuple):
        return ExecOutcome(False, error="'tuple' object has no attribute 'append'")
    key = call.name + "\x00" + canonical_json(dict(call.arguments))
    cached = _RESULTS.get(key)
    if cached is not None:
        _RESULTS.move_to_end(key)
        return cached
    feedback = _exec_env().execute(call, validate=False)
    if feedback.ok:
        outcome = ExecOutcome(True, feedback.payload)
    else:
        outcome = ExecOutcome(False, error=feedback.text[:200])
    if feedback.category in (ErrorKind.CORRECT, ErrorKind.TOOL_CALL_FAILURE):  # deterministic outcomes only
        _RESULTS[key] = outcome
        if len(_RESULTS) > _RESULTS_MAX:
            _RESULTS.popitem(last=False)
    return outcome


_ENV: list[ToolEnv] = []


def _exec_env() -> ToolEnv:
    """The process-wide environment of the BFCL functions (sandboxed targets), made on first use."""
    if not _ENV:
        registry = ToolRegistry()
        for name in PURE_FUNCTIONS:
            registry.add(ToolDoc(name), target=f"tools_env.impls.bfcl_exec:{name}")
        env = ToolEnv(registry, pool_size=1)
        atexit.register(env.close)
        _ENV.append(env)
    return _ENV[0]


def _results_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - exotic values never crash the checker
        return False


def exec_check(
    calls: Sequence[ToolCall], item: Item, repairs: Repairs = UPSTREAM
) -> tuple[bool, dict[str, Any]]:
    """BFCL's executable verdict for already-decoded ``calls`` on an executable ``item`` (§1.4)."""
    gold = item.gold[0]
    expected = item.metadata["expected"]
    if not calls:
        return False, {"exec_error": "no calls"}
    if item.scenario == "simple" and len(calls) != 1:
        return False, {"exec_error": f"exec_simple needs exactly 1 call, got {len(calls)}"}
    if len(calls) != len(gold):
        return False, {"exec_error": f"wrong number of calls: {len(calls)} for {len(gold)} gold"}
    outcomes: dict[int, ExecOutcome] = {}
    used: set[int] = set()
    for i, g in enumerate(gold):
        found = None
        for j, call in enumerate(calls):
            if j in used or (repairs.exec_names and call.name != g.name):
                continue
            out = outcomes.get(j)
            if out is None:
                out = outcomes[j] = execute(call)
            if out.ok and _results_equal(out.value, expected[i]):
                found = j
                break
        if found is None:
            errors = [o.error for o in outcomes.values() if not o.ok]
            return False, {"exec_error": f"no call gives gold {i}'s result", "exec_failures": errors[:4]}
        used.add(found)
    return True, {}


# -------------------------------------------------------------------------------------------- TS/PI/CF


def _lambda_dump(text: str) -> str | None:
    s = text.strip()
    if not s.startswith("lambda") or len(s) > 1000:
        return None
    try:
        return ast.dump(ast.parse(s, mode="eval"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def values_equal(a: Any, b: Any, _depth: int = 0) -> bool:
    """Parsed-value equality for CF: numbers numerically (rel. tol. 1e-9), bools only with bools, lambda
    strings by syntax tree, lists element-wise (tuples as lists), dicts key-wise."""
    if _depth > 100:
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)
    if isinstance(a, str) and isinstance(b, str):
        if a == b:
            return True
        da = _lambda_dump(a)
        return da is not None and da == _lambda_dump(b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(values_equal(x, y, _depth + 1) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return set(a) == set(b) and all(values_equal(a[k], b[k], _depth + 1) for k in a)
    return a is None and b is None


def _normalised(
    call: ToolCall, docs: Mapping[str, ToolDoc], drop: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Arguments with documented defaults (given equal to the default) and ``drop`` keys removed."""
    doc = docs.get(call.name)
    out: dict[str, Any] = {}
    for key, value in call.arguments.items():
        if key in drop:
            continue
        if doc is not None and key not in doc.required and key in doc.defaults:
            if values_equal(value, doc.defaults[key]):
                continue
        out[key] = value
    return out


def perfect_matching(n: int, ok: Sequence[Sequence[bool]]) -> list[int] | None:
    """A perfect matching (gold i -> pred match[i]) in an n x n compatibility table, or None (Kuhn)."""
    owner = [-1] * n

    def augment(i: int, seen: list[bool]) -> bool:
        for j in range(n):
            if ok[i][j] and not seen[j]:
                seen[j] = True
                if owner[j] < 0 or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(n):
        if not augment(i, [False] * n):
            return None
    match = [0] * n
    for j, i in enumerate(owner):
        match[i] = j
    return match


def match_calls(
    pred: Sequence[ToolCall], gold: Sequence[ToolCall], docs: Sequence[ToolDoc], repairs: Repairs = UPSTREAM
) -> tuple[bool, bool, bool, list[int] | None]:
    """TS, PI, CF (cumulative) and the CF pairing ``gold i -> pred j``; order-free and one-to-one."""
    index = {d.name: d for d in docs}
    drop: set[str] = set()
    if repairs.undocumented_params:
        for g in gold:
            doc = index.get(g.name)
            drop.update(k for k in g.arguments if doc is not None and k not in doc.properties)
    ts = len(pred) == len(gold) and Counter(c.name for c in pred) == Counter(c.name for c in gold)
    if not ts:
        return False, False, False, None
    frozen_drop = frozenset(drop)
    p_args = [_normalised(c, index, frozen_drop) for c in pred]
    g_args = [_normalised(c, index, frozen_drop) for c in gold]
    pi = Counter((c.name, frozenset(a)) for c, a in zip(pred, p_args, strict=True)) == Counter(
        (c.name, frozenset(a)) for c, a in zip(gold, g_args, strict=True)
    )
    if not pi:
        return True, False, False, None
    table = [
        [gc.name == pc.name and values_equal(ga, pa) for pc, pa in zip(pred, p_args, strict=True)]
        for gc, ga in zip(gold, g_args, strict=True)
    ]
    match = perfect_matching(len(gold), table)
    return True, True, match is not None, match


# -------------------------------------------------------------------------------------------- loading


PYTHON_HINT = " Note that the provided function is in Python 3 syntax."
FLOAT_HINT = " This is a float type value."


def prompted_functions(functions: Sequence[Any]) -> list[Any]:
    """The function docs as BFCL's model handlers show them to a model (gorilla@d6b5fb8 ``model_handler/utils.py``).

    Every handler appends the Python hint to each description (``func_doc_language_specific_pre_processing``);
    the function-calling handlers' ``convert_to_tool`` also marks each ``float`` parameter with
    ``"format": "float"`` and the float hint (top-level properties, nested object properties, and the
    properties of object items). Type names are mapped afterwards by :func:`tlbench.docs.docs_from_bfcl`.
    """
    out = []
    for fn in functions:
        if not isinstance(fn, Mapping):
            out.append(fn)
            continue
        fn = jsonio.parse(jsonio.dumps(fn))  # a deep copy that is plain JSON
        fn["description"] = str(fn.get("description", "")) + PYTHON_HINT
        params = fn.get("parameters")
        if isinstance(params, dict) and isinstance(params.get("properties"), dict):
            _mark_floats(params["properties"])
        out.append(fn)
    return out


def _mark_floats(properties: dict[str, Any], depth: int = 0) -> None:
    for schema in properties.values():
        if not isinstance(schema, dict) or depth > 8:
            continue
        if schema.get("type") == "float":
            schema["format"] = "float"
            schema["description"] = str(schema.get("description", "")) + FLOAT_HINT
        nested = schema.get("properties")
        items = schema.get("items")
        if isinstance(nested, dict):
            _mark_floats(nested, depth + 1)
        elif isinstance(items, dict) and isinstance(items.get("properties"), dict):
            _mark_floats(items["properties"], depth + 1)


def _read_jsonl(path: Path, report: LoadReport) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(
            "benchmark file not found (run 'tlbench data pull bfcl' or pass --data-dir)", path=str(path)
        ) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", path=str(path)) from None
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = jsonio.parse(line)
        except ValueError as exc:
            report.warn(path, n, f"skipped: not JSON ({exc})")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            report.warn(path, n, "skipped: not an object with a string 'id'")
            continue
        rows.append((n, obj))
    if not rows:  # an empty or wholly corrupt split would otherwise vanish from the scores in silence
        raise DataError(
            "no items (empty or corrupt file; check it with 'tlbench data status')", path=str(path)
        )
    return rows


@register
@dataclass(frozen=True, slots=True)
class Bfcl(Benchmark):
    """BFCL-v3 exec over ``categories``, e.g. ``Bfcl("bfcl-v3-exec-simple", ("simple",))``."""

    family = "bfcl"
    version = "d6b5fb8c5214ba9733de300256a2998755a3e32c"
    order = 30
    title = "BFCL-v3"
    headline = (*SINGLE_TURN, EXEC)
    repairs = Repairs

    name: str
    categories: tuple[str, ...] = CATEGORIES
    release: str = "d6b5fb8"
    default_format: str = "python"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def variants(cls) -> tuple[Bfcl, ...]:
        """All four categories together, then each category alone."""
        return (
            cls("bfcl-v3-exec"),
            *(cls(f"bfcl-v3-exec-{c.replace('_', '-')}", (c,)) for c in CATEGORIES),
        )

    @property
    def short(self) -> str:
        """``bfcl``, ``bfcl-simple``, ..."""
        return self.name.replace("bfcl-v3-exec", "bfcl")

    @property
    def in_all(self) -> bool:
        """The single categories are parts of ``bfcl-v3-exec``."""
        return self.categories == CATEGORIES

    @property
    def tables(self) -> tuple[str, ...]:
        """The paper's single-turn table reports the 240 items together."""
        return ("3",) if self.categories == CATEGORIES else ()

    @property
    def test_set(self) -> bool:
        """The single categories are parts of ``bfcl-v3-exec``."""
        return self.categories == CATEGORIES

    @property
    def data_files(self) -> tuple[str, ...]:
        """The pinned files ``load`` reads (``benchmarks/manifest.json`` paths): questions (and answers)."""
        folder, gold_inline = RELEASES.get(self.release, ("", True))
        names = [f"BFCL_v3_exec_{c}.json" for c in self.categories]
        answers = [] if gold_inline else [f"{folder}/possible_answer/{n}" for n in names]
        return (*(f"{folder}/{n}" for n in names), *answers)

    def tool_docs(self, raw: Any) -> tuple[ToolDoc, ...]:
        """The doc loader: a question's ``function`` list as BFCL's handlers show it (prompted)."""
        from tlbench.docs import docs_from_bfcl

        return docs_from_bfcl(prompted_functions(raw))

    def load(self, data_dir: Path, report: LoadReport | None = None) -> list[Item]:
        """Items in file order (categories in the order above); malformed lines reported with file:line."""
        if self.release not in RELEASES:
            raise UsageError(f"unknown BFCL release {self.release!r}; choose one of {', '.join(RELEASES)}")
        folder, gold_inline = RELEASES[self.release]
        report = report if report is not None else LoadReport()
        items: list[Item] = []
        for category in self.categories:
            qpath = Path(data_dir) / folder / f"BFCL_v3_exec_{category}.json"
            questions = _read_jsonl(qpath, report)
            answers: dict[str, tuple[int, dict[str, Any]]] = {}
            apath = qpath
            if not gold_inline:
                apath = Path(data_dir) / folder / "possible_answer" / qpath.name
                answers = {obj["id"]: (n, obj) for n, obj in _read_jsonl(apath, report)}
            for n, q in questions:
                answer = q if gold_inline else answers.get(q["id"], (0, None))[1]
                if answer is None:
                    report.warn(qpath, n, f"{q['id']} skipped: no gold in {apath.name}")
                    continue
                try:
                    items.append(self._item(len(items), category, q, answer))
                except (ValueError, TypeError, KeyError) as exc:
                    report.warn(qpath, n, f"{q['id']} skipped: {exc}")
        return items

    def _item(self, index: int, category: str, q: Mapping[str, Any], answer: Mapping[str, Any]) -> Item:
        turns = q["question"]
        if not isinstance(turns, list) or not turns or not isinstance(turns[0], list):
            raise ValueError("'question' must be a list of turns")
        messages = tuple({"role": str(m["role"]), "content": str(m["content"])} for m in turns[0])
        docs = self.tool_docs(q.get("function") or [])
        gold_strings = answer["ground_truth"]
        if not isinstance(gold_strings, list) or not gold_strings:
            raise ValueError("'ground_truth' must be a non-empty list of call strings")
        gold = tuple(parse_gold_call(str(g), docs) for g in gold_strings)
        types = [str(t) for t in answer.get("execution_result_type") or []]
        if len(types) < len(gold):
            raise ValueError("fewer execution_result_type entries than gold calls")
        names = {g.name for g in gold}
        executable = names <= set(PURE_FUNCTIONS) and all(t == "exact_match" for t in types[: len(gold)])
        expected: list[Any] = []
        if executable:
            for g in gold:
                out = execute(g)
                if not out.ok:
                    raise ValueError(f"gold call {g.raw!r} does not run: {out.error}")
                expected.append(out.value)
        return Item(
            id=str(q["id"]),
            index=index,
            benchmark=self.name,
            scenario=category,
            messages=messages,
            tools=docs,
            gold=(gold,),
            metadata={
                "release": self.release,
                "gold_strings": tuple(str(g) for g in gold_strings),
                "result_types": tuple(types[: len(gold)]),
                "stale_result_types": len(types) > len(gold),
                "executable": executable,
                "live_functions": tuple(sorted(names & LIVE_FUNCTIONS)),
                "expected": tuple(expected),
            },
        )

    def gold_output(self, item: Item) -> str:
        """The gold answer as a model would print it: BFCL's list syntax with the gold strings verbatim."""
        return "[" + ", ".join(item.metadata["gold_strings"]) + "]"

    def score_item(
        self, item: Item, output: str, mode: str = "upstream", fmt: str | None = None
    ) -> ItemScore:
        """Exec verdict (executable items) and TS/PI/CF of one raw output; never raises on bad output."""
        repairs = self.repairs_for(mode)
        parse = _read_output(output, item, repairs, fmt)
        calls = tuple(parse.calls) if parse.ok else ()
        detail: dict[str, Any] = {"mode": mode}
        if parse.failure is not None:
            detail["failure"] = parse.failure.reason
        elif not calls:
            detail["failure"] = "no_call"
        gold = item.gold[0]
        ts, pi, cf, pairing = match_calls(calls, gold, item.tools, repairs)
        detail["pairing"] = pairing
        exec_ok: bool | None = None
        if item.metadata.get("executable"):
            exec_ok, extra = exec_check(calls, item, repairs)
            detail.update(extra)
        else:
            detail["fallback"] = "argument comparison (CF): live-web functions " + ", ".join(
                item.metadata.get("live_functions", ())
            )
        return ItemScore(
            id=item.id,
            index=item.index,
            scenario=item.scenario,
            ts=ts,
            pi=pi,
            cf=cf,
            correct=exec_ok if exec_ok is not None else cf,
            parsed=bool(calls),
            exec=exec_ok,
            calls=calls,
            categories=_categories(parse, item),
            detail=detail,
        )


def _categories(parse: ParseResult, item: Item) -> tuple[ErrorKind, ...]:
    """The shared classifier's categories (informational; never affects the verdicts)."""
    from tlbench.classify import classify

    verdict = classify(parse, item.tools, [list(alt) for alt in item.gold])
    return verdict.kinds


def repair_counts(data_dir: Path, release: str = "d6b5fb8") -> dict[str, int]:
    """For each fixed-mode repair alone: how many items' verdicts (ts, pi, cf, exec) change when the gold
    strings are scored verbatim as the prediction (the counts quoted in the module docstring)."""
    bench = Bfcl("bfcl-v3-exec", release=release)
    items = bench.load(data_dir)
    base = {it.id: bench.score_item(it, bench.gold_output(it), "upstream") for it in items}
    out: dict[str, int] = {}
    for name in (f.name for f in fields(Repairs)):
        repairs = Repairs(**{name: True})
        changed = 0
        for it in items:
            parse = _read_output(bench.gold_output(it), it, repairs, None)
            calls = tuple(parse.calls) if parse.ok else ()
            ts, pi, cf, _ = match_calls(calls, it.gold[0], it.tools, repairs)
            ex = exec_check(calls, it, repairs)[0] if it.metadata["executable"] else None
            b = base[it.id]
            changed += (ts, pi, cf, ex) != (b.ts, b.pi, b.cf, b.exec)
        out[name] = changed
    return out


BFCL_ALL, BFCL_SIMPLE, BFCL_MULTIPLE, BFCL_PARALLEL, BFCL_PARALLEL_MULTIPLE = Bfcl.variants()
