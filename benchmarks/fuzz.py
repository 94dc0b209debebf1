"""Fuzz kspec's front end: mutated specs (``tests/fuzzing.py``), linted in process as ``kspec lint``.

    python benchmarks/fuzz.py                    # 10,000 cases, seed 0
    python benchmarks/fuzz.py --cases 50000 --seed 7 --json fuzz.json

Reports tracebacks, KS000 internal errors, findings without a place, exit codes other than 0/1/2
and cases slower than --slow seconds, with the first case of each kind; exit 1 if any.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import fuzzing  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--slow", type=float, default=5.0, help="seconds after which a case counts as slow")
    ap.add_argument("--json", type=Path, help="write the report as JSON here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report = fuzzing.run(args.cases, args.seed, Path(folder), slow_s=args.slow,
                             progress=lambda r: print(r.summary().splitlines()[0], flush=True))
    print(report.summary())
    for kind, found in report.problems.items():
        for case in found[:3]:
            print(f"\n=== {kind}\n{case}")
    if args.json:
        args.json.write_text(json.dumps({"cases": report.cases, "seconds": report.seconds, "exits": report.exits,
                                         "problems": {k: len(v) for k, v in report.problems.items()},
                                         "first": {k: v[:1] for k, v in report.problems.items()}}, indent=2))
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
