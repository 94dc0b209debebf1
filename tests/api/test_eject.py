"""`kspec eject`: a plain Keras script (no kspec import) that trains as `kspec run` does: the same
seed gives the same loss history (within 1e-6 on hello, equal on the quickstart)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kspec.cli import app

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"


def eject(spec: Path, out: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(app, ["eject", str(spec), "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def imports_of(script: Path) -> set[str]:
    tree = ast.parse(script.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


def run_script(script: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # kspec must not be needed
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=script.parent, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((script.with_name(script.stem + "_out") / "history.json").read_text())


def kspec_run(spec: Path, out: Path, *args: str) -> dict:
    import kspec

    s = kspec.load(spec)
    epochs = int(args[args.index("--epochs") + 1]) if "--epochs" in args else None
    run = s.run(out=out, epochs=epochs, quiet=True)
    return run.history


@pytest.mark.slow  # imports Keras to leave out its default arguments
def test_eject_writes_a_script_without_kspec(tmp_path):
    pytest.importorskip("keras")
    lines = eject(SPECS / "hello.yaml", tmp_path / "train.py")
    script = tmp_path / "train.py"
    assert lines == [f"wrote {script}"]
    assert imports_of(script) <= {"json", "pathlib", "numpy", "keras"}
    text = script.read_text()
    assert "keras.layers.Dense(units=1)" in text and "keras.optimizers.SGD()" in text
    assert "EPOCHS = 500" in text and "SEED = 0" in text
    compile(text, str(script), "exec")


def test_eject_quickstart_writes_its_generated_data_beside_the_script(tmp_path):
    lines = eject(SPECS / "quickstart.yaml", tmp_path / "qs.py", "--epochs", "2", "--seed", "3")
    assert lines[1] == f"wrote {tmp_path / 'qs_data.npz'}"
    import numpy as np

    with np.load(tmp_path / "qs_data.npz") as d:
        assert d["x"].shape == (3000, 28, 28, 1) and d["x_test"].shape == (500, 28, 28, 1)
    text = (tmp_path / "qs.py").read_text()
    assert "EPOCHS = 2" in text and "SEED = 3" in text and "ThresholdStop('val_accuracy', 0.98, 'max')" in text
    assert "/ np.float32(255)" in text and "n_val = max(1, int(round(len(x) * 0.2)))" in text




def test_eject_writes_text_pipelines_without_kspec(tmp_path):
    """Text specs eject (no refusal): the tokenizer, padding and n-grams are in the script, which
    imports no kspec; a keras_text spec ejects offline (the script loads the set, eject does not)."""
    eject(SPECS / "text_next_word.yaml", tmp_path / "nw.py")
    text = (tmp_path / "nw.py").read_text()
    assert imports_of(tmp_path / "nw.py") <= {"collections", "json", "pathlib", "numpy", "keras"}
    assert "def fit_tokenizer(texts):" in text and "grams += [ids[:i + 1] for i in range(1, len(ids))]" in text
    assert "OOV_TOKEN = None" in text and "padding='pre', truncating='pre'" in text
    compile(text, "nw.py", "exec")
    eject(SPECS / "text_sentiment.yaml", tmp_path / "ts.py", "--set", "data.limit=5")
    text = (tmp_path / "ts.py").read_text()
    assert "NUM_WORDS = 1000" in text and "padding='post', truncating='post'" in text
    assert "train_rows = train_rows[:5]  # data.limit: the first 5 training texts" in text
    (tmp_path / "imdb.yaml").write_text(TINY_IMDB)
    eject(tmp_path / "imdb.yaml", tmp_path / "imdb.py")
    text = (tmp_path / "imdb.py").read_text()
    assert "keras.datasets.imdb.load_data(num_words=9)" in text and "eye = np.eye(2, dtype=np.float32)" in text
    compile(text, "imdb.py", "exec")


TINY_IMDB = """kspec: 1
name: tiny_imdb
data: {type: keras_text, name: imdb, num_words: 9, maxlen: 6, padding: post, truncating: post, limit: 200,
       validation: 0.25, label_encoding: one_hot}
model:
  layers:
    - {type: Embedding, input_dim: 9, output_dim: 8}
    - {type: GlobalAveragePooling1D}
    - {type: Dense, units: 2, activation: softmax}
compile: {optimizer: {type: adam, learning_rate: 0.05}, loss: categorical_crossentropy, metrics: [accuracy]}
train: {epochs: 2, batch_size: 32, seed: 0, verbose: 0}
"""


TINY_FOLDER = """kspec: 1
name: tiny-folder
data:
  type: image_folder
  directory: tree
  validation: 0.25
  target_size: [8, 8]
  color_mode: grayscale
  class_mode: categorical
  rescale: 1/255
  batch_size: 4
  cache: true
  augmentation: {rotation_range: 10, width_shift_range: 0.1, zoom_range: 0.1, horizontal_flip: true,
                 brightness_range: [0.8, 1.2]}
model:
  input_shape: [8, 8, 1]
  layers:
    - {type: Conv2D, filters: 4, kernel_size: 3, activation: relu}
    - {type: Flatten}
    - {type: Dense, units: 3, activation: softmax}
