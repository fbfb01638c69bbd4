"""How long the HTML report of a study of N trials (default 50,000) takes to write and to open, and its size.

Builds the study of ``bench_open.py`` (same SQLite file, same trials), then in one run measures:

* writing: ``load_study`` + ``write_report`` (what ``tunelab report`` does), median of ``--repeat``;
* the report's size, with plotly.js inlined (the default) and, where ``write_report`` offers it,
  with plotly.js written once beside the report (``include_plotlyjs="directory"``);
* when Debian's chromium and chromedriver are installed: headless Chromium from opening the file
  until every figure of the page is drawn (repeated).

Usage: ``python benchmarks/dashboard/bench_report.py [--trials 50000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_open import build  # noqa: E402

import tunelab  # noqa: E402
from tunelab.reporting import write_report  # noqa: E402

#: True once every figure box of the report holds a drawn plotly figure.
DRAWN = ("const boxes = [...document.querySelectorAll('.fig')];"
         "return boxes.length > 0 && boxes.every(b => b.querySelector('.main-svg'));")


def write(url: str, path: Path, **kwargs: object) -> float:
    t = time.perf_counter()
    study = tunelab.load_study(study_name="big", storage=url)
    write_report(study, path, **kwargs)
    return time.perf_counter() - t


def browser_opens(paths: list[Path], repeat: int) -> dict[Path, list[float]] | None:
    if not (os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver")):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1400,1000", "--allow-file-access-from-files",
                 f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(120)
    out: dict[Path, list[float]] = {}
    try:
        for path in paths:
            times = []
            for _ in range(repeat):
                driver.get("about:blank")
                t = time.perf_counter()
                driver.get(path.resolve().as_uri())
                while not driver.execute_script(DRAWN):
                    if time.perf_counter() - t > 120:
                        raise RuntimeError(f"{path}: the figures were not drawn in 120 s")
                    time.sleep(0.02)
                times.append(time.perf_counter() - t)
            out[path] = times
    finally:
        driver.quit()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tunelab-bench-report-"))
    t = time.perf_counter()
    url = build(str(folder / "big.db"), args.trials)
    print(f"built {args.trials} trials in {time.perf_counter() - t:.1f} s")

    variants = {"plotly.js inlined": (folder / "inline" / "report.html", {})}
    if "include_plotlyjs" in inspect.signature(write_report).parameters:
        variants["plotly.js beside it"] = (folder / "beside" / "report.html", {"include_plotlyjs": "directory"})
    med = statistics.median
    print(f"\n{'measure (N=' + str(args.trials) + ')':<58}{'value':>12}")
    for label, (path, kwargs) in variants.items():
        secs = [write(url, path, **kwargs) for _ in range(args.repeat)]
        print(f"{'write (load_study + write_report), ' + label + ', median':<58}{med(secs):>10.2f} s")
        files = [p for p in path.parent.iterdir() if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        print(f"{'size, ' + label + ' (' + ', '.join(sorted(p.name for p in files)) + ')':<58}"
              f"{total / 1e6:>9.2f} MB")
        if len(files) > 1:
            print(f"{'  of which report.html':<58}{path.stat().st_size / 1e6:>9.2f} MB")
    found = browser_opens([path for path, _ in variants.values()], args.repeat)
    if found is None:
        print("browser: chromium/chromedriver not installed, skipped")
        return
    print("\nheadless Chromium, from opening the file until every figure is drawn:")
    for label, (path, _) in variants.items():
        times = found[path]
        print(f"  {label:<30} first {times[0]:.2f} s, median of {len(times)} {med(times):.2f} s")


if __name__ == "__main__":
    sys.exit(main())
