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
    assert layout["ignored"] == ["origin"]

    # kspec predict RUN rows.csv / --row: raw rows, encoded with the layout the run fitted
    from kspec.diagnostics import KspecError
    from kspec.run.predict import predict_run

    rows = m["dir"].parent / "rows.csv"
    rows.write_text("colour,weight_g,diameter_cm,origin\nyellow,118,5.6,spain\norange,190,7.8,spain\n")
    got = predict_run(m["dir"], [str(rows)], rows=["weight_g=165,diameter_cm=7.0,colour=red"])
    assert [r["input"] for r in got.rows] == [f"{rows}:2", f"{rows}:3", "--row 1"]
    assert [r["class_name"] for r in got.rows] == ["lemon", "orange", "apple"]
    with pytest.raises(KspecError, match=r"has no column 'colour'; did you mean 'color'\?"):
        predict_run(m["dir"], [], rows=["weight_g=165,diameter_cm=7.0,color=red"])
    with pytest.raises(KspecError, match=r"a column 'weight' the model was not trained on; did you mean 'weight_g'"):
        predict_run(m["dir"], [], rows=["weight_g=165,diameter_cm=7.0,colour=red,weight=3"])

    from typer.testing import CliRunner

    from kspec.cli import app

    cli = CliRunner().invoke(app, ["predict", str(m["dir"]), "--row", "weight_g=118,diameter_cm=5.6,colour=yellow",
                                   "--row", "weight_g=190,diameter_cm=7.8,colour=orange", "-f", "json"])
    assert cli.exit_code == 0, cli.output
    assert [r["class_name"] for r in json.loads(cli.stdout)["predictions"]] == ["lemon", "orange"]
    bad = CliRunner().invoke(app, ["predict", str(m["dir"]), "--row", "weight_g=118,diameter=5.6,colour=yellow"])
    assert bad.exit_code == 2 and "did you mean 'diameter'" in bad.output and "Traceback" not in bad.output


@pytest.mark.heavy
def test_house_price_regression(tmp_path):
    m = run("table_houses.yaml", tmp_path)
    assert m["mae"] < 15.0  # the generator's noise has a standard deviation of 15 (MAE about 12)
