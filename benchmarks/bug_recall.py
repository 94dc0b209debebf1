"""Recall and false alarms of ``kspec lint`` on the bug corpus, by catalogue row. Run from the
repository root:

    python benchmarks/bug_recall.py [--json]

Each ``tests/fixtures/bugs/NAME.yaml`` is a buggy spec modelled on a public bug report (its URL
in the ``# Modelled on:`` comment), with the codes that must find it and the row of
``lint-catalogue.md`` each stands for (``# Expect: KS301 (C1), KS402 (D2)``). ``NAME.fixed.yaml``
is its fixed twin. For every row the script counts:

- found: expected codes that the buggy spec raises (recall = found / expected);
- false alarms: warnings or errors on a fixed twin, and warnings or errors on a buggy spec that
  its ``# Expect:`` line does not list.

Infos are advice and never count as false alarms. Nothing here trains a model or needs TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUGS = ROOT / "tests" / "fixtures" / "bugs"
sys.path.insert(0, str(ROOT))


def header(path: Path) -> tuple[str, list[tuple[str, str]]]:
    """(URL, [(code, row), ...]) from the ``# Modelled on:`` and ``# Expect:`` comments."""
    url, expect = "?", []
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"#\s*Modelled on:\s*(\S+)", line):
            url = m.group(1)
        elif m := re.match(r"#\s*Expect:\s*(.*)", line):
            expect = re.findall(r"(KS\d{3}) \(([A-J]\d+)\)", m.group(1))
    return url, expect


def lint(path: Path) -> list:
    from kspec.pipeline import Pipeline

    return Pipeline(text=path.read_text(encoding="utf-8"), file=str(path), base_dir=path.parent).diagnostics


def serious(diagnostics) -> set[str]:
    return {d.code for d in diagnostics if d.severity.value in ("error", "warning")}


def evaluate() -> dict:
    rows: dict[str, dict] = defaultdict(lambda: {"expected": 0, "found": 0, "false_alarms": 0, "bugs": []})
    cases = []
    for bug in sorted(BUGS.glob("*.yaml")):
        if bug.name.endswith(".fixed.yaml"):
            continue
        url, pairs = header(bug)
        expect = {code for code, _ in pairs}
        diagnostics = lint(bug)
        found = {d.code for d in diagnostics}
        unexpected = serious(diagnostics) - expect
        twin = bug.with_name(bug.stem + ".fixed.yaml")
        twin_alarms = sorted(serious(lint(twin))) if twin.exists() else []
        case = {"bug": bug.name, "url": url, "expect": [f"{c} ({r})" for c, r in pairs],
                "missed": sorted(expect - found), "unexpected": sorted(unexpected),
                "twin": twin.name if twin.exists() else None, "twin_alarms": twin_alarms}
        cases.append(case)
        for code, row in pairs:
            r = rows[row]
            r["expected"] += 1
            r["found"] += code in found
            if bug.stem not in r["bugs"]:
                r["bugs"].append(bug.stem)
        for row in {row for _, row in pairs}:  # a false alarm counts against every row the bug stands for
            rows[row]["false_alarms"] += len(unexpected) + len(twin_alarms)
    return {"cases": cases, "rows": dict(sorted(rows.items(), key=lambda kv: (kv[0][0], int(kv[0][1:]))))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    result = evaluate()
    if ap.parse_args().json:
        print(json.dumps(result, indent=2))
        return 0
    cases, rows = result["cases"], result["rows"]
    print(f"kspec lint on {len(cases)} buggy specs and {sum(1 for c in cases if c['twin'])} fixed twins "
          f"({BUGS.relative_to(ROOT)})\n")
    print(f"  {'row':<5} {'found':>5} / {'expected':<8} {'recall':>7}  {'false alarms':>12}  bugs")
    for row, r in rows.items():
        recall = r["found"] / r["expected"] if r["expected"] else 1.0
        print(f"  {row:<5} {r['found']:>5} / {r['expected']:<8} {recall:>7.0%}  {r['false_alarms']:>12}  "
              f"{', '.join(r['bugs'])}")
    expected = sum(len(c["expect"]) for c in cases)
    missed = sum(len(c["missed"]) for c in cases)
    alarms = sum(len(c["unexpected"]) + len(c["twin_alarms"]) for c in cases)
    caught = sum(1 for c in cases if not c["missed"])
    print(f"\n  bugs caught (every expected code raised): {caught} of {len(cases)}; expected codes raised: "
          f"{expected - missed} of {expected}; false alarms (warnings or errors): {alarms}")
    for c in cases:
        if c["missed"] or c["unexpected"] or c["twin_alarms"]:
            print(f"  - {c['bug']}: missed {c['missed']}, unexpected {c['unexpected']}, on the twin {c['twin_alarms']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
