"""AST guards over the whole code base (product packages, scripts, perf and reliability scripts).

Complements tests/foundation/test_code_hygiene.py (eval/exec/pickle.loads/shell=True in product code) with the
loads of untrusted data it does not see: ``torch.load`` without ``weights_only=True``, ``from pickle import
loads``, ``pickle.Unpickler``, ``marshal``/``shelve``/``dill``/``joblib`` loads, ``yaml.load`` without a safe
loader, ``numpy.load(allow_pickle=True)``; and the shell: ``shell=`` anything but False, ``os.system``,
``os.popen``. Each rule has an offender in the self-test, so the guard itself cannot silently stop working.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Product packages everywhere; from tests/, only the scripts that run as programs (perf, reliability).
SCAN = ("tlbench", "tools_env", "benchmarks", "training", "scripts", "tests/perf", "tests/reliability")
UNPICKLERS = {"pickle", "cPickle", "_pickle", "dill", "marshal", "shelve", "joblib", "cloudpickle"}


def _files() -> list[Path]:
    out: list[Path] = []
    for d in SCAN:
        out += sorted((ROOT / d).rglob("*.py"))
    return [p for p in out if "__pycache__" not in p.parts]


def _const(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else ...


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def offences(tree: ast.AST) -> list[str]:
    """Every forbidden construct in ``tree`` as ``"what at line N"``."""
    found: list[str] = []
    imported: dict[str, str] = {}  # local name -> "module.attr" for `from m import attr [as name]`
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                imported[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        full = imported.get(name, name)
        root, _, leaf = full.rpartition(".")
        base = root.split(".")[0]
        where = f"at line {node.lineno}"
        if full in {"eval", "exec", "compile", "__import__"}:
            found.append(f"{full}() {where}")
        if base in UNPICKLERS and leaf in {"load", "loads", "Unpickler", "open"}:
            found.append(f"{full}() {where}")
        if full in {"torch.load"} or (base == "torch" and leaf == "load"):
            if _const(_kw(node, "weights_only")) is not True:
                found.append(f"torch.load without weights_only=True {where}")
        if full in {"yaml.load", "yaml.load_all"}:
            loader = _dotted(_kw(node, "Loader") or ast.Constant(None))
            if "Safe" not in loader:
                found.append(f"{full} without SafeLoader {where}")
        if (base in {"numpy", "np"}) and leaf == "load" and _const(_kw(node, "allow_pickle")) is not False:
            if _kw(node, "allow_pickle") is not None:
                found.append(f"numpy.load(allow_pickle=...) {where}")
        if full in {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"}:
            found.append(f"{full}() {where}")
        shell = _kw(node, "shell")
        if shell is not None and _const(shell) is not False:
            found.append(f"shell={ast.unparse(shell)} {where}")
    return found


def test_whole_code_base_has_no_unsafe_loads_or_shell() -> None:
    files = _files()
    assert len(files) > 50, "scan found too few files"
    problems = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        problems += [f"{path.relative_to(ROOT)}: {p}" for p in offences(tree)]
    assert not problems, "\n".join(problems)


def test_the_guard_catches_every_rule() -> None:
    bad = {
        "eval('1')": "eval",
        "exec('x')": "exec",
        "import pickle\npickle.loads(b'')": "pickle.loads",
        "from pickle import loads as l\nl(b'')": "pickle.loads",
        "import pickle\npickle.Unpickler(f)": "pickle.Unpickler",
        "import marshal\nmarshal.loads(b'')": "marshal.loads",
        "import shelve\nshelve.open('x')": "shelve.open",
        "import joblib\njoblib.load('m')": "joblib.load",
        "import torch\ntorch.load('m.pt')": "torch.load without",
        "import torch\ntorch.load('m.pt', weights_only=False)": "torch.load without",
        "from torch import load\nload('m.pt')": "torch.load without",
        "import yaml\nyaml.load(s)": "yaml.load without",
        "import numpy as np\nnp.load('a', allow_pickle=True)": "numpy.load",
        "import os\nos.system('ls')": "os.system",
        "import os\nos.popen('ls')": "os.popen",
        "import subprocess\nsubprocess.run('ls', shell=True)": "shell=True",
        "import subprocess\nsubprocess.run('ls', shell=flag)": "shell=flag",
    }
    for src, what in bad.items():
        got = offences(ast.parse(src))
        assert len(got) == 1 and what in got[0], (src, got)
    good = [
        "import torch\ntorch.load('m.pt', weights_only=True)",
        "import yaml\nyaml.load(s, Loader=yaml.SafeLoader)",
        "import json\njson.loads('1')",
        "import subprocess\nsubprocess.run(['ls'], shell=False)",
        "import numpy as np\nnp.load('a.npy')",
        "ast.literal_eval('1')",
    ]
    for src in good:
        assert offences(ast.parse(src)) == [], src
