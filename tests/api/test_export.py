"""`kspec export`: SavedModel, TensorFlow Lite (optionally quantised) and ONNX, each loaded back
here and compared with the Keras model's predictions within the stated tolerance."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from kspec.cli import app
from kspec.export import TOLERANCE, sample_inputs

pytest.importorskip("tensorflow")

TINY = """\
kspec: 1
name: tiny-export
data: {type: synthetic, samples: 48, test_samples: 8, image_size: 12, rescale: 1/255}
model:
  layers:
    - {type: Conv2D, filters: 4, kernel_size: 3, activation: relu}
    - {type: Flatten}
    - {type: Dense, units: 32, activation: relu}
    - {type: Dense, units: 4, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
train: {epochs: 1, batch_size: 16, seed: 0, verbose: 0}
evaluate: false
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import kspec

    tmp = tmp_path_factory.mktemp("export")
    return kspec.load(TINY).run(out=tmp, quiet=True)


def export(run, *args):
    result = CliRunner().invoke(app, ["export", str(run.path), *args])
    assert result.exit_code == 0, result.output
    return result.output


def expected(run):
    x = sample_inputs(run.model, 5, seed=1)
    return x, np.asarray(run.model.predict(x, verbose=0))


@pytest.mark.slow
def test_savedmodel(run):
    import tensorflow as tf

    out = export(run, "--format", "savedmodel")
    assert "differ from the Keras model's by at most" in out
    x, want = expected(run)
    loaded = tf.saved_model.load(str(run.path / "export" / "savedmodel"))  # kept: its variables live in it
    got = np.asarray(loaded.serve(tf.constant(x)))
    assert np.max(np.abs(got - want)) <= TOLERANCE["savedmodel"]


@pytest.mark.slow
def test_tflite_float_and_quantised(run):
    from kspec.export import run_tflite

    export(run, "--format", "tflite")
    export(run, "--format", "tflite", "--quantize")
    x, want = expected(run)
    plain, quant = run.path / "export" / "model.tflite", run.path / "export" / "model_quant.tflite"
    assert np.max(np.abs(run_tflite(plain, x) - want)) <= TOLERANCE["tflite"]
    assert np.max(np.abs(run_tflite(quant, x) - want)) <= TOLERANCE["tflite-quantized"]
    assert quant.stat().st_size < plain.stat().st_size * 0.6, "int8 weights: a smaller file"


@pytest.mark.slow
def test_onnx(run, tmp_path):
    pytest.importorskip("tf2onnx")
    ort = pytest.importorskip("onnxruntime")
    target = tmp_path / "m.onnx"
    export(run, "--format", "onnx", "-o", str(target))
    x, want = expected(run)
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert np.max(np.abs(got - want)) <= TOLERANCE["onnx"]


def test_export_usage_errors(tmp_path):
    result = CliRunner().invoke(app, ["export", str(tmp_path), "--format", "savedmodel"])
    assert result.exit_code == 2 and "not a kspec run directory" in result.output
    result = CliRunner().invoke(app, ["export", str(tmp_path), "--format", "coreml"])
    assert result.exit_code == 2
