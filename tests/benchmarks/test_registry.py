"""Every benchmark describes and registers itself: the declarations are consistent, the index lazy."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import textwrap
from dataclasses import fields

import pytest

from benchmarks import BENCHMARKS, NAMES
from benchmarks.base import MODES, Benchmark, Repairs
from benchmarks.data import load_manifest
from tlbench.errors import UsageError


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return out.stdout.strip()


def test_a_lookup_imports_only_the_module_named_by_the_first_word() -> None:
    code = (
        "import sys, benchmarks\n"
        "benchmarks.BENCHMARKS.get('rotbench-first-clean')\n"
        "print(sorted(m for m in ('benchmarks.rotbench', 'benchmarks.bfcl', 'benchmarks.tooleyes', "
        "'benchmarks.toolalpaca') if m in sys.modules))"
    )
    assert _run(code) == "['benchmarks.rotbench']"


def test_names_come_from_the_decorators_in_family_order() -> None:
    benches = BENCHMARKS.all()
    assert tuple(b.name for b in benches) == NAMES
    assert all(isinstance(b, Benchmark) for b in benches)
    orders = [type(b).order for b in benches]
    assert orders == sorted(orders)
    assert len(set(NAMES)) == len(NAMES) and set(BENCHMARKS.names()) == set(NAMES)


def test_an_unknown_name_lists_every_registered_one() -> None:
    with pytest.raises(UsageError, match="Did you mean: rotbench-first-clean") as err:
        BENCHMARKS.get("rotbench-first-clen")
    assert all(name in str(err.value) for name in NAMES)
    assert BENCHMARKS.find("no-such-benchmark") is None and "no-such-benchmark" not in BENCHMARKS


@pytest.mark.parametrize("name", NAMES)
def test_each_benchmark_declares_what_the_rest_of_tlbench_reads(name: str) -> None:
    bench = BENCHMARKS.get(name)
    assert bench.name == name and bench.short and bench.title and bench.family
    assert bench.prompt_style in ("react", "general")
    assert bench.headline and all(m.key for m in bench.headline)
    assert set(bench.tables) <= {"3", "4", "5"}
    assert bench.data_files, "a benchmark names the pinned files it reads"
    assert callable(bench.tool_docs)


@pytest.mark.parametrize("name", NAMES)
def test_the_declared_version_is_the_commit_its_data_files_are_pinned_at(name: str) -> None:
    bench = BENCHMARKS.get(name)
    manifest = load_manifest()
    assert bench.family in manifest.benchmarks
    pinned = [
        f
        for f in manifest.files
        if any(f.path == p or (p.endswith("/") and f.path.startswith(p)) for p in bench.data_files)
    ]
    assert pinned, f"{name}: no manifest entry for {bench.data_files}"
    assert {f.commit for f in pinned} == {bench.version}
    assert {f.benchmark for f in pinned} == {bench.family}


@pytest.mark.parametrize("name", NAMES)
def test_repairs_upstream_is_every_flag_off_and_fixed_every_flag_on(name: str) -> None:
    bench = BENCHMARKS.get(name)
    flags = [f.name for f in fields(bench.repairs)]
    up, fixed = bench.repairs_for("upstream"), bench.repairs_for("fixed")
    assert [getattr(up, f) for f in flags] == [False] * len(flags)
    assert [getattr(fixed, f) for f in flags] == [True] * len(flags)
    assert issubclass(bench.repairs, Repairs) and MODES == ("upstream", "fixed")
    with pytest.raises(UsageError, match="unknown mode 'lenient'"):
        bench.repairs_for("lenient")


@pytest.mark.parametrize("name", NAMES)
def test_every_repair_flag_has_a_docstring_with_what_it_changes(name: str) -> None:
    """A flag is documented where it is declared: what it repairs and how many verdicts it changes."""
    cls = BENCHMARKS.get(name).repairs
    body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
    for i, node in enumerate(body):
        if isinstance(node, ast.AnnAssign):
            nxt = body[i + 1] if i + 1 < len(body) else None
            doc = (
                nxt.value.value if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) else None
            )
            assert isinstance(doc, str) and doc.strip(), (
                f"{cls.__qualname__}.{node.target.id} has no docstring"
            )
    assert cls.__doc__
