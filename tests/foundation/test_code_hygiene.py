"""Guards on the code base itself: no eval/exec/pickle of untrusted data, no shell=True, no `vllm` folder."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tlbench", "tools_env", "benchmarks", "training")


def _product_files() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


def _bad_calls(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if isinstance(func, ast.Name) and name in {"eval", "exec", "compile", "__import__"}:
            found.append(f"{name}() at line {node.lineno}")
        if isinstance(func, ast.Attribute) and name in {"loads", "load"}:
            base = func.value
            if isinstance(base, ast.Name) and base.id in {"pickle", "cPickle", "marshal", "dill"}:
                found.append(f"{base.id}.{name}() at line {node.lineno}")
        for kw in node.keywords:
            if kw.arg == "shell" and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                found.append(f"shell=True at line {node.lineno}")
    return found


def test_product_code_has_no_eval_exec_pickle_or_shell() -> None:
    problems = []
    files = _product_files()
    assert files, "no product files found"
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        problems += [f"{path.relative_to(ROOT)}: {p}" for p in _bad_calls(tree)]
    assert not problems, "\n".join(problems)


def test_the_guard_itself_catches_offenders() -> None:
    src = "import pickle, subprocess\neval('1')\nexec('x=1')\npickle.loads(b'')\nsubprocess.run('ls', shell=True)\n"
    assert len(_bad_calls(ast.parse(src))) == 4


def test_no_folder_named_vllm_shadows_the_real_package() -> None:
    assert not (ROOT / "vllm").exists()
    assert not list(ROOT.glob("*/vllm/__init__.py"))


def _json_writes_outside_jsonio(tree: ast.AST) -> list[str]:
    """``json.dump``/``json.dumps`` calls that bypass ``tlbench.jsonio`` with ``ensure_ascii=False`` (which
    cannot encode a lone surrogate) or without ``allow_nan=False`` into a file (``Infinity`` is not JSON)."""
    found: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        base = node.func.value
        if not (isinstance(base, ast.Name) and base.id == "json" and node.func.attr in {"dump", "dumps"}):
            continue
        flags = {kw.arg: getattr(kw.value, "value", None) for kw in node.keywords}
        if flags.get("ensure_ascii") is False or node.func.attr == "dump":
            found.append(f"json.{node.func.attr}(...) at line {node.lineno}")
    return found


def test_json_is_written_through_jsonio() -> None:
    problems = []
    for path in _product_files():
        if path.name == "jsonio.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        problems += [f"{path.relative_to(ROOT)}: {p}" for p in _json_writes_outside_jsonio(tree)]
    assert not problems, "write JSON with tlbench.jsonio:\n" + "\n".join(problems)
    sample = ast.parse("import json\njson.dumps(x, ensure_ascii=False)\njson.dump(x, fh)\njson.dumps(x)\n")
    assert len(_json_writes_outside_jsonio(sample)) == 2


# ---------------------------------------------------------------- no timing assertions in the default suite

#: Clock functions (``time.perf_counter()``, ``timeit.timeit(...)``, or the bare names imported from them).
_CLOCKS = {
    "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time", "time_ns", "process_time",
    "process_time_ns", "thread_time", "thread_time_ns", "default_timer", "timeit", "repeat",
}  # fmt: skip
#: Names (variables, attributes, dict keys) that hold a duration or a rate.
_TIMING_WORD = re.compile(
    r"elapsed|duration|per_sec|per_second|_per_s$|seconds|_secs?$|_s$|^wall|took|latency|throughput|_ms$",
    re.I,
)
#: ... unless they name a configured limit, which is not a measurement.
_LIMIT_WORD = re.compile(r"timeout|deadline|limit|max_|budget", re.I)
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _is_clock_call(node: ast.AST, clock_names: set[str]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f.value.id in {"time", "timeit"} and f.attr in _CLOCKS
    return isinstance(f, ast.Name) and f.id in clock_names


def _timing_word(name: str) -> bool:
    return bool(_TIMING_WORD.search(name)) and not _LIMIT_WORD.search(name)


def _timed(expr: ast.AST, timed_names: set[str], timing_funcs: set[str], clock_names: set[str]) -> bool:
    """Whether ``expr`` holds a measured duration or rate: a clock call, a call to a helper that reads the clock,
    a variable assigned from one, or a name / attribute / key that says so (``elapsed``, ``wall_time_s``...)."""
    for node in ast.walk(expr):
        if _is_clock_call(node, clock_names):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in timing_funcs:
            return True
        if isinstance(node, ast.Name) and (node.id in timed_names or _timing_word(node.id)):
            return True
        if isinstance(node, ast.Attribute) and _timing_word(node.attr):
            return True
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            if isinstance(node.slice.value, str) and _timing_word(node.slice.value):
                return True
    return False


def _is_zero(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and not isinstance(expr.value, bool) and expr.value == 0


def _timing_assertions(tree: ast.AST) -> list[str]:
    """``assert`` statements that compare a measured duration or rate against a bound (``elapsed < 30``,
    ``per_second > 20_000``, ``time.perf_counter() - t0 < 2.0``, ``large / small < 9``), and hypothesis
    ``deadline=`` settings other than None. Comparing two measurements of the same run (``total_s >= s``) or a
    duration with 0 (it was measured at all) is not a speed target; a timeout passed to a call is no assert."""
    clock_names = {
        a.asname or a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module in {"time", "timeit"}
        for a in n.names
        if a.name in _CLOCKS
    }
    funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    timing_funcs: set[str] = set()
    changed = True
    while changed:  # helpers that read the clock, also through other such helpers
        changed = False
        for f in funcs:
            if f.name not in timing_funcs and any(
                _is_clock_call(n, clock_names)
                or (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in timing_funcs)
                for n in ast.walk(f)
            ):
                timing_funcs.add(f.name)
                changed = True
    found: list[str] = []
    scopes: list[ast.AST] = [tree, *funcs]
    for scope in scopes:
        timed_names: set[str] = set()
        assigns = [n for n in ast.walk(scope) if isinstance(n, ast.Assign | ast.AugAssign | ast.AnnAssign)]
        changed = True
        while changed:  # variables assigned from measurements, also through other such variables
            changed = False
            for node in assigns:
                if node.value is None or not _timed(node.value, timed_names, timing_funcs, clock_names):
                    continue
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    for name in (n.id for n in ast.walk(t) if isinstance(n, ast.Name)):
                        if name not in timed_names:
                            timed_names.add(name)
                            changed = True
        for node in ast.walk(scope):
            if not isinstance(node, ast.Assert):
                continue
            for cmp in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
                sides = [cmp.left, *cmp.comparators]
                for op, a, b in zip(cmp.ops, sides, sides[1:], strict=False):
                    if not isinstance(op, _ORDERING):
                        continue
                    ta, tb = (_timed(x, timed_names, timing_funcs, clock_names) for x in (a, b))
                    if ta != tb and not _is_zero(b if ta else a):
                        found.append(f"line {node.lineno}: assert {ast.unparse(cmp)}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and any(
            kw.arg == "deadline" and not (isinstance(kw.value, ast.Constant) and kw.value.value is None)
            for kw in node.keywords
        ):
            found.append(f"line {node.lineno}: hypothesis deadline {ast.unparse(node)[:60]}")
    return sorted(set(found))


def _default_suite_files() -> list[Path]:
    """The .py files under tests/ that `make test` collects or imports (not tests/perf, tests/reliability)."""
    tests = ROOT / "tests"
    skip = {tests / "perf", tests / "reliability"}
    return [p for p in sorted(tests.rglob("*.py")) if not any(s in p.parents for s in skip)]


def test_the_default_suite_asserts_no_durations_or_rates() -> None:
    problems = []
    for path in _default_suite_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        problems += [f"{path.relative_to(ROOT)}: {p}" for p in _timing_assertions(tree)]
    assert not problems, (
        "timing assertions fail on loaded machines; measure speed in a tests/perf script (see run_all.py):\n"
        + "\n".join(problems)
    )


def test_the_timing_guard_flags_speed_targets_and_nothing_else() -> None:
    flagged = """
