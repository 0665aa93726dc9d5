"""Fixtures for the report tests: the shared benchmark data, small scored runs, a headless chromium."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from runbuilder import build_run, finish_transcript, gold_output  # noqa: E402


def _data_dir() -> Path:
    return Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The read-only benchmark data; skips when it is absent."""
    path = _data_dir()
    if not (path / "rotbench" / "Data" / "First_Turn" / "clean.json").is_file():
        pytest.skip(f"benchmark data not found under {path}")
    return path


def perturbed(bench, item):  # noqa: ANN001, ANN201
    """Gold for index % 3 == 2; an undocumented tool name for % 3 == 0; no prediction for % 3 == 1."""
    out = gold_output(bench, item)
    if item.index % 3 == 0:
        return out.replace("Action: ", "Action: get_", 1)
    if item.index % 3 == 1:
        return None
    return out


@pytest.fixture(scope="session")
def scored_runs(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, Path]:
    """Run A: gold answers on RoTBench clean and a finishing transcript on ToolEyes; run B: perturbed RoTBench.

    Known upstream figures: A scores 92.38 on TS/PI/CF (97/105, the upstream ceiling); B is right only on
    the items with index % 3 == 2 that A gets right (34/105 = 32.38).
    """
    root = tmp_path_factory.mktemp("runs")
    a = build_run(
        root,
        "gold",
        data_dir,
        {
            "rotbench-first-clean": gold_output,
            "tooleyes": lambda b, i: finish_transcript(i) if i.index < 3 else None,
        },
    )
    b = build_run(root, "perturbed", data_dir, {"rotbench-first-clean": perturbed})
    return a, b


def _chromium() -> tuple[str, str] | None:
    binary = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    return (binary, driver) if binary and driver else None


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    """A headless chromium driven by selenium, with the browser console log enabled."""
    found = _chromium()
    if found is None:
        pytest.skip("chromium and chromedriver are not installed (CI installs them via .ci/run)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = found[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    opts.add_argument("--window-size=1300,900")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(found[1]), options=opts)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()