compile: {optimizer: adam, loss: categorical_crossentropy, metrics: [accuracy]}
train: {epochs: 2, batch_size: 4, seed: 1}
evaluate: {data: validation}
predict: {from_data: validation, count: 3}
"""


def tiny_tree(root: Path) -> None:
    """3 classes x 6 noise images of 10x9 pixels (resized to 8x8 by the pipeline)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for k, c in enumerate(["circle", "square", "triangle"]):
        (root / c).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.integers(0, 255, (10, 9), dtype=np.uint8) // (k + 1), "L").save(root / c / f"{i}.png")


def run_in_process_without_kspec(script: Path) -> dict:
    """Run the script here (TensorFlow is loaded already: seconds, not a fresh interpreter's start),
    with ``import kspec`` made to fail, so the script cannot lean on kspec."""
    import runpy

    saved = {k: v for k, v in sys.modules.items() if k == "kspec" or k.startswith("kspec.")}
    for k in saved:
        sys.modules[k] = None  # type: ignore[assignment]  # `import kspec` raises ImportError
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.modules.update(saved)
    return json.loads((script.with_name(script.stem + "_out") / "history.json").read_text())


@pytest.mark.slow
def test_ejected_image_folder_trains_exactly_like_kspec_run(tmp_path):
    """Same files, split, cache order, augmentation seeds and rescale: the same history, to the bit."""
    pytest.importorskip("tensorflow")
    import kspec

    tiny_tree(tmp_path / "tree")
    (tmp_path / "spec.yaml").write_text(TINY_FOLDER)
    spec = kspec.load(tmp_path / "spec.yaml")
    spec.eject(tmp_path / "train.py")
    script = tmp_path / "train.py"
    assert imports_of(script) <= {"json", "math", "os", "random", "pathlib", "numpy", "tensorflow", "keras"}
    text = script.read_text()
    assert "DIRECTORY = HERE / 'tree'" in text and "SCALE = 1 / 255" in text and "CACHE = 'memory'" in text
    assert "split(items, classes, 0.25, DATA_SEED)" in text and "def augment(x, seed):" in text
    ours = spec.run(out=tmp_path / "runs", quiet=True).history
    ejected = run_in_process_without_kspec(tmp_path / "train.py")
    assert len(ejected["loss"]) == 2
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert ejected[key] == ours[key], key


@pytest.mark.slow
def test_ejected_hello_trains_like_kspec_run(tmp_path):
    pytest.importorskip("tensorflow")
    eject(SPECS / "hello.yaml", tmp_path / "hello_train.py", "--epochs", "40")  # of 500: the suite stays short
    ejected = run_script(tmp_path / "hello_train.py")
    ours = kspec_run(SPECS / "hello.yaml", tmp_path / "runs", "--epochs", "40")
    assert len(ejected["loss"]) == len(ours["loss"]) == 40
    assert max(abs(a - b) for a, b in zip(ejected["loss"], ours["loss"])) <= 1e-6


@pytest.mark.slow
def test_ejected_quickstart_trains_exactly_like_kspec_run(tmp_path):
    pytest.importorskip("tensorflow")
    eject(SPECS / "quickstart.yaml", tmp_path / "qs.py", "--epochs", "1")
    ejected = run_script(tmp_path / "qs.py")
    ours = kspec_run(SPECS / "quickstart.yaml", tmp_path / "runs", "--epochs", "1")
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert ejected[key] == ours[key], key


SHORT_SERIES = ["train.epochs=1", "data.generator.length=400", "data.split_time=300"]
EXAMPLES = {  # every example spec that is not an image folder or the quickstart, with overrides that keep it to seconds
    "series_dense": SHORT_SERIES + ["data.limit=150"],  # the first 150 training windows
    "series_lr_sweep": ["train.epochs=2", "data.generator.length=400", "data.split_time=300"],  # the scheduler's 2nd rate
    "series_lstm": SHORT_SERIES,  # Bidirectional(LSTM): the nested layer written as a layer, named as kspec names it
    "series_conv_lstm": SHORT_SERIES + ["data.normalize=minmax"],
    "table_fruit": ["train.epochs=1", "data.label_encoding=one_hot", "compile.loss=categorical_crossentropy"],
    "table_houses": ["train.epochs=1", "data.limit=60"],  # the layout fitted on the first 60 training rows
}


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_ejected_example_trains_exactly_like_kspec_run(tmp_path, example):
    """The example spec (made short) ejected and run without kspec: every metric of every epoch equal."""
    check_example(tmp_path, example, EXAMPLES[example])


def check_example(tmp_path: Path, example: str, overrides: list[str]) -> None:
    pytest.importorskip("tensorflow")
    import kspec

    spec = kspec.load(SPECS / f"{example}.yaml", set=overrides)
    spec.eject(tmp_path / "train.py")
    script = tmp_path / "train.py"
    assert imports_of(script) <= {"collections", "csv", "io", "json", "re", "string", "pathlib", "numpy", "tensorflow",
                                   "keras"}
    ours = spec.run(out=tmp_path / "runs", quiet=True).history
    ejected = run_in_process_without_kspec(script)
    assert set(ejected) == set(ours) - ({"learning_rate"} if "learning_rate" not in ejected else set())
    assert len(ejected["loss"]) == spec.resolved.train.epochs
    for key in ejected:
        assert ejected[key] == ours[key], key
