"""The base install carries everything ``tlbench score --model smollm2-135m`` needs; ``train`` its extra.

Why a static check: CI's environment has every extra installed and developers' caches hold the converted
default model, so a dependency missing from ``[project].dependencies`` (``accelerate``, which transformers
needs to read a GGUF file) showed only on a new user's machine. Here every import reachable from the
score command (function-level imports too) must come from a distribution that the base requirements pull
in, and so must the modules transformers needs for GGUF weights (``tlbench.models.GGUF_REQUIRES``).
``.ci/fresh-demo`` proves the same in a fresh venv; this test catches it without one.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = ("tlbench", "tools_env", "benchmarks", "training")
#: Third-party imports that only an optional feature reaches (the code says which extra to install).
OPTIONAL = {"vllm": "vllm", "matplotlib": "plot"}

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11; the check does not depend on the version
requirements = pytest.importorskip("packaging.requirements")


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _closure(reqs: Iterable[str]) -> set[str]:
    """Canonical names of ``reqs`` and of every installed distribution they require, transitively
    (markers evaluated for this interpreter, no extras of the dependencies)."""
    seen: set[str] = set()
    todo = [requirements.Requirement(r) for r in reqs]
    while todo:
        req = todo.pop()
        name = _canon(req.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            sub = md.requires(req.name) or []
        except md.PackageNotFoundError:
            continue
        for text in sub:
            r = requirements.Requirement(text)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(r)
    return seen


def _module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(path: Path, module: str) -> set[str]:
    """Dotted names imported anywhere in ``path`` (module and function level, relative ones resolved)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)  # `from pkg import submodule`
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            target = re.fullmatch(r"([A-Za-z_][\w.]*):\w+", node.value)  # a lazy registry target
            if target and target.group(1).split(".")[0] in FIRST_PARTY:
                found.add(target.group(1))
    return found


def _reachable(starts: Iterable[str]) -> tuple[set[str], dict[str, set[str]]]:
    """First-party modules reachable from ``starts``, and third-party top-level names -> importing files."""
    modules: set[str] = set()
    third: dict[str, set[str]] = {}
    todo = list(starts)
    while todo:
        name = todo.pop()
        top = name.split(".")[0]
        if top not in FIRST_PARTY:
            if top and top not in sys.stdlib_module_names:
                third.setdefault(top, set())
            continue
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
            sub = ".".join(parts[:i])
            path = _module_file(sub)
            if path is None or sub in modules:
                continue
            modules.add(sub)
            for imp in _imports(path, sub):
                if imp.split(".")[0] in FIRST_PARTY:
                    todo.append(imp)
                elif imp.split(".")[0] not in sys.stdlib_module_names:
                    third.setdefault(imp.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return modules, third


def _uncovered(third: dict[str, set[str]], allowed: set[str]) -> list[str]:
    dists = md.packages_distributions()
    bad = []
    for top, where in sorted(third.items()):
        if top in OPTIONAL:
            continue
        names = {_canon(d) for d in dists.get(top, [])} or {_canon(top)}
        if not names & allowed:
            bad.append(f"{top} (imported by {', '.join(sorted(where)) or '?'})")
    return bad


def test_base_dependencies_cover_everything_score_with_the_default_model_imports() -> None:
    from tlbench.models import GGUF_REQUIRES

    project = _project()
    base = _closure(project["dependencies"])
    modules, third = _reachable(["tlbench.__main__", "tlbench.cli", "tlbench.cli.score", "tlbench.models"])
    assert (
        "tlbench.runner" in modules and "tlbench.backends.hf" in modules
    )  # the walk follows lazy imports and registry targets
    assert not any(m.startswith("training") for m in modules), "score must not need the train extra"
    for name in GGUF_REQUIRES:  # what transformers imports to read the default model's GGUF weights
        third.setdefault(name, set()).add("transformers (from_pretrained(gguf_file=...), tlbench/models.py)")
    missing = _uncovered(third, base)
    assert not missing, f"not installed by pyproject's [project].dependencies: {missing}"


def test_train_extra_covers_what_training_imports() -> None:
    from training.pipeline import TRAIN_REQUIRES

    project = _project()
    extra = project["optional-dependencies"]["train"]
    listed = {_canon(requirements.Requirement(r).name) for r in extra}  # tomli too (only below 3.11)
    allowed = _closure(project["dependencies"]) | _closure(extra) | listed
    _, third = _reachable(["tlbench.cli.train", "training.pipeline"])
    missing = _uncovered(third, allowed)
    assert not missing, f"not installed by the base install + the train extra: {missing}"
    assert {_canon(m) for m in TRAIN_REQUIRES} <= listed


def test_optional_imports_name_extras_that_exist() -> None:
    extras = _project()["optional-dependencies"]
    for module, extra in OPTIONAL.items():
        assert any(_canon(requirements.Requirement(r).name) == _canon(module) for r in extras[extra])


def test_makefile_runs_tlbench_and_pip_through_PYTHON() -> None:
    """`make demo PYTHON=venv/bin/python` must use the venv's tlbench, not one found on PATH."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipes = [line.strip() for line in text.splitlines() if line.startswith("\t")]
    bare = [r for r in recipes if re.match(r"^(\w+=\S+\s+)*(tlbench|pip|pytest|ruff)\b", r)]
    assert not bare, bare
    assert re.search(r"^PYTHON \?=", text, re.M) and re.search(r"^PIP \?= \$\(PYTHON\) -m pip", text, re.M)


def test_gguf_without_accelerate_is_one_usage_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install that lacks a GGUF requirement gets the pip line, not transformers' traceback."""
    import importlib.util

    from tlbench.errors import UsageError
    from tlbench.models import convert_gguf_to_hf

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "accelerate" else real(n, *a))
    with pytest.raises(UsageError, match=r"needs accelerate .*pip install"):
        convert_gguf_to_hf(tmp_path / "model.gguf", tmp_path / "out")
    assert not (tmp_path / "out").exists()
