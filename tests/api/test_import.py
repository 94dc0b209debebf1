"""`kspec import`: a saved Keras Sequential model (.keras, model JSON, HDF5) becomes a spec model
section (+ compile); what a spec cannot hold is refused naming the layer. Round trip: every
example spec's model, built and saved, imports to the same model section and the same shapes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kspec
from kspec.cli import app
from kspec.diagnostics import KspecError
from kspec.keras_import import import_model

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "specs").glob("*.yaml"))


def keras_file(tmp_path: Path, config: dict, compile_config: dict | None = None) -> Path:
    """A .keras file holding only a configuration (what the importer reads), without TensorFlow."""
    path = tmp_path / "m.keras"
    cfg = dict(config)
    if compile_config:
        cfg["compile_config"] = compile_config
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(cfg))
        z.writestr("metadata.json", "{}")
    return path


def sequential(*layers: dict, name: str = "m") -> dict:
    first = {"class_name": "InputLayer", "config": {"batch_shape": [None, 8], "name": "input_layer"}}
    return {"module": "keras", "class_name": "Sequential", "config": {"name": name, "layers": [first, *layers]}}


def dense(units: int, **cfg) -> dict:
    return {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
            "config": {"name": cfg.pop("name", "dense"), "units": units, "activation": "linear", "use_bias": True,
                       "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
                       "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
                       **cfg}}


def test_import_reads_a_keras_file_without_tensorflow(tmp_path):
    path = keras_file(tmp_path, sequential(dense(4, activation="relu"), dense(1, name="dense_1", activation="sigmoid")),
                      {"optimizer": {"class_name": "RMSprop", "config": {"learning_rate": 0.0010000000474974513,
                                                                           "rho": 0.9, "clipnorm": None}},
                       "loss": "binary_crossentropy", "metrics": ["accuracy"]})
    imported = import_model(path)
    assert imported.spec["model"] == {"input_shape": [8], "layers": [
        {"type": "Dense", "units": 4, "activation": "relu"}, {"type": "Dense", "units": 1, "activation": "sigmoid"}]}
    assert imported.spec["compile"] == {"optimizer": "rmsprop", "loss": "binary_crossentropy", "metrics": ["accuracy"]}


def test_import_cli_writes_a_spec_whose_model_validates(tmp_path):
    path = keras_file(tmp_path, sequential(dense(3, name="logits")),
                      {"optimizer": {"class_name": "SGD", "config": {"learning_rate": 0.1}},
                       "loss": {"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": True}}})
    out = tmp_path / "spec.yaml"
    result = CliRunner().invoke(app, ["import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "- {type: Dense, units: 3, name: logits}" in text and "# Add the data and train sections" in text
    data = kspec.load(text, strict=False).data
    assert data["compile"] == {"optimizer": {"type": "sgd", "learning_rate": 0.1},
                               "loss": {"type": "sparse_categorical_crossentropy", "from_logits": True}}
    full = dict(data, data={"type": "arrays", "x": [[0.0] * 8, [1.0] * 8], "y": [0, 1]})
    spec = kspec.load(full)
    assert [r["output_shape"] for r in spec.shapes.rows] == [[3]]


@pytest.mark.parametrize("config, message", [
    ({"class_name": "Functional", "config": {"layers": [{"class_name": "InputLayer", "config": {"name": "x"}},
                                                         {"class_name": "Dense", "config": {"name": "d"}}]}},
     "functional model"),
    ({"class_name": "MyModel", "config": {}}, "subclassed model (MyModel)"),
    (sequential({"class_name": "StringLookup", "config": {"name": "lookup"}}), "layer 0 (StringLookup 'lookup') is not a layer kspec supports"),
    (sequential({"class_name": "Dense", "registered_name": "my_pkg>MyDense", "config": {"name": "mine", "units": 2}}),
     "layer 0 (Dense 'mine') is a custom object (my_pkg>MyDense)"),
    (sequential(dense(2, kernel_regularizer={"class_name": "L2", "config": {"l2": 0.01}})),
     "layer 0 (Dense 'dense'): kernel_regularizer"),
    (sequential(dense(2, kernel_initializer={"class_name": "GlorotUniform", "config": {"seed": 7}})),
     "kernel_initializer: initializer GlorotUniform with {'seed': 7}"),
])
def test_import_refuses_what_a_spec_cannot_hold(tmp_path, config, message):
    path = keras_file(tmp_path, config)
    with pytest.raises(KspecError, match=re_escape(message)):
        import_model(path)
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def canonical(layers) -> list[dict]:
    """Layer dumps with [n, n] written as n: Keras stores kernel_size 3 and [3, 3] alike."""
    out = []
    for layer in layers:
        d = layer.model_dump()
        out.append({k: (v[0] if isinstance(v, list) and len(v) > 1 and all(x == v[0] for x in v)
                        and isinstance(v[0], int) else v) for k, v in d.items()})
    return out


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_import_of_files_that_are_no_models(tmp_path):
    (tmp_path / "x.json").write_text("[1, 2]")
    (tmp_path / "y.keras").write_bytes(b"PK\x03\x04 broken")
    for name, msg in (("x.json", "not a Keras model"), ("y.keras", "not a readable .keras file"),
                      ("missing.keras", "does not exist")):
        result = CliRunner().invoke(app, ["import", str(tmp_path / name)])
        assert result.exit_code == 2 and msg in result.output


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_round_trip_of_every_example(example, tmp_path):
    pytest.importorskip("tensorflow")
    spec = kspec.load(example)
    if any(layer.type == "Application" for layer in spec.resolved.model.layers):
        pytest.skip("kspec import does not read a keras.applications backbone back into an Application layer yet")
    try:
        model = spec.model()
    except KspecError as e:
        pytest.skip(f"the model cannot be built here: {e}")
    model.save(tmp_path / "m.keras")
    paths = [tmp_path / "m.keras"]
    if example.stem == "quickstart":  # the other two formats, once
        model.save(tmp_path / "m.h5")
        (tmp_path / "m.json").write_text(model.to_json())
        paths += [tmp_path / "m.h5", tmp_path / "m.json"]
    want = spec.resolved
    for path in paths:
        imported = import_model(path).spec
        again = kspec.load(dict(spec.data, model=imported["model"]), base_dir=example.parent)
        got = again.resolved
        assert canonical(got.model.layers) == canonical(want.model.layers), path.name
        assert got.input_shape == want.input_shape
        assert again.shapes.rows == spec.shapes.rows
        if path.suffix != ".json":  # to_json() has no compile settings
            compiled = kspec.load(dict(spec.data, compile=imported["compile"]), base_dir=example.parent)
            got_c, want_c = compiled.resolved.compile.model_dump(), want.compile.model_dump()
            assert got_c == want_c, {k: {f: (got_c[k][f], want_c[k].get(f)) for f in got_c[k] if got_c[k][f] != want_c[k].get(f)} for k in got_c if got_c[k] != want_c[k]}
