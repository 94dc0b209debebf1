"""``kspec lint --probe``: the initial-loss probe (KS908) and the single-batch probe (KS909) on
tiny specs, reported like lint findings; without TensorFlow, exit 2 with a clear message."""

from __future__ import annotations

import json
import math

import pytest

from kspec.analyse.view import build
from kspec.lintcmd import parse_lint_args, run_lint
from kspec.pipeline import Pipeline

SPEC = """\
kspec: 1
name: {name}
data: {{type: synthetic, samples: 64, image_size: 8{rescale}}}
model:
  layers:
    - {{type: Flatten}}
    - {{type: Dense, units: 4, activation: softmax}}
compile:
  optimizer: {optimizer}
  loss: sparse_categorical_crossentropy
train: {{epochs: 1, batch_size: 16, seed: 0}}
"""


def spec(name: str, rescale: bool = True, optimizer: str = "adam") -> str:
    return SPEC.format(name=name, rescale=", rescale: 1/255" if rescale else "", optimizer=optimizer)


@pytest.mark.slow
def test_probe_reports_unscaled_pixels_and_a_learning_rate_that_cannot_fit_one_batch(tmp_path, capsys):
    (tmp_path / "good.yaml").write_text(spec("good"))
    (tmp_path / "pixels.yaml").write_text(spec("pixels", rescale=False))
    (tmp_path / "slow.yaml").write_text(spec("slow", optimizer="{type: sgd, learning_rate: 0.0000001}"))
    code = run_lint([str(tmp_path)], format="json", fail_on="warning", probe=True)
    out = json.loads(capsys.readouterr().out)
    found = {(d["span"]["file"].rsplit("/", 1)[-1], d["code"]): d for d in out["diagnostics"]
             if d["code"] in ("KS908", "KS909")}
    assert code == 1
    assert set(found) == {("pixels.yaml", "KS908"), ("slow.yaml", "KS909")}  # the good spec is clean
    first = found["pixels.yaml", "KS908"]
    assert first["path"] == "data" and "rescale: 1/255" in first["hint"]
    assert first["data"]["expected"] == pytest.approx(math.log(4)) and first["data"]["initial_loss"] > 10
    assert "ln(4) = 1.386" in first["message"]
    fit = found["slow.yaml", "KS909"]
    assert fit["path"] == "compile.optimizer.learning_rate" and fit["span"]["line"] == 9
    assert fit["data"]["steps"] == 300 and fit["data"]["samples"] == 16
    assert fit["data"]["after"] > 0.5 * fit["data"]["before"]
    assert {r["path"] for r in fit["related"]} == {"compile.loss", "model.layers[1]"}


def test_probe_without_tensorflow_is_a_clean_usage_error(tmp_path, capsys, monkeypatch):
    from kspec.run import probe

    monkeypatch.setattr(probe, "available", lambda: False)
    (tmp_path / "good.yaml").write_text(spec("good"))
    assert run_lint([str(tmp_path / "good.yaml")], probe=True) == 2
    err = capsys.readouterr().err
    assert "--probe" in err and 'pip install "kspec[train]"' in err and "Traceback" not in err


def test_the_fast_option_reader_knows_probe():
    assert parse_lint_args(["--probe", "a.yaml"])["probe"] is True
    assert "probe" not in parse_lint_args(["a.yaml"])


@pytest.mark.parametrize("head, loss, expected", [
    ("{type: Dense, units: 4, activation: softmax}", "sparse_categorical_crossentropy", math.log(4)),
    ("{type: Dense, units: 1, activation: sigmoid}", "binary_crossentropy", math.log(2)),
    ("{type: Dense, units: 3}", "{type: categorical_crossentropy, from_logits: true}", math.log(3)),
    ("{type: Dense, units: 3, activation: softmax}", "{type: categorical_crossentropy, from_logits: true}", None),
    ("{type: Dense, units: 1}", "mean_squared_error", None),
])
def test_the_initial_loss_reference_is_ln_k_for_classifiers_only(head, loss, expected):
    from kspec.run.probe import expected_initial_loss

    text = (f"kspec: 1\ndata: {{type: arrays, x: [[0.0], [1.0]], y: [0, 1]}}\nmodel:\n  input_shape: [1]\n"
            f"  layers:\n    - {head}\ncompile: {{optimizer: adam, loss: {loss}}}\n")
    p = Pipeline(text=text, file="s.yaml")
    got = expected_initial_loss(build(p.resolved.model.layers, p.plan, p.resolved.compile.loss, p.resolved.facts))
    assert (got[0] if got else None) == (pytest.approx(expected) if expected else None)


def test_the_loss_brings_labels_to_the_outputs_rank_as_training_does():
    pytest.importorskip("keras")
    import numpy as np

    from kspec.run.dynamics import loss_function

    text = ("kspec: 1\ndata: {type: arrays, x: [[0.0], [1.0], [2.0]], y: [1.0, 2.0, 4.0]}\nmodel:\n  input_shape: [1]\n"
            "  layers: [{type: Dense, units: 1}]\ncompile: {optimizer: adam, loss: mean_squared_error}\n")
    mse = loss_function(Pipeline(text=text, file="s.yaml").resolved)
    y, out = np.array([1.0, 2.0, 4.0]), np.array([[1.0], [2.0], [3.0]], dtype="float32")
    assert float(mse(y, out)) == pytest.approx(1 / 3)  # not the (3, 3) broadcast's mean
