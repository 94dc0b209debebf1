"""Inputs for predict / visualize: images, folders and .npy files, preprocessed as the training
data was. No TensorFlow (in-memory data sources)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from kspec.diagnostics import KspecError
from kspec.pipeline import Pipeline
from kspec.run.inputs import read_inputs

from .helpers import TINY_CNN, TINY_REGRESSION

MLP_28 = """\
kspec: 1
data: {type: keras, name: fashion_mnist, rescale: 1/255}
model:
  input_shape: [28, 28]
  layers: [{type: Flatten}, {type: Dense, units: 10, activation: softmax}]
compile: {optimizer: adam, loss: sparse_categorical_crossentropy}
"""


def resolved(text):
    return Pipeline(text=text, file="spec.yaml").resolved


def test_images_are_converted_resized_and_rescaled(tmp_path):
    img = np.zeros((32, 32, 3), dtype=np.uint8)
    img[:, 16:] = 255
    Image.fromarray(img).save(tmp_path / "rgb.png")
    batch = read_inputs([tmp_path / "rgb.png"], resolved(TINY_CNN))  # model takes 16x16x1
    assert batch.x.shape == (1, 16, 16, 1) and batch.x.dtype == np.float32
    assert batch.x.max() == pytest.approx(1.0) and batch.x.min() == 0.0
    assert batch.names == [str(tmp_path / "rgb.png")]


def test_two_dimensional_models_get_grayscale_images(tmp_path):
    Image.fromarray(np.full((28, 28), 51, dtype=np.uint8)).save(tmp_path / "a.png")
    batch = read_inputs([tmp_path / "a.png"], resolved(MLP_28))
    assert batch.x.shape == (1, 28, 28) and batch.x[0, 0, 0] == pytest.approx(0.2)


def test_folders_are_read_in_sorted_order(tmp_path):
    for name in ("b.png", "a.jpg", "notes.txt"):
        if name.endswith("txt"):
            (tmp_path / name).write_text("x")
        else:
            Image.fromarray(np.zeros((16, 16), dtype=np.uint8)).save(tmp_path / name)
    batch = read_inputs([tmp_path], resolved(TINY_CNN))
    assert [n.rsplit("/", 1)[1] for n in batch.names] == ["a.jpg", "b.png"]


def test_npy_holds_one_or_many_samples_before_rescale(tmp_path):
    np.save(tmp_path / "one.npy", np.full((16, 16, 1), 255, dtype=np.uint8))
    np.save(tmp_path / "many.npy", np.zeros((3, 16, 16), dtype=np.uint8))
    batch = read_inputs([tmp_path / "one.npy", tmp_path / "many.npy"], resolved(TINY_CNN))
    assert batch.x.shape == (4, 16, 16, 1) and batch.x[0].max() == pytest.approx(1.0)
    assert batch.names[1].endswith("many.npy[0]")


def test_regression_inputs_from_npy(tmp_path):
    np.save(tmp_path / "x.npy", np.array([10.0, 11.0]))
    assert read_inputs([tmp_path / "x.npy"], resolved(TINY_REGRESSION)).x.shape == (2, 1)


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.png", "does not exist"),
    (lambda d: (d / "a.txt").write_text("x") and d / "a.txt", "neither an image"),
    (lambda d: np.save(d / "bad.npy", np.zeros((2, 5))) or d / "bad.npy", r"has shape \[2, 5\]"),
    (lambda d: (d / "broken.png").write_bytes(b"not a png") and d / "broken.png", "cannot read image"),
])
def test_bad_inputs_are_clean_errors(tmp_path, make, message):
    with pytest.raises(KspecError, match=message):
        read_inputs([make(tmp_path)], resolved(TINY_CNN))


def test_images_for_a_model_that_takes_vectors_are_refused(tmp_path):
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(tmp_path / "a.png")
    with pytest.raises(KspecError, match="not images"):
        read_inputs([tmp_path / "a.png"], resolved(TINY_REGRESSION))
