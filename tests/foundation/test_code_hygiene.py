"""Guards on the code base itself: no eval/exec/pickle of untrusted data, no shell=True, no `vllm` folder."""

from __future__ import annotations

import ast
from pathlib import Path

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
