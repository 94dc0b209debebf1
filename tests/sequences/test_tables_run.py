"""The table example specs train and reach their documented figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SPECS

pytest.importorskip("keras")
pytestmark = pytest.mark.slow

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}


def run(spec: str, out) -> dict:
    done = subprocess.run([sys.executable, "-m", "kspec.cli", "run", str(SPECS / spec), "--out", str(out), "-q"],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr + done.stdout
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return {"dir": run_dir, **json.loads((run_dir / "metrics.json").read_text())}


def test_fruit_classification(tmp_path):
    m = run("table_fruit.yaml", tmp_path)
    assert m["accuracy"] >= 0.88
    layout = json.loads((m["dir"] / "table.json").read_text())
    assert layout["classes"] == ["apple", "lemon", "orange"] and "origin" not in layout["features"]


def test_house_price_regression(tmp_path):
    m = run("table_houses.yaml", tmp_path)
    assert m["mae"] < 15.0  # the generator's noise has a standard deviation of 15 (MAE about 12)
