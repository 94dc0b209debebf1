"""What does ``import kspec`` cost, and what does the first API call add? Run from the repository root:

    python benchmarks/api_import.py [--runs 9] [--tf-runs 3]

Each row is the median over fresh processes (interpreter start-up included) of:

- ``python -c "pass"``: the interpreter alone, the floor;
- ``python -c "import kspec"``: the package, which loads the API lazily;
- ``import kspec; kspec.load(...).diagnostics``: load and lint ``specs/hello.yaml`` (what
  ``kspec lint`` does), still without TensorFlow;
- ``python -c "import keras"``: the alternative a notebook starts with (TensorFlow backend).

Wall and CPU time (user + system of the child) are both printed; the load average is printed
first, because the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(code: str, runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--tf-runs", type=int, default=3)
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    rows = [
        ("python -c pass", "pass", args.runs),
        ("import kspec", "import kspec", args.runs),
        ("kspec.load(hello).diagnostics", "import kspec; kspec.load('specs/hello.yaml').diagnostics", args.runs),
        ("import keras (TensorFlow)", "import keras", args.tf_runs),
    ]
    results = {}
    print(f"{'what':34} {'wall s':>8} {'cpu s':>8}")
    for label, code, runs in rows:
        wall, cpu = measure(code, runs)
        results[label] = wall
        print(f"{label:34} {wall:8.3f} {cpu:8.3f}")
    base = results["python -c pass"]
    print(f"import kspec over the bare interpreter: {results['import kspec'] - base:.3f} s")
    print(f"import keras / import kspec: {results['import keras (TensorFlow)'] / results['import kspec']:.1f}x")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
