"""Two runs of the same spec with the same seed, in separate processes on the same machine, give
the same history; ``kspec diff`` finds nothing but what should differ."""

from __future__ import annotations

import json

import pytest

from .helpers import TINY_CNN, history, kspec_cmd, write_spec

pytestmark = [pytest.mark.slow, pytest.mark.heavy]


def test_two_seeded_runs_in_separate_processes_are_identical(tmp_path):
    spec = write_spec(tmp_path, TINY_CNN.replace("epochs: 2", "epochs: 3"))
    for _ in range(2):
        res = kspec_cmd("run", str(spec), "--out", str(tmp_path / "runs"), "-q")
        assert res.returncode == 0, res.stdout + res.stderr
    a, b = sorted((tmp_path / "runs").iterdir())
    assert history(a) == history(b)
    assert json.loads((a / "metrics.json").read_text()) == json.loads((b / "metrics.json").read_text())
    res = kspec_cmd("diff", str(a), str(b))
    assert res.returncode == 0 and "do not differ" in res.stdout, res.stdout
    other = kspec_cmd("run", str(spec), "--out", str(tmp_path / "other"), "-q", "--seed", "1")
    assert other.returncode == 0
    [c] = list((tmp_path / "other").iterdir())
    assert history(c) != history(a)
    res = kspec_cmd("diff", str(a), str(c))
    assert res.returncode == 1 and "seed" in res.stdout and "final loss" in res.stdout
