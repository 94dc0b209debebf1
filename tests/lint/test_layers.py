"""The layer vocabulary without TensorFlow: lazy loading, refusals with reasons, argument
combinations Keras refuses, frozen layers, data formats, argument objects and ``kspec shapes``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from kspec.analyse.shapes import infer
from kspec.layers import Layer, ShapeError

from .helpers import lint_fragment
from .test_cli import run

ROOT = Path(__file__).resolve().parents[2]
LAYER = TypeAdapter(Layer)


def layer(**kw):
    return LAYER.validate_python(kw)


def errors(fragment: str):
    return [(d.code, d.path, d.message, d.hint) for d in lint_fragment(fragment) if d.severity.value == "error"]


def test_a_spec_loads_only_the_layer_families_it_names():
    code = ("import sys; from kspec.pipeline import Pipeline; p = Pipeline('specs/hello.yaml'); p.require_valid(); "
            "print(sorted(m for m in sys.modules if m.startswith('kspec.layerdefs.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['kspec.layerdefs.core']"


@pytest.mark.parametrize("argument,modules", [
    ("kernel_initializer: he_normal, kernel_regularizer: l2, kernel_constraint: max_norm", "['kspec.layerdefs.core']"),
    ("kernel_initializer: {type: RandomNormal, stddev: 0.05}", "['kspec.layerdefs.arguments', 'kspec.layerdefs.core']"),
])
def test_argument_objects_are_created_only_when_a_spec_writes_one(argument, modules):
    spec = ("kspec: 1\ndata: {type: arrays, x: [[0.0], [1.0]], y: [0.0, 1.0]}\n"
            f"model:\n  layers: [{{type: Dense, units: 1, {argument}}}]\ncompile: {{optimizer: sgd, loss: mse}}\n")
    code = ("import sys; from kspec.pipeline import Pipeline; p = Pipeline(text=sys.argv[1]); p.require_valid(); "
            "print(sorted(m for m in sys.modules if m.startswith('kspec.layerdefs.')))")
    out = subprocess.run([sys.executable, "-c", code, spec], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == modules


def test_lambda_is_refused_with_why_and_what_instead():
    found = errors("model:\n  layers:\n    - {type: Lambda, function: 'lambda x: x * 400'}\n"
                   "    - {type: Dense, units: 10, activation: softmax}\n")
    assert len(found) == 1, found
    code, path, message, hint = found[0]
    assert code == "KS014" and path == "model.layers[0]"
    assert "'Lambda' runs a Python function" in message and "never executes code" in message
    assert "Rescaling" in hint and "write the model in Python" in hint


def test_several_input_layers_are_refused():
    found = errors("model:\n  layers:\n    - {type: Concatenate}\n    - {type: Dense, units: 10, activation: softmax}\n")
    assert "several input tensors" in found[0][2]


def test_misspelt_type_gets_the_closest_name_of_the_whole_vocabulary():
    found = errors("model:\n  input_shape: [8, 1]\n  layers:\n    - {type: SeparableConv1d, filters: 2, kernel_size: 3}\n"
                   "    - {type: Flatten}\n    - {type: Dense, units: 10, activation: softmax}\n")
    assert "did you mean 'SeparableConv1D'?" in found[0][2]
    found = errors("model:\n  input_shape: [8, 1]\n  layers:\n    - {type: LSTM, unit: 4}\n"
                   "    - {type: Dense, units: 10, activation: softmax}\n")
    assert any("did you mean 'units'?" in f[2] for f in found), found


@pytest.mark.parametrize("text, path, says", [
    ("{type: Conv1D, filters: 2, kernel_size: 3, strides: 2, dilation_rate: 2}", "model.layers[0].strides",
     "strides > 1 only with dilation_rate 1"),
    ("{type: LSTM, units: 4, return_state: true}", "model.layers[0].return_state", "Sequential model"),
    ("{type: Bidirectional, layer: {type: Dense, units: 4}}", "model.layers[0].layer", "is not recurrent"),
    ("{type: Bidirectional, layer: {type: GRU, units: 4, go_backwards: true}}", "model.layers[0].layer.go_backwards",
     "go_backwards: false"),
    ("{type: Conv1D, filters: 3, kernel_size: 3, groups: 2}", "model.layers[0].groups", "divisible"),
    ("{type: Permute, dims: [1, 1]}", "model.layers[0].dims", "permutation"),
    ("{type: TimeDistributed, layer: {type: TimeDistributed, layer: {type: Dense, units: 2}}}",
     "model.layers[0].layer", "cannot be nested"),
])
def test_argument_combinations_keras_refuses_are_errors_at_the_argument(text, path, says):
    found = errors(f"model:\n  input_shape: [8, 2]\n  layers:\n    - {text}\n    - {{type: Flatten}}\n"
                   "    - {type: Dense, units: 10, activation: softmax}\n")
    assert any(p == path and says in m for _, p, m, _ in found), found


def test_recurrent_stack_shapes_and_params():
    stack = [layer(type="Embedding", input_dim=1000, output_dim=16),
             layer(type="Bidirectional", layer={"type": "LSTM", "units": 32, "return_sequences": True}),
             layer(type="GRU", units=8),
             layer(type="Dense", units=1, activation="sigmoid")]
    plan = infer(stack, (120,))
    assert plan.error is None
    assert [p.output_shape for p in plan.layers] == [(120, 16), (120, 64), (8,), (1,)]
    # LSTM: 4 * 32 * (16 + 32 + 1), both directions; GRU (reset_after): 3 * 8 * (64 + 8) + 6 * 8
    assert [p.trainable for p in plan.layers] == [16000, 2 * 4 * 32 * 49, 3 * 8 * 72 + 48, 9]
    assert stack[1].recurrent and stack[1].returns_sequences and not stack[2].returns_sequences


def test_frozen_layer_counts_as_non_trainable():
    plan = infer([layer(type="Dense", units=4, trainable=False), layer(type="BatchNormalization")], (3,))
    assert [(p.trainable, p.non_trainable) for p in plan.layers] == [(0, 16), (8, 8)]


def test_channels_first_shapes_follow_the_data_format():
    stack = [layer(type="Conv2D", filters=8, kernel_size=3, data_format="channels_first"),
             layer(type="MaxPooling2D", data_format="channels_first"),
             layer(type="GlobalAveragePooling2D", data_format="channels_first")]
    plan = infer(stack, (3, 32, 30))
    assert [p.output_shape for p in plan.layers] == [(8, 30, 28), (8, 15, 14), (8,)]
    assert plan.layers[0].trainable == 3 * 3 * 3 * 8 + 8


def test_causal_dilated_conv1d_keeps_the_length():
    plan = infer([layer(type="Conv1D", filters=4, kernel_size=5, padding="causal", dilation_rate=4)], (30, 2))
    assert plan.layers[0].output_shape == (30, 4) and plan.layers[0].trainable == 5 * 2 * 4 + 4


def test_a_nested_layer_that_does_not_fit_is_blamed_inside_the_wrapper():
    plan = infer([layer(type="TimeDistributed", layer={"type": "Conv1D", "filters": 2, "kernel_size": 9})], (5, 4, 1))
    assert plan.error is not None
    assert plan.error.path == "model.layers[0].layer.kernel_size", plan.error.path


def test_argument_objects_reach_keras_in_its_config_form():
    d = layer(type="Dense", units=3, kernel_initializer={"type": "RandomNormal", "stddev": 0.05, "seed": 1},
              kernel_regularizer={"type": "L2", "l2": 0.001}, kernel_constraint="non_neg", trainable=False)
    kw = d.keras_kwargs()
    assert kw["kernel_initializer"] == {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.05, "seed": 1}}
    assert kw["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 0.001}}
    assert kw["kernel_constraint"] == "non_neg" and kw["trainable"] is False
    with pytest.raises(ValidationError):
        layer(type="Dense", units=3, kernel_initializer={"type": "RandomNormal", "stdev": 0.05})


def test_aliases_validate_to_the_canonical_class():
    assert layer(type="Convolution2D", filters=2, kernel_size=3).type == "Conv2D"
    assert layer(type="GlobalAvgPool1D").type == "GlobalAveragePooling1D"


def test_shapes_takes_several_specs_and_prints_json(tmp_path):
    spec = tmp_path / "seq.yaml"
    spec.write_text("kspec: 1\ndata: {type: arrays, x: [[1.0, 2.0, 3.0]], y: [1.0]}\nmodel:\n  input_shape: [3]\n"
                    "  layers:\n    - {type: Embedding, input_dim: 5, output_dim: 2}\n    - {type: SimpleRNN, units: 3}\n"
                    "    - {type: Dense, units: 1, trainable: false}\ncompile: {optimizer: adam, loss: mse}\n")
    result = run("shapes", "--format", "json", str(spec), str(ROOT / "specs" / "hello.yaml"))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    first = doc["specs"][0]
    assert [(l["name"], l["type"], l["output_shape"], l["trainable"], l["non_trainable"]) for l in first["layers"]] == [
        ("embedding", "Embedding", [3, 2], 10, 0), ("simple_rnn", "SimpleRNN", [3], 18, 0), ("dense", "Dense", [1], 0, 4)]
    assert first["totals"] == {"trainable": 28, "non_trainable": 4, "params": 32}
    assert doc["specs"][1]["name"] and doc["specs"][1]["valid"] is True
    text = run("shapes", str(spec), str(ROOT / "specs" / "hello.yaml"))
    assert text.exit_code == 0 and text.stdout.count("Total params:") == 2


def test_shape_error_names_the_argument():
    with pytest.raises(ShapeError) as e:
        layer(type="GroupNormalization", groups=4).infer((6,))
    assert e.value.field == "groups"


@pytest.mark.slow
def test_dtype_policy_frozen_layers_and_wrappers_reach_keras():
    from kspec.emit.model import build_model
    from kspec.pipeline import Pipeline

    text = ("kspec: 1\ndata: {type: arrays, x: [[1.0, 2.0, 3.0]], y: [1.0]}\nmodel:\n  input_shape: [3]\n"
            "  dtype_policy: mixed_float16\n  layers:\n    - {type: Hashing, num_bins: 5}\n"
            "    - {type: Embedding, input_dim: 5, output_dim: 2}\n"
            "    - {type: Bidirectional, layer: {type: GRU, units: 3}, trainable: false}\n"
            "    - {type: Dense, units: 1, kernel_initializer: {type: RandomNormal, stddev: 0.5, seed: 3}}\n"
            "compile: {optimizer: adam, loss: mse}\n")
    p = Pipeline(text=text, file="mixed.yaml")
    model = build_model(p.resolved)
    # Hashing's dtype is the type of its integer ids; the last layer computes in float32 (Keras's guide)
    assert [l.dtype_policy.name for l in model.layers] == ["int64", "mixed_float16", "mixed_float16", "float32"]
    assert model.layers[2].forward_layer.dtype_policy.name == "mixed_float16"
    import numpy as np

    assert model.layers[2].compute_dtype == "float16"
    assert str(model(np.array([[1.0, 2.0, 3.0]], dtype="float32")).dtype) in ("float32", "<dtype: 'float32'>")
    assert [l.name for l in model.layers] == ["hashing", "embedding", "bidirectional", "dense"]
    assert model.layers[2].trainable is False and model.layers[2].forward_layer.name == "forward_gru"
    assert sum(int(w.numpy().size) for w in model.non_trainable_weights) == p.plan.non_trainable
    assert model.count_params() == p.plan.params


@pytest.mark.slow
def test_normalization_is_adapted_on_the_training_split_through_the_layers_before_it():
    import types

    import numpy as np

    from kspec.emit.model import adapt_layers, build_model
    from kspec.pipeline import Pipeline

    text = ("kspec: 1\ndata: {type: arrays, x: [[1.0, 2.0], [3.0, 6.0]], y: [1.0, 0.0]}\nmodel:\n  input_shape: [2]\n"
            "  layers:\n    - {type: Normalization}\n    - {type: Rescaling, scale: 2.0}\n    - {type: Normalization}\n"
            "    - {type: Normalization, mean: 0.0, variance: 1.0}\n    - {type: Dense, units: 1}\n"
            "compile: {optimizer: adam, loss: mse}\n")
    p = Pipeline(text=text, file="norm.yaml")
    assert [(lp.trainable, lp.non_trainable) for lp in p.plan.layers] == [(0, 5), (0, 0), (0, 5), (0, 0), (3, 0)]
    model = build_model(p.resolved)
    x = np.array([[1.0, 2.0], [3.0, 6.0]], dtype="float32")
    assert adapt_layers(model, p.resolved, types.SimpleNamespace(train=(x, None))) == ["normalization", "normalization_1"]
    first, _, second = model.layers[:3]
    assert np.allclose(np.ravel(first.mean), [2.0, 4.0]) and np.allclose(np.ravel(second.mean), [0.0, 0.0], atol=1e-5)
    assert model.count_params() == p.plan.params


@pytest.mark.slow
def test_discretization_and_integer_lookup_adapt_on_the_training_split():
    import types

    import numpy as np

    from kspec.emit.model import adapt_layers, build_model
    from kspec.pipeline import Pipeline

    text = ("kspec: 1\ndata: {type: arrays, x: [[1.0, 2.0], [3.0, 6.0]], y: [1.0, 0.0]}\nmodel:\n  input_shape: [2]\n"
            "  layers:\n    - {type: IntegerLookup}\n    - {type: Discretization, num_bins: 2}\n"
            "    - {type: Discretization, bin_boundaries: [0.5], output_mode: multi_hot}\n    - {type: Dense, units: 1}\n"
            "compile: {optimizer: adam, loss: mse}\n")
    p = Pipeline(text=text, file="adapt.yaml")
    assert [lp.output_shape for lp in p.plan.layers] == [(2,), (2,), (2,), (1,)]
    model = build_model(p.resolved)
    x = np.array([[1.0, 2.0], [3.0, 6.0], [3.0, 3.0]], dtype="float32")
    assert adapt_layers(model, p.resolved, types.SimpleNamespace(train=(x, None))) == ["integer_lookup", "discretization"]
    lookup, bins = model.layers[:2]
    assert sorted(int(v) for v in lookup.get_vocabulary()[1:]) == [1, 2, 3, 6]
    assert int(lookup.get_vocabulary()[1]) == 3  # the most frequent value first
    assert len(bins.bin_boundaries) == 1  # two bins, adapted through the lookup before it
    assert model.predict(x, verbose=0).shape == (3, 1)
    assert model.count_params() == p.plan.params


def test_layers_whose_keras_shape_is_wrong_or_data_dependent_are_refused_with_the_reason():
    from kspec.analyse.shapes import infer

    def refusal(layer, shape):
        plan = infer([TypeAdapter(Layer).validate_python(layer)], shape)
        assert plan.error is not None, layer
        return plan.error.message

    assert "depends on the data" in refusal({"type": "IntegerLookup", "output_mode": "multi_hot"}, (3,))
    assert "rank 2" in refusal({"type": "CategoryEncoding", "num_tokens": 4}, (2, 3))
    assert "one value per sample" in refusal({"type": "Hashing", "num_bins": 4, "output_mode": "one_hot"}, (3,))
    assert "fft_length // 2" in refusal({"type": "MelSpectrogram", "fft_length": 64}, (32,))
    ok = infer([TypeAdapter(Layer).validate_python({"type": "MelSpectrogram", "fft_length": 64})], (33,))
    assert ok.error is None and ok.layers[0].output_shape == (128, 1)


@pytest.mark.parametrize("doc, needle", [
    ({"type": "TextVectorization"}, "takes strings"),
    ({"type": "StringLookup"}, "takes strings"),
    ({"type": "SpectralNormalization", "layer": {"type": "LSTM", "units": 4}}, "no kernel"),
    ({"type": "Discretization"}, "bin_boundaries or num_bins"),
    ({"type": "Discretization", "bin_boundaries": [1.0, 0.0]}, "sorted"),
    ({"type": "IntegerLookup", "vocabulary": [1, 1]}, "repeats"),
    ({"type": "STFTSpectrogram", "frame_length": 8, "frame_step": 9}, "frame_step"),
])
def test_new_layers_refuse_what_keras_refuses(doc, needle):
    with pytest.raises(ValidationError) as e:
        TypeAdapter(Layer).validate_python(doc)
    assert needle in str(e.value)
