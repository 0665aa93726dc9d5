"""Build the HTML report of a run and save screenshots of it (headless chromium) and every plot as PNG.

Run: ``python scripts/report_screenshots.py [RUN_DIR...] [--out DIR] [--data-dir DIR]``. Default run: the
full default-model run ``/work/runs/smollm2-full`` when present, else ``/work/runs/smollm2-limit20``;
default output ``/work/notes/screens`` (not committed). Writes ``report/index.html``, ``plot_*.png``
(the analysis figures), ``report_top.png`` (tables and plots), ``report_items.png`` (the item browser),
``report_filtered.png`` (a filter applied), ``item_view.png`` (an opened item) and, when the run has
ToolEyes, ``item_view_episode.png`` (an episode's turns with tools_env feedback), and prints one JSON
line: file list, item count, console errors seen by the browser.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tlbench.report.analysis import analyze_run, robustness  # noqa: E402
from tlbench.report.html import write_report  # noqa: E402
from tlbench.report.plots import write_plots  # noqa: E402
from tlbench.report.runs import load_runs  # noqa: E402

DEFAULT_RUNS = ("/work/runs/smollm2-full", "/work/runs/smollm2-limit20")


def _driver(width: int, height: int):  # noqa: ANN202 - selenium type
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(
        service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=opts
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=Path("/work/notes/screens"))
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")
    )
    args = parser.parse_args()
    paths = args.runs or [Path(next((p for p in DEFAULT_RUNS if Path(p).is_dir()), DEFAULT_RUNS[-1]))]
    runs = load_runs(paths)
    args.out.mkdir(parents=True, exist_ok=True)
    data_dir = args.data_dir if args.data_dir.is_dir() else None
    breakdowns = [b for r in runs for b in analyze_run(r, data_dir=data_dir)]
    plots = write_plots(args.out, breakdowns, robustness(runs))
    for p in plots:
        p.rename(p.with_name("plot_" + p.name))
    page, stats = write_report(runs, args.out / "report", data_dir=data_dir)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = _driver(1400, 1000)
    try:
        driver.get(page.resolve().as_uri())
        time.sleep(0.5)
        driver.save_screenshot(str(args.out / "report_top.png"))
        driver.execute_script("document.getElementById('browser').scrollIntoView()")
        driver.save_screenshot(str(args.out / "report_items.png"))
        Select(driver.find_element(By.ID, "f-correct")).select_by_value("0")
        driver.execute_script("document.getElementById('browser').scrollIntoView()")
        driver.save_screenshot(str(args.out / "report_filtered.png"))
        rows = driver.find_elements(By.CSS_SELECTOR, "#items tbody tr")
        if rows:
            rows[0].click()
            time.sleep(0.2)
        driver.save_screenshot(str(args.out / "item_view.png"))
        benches = [o.text for o in driver.find_elements(By.CSS_SELECTOR, "#f-bench option")]
        if "tooleyes" in benches:  # an episode: per-turn outputs, calls and tools_env feedback
            driver.find_element(By.ID, "iv-close").click()
            Select(driver.find_element(By.ID, "f-correct")).select_by_value("")
            Select(driver.find_element(By.ID, "f-bench")).select_by_value(str(benches.index("tooleyes") - 1))
            rows = driver.find_elements(By.CSS_SELECTOR, "#items tbody tr")
            if rows:
                rows[0].click()
                time.sleep(0.2)
                driver.execute_script(
                    "var t = document.querySelector('#iv-body .turn'); if (t) { t.scrollIntoView(); }"
                )
                driver.save_screenshot(str(args.out / "item_view_episode.png"))
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    finally:
        driver.quit()
    files = sorted(p.name for p in args.out.glob("*.png"))
    print(
        json.dumps(
            {
                "runs": [str(p) for p in paths],
                "report": str(page),
                "items": stats["items"],
                "report_bytes": stats["bytes"],
                "files": files,
                "console_errors": errors,
            }
        )
    )
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
