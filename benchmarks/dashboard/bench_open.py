"""How long a study of N trials (default 50,000) takes to open in the dashboard.

Builds an SQLite study of N finished trials (5 parameters, 10 intermediate values each, a stored
schedule, a worker attribute; 20% pruned) by bulk insert, then in one run measures:

* the dashboard API calls the study page makes, cold (first open: the study's rows are read) and
  warm (a second page, or a poll), and a sort of the whole table by value;
* the peer: reading the same study through the storage API (``get_all_trials``, whole
  FrozenTrials), which is what a dashboard built on the storage interface would do first;
* when Debian's chromium and chromedriver are installed: headless Chromium from navigation to
  every plot drawn on the study page (repeated), and a live poll that brings in one new trial.

Usage: ``python benchmarks/dashboard/bench_open.py [--trials 50000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from typing import Any

import tunelab
from tunelab import TrialState
from tunelab.dashboard import make_server
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.storage import get_storage

PAGE_CALLS = ("", "/history?objective=0", "/parallel?top=100", "/importance", "/intermediate", "/timeline", "/families",
              "/trials?sort=number&desc=1&limit=50", "/lr?trials=0,1,2,3,4")


def build(path: str, n: int) -> str:
    url = f"sqlite:///{path}"
    tunelab.create_study(storage=url, study_name="big")
    dists = {"lr": FloatDistribution(1e-5, 1e-1, log=True), "momentum": FloatDistribution(0.0, 0.99),
             "width": IntDistribution(16, 1024, log=True), "layers": IntDistribution(1, 8),
             "opt": CategoricalDistribution(["sgd", "adam", "adamw"])}
    rng = random.Random(0)
    con = sqlite3.connect(path)
    t0 = time.time() - n * 2.0
    trials, params, inter, attrs = [], [], [], []
    for i in range(n):
        tid = i + 1
        pruned = rng.random() < 0.2
        p = {"lr": 10 ** rng.uniform(-5, -1), "momentum": rng.uniform(0, 0.99), "width": rng.randint(16, 1024),
             "layers": rng.randint(1, 8), "opt": rng.randrange(3)}
        value = abs(p["lr"] - 1e-3) * 100 + rng.random()
        start = t0 + i * 2.0
        trials.append((tid, 1, i, 2 if pruned else 1, None if pruned else value,
                       None if pruned else json.dumps([value]), start, start + 1.5 + rng.random()))
        params += [(tid, k, float(v), dists[k].to_json()) for k, v in p.items()]
        inter += [(tid, s, value + 1.0 / (s + 1)) for s in range(4 if pruned else 10)]
        attrs.append((tid, "user", "worker", json.dumps(f"gpu{i % 8}")))
        attrs.append((tid, "core", "schedule:lr", json.dumps(
            {"family": "ExponentialDecay", "args": {"initial_learning_rate": p["lr"], "decay_steps": 100,
                                                    "decay_rate": 0.9, "staircase": False}})))
    con.executemany("INSERT INTO tunelab_trials (trial_id, study_id, number, state, value, values_json, "
                    "datetime_start, datetime_complete) VALUES (?,?,?,?,?,?,?,?)", trials)
    con.executemany("INSERT INTO tunelab_trial_params VALUES (?,?,?,?)", params)
    con.executemany("INSERT INTO tunelab_trial_intermediate VALUES (?,?,?)", inter)
    con.executemany("INSERT INTO tunelab_trial_attrs VALUES (?,?,?,?)", attrs)
    con.execute("UPDATE tunelab_studies SET n_trials = ?", (n,))
    con.commit()
    con.close()
    return url


def fetch(base: str, path: str) -> float:
    t = time.perf_counter()
    with urllib.request.urlopen(base + path) as response:
        response.read()
    return time.perf_counter() - t


def open_page(base: str) -> float:
    """Every call the study page makes, in parallel as the page does; wall time until the last answers."""
    t = time.perf_counter()
    threads = [threading.Thread(target=fetch, args=(base, f"/api/studies/1{c}")) for c in PAGE_CALLS]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t


def browser_open(driver, base: str) -> float:
    """Seconds from asking for the study page (plotly already loaded) until every plot is drawn."""
    driver.get(base + "/#/")
    while driver.execute_script("return document.body.dataset.ready") != "1":
        time.sleep(0.02)
    t = time.perf_counter()
    driver.execute_script("location.hash = '#/study/1'")
    while driver.execute_script("return document.body.dataset.ready") != "1":
        time.sleep(0.02)
    return time.perf_counter() - t


def browser_times(url: str, repeat: int) -> dict[str, Any] | None:
    if not (os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver")):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1400,1000", f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    out: dict[str, Any] = {}
    try:
        cold = make_server(url, port=0, preload=False)  # nothing read yet: the open reads the study
        threading.Thread(target=cold.serve_forever, daemon=True).start()
        out["cold"] = browser_open(driver, f"http://127.0.0.1:{cold.server_address[1]}")
        out["again"] = [browser_open(driver, f"http://127.0.0.1:{cold.server_address[1]}") for _ in range(repeat)]
        cold.shutdown()
        started = make_server(url, port=0, preload=False)  # what `tunelab dashboard` does: read at start
        t = time.perf_counter()
        started.app.preload()
        out["preload"] = time.perf_counter() - t
        threading.Thread(target=started.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{started.server_address[1]}"
        out["after_preload"] = browser_open(driver, base)
        storage = get_storage(url)
        t = time.perf_counter()
        number = storage.create_trial(1, state=TrialState.COMPLETE, values=(0.001,)).number
        while not driver.execute_script(f"return !!document.querySelector('tr[data-number=\"{number}\"]')"):
            time.sleep(0.05)
        out["live"] = time.perf_counter() - t
        started.shutdown()
    finally:
        driver.quit()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="tunelab-bench-")
    t = time.perf_counter()
    url = build(os.path.join(folder, "big.db"), args.trials)
    print(f"built {args.trials} trials in {time.perf_counter() - t:.1f} s")

    server = make_server(url, port=0, preload=False)  # cold: the first open reads the study
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    cold = open_page(base)
    warm = [open_page(base) for _ in range(args.repeat)]
    sort = [fetch(base, "/api/studies/1/trials?sort=value&desc=0&offset=20000&limit=50") for _ in range(args.repeat)]
    poll = [fetch(base, "/api/studies/1/updates?since=999999999") for _ in range(args.repeat)]
    peer = []
    for _ in range(args.repeat):
        storage = get_storage(url)
        t = time.perf_counter()
        storage.get_all_trials(1)
        peer.append(time.perf_counter() - t)
        storage.close()

    med = statistics.median
    print(f"\n{'measure (N=' + str(args.trials) + ')':<58}{'seconds':>10}")
    rows = [("dashboard API, study page, first open (cold)", cold),
            ("dashboard API, study page, again (warm, median)", med(warm)),
            ("dashboard API, table sorted by value, page 400 (median)", med(sort)),
            ("dashboard API, live poll with nothing new (median)", med(poll)),
            ("peer: storage.get_all_trials, whole trials (median)", med(peer))]
    for label, secs in rows:
        print(f"{label:<58}{secs:>10.3f}")
    print(f"\nratio peer read / dashboard cold open: {med(peer) / cold:.1f}x")
    found = browser_times(url, args.repeat)
    if found is None:
        print("browser: chromium/chromedriver not installed, skipped")
    else:
        print("\nheadless Chromium, study page from the click until every plot is drawn:")
        print(f"  server has not read the study yet (cold):            {found['cold']:.2f} s")
        print(f"  again, same server (median of {args.repeat}):                  {med(found['again']):.2f} s")
        print(f"  server read every study at start ({found['preload']:.2f} s), first open: {found['after_preload']:.2f} s")
        print(f"  a trial written to the storage appears in the table: {found['live']:.2f} s (the page polls every 2 s)")
    server.shutdown()

if __name__ == "__main__":
    sys.exit(main())
