"""The fuzz suite, bounded for CI: mutations of every shipped spec (as text and as data), linted as
``kspec lint FILE`` does. No traceback, no internal error, no finding without a place, no exit code
but 0/1/2, no slow case. ``benchmarks/fuzz.py`` runs the same cases by the ten thousand."""

from __future__ import annotations

from tests import fuzzing

CASES = 800  # 39 s measured on the shared 2-core machine; benchmarks/fuzz.py runs 10,000+


def test_fuzzed_specs_end_in_a_located_finding_or_a_clean_exit(tmp_path):
    report = fuzzing.run(CASES, seed=13, folder=tmp_path, slow_s=10.0)
    assert report.cases == CASES
    assert report.ok(), report.summary()
    assert report.exits.get(2, 0) and report.exits.get(0, 0) + report.exits.get(1, 0), report.summary()
