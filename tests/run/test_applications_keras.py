"""The Application layer on Keras: the committed table against the installed Keras, parameter
counts against the built model, weights from a file, and imagenet weights missing offline."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kspec.pipeline import Pipeline

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

SPEC = """\
kspec: 1
name: backbone
data: {{type: npz, path: tiny.npz}}
model:
  input_shape: [96, 96, 3]
  layers:
    - {{type: Application, name: MobileNetV2, alpha: 0.35, include_top: false, pooling: avg, {extra}}}
    - {{type: Dense, units: 2, activation: softmax}}
compile: {{optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}}
train: {{epochs: 1, batch_size: 4, seed: 0, verbose: 0}}
"""


def write_spec(tmp_path: Path, extra: str) -> Path:
    x = np.random.default_rng(0).integers(0, 256, size=(4, 96, 96, 3), dtype=np.uint8)
    np.savez(tmp_path / "tiny.npz", x_train=x, y_train=np.array([0, 1, 0, 1]))
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(extra=extra))
    return path


def counts(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


@pytest.fixture(scope="module")
def keras():
    from kspec.emit.model import keras as load

    return load()


def test_table_lists_every_keras_application_and_is_current(keras):
    from kspec.emit.appgen import APPS, drift
    from kspec.layerdefs.applications import APPLICATIONS

    names = {n for n, f in vars(keras.applications).items() if inspect.isfunction(f) and n[0].isupper()}
    assert names == set(APPLICATIONS) == set(APPS)
    assert drift("MobileNetV2", {"alpha": 0.35}, 96) == []


def test_fine_tune_from_counts_match_keras_and_weights_load_from_a_file(keras, tmp_path):
    from kspec.analyse.shapes import infer
    from kspec.emit.model import build_model

    r = Pipeline(write_spec(tmp_path, "weights: null, trainable: false, fine_tune_from: block_13_expand")).resolved
    plan = infer(r.model.layers, r.input_shape)
    model = build_model(r)
    assert (counts(model.trainable_weights), counts(model.non_trainable_weights)) == (plan.trainable, plan.non_trainable)
    wrapper = model.layers[0]
    base = next(l for l in wrapper.layers if isinstance(l, keras.Model))
    assert base.get_layer("block_13_depthwise").trainable is True  # from block_13_expand on: trainable
    assert base.get_layer("block_13_depthwise_BN").trainable is False  # but BatchNormalization stays frozen
    assert base.get_layer("block_12_project").trainable is False
    plain = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, include_top=False, weights=None)
    start = [l.name for l in plain.layers].index("block_13_expand")
    tuned = sum(counts(l.trainable_weights) for l in plain.layers[start:] if not isinstance(l, keras.layers.BatchNormalization))
    assert plan.trainable == tuned + 1281 * 2 and tuned < sum(counts(l.trainable_weights) for l in plain.layers[start:])
    call = [n for l in wrapper.get_config()["layers"] if l["name"] == base.name for n in l["inbound_nodes"]]
    assert call[0]["kwargs"].get("training") is False  # BatchNormalization in inference mode

    base.save_weights(tmp_path / "backbone.weights.h5")
    r2 = Pipeline(write_spec(tmp_path, "weights: backbone.weights.h5, trainable: false")).resolved
    model2 = build_model(r2)
    base2 = next(l for l in model2.layers[0].layers if isinstance(l, keras.Model))
    for a, b in zip(base.weights, base2.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert counts(model2.trainable_weights) == infer(r2.model.layers, r2.input_shape).trainable == 2 * 1281  # the Dense head only


def test_imagenet_weights_missing_offline_fail_before_training(tmp_path):
    spec = write_spec(tmp_path, "weights: imagenet, trainable: false")
    env = {**os.environ, "KERAS_HOME": str(tmp_path / "keras-home")}
    out = subprocess.run([sys.executable, "-m", "kspec", "run", str(spec), "--out", str(tmp_path / "runs")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    text = out.stdout + out.stderr
    assert out.returncode == 2, text
    assert "model.layers[0].weights" in text and "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5" in text
    assert str(tmp_path / "keras-home" / "models") in text and "Traceback" not in text
    assert "epoch" not in text.lower()


def test_mixed_precision_reaches_the_backbone_and_the_output_stays_float32(keras, tmp_path):
    from kspec.emit.model import build_model

    path = write_spec(tmp_path, "weights: null")
    path.write_text(path.read_text().replace("model:\n", "model:\n  dtype_policy: mixed_float16\n"))
    model = build_model(Pipeline(path).resolved)
    wrapper = model.layers[0]
    base = next(l for l in wrapper.layers if isinstance(l, keras.Model))
    assert {l.dtype_policy.name for l in base.layers[1:]} == {"mixed_float16"}
    assert wrapper.get_layer("mobilenetv2_preprocess").dtype_policy.name == "mixed_float16"
    assert wrapper.output.dtype == "float16"
    assert model.layers[-1].dtype_policy.name == "float32"
    assert "float32" in str(model(np.zeros((1, 96, 96, 3), dtype="float32")).dtype)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored


def test_mobilenet_depth_multiplier_counts_match_keras(keras):
    from kspec.analyse.shapes import infer
    from kspec.layers import Layer
    from pydantic import TypeAdapter

    # 3: a value the table was not built at (it keeps the growth per unit, measured at 1 and 2)
    layer = TypeAdapter(Layer).validate_python({"type": "Application", "name": "MobileNet", "alpha": 0.5,
                                                "depth_multiplier": 3, "weights": None, "include_top": False,
                                                "fine_tune_from": "conv_dw_12"})
    p = infer([layer], (64, 64, 3))
    built = keras.applications.MobileNet(input_shape=(64, 64, 3), alpha=0.5, depth_multiplier=3, weights=None,
                                         include_top=False)
    assert p.layers[0].output_shape == tuple(built.output.shape[1:])
    start = [l.name for l in built.layers].index("conv_dw_12")
    tuned = sum(counts(l.trainable_weights) for l in built.layers[start:]
                if not isinstance(l, keras.layers.BatchNormalization))  # kspec keeps them frozen
    assert (p.trainable, p.non_trainable) == (tuned, built.count_params() - tuned)


def ejected_backbone(keras, path: Path, tmp_path: Path, function: str = "mobilenetv2_layer"):
    """The Application layer the ejected script of ``path`` builds (its ``function`` alone)."""
    import ast

    import kspec

    kspec.load(path).eject(tmp_path / "train.py")
    tree = ast.parse((tmp_path / "train.py").read_text())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    scope = {"keras": keras, "np": np}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), "train.py", "exec"), scope)
    return scope[function]()


def backbone(keras, layer):
    return next(l for l in layer.layers if isinstance(l, keras.Model))


def test_batch_norm_momentum_reaches_every_batch_normalization_built_and_ejected(keras, tmp_path):
    """kspec's model and the ejected script's backbone: every BatchNormalization has the spec's momentum
    (MobileNetV2's own is 0.999), and the parameter counts are those of the backbone without it."""
    from kspec.emit.applications import batch_norm_layers
    from kspec.emit.model import build_model

    plain = build_model(Pipeline(write_spec(tmp_path, "weights: null")).resolved)
    assert {bn.momentum for bn in batch_norm_layers(backbone(keras, plain.layers[0]))} == {0.999}
    path = write_spec(tmp_path, "weights: null, batch_norm_momentum: 0.9")
    model = build_model(Pipeline(path).resolved)
    bns = batch_norm_layers(backbone(keras, model.layers[0]))
    assert len(bns) == 52 and {bn.momentum for bn in bns} == {0.9}
    assert model.count_params() == plain.count_params()
    bns = batch_norm_layers(backbone(keras, ejected_backbone(keras, path, tmp_path)))
    assert len(bns) == 52 and {bn.momentum for bn in bns} == {0.9}


def test_fine_tune_from_keeps_every_batch_normalization_frozen_built_and_ejected(keras, tmp_path):
    from kspec.analyse.shapes import infer
    from kspec.emit.applications import batch_norm_layers
    from kspec.emit.model import build_model

    path = write_spec(tmp_path, "weights: null, fine_tune_from: block_13_expand")
    r = Pipeline(path).resolved
    model = build_model(r)
    ejected = ejected_backbone(keras, path, tmp_path)
    for layer in (model.layers[0], ejected):
        bns = batch_norm_layers(backbone(keras, layer))
        assert len(bns) == 52 and {bn.trainable for bn in bns} == {False}
        assert backbone(keras, layer).get_layer("block_13_expand").trainable is True
    assert counts(ejected.trainable_weights) == counts(model.layers[0].trainable_weights) > 0
    plan = infer(r.model.layers, r.input_shape)
    assert (counts(model.trainable_weights), counts(model.non_trainable_weights)) == (plan.trainable, plan.non_trainable)


def test_ejected_mobilenet_keeps_depth_multiplier_and_the_dropout_of_its_top(keras, tmp_path):
    """Every argument kspec passes to keras.applications reaches the ejected script's call too."""
    from kspec.emit.model import build_model

    path = write_spec(tmp_path, "weights: null")
    path.write_text(path.read_text().replace(
        "name: MobileNetV2, alpha: 0.35, include_top: false, pooling: avg",
        "name: MobileNet, alpha: 0.25, include_top: true, classes: 2, depth_multiplier: 2, dropout: 0.3"))
    path.write_text(path.read_text().replace("    - {type: Dense, units: 2, activation: softmax}\n", ""))
    r = Pipeline(path).resolved
    ours = build_model(r).layers[0]
    ejected = ejected_backbone(keras, path, tmp_path, "mobilenet_layer")
    assert ejected.count_params() == ours.count_params()
    rates = [l.rate for l in backbone(keras, ejected).layers if isinstance(l, keras.layers.Dropout)]
    assert rates == [0.3] == [l.rate for l in backbone(keras, ours).layers if isinstance(l, keras.layers.Dropout)]