import time
from time import perf_counter as pc
from hypothesis import settings

def _best(fn):
    t0 = time.perf_counter(); fn(); return time.perf_counter() - t0

def test_a():
    t0 = time.monotonic()
    work()
    elapsed = time.monotonic() - t0
    assert elapsed < 30, elapsed
    assert time.perf_counter() - t0 < 2.0
    per_second = 100 / (pc() - t0)
    assert per_second > 20_000
    small = _best(f)
    large = _best(g)
    assert large / max(small, 1e-4) < 9.0
    assert summary["wall_time_s"] <= 5
    assert result.duration < LIMIT

@settings(deadline=500)
def test_b(): ...
"""
    assert len(_timing_assertions(ast.parse(flagged))) == 7, _timing_assertions(ast.parse(flagged))
    clean = """
import subprocess, time
from hypothesis import settings

def test_c(tmp_path):
    proc = subprocess.run(["true"], timeout=30, check=False)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.returncode == 0 and len(rows) < 30
    assert manifest["wall_time_total_s"] >= manifest["wall_time_s"]
    assert killed["wall_time_s"] > 0
    assert limits.timeout_s <= 10 and n <= FAST.processes
    assert 0.04 * n < faults < 0.06 * n

@settings(max_examples=100, deadline=None)
def test_d(): ...
"""
    assert _timing_assertions(ast.parse(clean)) == []


def test_the_default_suite_never_skips_for_missing_tlbench_code() -> None:
    """A test of a feature that exists runs or fails: no ``importorskip`` of, and no skip on
    ``NotImplementedError`` from, tlbench's own packages (those were placeholders of later milestones)."""
    problems = []
    for path in _default_suite_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "importorskip"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and str(node.args[0].value).split(".")[0] in PACKAGES
            ):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                if "NotImplementedError" in ast.unparse(node.type) and "skip" in ast.unparse(node):
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: skip on NotImplementedError")
    assert not problems, "\n".join(problems)


