"""The wheel carries every data file of the packages (recipes, accelerate configs, manifest, report assets).

A file missing from ``[tool.setuptools.package-data]`` works in the editable checkout and breaks a regular
install (``training/accelerate/*.yaml`` did). The wheel is built from a copy of the sources (no build
isolation, nothing downloaded, nothing written into the checkout) and its file list compared.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tlbench", "tools_env", "benchmarks", "training")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")


def _data_files() -> list[str]:
    """Every non-Python file inside the package folders (what package-data must list)."""
    out = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*")):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                out.append(path.relative_to(ROOT).as_posix())
    return out


def test_wheel_contains_every_package_data_file(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, src / pkg, ignore=_IGNORE)
    out = tmp_path / "wheel"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    proc = subprocess.run(
        [*cmd, "-q", "-w", str(out), str(src)], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    [wheel] = out.glob("tlbench-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = _data_files()
    assert "training/accelerate/fsdp.yaml" in expected and "benchmarks/manifest.json" in expected
    missing = [f for f in expected if f not in names]
    assert not missing, f"package data left out of the wheel (add it to package-data): {missing}"
    assert "tlbench/cli/score.py" in names
