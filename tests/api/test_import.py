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


def application_item(name: str, backbone: str, *, alpha=None, preprocess=("Rescaling", "_preprocess"),
                     pooling="GlobalAveragePooling2D", top_units=None, frozen_below: int | None = None,
                     trainable=True) -> dict:
    """An Application layer's configuration as kspec's emit stage saves it (checked against Keras's
    own output for MobileNetV2 and ResNet50): a Functional named after the application holding
    ``<stem>_input``, the preprocessing layers and the keras.applications backbone."""
    from kspec.layerdefs.applications import backbone_layers

    names = backbone_layers(name, alpha)[0]
    layers = [{"class_name": "InputLayer", "config": {"name": "input_layer_1", "trainable": None}}]
    for k, n in enumerate(names):
        cls = "Conv2D" if "conv" in n.lower() else "Activation"
        flag = trainable and (frozen_below is None or k >= frozen_below)
        layers.append({"class_name": cls, "config": {"name": n, "trainable": flag, "filters": 8}})
    if top_units:
        layers += [{"class_name": "GlobalAveragePooling2D", "config": {"name": "avg_pool", "trainable": trainable}},
                   {"class_name": "Dense", "config": {"name": "predictions", "units": top_units,
                                                      "activation": "softmax", "trainable": trainable}}]
    elif pooling:
        layers.append({"class_name": pooling, "config": {"name": "pool", "trainable": trainable}})
    stem = name.lower()
    inner = [{"class_name": "InputLayer", "config": {"name": f"{stem}_input"}}]
    if preprocess:
        inner.append({"class_name": preprocess[0], "config": {"name": stem + preprocess[1]}})
    inner.append({"class_name": "Functional", "config": {"name": backbone, "trainable": trainable, "layers": layers}})
    return {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": None,
            "config": {"name": name, "trainable": True, "layers": inner}}


@pytest.mark.parametrize("item, want", [
    (application_item("MobileNetV2", "mobilenetv2_0.35_48", alpha=0.35, frozen_below=115, pooling="GlobalMaxPooling2D"),
     {"alpha": 0.35, "pooling": "max", "fine_tune_from": "block_13_expand"}),
    (application_item("ResNet50", "resnet50", preprocess=("Conv2D", "_preprocess"), trainable=False),
     {"pooling": "avg", "trainable": False}),
    (application_item("MobileNetV2", "mobilenetv2_1.00_224", alpha=1.0, preprocess=None, top_units=10),
     {"classes": 10, "preprocess_input": False}),
], ids=["fine-tuned", "frozen-caffe", "with-top"])
def test_import_reads_an_application_backbone_back(tmp_path, item, want):
    path = keras_file(tmp_path, {**sequential(item, dense(4, activation="softmax")), "config": {
        "name": "m", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [None, 48, 48, 3]}}, item,
                                dense(4, activation="softmax")]}})
    imported = import_model(path)
    layer = imported.spec["model"]["layers"][0]
    top = "classes" in want  # include_top: true is the default, left out
    assert layer == {"type": "Application", "name": item["config"]["name"], "weights": None,
                     **({} if top else {"include_top": False}), **want}
    assert any("weights: null" in n for n in imported.notes)
    spec = kspec.load({"kspec": 1, "data": {"type": "synthetic", "samples": 8, "image_size": 48},
                       "model": imported.spec["model"], "compile": {"optimizer": "adam", "loss": "mse"}})
    assert spec.valid, str(spec.diagnostics)


def test_import_refuses_a_backbone_frozen_in_a_pattern_no_spec_holds(tmp_path):
    item = application_item("MobileNetV2", "mobilenetv2_0.35_48", alpha=0.35, frozen_below=115)
    item["config"]["layers"][-1]["config"]["layers"][130]["config"]["trainable"] = False
    path = keras_file(tmp_path, {"class_name": "Sequential", "config": {"name": "m", "layers": [item]}})
    with pytest.raises(KspecError, match=r"layer 0 \(Application 'MobileNetV2'\): layers .* are frozen after"):
        import_model(path)


def plain_backbone(name: str, backbone: str, **kw) -> dict:
    """A keras.applications model as the course puts it in a Sequential (no kspec wrapper)."""
    return application_item(name, backbone, **kw)["config"]["layers"][-1]