def test_hypothesis_examples_have_no_deadline() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    assert hypothesis.settings.default.deadline is None  # tests/conftest.py's profile


#: Handlers that also catch the ``RecursionError`` ``json.loads`` raises on deeply nested input.
_CATCHES_DEEP = {"RecursionError", "Exception", "BaseException"}


def _handler_names(node: ast.Try) -> set[str]:
    names: set[str] = set()
    for handler in node.handlers:
        if handler.type is None:
            names.add("BaseException")
            continue
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        names.update(t.id if isinstance(t, ast.Name) else getattr(t, "attr", "") for t in types)
    return names


def _unguarded_json_reads(tree: ast.AST) -> list[str]:
    """``json.loads``/``json.load`` calls outside a ``try`` that catches ``RecursionError``: on a line nested
    100,000 deep they raise it, not ``ValueError`` (read with ``tlbench.jsonio.parse`` instead)."""
    found: list[str] = []

    def visit(node: ast.AST, guarded: bool) -> None:
        if isinstance(node, ast.Try):
            inner = guarded or bool(_handler_names(node) & _CATCHES_DEEP)
            for child in node.body:
                visit(child, inner)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(child, guarded)
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            guarded = False  # the body runs later, outside the try around the definition
        func = getattr(node, "func", None)
        if (
            isinstance(node, ast.Call)
            and isinstance(func, ast.Attribute)
            and func.attr in {"loads", "load"}
            and isinstance(func.value, ast.Name)
            and func.value.id == "json"
            and not guarded
        ):
            found.append(f"json.{func.attr}(...) at line {node.lineno}")
        for child in ast.iter_child_nodes(node):
            visit(child, guarded)

    visit(tree, False)
    return found


def test_json_is_read_without_recursion_errors() -> None:
    problems = []
    for path in _product_files():
        if path.name == "jsonio.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        problems += [f"{path.relative_to(ROOT)}: {p}" for p in _unguarded_json_reads(tree)]
    assert not problems, "read JSON with tlbench.jsonio.parse:\n" + "\n".join(problems)
    sample = ast.parse(
        "import json\njson.loads(a)\ntry:\n    json.loads(b)\nexcept ValueError:\n    pass\n"
        "try:\n    json.loads(c)\nexcept (ValueError, RecursionError):\n    pass\n"
        "try:\n    def f():\n        return json.loads(d)\nexcept Exception:\n    pass\n"
    )
    assert [p.split()[-1] for p in _unguarded_json_reads(sample)] == ["2", "4", "13"]
