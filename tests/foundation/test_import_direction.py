"""Data flows one way: the core vocabulary never imports the layers built on it.

The core (types, the classifier, feedback texts, parsers, prompts, the IRM reward, tool docs, JSON, errors, the
registry) is what every other layer speaks; it must not import ``tlbench.runner`` (or its stages, ``tlbench.run``), ``tlbench.cli``,
``tlbench.report``, the backends, ``benchmarks``, ``tools_env`` or ``training``: not at module top, not inside a
function, not relatively, not as a lazy ``"module:attr"`` registry target. Its first-party imports also stay
inside the core, so the rule holds for everything the core pulls in, not only for its own lines.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: The core vocabulary: files, or folders whose every module is core.
CORE = (
    "tlbench/__init__.py",
    "tlbench/types.py",
    "tlbench/classify",
    "tlbench/feedback.py",
    "tlbench/parsers",
    "tlbench/prompts",
    "tlbench/reward.py",
    "tlbench/docs",
    "tlbench/jsonio.py",
    "tlbench/errors.py",
    "tlbench/registry.py",
)
#: What the core must never import (a module or anything under it).
FORBIDDEN = (
    "tlbench.runner",
    "tlbench.run",
    "tlbench.cli",
    "tlbench.report",
    "tlbench.backends",
    "tlbench.models",
    "benchmarks",
    "tools_env",
    "training",
)
FIRST_PARTY = ("tlbench", "benchmarks", "tools_env", "training")
#: A lazy registry target: ``"package.module:attr"``.
_LAZY_TARGET = re.compile(r"^([A-Za-z_]\w*(?:\.\w+)*):[A-Za-z_]\w*$")


def _core_files() -> list[Path]:
    files: list[Path] = []
    for entry in CORE:
        path = ROOT / entry
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def _module_name(rel: str) -> str:
    """``tlbench/classify/calls.py`` -> ``tlbench.classify.calls``; a package's ``__init__`` is the package."""
    parts = rel.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _called(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def imported_modules(source: str, rel: str) -> list[tuple[int, str]]:
    """Every module ``source`` (the file at ``rel``) imports, with its line: ``import`` and ``from`` at any
    depth (relative ones resolved; ``from pkg import name`` also counts ``pkg.name`` when that is a module of
    the repository), ``importlib.import_module("...")`` with a constant, and lazy ``"module:attr"`` registry
    targets."""
    module = _module_name(rel)
    package = module if rel.endswith("__init__.py") else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=rel)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names if _is_module(f"{base}.{a.name}")]
        elif isinstance(node, ast.Call) and _called(node.func) in {"import_module", "__import__"}:
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            lazy = _LAZY_TARGET.match(node.value)
            if lazy and lazy.group(1).split(".")[0] in FIRST_PARTY:
                found.append((node.lineno, lazy.group(1)))
    return found


def _is_module(mod: str) -> bool:
    path = ROOT / mod.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def forbidden_imports(source: str, rel: str) -> list[str]:
    """``rel:line imports module`` for each import of a forbidden layer."""
    return [
        f"{rel}:{line} imports {mod}" for line, mod in imported_modules(source, rel) if _under(mod, FORBIDDEN)
    ]


def _core_modules() -> set[str]:
    return {_module_name(p.relative_to(ROOT).as_posix()) for p in _core_files()}


def test_the_core_list_names_real_files() -> None:
    missing = [entry for entry in CORE if not (ROOT / entry).exists()]
    assert not missing, f"CORE names paths that do not exist: {missing}"
    assert len(_core_files()) > 20


def test_the_core_never_imports_the_layers_built_on_it() -> None:
    problems: list[str] = []
    for path in _core_files():
        rel = path.relative_to(ROOT).as_posix()
        problems += forbidden_imports(path.read_text(encoding="utf-8"), rel)
    assert not problems, "the core vocabulary imports an outer layer:\n" + "\n".join(problems)


def test_the_core_imports_only_the_core() -> None:
    """First-party modules the core imports are core modules, so nothing the core pulls in can reach an outer
    layer either."""
    core = _core_modules()
    problems: list[str] = []
    for path in _core_files():
        rel = path.relative_to(ROOT).as_posix()
        for line, mod in imported_modules(path.read_text(encoding="utf-8"), rel):
            if _under(mod, FIRST_PARTY) and mod not in core:
                problems.append(f"{rel}:{line} imports {mod}, which is not core vocabulary")
    assert not problems, "\n".join(problems)


def test_importing_the_core_loads_no_outer_layer() -> None:
    """The same rule at run time, in a fresh interpreter: importing every core module leaves every outer layer
    out of ``sys.modules``."""
    core = sorted(_core_modules())
    code = (
        "import importlib, sys\n"
        f"for m in {core!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if any(m == p or m.startswith(p + '.') for p in {FORBIDDEN!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", proc.stdout


@pytest.mark.parametrize(
    ("source", "rel", "expected"),
    [
        ("import tools_env\n", "tlbench/types.py", ["tools_env"]),
        ("import training.mae as m\n", "tlbench/types.py", ["training.mae"]),
        ("def f():\n    from tlbench.runner import run\n", "tlbench/reward.py", ["tlbench.runner"]),
        ("from tlbench import report\n", "tlbench/docs.py", ["tlbench.report"]),
        ("from . import cli\n", "tlbench/jsonio.py", ["tlbench.cli"]),
        ("from ..backends.hf import HF\n", "tlbench/parsers/react.py", ["tlbench.backends"]),
        ("from ...benchmarks import BENCHMARKS\n", "tlbench/classify/calls.py", ["benchmarks"]),
        ("from .. import runner\n", "tlbench/classify/__init__.py", ["tlbench.runner"]),
        (
            "import importlib\nimportlib.import_module('training.rl')\n",
            "tlbench/registry.py",
            ["training.rl"],
        ),
        ("R.add('rot', 'benchmarks.rotbench:ROT')\n", "tlbench/prompts/__init__.py", ["benchmarks.rotbench"]),
        (
            "from tlbench import jsonio\nfrom ._util import x\nfrom .calls import y\n",
            "tlbench/parsers/qwen.py",
            [],
        ),
        ("from tlbench.reporting import x\nimport trainingwheels\n", "tlbench/types.py", []),
    ],
)
def test_the_guard_itself_catches_offenders(source: str, rel: str, expected: list[str]) -> None:
    found = {line.split(" imports ")[1] for line in forbidden_imports(source, rel)}
    assert all(_under(m, tuple(expected)) for m in found), found  # nothing flagged that should not be
    assert all(any(_under(m, (e,)) for m in found) for e in expected), found  # every offender flagged