def imported_first_layer(tmp_path, item) -> tuple[dict, list[str]]:
    path = keras_file(tmp_path, {"class_name": "Sequential", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 64, 64, 3]}}, item, dense(4, activation="softmax")]}})
    imported = import_model(path)
    spec = kspec.load({"kspec": 1, "data": {"type": "synthetic", "samples": 8, "image_size": 64},
                       "model": imported.spec["model"], "compile": {"optimizer": "adam", "loss": "mse"}})
    assert spec.valid, str(spec.diagnostics)
    return imported.spec["model"]["layers"][0], imported.notes


def test_import_reads_a_plain_keras_applications_backbone(tmp_path):
    layer, notes = imported_first_layer(tmp_path, plain_backbone("MobileNetV2", "mobilenetv2_0.35_64", alpha=0.35))
    assert layer == {"type": "Application", "name": "MobileNetV2", "weights": None, "include_top": False,
                     "pooling": "avg", "alpha": 0.35, "preprocess_input": False}
    assert any("preprocess_input: false" in n for n in notes)


def test_import_of_a_plain_backbone_keeps_its_frozen_flag_and_tells_the_width_by_name(tmp_path):
    layer, _ = imported_first_layer(tmp_path, plain_backbone("ResNet50", "resnet50", trainable=False, pooling=None))
    assert layer == {"type": "Application", "name": "ResNet50", "weights": None, "include_top": False,
                     "trainable": False, "preprocess_input": False}
    layer, _ = imported_first_layer(tmp_path, plain_backbone("MobileNetV2", "mobilenetv2_0.75_64", alpha=0.75))
    assert layer["alpha"] == 0.75


def test_import_of_a_plain_backbone_with_and_without_its_own_preprocessing(tmp_path):
    """EfficientNetV2 rescales inside the model unless include_preprocessing=False; the preprocessing
    layers carry Keras's process counter (rescaling_1) in a notebook that built a model before."""
    item = plain_backbone("EfficientNetV2B0", "efficientnetv2-b0")
    for layer in item["config"]["layers"][1:3]:
        layer["config"]["name"] += "_1"
    layer, notes = imported_first_layer(tmp_path, item)
    assert layer == {"type": "Application", "name": "EfficientNetV2B0", "weights": None, "include_top": False,
                     "pooling": "avg"}
    assert not any("preprocess_input" in n for n in notes)  # the backbone preprocesses itself
    del item["config"]["layers"][1:3]
    layer, _ = imported_first_layer(tmp_path, item)
    assert layer["include_preprocessing"] is False


def test_import_refuses_a_functional_model_that_is_no_application(tmp_path):
    item = plain_backbone("MobileNetV2", "mobilenetv2_0.35_64", alpha=0.35)
    item["config"]["layers"][1]["config"]["name"] = "my_stem"
    with pytest.raises(KspecError, match=r"layer 0 \(Functional 'mobilenetv2_0.35_64'\) is not a layer kspec supports"):
        imported_first_layer(tmp_path, item)


@pytest.mark.slow
def test_a_notebook_transfer_model_imports_with_keras_own_parameter_counts(tmp_path):
    """The course's model: a Rescaling layer, keras.applications.MobileNetV2 without its top, a
    classifier. Imported, its static shapes and parameter counts equal the Keras model's."""
    pytest.importorskip("tensorflow")
    import keras

    base = keras.applications.MobileNetV2(input_shape=(64, 64, 3), alpha=0.35, include_top=False, weights=None,
                                          pooling="avg")
    base.trainable = False
    model = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.Rescaling(1 / 127.5, offset=-1), base,
                              keras.layers.Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.save(tmp_path / "m.keras")
    imported = import_model(tmp_path / "m.keras").spec
    assert imported["model"]["layers"][1] == {"type": "Application", "name": "MobileNetV2", "weights": None,
                                              "include_top": False, "pooling": "avg", "alpha": 0.35,
                                              "trainable": False, "preprocess_input": False}
    import numpy as np

    np.savez(tmp_path / "d.npz", x=np.zeros((8, 64, 64, 3), np.float32), y=np.eye(4, dtype=np.float32)[[0, 1] * 4])
    spec = kspec.load({"kspec": 1, "data": {"type": "npz", "path": "d.npz"}, "model": imported["model"],
                       "compile": imported["compile"]}, base_dir=tmp_path)
    assert spec.valid, str(spec.diagnostics)
    rows = spec.shapes.rows
    trainable = sum(int(w.shape.num_elements()) for w in model.trainable_weights)
    frozen = sum(int(w.shape.num_elements()) for w in model.non_trainable_weights)
    assert (sum(r["trainable"] for r in rows), sum(r["params"] - r["trainable"] for r in rows)) == (trainable, frozen)
    rebuilt = spec.model()
    assert rebuilt.count_params() == model.count_params()


