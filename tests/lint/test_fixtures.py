"""Fixture specs under tests/fixtures/lint/ carry their expected findings inline:

    - {type: Dense, units: 8, activation: softmax}  # expect: KS201

on the line each finding must point at (several codes: ``# expect: KS202, KS209``). A composed
spec's part files carry the expectations for findings inside them. A fixture with no
``# expect:`` comment is a near miss and must lint clean. The test compares the sets of
(file, line, code) and prints what is missing and what is unexpected.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kspec.pipeline import Pipeline

from .helpers import LINT_FIXTURES

_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9,\s]+?)\s*(?:#|$)")

FIXTURES = sorted(p for p in LINT_FIXTURES.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


def expectations(file: str, text: str) -> set[tuple[str, int, str]]:
    out = set()
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _EXPECT.search(line)
        if m:
            for code in m.group(1).split(","):
                if code.strip():
                    out.add((file, lineno, code.strip()))
    return out


def _short(file: str) -> str:
    try:
        return Path(file).resolve().relative_to(LINT_FIXTURES).as_posix()
    except ValueError:
        return file


def diff(expected: set, found: dict) -> str:
    lines = []
    missing = sorted(expected - set(found))
    extra = sorted(set(found) - expected)
    if missing:
        lines.append("expected but not found:")
        lines += [f"  {_short(f)}:{line}: {code}" for f, line, code in missing]
    if extra:
        lines.append("found but not expected:")
        lines += [f"  {_short(f)}:{line}: {code} {found[(f, line, code)]}" for f, line, code in extra]
    return "\n".join(lines)


def test_fixtures_exist():
    assert len(FIXTURES) >= 10
    assert any(not expectations(str(p), p.read_text()) for p in FIXTURES), "no near-miss fixture"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_fixture(fixture: Path):
    p = Pipeline(fixture)
    diagnostics = p.diagnostics
    expected: set = set()
    for file, text in p.document.sources.items():
        expected |= expectations(file, text)
    found = {}
    for d in diagnostics:
        assert d.span is not None, f"{d.code} has no location: {d.message}"
        found.setdefault((d.span.file, d.span.line, d.code), f"{d.name}: {d.message}")
    report = diff(expected, found)
    assert not report, f"\n{fixture.name}:\n{report}"


def test_diff_is_readable():
    text = diff({("a.yaml", 3, "KS201")}, {("a.yaml", 4, "KS202"): "softmax-single-unit: softmax over one unit"})
    assert text == ("expected but not found:\n  a.yaml:3: KS201\n"
                    "found but not expected:\n  a.yaml:4: KS202 softmax-single-unit: softmax over one unit")
