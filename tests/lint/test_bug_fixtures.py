"""The bug corpus (tests/fixtures/bugs): each buggy spec, modelled on a cited public bug report,
raises the codes its ``# Expect:`` line names and no other warning or error; its fixed twin lints
with no warning or error."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUGS = sorted(p for p in (ROOT / "tests" / "fixtures" / "bugs").glob("*.yaml") if not p.name.endswith(".fixed.yaml"))

_spec = importlib.util.spec_from_file_location("bug_recall", ROOT / "benchmarks" / "bug_recall.py")
bug_recall = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bug_recall)


def test_the_corpus_is_there():
    assert len(BUGS) >= 15


@pytest.mark.parametrize("bug", BUGS, ids=lambda p: p.stem)
def test_bug_is_found_and_its_twin_is_clean(bug):
    url, pairs = bug_recall.header(bug)
    assert url.startswith("https://"), f"{bug.name}: no '# Modelled on: URL' line"
    assert pairs, f"{bug.name}: no '# Expect: KSnnn (ROW)' line"
    found = bug_recall.lint(bug)
    codes = {d.code for d in found}
    expect = {code for code, _ in pairs}
    assert expect <= codes, f"{bug.name}: missed {sorted(expect - codes)}; found {[(d.code, d.message) for d in found]}"
    assert bug_recall.serious(found) <= expect, f"{bug.name}: unexpected {sorted(bug_recall.serious(found) - expect)}"
    twin = bug.with_name(bug.stem + ".fixed.yaml")
    assert twin.exists(), f"{bug.name} has no fixed twin"
    alarms = [(d.code, d.message) for d in bug_recall.lint(twin) if d.severity.value in ("error", "warning")]
    assert not alarms, f"{twin.name} is not clean: {alarms}"


def test_recall_script_reports_every_row():
    result = bug_recall.evaluate()
    assert {c["bug"] for c in result["cases"]} == {p.name for p in BUGS}
    assert all(r["expected"] >= 1 for r in result["rows"].values())
