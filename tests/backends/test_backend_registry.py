"""Backends are built from the registry: each module's ``create(model, options)`` next to its class, no
branch over names in ``create_backend``, and the CLI offers what the registries hold."""

from __future__ import annotations

import argparse
import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from tlbench.backends import BACKENDS, BackendOptions, create_backend
from tlbench.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]


def test_every_backend_name_has_a_factory_defined_next_to_its_class() -> None:
    assert BACKENDS.names() == ["mock", "openai", "transformers", "vllm"]
    for name in BACKENDS.names():
        factory = BACKENDS.get(name)
        assert factory.__name__ == "create" and list(inspect.signature(factory).parameters) == [
            "model",
            "options",
        ]
        module = sys.modules[factory.__module__]
        assert any(inspect.isclass(v) and getattr(v, "name", None) == name for v in vars(module).values())


def test_create_backend_has_no_branch_over_backend_names() -> None:
    from tlbench import backends

    tree = ast.parse(inspect.getsource(backends.create_backend))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.If | ast.IfExp | ast.Match)]
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in BACKENDS]


def test_factories_build_what_create_backend_did() -> None:
    assert create_backend("mock", "m").name == "mock"
    with pytest.raises(UsageError, match="base-url"):
        create_backend("openai-http", "x")
    b = BACKENDS.get("openai")("srv-model", BackendOptions(base_url="http://127.0.0.1:9/v1", concurrency=3))
    assert b.base_url == "http://127.0.0.1:9/v1" and b.model == "srv-model"
    with pytest.raises(UsageError, match="Did you mean"):
        create_backend("mok", "m")


def _choices(module: str, option: str) -> list[str]:
    import importlib

    parser = argparse.ArgumentParser()
    importlib.import_module(module).add_arguments(parser)
    action = next(a for a in parser._actions if option in a.option_strings)
    return list(action.choices or [])


def test_cli_choices_come_from_the_registries() -> None:
    from tlbench.parsers import PARSERS

    for module in ("tlbench.cli.score", "tlbench.cli.collect"):
        assert _choices(module, "--backend") == ["auto", *BACKENDS.choices()]
    assert {"transformers", "hf", "vllm", "openai", "mock"} <= set(BACKENDS.choices())
    assert _choices("tlbench.cli.score", "--format") == PARSERS.names()


def test_importing_the_backends_and_the_cli_loads_no_engine() -> None:
    code = (
        "import sys, tlbench.backends, tlbench.cli.score, tlbench.cli.collect; "
        "print(sorted(m for m in ('torch', 'transformers', 'vllm', 'requests') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_prompt_functions_do_not_branch_on_format_names() -> None:
    from tlbench import prompts

    source = (ROOT / "tlbench" / "prompts" / "__init__.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    names = set(prompts.PROMPT_FORMATS.choices())
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("auto_"):
            continue  # auto_format picks a name; it does not special-case one
        for node in ast.walk(fn):
            if isinstance(node, ast.Compare):
                consts = [c.value for c in [node.left, *node.comparators] if isinstance(c, ast.Constant)]
                assert not set(consts) & names, f"{fn.name} compares a format name"