def with_batch_norm(item: dict, momenta) -> dict:
    """The item with its backbone's BatchNormalization layers (MobileNetV2's ``*_BN``, ``bn_Conv1``,
    ``Conv_1_bn``) as such, each with the next of ``momenta``."""
    layers = item["config"]["layers"][-1]["config"]["layers"]
    bns = [l for l in layers if l["config"]["name"].lower().endswith("_bn") or l["config"]["name"] == "bn_Conv1"]
    assert len(bns) == 52  # MobileNetV2's
    for layer, m in zip(bns, momenta):
        layer["class_name"] = "BatchNormalization"
        layer["config"] = {"name": layer["config"]["name"], "trainable": layer["config"]["trainable"], "momentum": m}
    return item


@pytest.mark.parametrize("momenta, want, note", [
    ([0.9] * 52, 0.9, False),
    ([0.999] * 52, None, False),  # MobileNetV2's own: no batch_norm_momentum
    ([0.9] * 51 + [0.999], None, True),
], ids=["shared", "keras-own", "mixed"])
def test_import_reads_the_batch_norm_momentum_the_backbone_shares(tmp_path, momenta, want, note):
    item = with_batch_norm(application_item("MobileNetV2", "mobilenetv2_0.35_48", alpha=0.35), momenta)
    path = keras_file(tmp_path, {"class_name": "Sequential", "config": {
        "name": "m", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [None, 48, 48, 3]}}, item,
                                dense(4, activation="softmax")]}})
    imported = import_model(path)
    layer = imported.spec["model"]["layers"][0]
    assert layer.get("batch_norm_momentum") == want
    assert any("no one batch_norm_momentum gives" in n for n in imported.notes) is note
    spec = kspec.load({"kspec": 1, "data": {"type": "synthetic", "samples": 8, "image_size": 48},
                       "model": imported.spec["model"], "compile": {"optimizer": "adam", "loss": "mse"}})
    assert spec.valid, str(spec.diagnostics)


@pytest.mark.parametrize("bn_frozen", [True, False], ids=["as-kspec-builds-it", "bn-trainable"])
def test_import_of_a_fine_tuned_backbone_whose_batch_normalization_stays_frozen(tmp_path, bn_frozen):
    """kspec freezes every BatchNormalization with fine_tune_from: frozen ones after the first trainable
    layer are no reason to refuse; trainable ones are read as fine_tune_from with a note. Their momentum
    is left out (frozen, it changes nothing), with a note."""
    item = with_batch_norm(application_item("MobileNetV2", "mobilenetv2_0.35_48", alpha=0.35, frozen_below=115),
                           [0.9] * 52)
    for layer in item["config"]["layers"][-1]["config"]["layers"]:
        if layer["class_name"] == "BatchNormalization" and bn_frozen:
            layer["config"]["trainable"] = False
    path = keras_file(tmp_path, {"class_name": "Sequential", "config": {
        "name": "m", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [None, 48, 48, 3]}}, item,
                                dense(4, activation="softmax")]}})
    imported = import_model(path)
    layer = imported.spec["model"]["layers"][0]
    assert layer["fine_tune_from"] == "block_13_expand" and "batch_norm_momentum" not in layer
    noted = [n for n in imported.notes if "BatchNormalization layer(s) from 'block_13_expand' on are trainable" in n]
    assert len(noted) == (0 if bn_frozen else 1), imported.notes
    if not bn_frozen:
        assert "13 BatchNormalization" in noted[0]  # 3 in each of blocks 13 to 16, Conv_1_bn
    # the momentum (0.9, not MobileNetV2's 0.999) of layers the spec keeps frozen is left out, with a note
    assert any("momenta [0.9] were left out" in n for n in imported.notes), imported.notes
    spec = kspec.load({"kspec": 1, "data": {"type": "synthetic", "samples": 8, "image_size": 48},
                       "model": imported.spec["model"], "compile": {"optimizer": "adam", "loss": "mse"}})
    assert spec.valid, str(spec.diagnostics)
