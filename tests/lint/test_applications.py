"""The Application layer without TensorFlow: shapes and parameter counts from the committed
table, fine_tune_from, and the mistakes a user makes with a pretrained backbone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pydantic import TypeAdapter

from kspec.analyse.shapes import infer
from kspec.layerdefs.applications import APPLICATIONS, backbone_layers, batch_norm_indices, chain_output, table
from kspec.layers import Layer

from .helpers import lint_fragment

ROOT = Path(__file__).resolve().parents[2]
LAYER = TypeAdapter(Layer)
CIFAR = "data: {type: keras, name: cifar10}\n"


def app(**kw):
    return LAYER.validate_python({"type": "Application", "name": "MobileNetV2", "alpha": 0.35, "weights": None,
                                  "include_top": False, **kw})


def plan(layer, shape):
    p = infer([layer], shape)
    assert p.error is None, p.error
    return p.layers[0].output_shape, p.layers[0].trainable, p.layers[0].non_trainable


def found(fragment: str):
    return [(d.code, d.path, d.message, d.hint) for d in lint_fragment(fragment)]


def test_the_table_covers_every_application():
    assert sorted(table()) == sorted(APPLICATIONS)
    for name, entry in table().items():
        assert entry["min_size"] >= 32 and entry["variants"] and entry["ops"], name


def test_mobilenetv2_shapes_and_counts_as_keras_summary_gives_them():
    # Keras 3.15: MobileNetV2(alpha=0.35, include_top=False, weights=None): 410,208 params, 14,080 non-trainable
    assert plan(app(), (96, 96, 3)) == ((3, 3, 1280), 396128, 14080)
    assert plan(app(pooling="avg"), (96, 96, 3)) == ((1280,), 396128, 14080)
    assert plan(app(pooling="max"), (100, 130, 3))[0] == (1280,)
    assert plan(app(), (100, 130, 3))[0] == (4, 5, 1280)  # ceil(100/32), ceil(130/32)
    assert plan(app(trainable=False), (96, 96, 3)) == ((3, 3, 1280), 0, 410208)
    assert plan(app(include_top=True, classes=5), (96, 96, 3)) == ((5,), 396128 + 1281 * 5, 14080)


def test_fine_tune_from_splits_trainable_from_frozen():
    names, per_layer = backbone_layers("MobileNetV2", 0.35)
    i = names.index("block_13_expand")
    bn = batch_norm_indices("MobileNetV2", 0.35)
    assert len(bn) == 52 and names[bn[0]] == "bn_Conv1" and all("bn" in names[j].lower() for j in bn)
    shape, trainable, frozen = plan(app(fine_tune_from="block_13_expand", trainable=False), (96, 96, 3))
    # the BatchNormalization layers from block_13_expand on stay frozen: their gamma and beta too
    bn_after = sum(per_layer[j] for j in bn if j >= i)
    # gamma and beta of blocks 13 (192, 192, 56 channels), 14, 15 (336, 336, 56), 16 (336, 336, 112), Conv_1 (1280)
    assert bn_after == 2 * (192 + 192 + 56 + 2 * (336 + 336 + 56) + 336 + 336 + 112 + 1280) == 7920
    assert trainable == sum(per_layer[i:]) - bn_after and 0 < trainable < 396128
    assert trainable + frozen == 410208


def test_misspelt_fine_tune_from_gets_did_you_mean():
    got = found(CIFAR + "model:\n  layers:\n    - {type: Application, name: MobileNetV2, alpha: 0.35, weights: null, "
                "include_top: false, pooling: avg, fine_tune_from: block_13_expnd}\n"
                "    - {type: Dense, units: 10, activation: softmax}\n")
    errors = [g for g in got if g[0].startswith("KS0")]
    assert errors and errors[0][1] == "model.layers[0].fine_tune_from", got
    assert "did you mean 'block_13_expand'?" in errors[0][2]


def test_options_that_the_application_does_not_have_are_refused():
    got = found(CIFAR + "model:\n  layers:\n    - {type: Application, name: ResNet50, alpha: 0.5, weights: null, "
                "include_top: false, pooling: avg}\n    - {type: Dense, units: 10, activation: softmax}\n")
    assert got[0][0] == "KS014" and got[0][1] == "model.layers[0].alpha" and "ResNet50 has no alpha" in got[0][2]
    got = found(CIFAR + "model:\n  layers:\n    - {type: Application, name: MobileNetV2, alpha: 0.6, weights: null, "
                "include_top: false, pooling: avg}\n    - {type: Dense, units: 10, activation: softmax}\n")
    assert got[0][1] == "model.layers[0].alpha" and "0.35" in got[0][2]


def test_mobilenet_depth_multiplier_and_the_dropout_of_the_tops():
    v1 = dict(name="MobileNet", alpha=0.25)
    base = plan(app(**v1), (64, 64, 3))
    assert base == ((2, 2, 256), 213072, 5472)  # Keras 3.15: MobileNet(alpha=0.25, weights=None), no top
    shape, trainable, frozen = plan(app(**v1, depth_multiplier=3), (64, 64, 3))
    assert shape == base[0] and trainable > 2 * base[1] and frozen > base[2]  # every depthwise block widens
    names, per_layer = backbone_layers("MobileNet", 0.25, depth_multiplier=3)
    assert sum(per_layer) == trainable and names == backbone_layers("MobileNet", 0.25)[0]
    assert plan(app(**v1, include_top=True, classes=3, dropout=0.5), (64, 64, 3))[1] == base[1] + 257 * 3
    assert app(name="MobileNetV3Small", alpha=1.0, include_top=True, dropout_rate=0.1).dropout_rate == 0.1

    def refused(args: str) -> tuple:
        got = found(CIFAR + "model:\n  layers:\n    - {type: Application, " + args + "}\n"
                    "    - {type: Dense, units: 10, activation: softmax}\n")
        return got[0][1], got[0][2] + " " + got[0][3]

    where, text = refused("name: MobileNetV2, alpha: 0.35, depth_multiplier: 2, weights: null, include_top: false")
    assert where == "model.layers[0].depth_multiplier" and "MobileNetV2 has no depth_multiplier" in text
    where, text = refused("name: MobileNet, depth_multiplier: 2, include_top: false")
    assert where == "model.layers[0].depth_multiplier" and "imagenet weights have depth_multiplier 1" in text
    where, text = refused("name: MobileNet, weights: null, include_top: false, pooling: avg, dropout: 0.3")
    assert where == "model.layers[0].dropout" and "include_top is false" in text and "Dropout layer" in text
    where, text = refused("name: MobileNet, weights: null, dropout_rate: 0.3")
    assert where == "model.layers[0].dropout_rate" and "MobileNetV3Small, MobileNetV3Large" in text


def test_grayscale_and_small_images_are_shape_errors_with_a_hint():
    got = found("data: {type: keras, name: mnist}\nmodel:\n  input_shape: [32, 32, 1]\n  layers:\n"
                "    - {type: Application, name: MobileNetV2, weights: null, include_top: false, pooling: avg}\n"
                "    - {type: Dense, units: 10, activation: softmax}\n")
    shape = [g for g in got if g[0] == "KS101"]
    assert shape and "3 channels" in shape[0][2] and "color_mode: rgb" in shape[0][3], got
    p = infer([app()], (24, 24, 3))
    assert p.error is not None and "at least 32x32" in p.error.message
    p = infer([app(include_top=True, weights="imagenet")], (96, 97, 3))
    assert p.error is not None and p.error.path == "model.layers[0].include_top"


def test_rescale_in_front_of_a_backbone_that_scales_itself_is_ks318():
    layers = ("model:\n  layers:\n    - {type: Application, name: MobileNetV2, alpha: 0.35, weights: null, "
              "include_top: false, pooling: avg%s}\n    - {type: Dense, units: 10, activation: softmax}\n")
    got = found("data: {type: keras, name: cifar10, rescale: 1/255}\n" + layers % "")
    assert [g[1] for g in got if g[0] == "KS318"] == ["data.rescale"], got
    assert not [g for g in found(CIFAR + layers % "") if g[0] in ("KS318", "KS301")]
    got = found(CIFAR + layers % ", preprocess_input: false")
    assert [g[1] for g in got if g[0] == "KS318"] == ["model.layers[0].preprocess_input"], got
    got = found("data: {type: keras, name: cifar10, rescale: 1/255}\n" + layers % ", preprocess_input: false")
    assert [g[1] for g in got if g[0] == "KS318"] == ["data.rescale"], got  # 0..1 where -1..1 is expected
    ok = ("data: {type: keras, name: cifar10}\nmodel:\n  layers:\n"
          "    - {type: Rescaling, scale: 0.00784313725490196, offset: -1}\n"
          "    - {type: Application, name: MobileNetV2, alpha: 0.35, weights: null, include_top: false, "
          "pooling: avg, preprocess_input: false}\n    - {type: Dense, units: 10, activation: softmax}\n")
    assert not [g for g in found(ok) if g[0] == "KS318"]


def test_chain_keeps_correct_pad_apart_from_fixed_padding():
    ops = table()["MobileNetV2"]["ops"]
    assert any(op[0] == "cpad" for op in ops)
    assert chain_output(ops, (97, 96)) == (4, 3)
    mobilenet = table()["MobileNet"]["ops"]  # fixed ((0, 1), (0, 1)) padding: floor, not ceil
    assert chain_output(mobilenet, (97, 96)) == (3, 3)


def test_lint_of_a_backbone_spec_imports_no_tensorflow():
    code = ("import sys; from kspec.lintcmd import run_lint; rc = run_lint(['specs/transfer_mobilenet.yaml']); "
            "print(rc, [m for m in ('tensorflow', 'keras') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().endswith("[]"), (out.stdout, out.stderr)


def test_batch_norm_momentum_is_a_float_between_0_and_1_and_leaves_shapes_and_counts_alone():
    assert app(batch_norm_momentum=0.9).batch_norm_momentum == 0.9
    assert plan(app(batch_norm_momentum=0.9, pooling="avg"), (96, 96, 3)) == plan(app(pooling="avg"), (96, 96, 3))
    assert plan(app(batch_norm_momentum=0.5), (50, 70, 3)) == plan(app(), (50, 70, 3))
    for bad in ("0.9", 1.0, 0.0, -0.1, 1.5, True):
        tail = "include_top: false, pooling: avg, batch_norm_momentum: " + (repr(bad) if isinstance(bad, str) else
                                                                             str(bad).lower()) + "}\n"
        got = found(CIFAR + "model:\n  layers:\n    - {type: Application, name: MobileNetV2, alpha: 0.35, "
                    "weights: null, " + tail + "    - {type: Dense, units: 10, activation: softmax}\n")
        errors = [g for g in got if g[0].startswith("KS0")]
        assert errors and errors[0][1] == "model.layers[0].batch_norm_momentum", (bad, got)


def test_batch_norm_momentum_is_refused_for_a_backbone_without_batch_normalization():
    assert table()["MobileNetV2"]["bn_momentum"] == [0.999] and table()["MobileNet"]["bn_momentum"] == [0.99]
    for name in ("VGG16", "ConvNeXtTiny"):
        assert table()[name]["bn_momentum"] == [], name
        got = found(CIFAR + f"model:\n  layers:\n    - {{type: Application, name: {name}, weights: null, "
                    "include_top: false, pooling: avg, batch_norm_momentum: 0.9}\n"
                    "    - {type: Dense, units: 10, activation: softmax}\n")
        errors = [g for g in got if g[0].startswith("KS0")]
        assert errors and errors[0][1] == "model.layers[0].batch_norm_momentum", got
        assert f"{name} has no BatchNormalization layers" in errors[0][2] and "remove batch_norm_momentum" in errors[0][3]
    assert all(e["bn_momentum"] for n, e in table().items() if not n.startswith(("VGG", "ConvNeXt"))), \
        [n for n, e in table().items() if not e["bn_momentum"]]


def test_batch_norm_momentum_is_refused_where_the_batch_normalization_is_frozen():
    for extra in ("trainable: false", "fine_tune_from: block_13_expand", "trainable: false, fine_tune_from: block_13_expand"):
        got = found(CIFAR + "model:\n  layers:\n    - {type: Application, name: MobileNetV2, alpha: 0.35, weights: null, "
                    f"include_top: false, pooling: avg, {extra}, batch_norm_momentum: 0.9}}\n"
                    "    - {type: Dense, units: 10, activation: softmax}\n")
        errors = [g for g in got if g[0].startswith("KS0")]
        assert errors and errors[0][1] == "model.layers[0].batch_norm_momentum", (extra, got)
        assert "would change nothing" in errors[0][2], errors[0]


def test_fine_tune_from_cannot_name_a_preprocessing_layer_that_include_preprocessing_false_leaves_out():
    layer = ("    - {type: Application, name: EfficientNetV2B0, weights: null, include_top: false, pooling: avg, "
             "include_preprocessing: false, fine_tune_from: %s}\n    - {type: Dense, units: 10, activation: softmax}\n")
    got = found(CIFAR + "model:\n  layers:\n" + layer % "rescaling")
    errors = [g for g in got if g[0].startswith("KS0")]
    assert errors and errors[0][1] == "model.layers[0].fine_tune_from" and "has no layer 'rescaling'" in errors[0][2]
    assert not [g for g in found(CIFAR + "model:\n  layers:\n" + layer % "stem_conv") if g[0].startswith("KS0")]
