"""Reliability suite (run separately: ``python -m pytest -q tests/reliability``): helpers on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for p in (HERE, ROOT / "tests" / "tools_env" / "sandbox"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
