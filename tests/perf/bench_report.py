"""Time the HTML report on a synthetic large run: build time, file size, and load/filter/open times in
headless chromium (when installed).

Run: ``python tests/perf/bench_report.py [--items 20000]``. Prints ONE JSON object. Items look like
RoTBench records with a 3 KB prompt shared by groups of 50 items (interned) and a 300-character output.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))

from runbuilder import write_items_run  # noqa: E402

from tlbench.report.html import write_report  # noqa: E402
from tlbench.report.runs import load_runs  # noqa: E402


def _records(n: int) -> list[dict]:
    return [
        {
            "id": str(i),
            "index": i,
            "scenario": f"S{i % 7}",
            "ts": i % 2 == 0,
            "pi": i % 4 == 0,
            "cf": i % 8 == 0,
            "correct": i % 8 == 0,
            "parsed": True,
            "calls": [{"name": f"tool_{i % 13}", "arguments": {"n": i}}],
            "categories": ["correct"] if i % 8 == 0 else ["content_error"],
            "prompt": [{"role": "system", "content": f"group {i // 50} " + "x" * 3000}],
            "output": "Thought: " + "y" * 250 + f'\nAction: tool_{i % 13}\nAction Input: {{"n": {i}}}',
            "gold": [{"name": f"tool_{i % 13}", "arguments": {"n": i + 1}}],
        }
        for i in range(n)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=20000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        run = write_items_run(tmp, "big", "rotbench-first-clean", _records(args.items))
        t0 = time.perf_counter()
        page, stats = write_report(load_runs([run]), tmp / "out")
        out = {"items": args.items, "build_s": round(time.perf_counter() - t0, 2), "bytes": stats["bytes"]}
        chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
        if chromium and driver_path:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
            from selenium.webdriver.support.ui import Select

            opts = webdriver.ChromeOptions()
            opts.binary_location = chromium
            for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
                opts.add_argument(flag)
            driver = webdriver.Chrome(service=Service(driver_path), options=opts)
            try:
                t0 = time.perf_counter()
                driver.get(page.as_uri())
                out["load_s"] = round(time.perf_counter() - t0, 2)
                t0 = time.perf_counter()
                Select(driver.find_element("id", "f-correct")).select_by_value("1")
                out["count_after_filter"] = driver.find_element("id", "count").text
                out["filter_s"] = round(time.perf_counter() - t0, 3)
                t0 = time.perf_counter()
                driver.find_elements("css selector", "#items tbody tr")[0].click()
                driver.find_element("id", "item-view").text  # noqa: B018 - wait for the view
                out["open_item_s"] = round(time.perf_counter() - t0, 3)
            finally:
                driver.quit()
        print(json.dumps(out))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
