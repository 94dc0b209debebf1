"""Each rule: true findings (with the line, and the values in the message) and near misses that
must stay silent. Fragments are merged over the base spec of :mod:`.helpers`."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kspec.analyse.lint import LintConfig
from kspec.analyse.rules import RULES
from kspec.diagnostics import Severity

from .helpers import codes, lint_fragment


@dataclass
class Case:
    code: str
    fires: bool
    fragment: str
    line: int | None = None
    """1-based line of the finding in the fragment."""
    says: tuple[str, ...] = ()
    """Substrings of the message (or hint) of the finding."""
    severity: Severity | None = None
    id: str = ""
    advice: bool = False
    """Lint with the case's rule selected (design advice is off by default)."""


MLP = """\
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 128, activation: relu}
    - {type: Dense, units: 10, activation: softmax}
"""

HELLO_DATA = """\
data:
  type: arrays
  x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
  y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
"""

FOLDER = """\
data:
  type: image_folder
  directory: images/{folder}
  target_size: [16, 16]
  color_mode: grayscale
  class_mode: {mode}
  rescale: 1/255
"""

CNN = """\
data: {{type: synthetic, image_size: 28, samples: 400, rescale: 1/255}}
model:
  layers:
{layers}
    - {{type: Flatten}}
    - {{type: Dense, units: 4, activation: softmax}}
"""


def _conv(k: int, filters: int = 16) -> str:
    return f"    - {{type: Conv2D, filters: {filters}, kernel_size: {k}, activation: relu}}\n"


_pool = "    - {type: MaxPooling2D}\n"

BACKBONE = """\
data: {{type: keras, name: cifar10, {rescale}}}
model:
  layers:
    - {{type: Application, name: MobileNetV2, alpha: 0.35, weights: null, include_top: false, pooling: avg, trainable: false{pre}}}
    - {{type: Dense, units: 10, activation: softmax}}
"""
CIFAR = """\
data: {{type: keras, name: cifar10}}
model:
  layers:
{layers}    - {{type: Flatten}}
    - {{type: Dense, units: 10, activation: softmax}}
"""
BACKBONE_AFTER = """\
data: {{type: keras, name: cifar10, {rescale}}}
model:
  layers:
{layers}    - {{type: Application, name: MobileNetV2, alpha: 0.35, weights: null, include_top: false, pooling: avg{pre}}}
    - {{type: Dense, units: 10, activation: softmax}}
"""
_IDS = "[[1, 3, 7], [2, 9, 4], [11, 3, 8], [5, 6, 7]]"
_EMBED = """\
model:
  layers:
    - {first}
    - {{type: Embedding, input_dim: {dim}, output_dim: 4}}
    - {{type: GlobalAveragePooling1D}}
    - {{type: Dense, units: 1, activation: sigmoid}}
compile: {{optimizer: adam, loss: binary_crossentropy}}
"""
ARRAYS = """\
data:
  type: arrays
  x: {x}
  y: {y}
  {extra}
"""
BINARY = """\
model:
  layers: [{type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
"""
REGRESSION = """\
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: adam, loss: mean_squared_error}
"""
SPARSE3 = """\
model:
  layers: [{type: Dense, units: 3, activation: softmax}]
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
"""

CASES = [
    # ---------------------------------------------------------------- KS101 impossible-shape
    Case("KS101", True, """\
data: {type: synthetic, image_size: 8, samples: 400, rescale: 1/255}
model:
  layers:
    - {type: Conv2D, filters: 8, kernel_size: 3, activation: relu}
    - {type: MaxPooling2D, pool_size: 7}
    - {type: Flatten}
    - {type: Dense, units: 4, activation: softmax}
""", line=5, says=("layer 1 (MaxPooling2D)", "pool_size 7", "dimension 6"), id="pool-collapses"),
    Case("KS101", True, """\
model:
  layers:
    - {type: Conv2D, filters: 8, kernel_size: 3, activation: relu}
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
""", line=3, says=("rank 3", "reshape: [28, 28, 1]"), id="no-channel-axis"),
    Case("KS101", False, """\
data: {type: synthetic, image_size: 8, samples: 400, rescale: 1/255}
model:
  layers:
    - {type: Conv2D, filters: 8, kernel_size: 9, padding: same, activation: relu}
    - {type: Flatten}
    - {type: Dense, units: 4, activation: softmax}
""", id="same-padding"),
    # ---------------------------------------------------------------- KS102 input-shape-mismatch
    Case("KS102", True, """\
model:
  input_shape: [28, 28, 3]
  layers: [{type: Flatten}, {type: Dense, units: 10, activation: softmax}]
""", line=2, says=("[28, 28, 3]", "[28, 28]")),
    Case("KS102", True, FOLDER.format(folder="train", mode="binary") + """\
model:
  input_shape: [32, 32, 3]
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
""", line=9, says=("target_size: [32, 32]", "color_mode: rgb"), id="image-folder"),
    Case("KS102", False, """\
model:
  input_shape: [28, 28]
  layers: [{type: Flatten}, {type: Dense, units: 10, activation: softmax}]
"""),
    # ---------------------------------------------------------------- KS103 dense-without-flatten
    Case("KS103", True, """\
model:
  layers:
    - {type: Dense, units: 10, activation: softmax}
""", line=3, says=("(28, 28)", "(28, 10)", "Flatten")),
    Case("KS103", False, """\
data: {type: synthetic, image_size: 16, samples: 400, rescale: 1/255}
model:
  layers:
    - {type: Conv2D, filters: 8, kernel_size: 3, activation: relu}
    - {type: GlobalAveragePooling2D}
    - {type: Dense, units: 4, activation: softmax}
""", id="global-pooling"),
    Case("KS103", False, """\
data:
  type: arrays
  x: [[[0.1], [0.2], [0.3]], [[0.4], [0.5], [0.6]]]
  y: [[0, 1, 2], [2, 1, 0]]
model:
  layers: [{type: Dense, units: 3, activation: softmax}]
""", id="per-step-labels"),
    # ---------------------------------------------------------------- KS104 output-shape-mismatch
    Case("KS104", True, """\
data:
  type: arrays
  x: [[0.0], [1.0], [2.0]]
  y: [[0.0, 1.0], [1.0, 3.0], [2.0, 5.0]]
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", line=6, says=("(1,)", "(2,)", "units: 2")),
    Case("KS104", True, """\
data: {type: synthetic, image_size: 8, samples: 400, rescale: 1/255}
model:
  layers: [{type: Conv2D, filters: 4, kernel_size: 3, activation: softmax}]
""", line=3, says=("(6, 6, 4)", "Flatten"), id="ends-in-conv"),
    Case("KS104", False, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", id="scalar-target-one-unit"),
    # ---------------------------------------------------------------- KS105 flatten-parameter-explosion
    Case("KS105", True, """\
data: {type: synthetic, image_size: 300, samples: 2000, rescale: 1/255}
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 512, activation: relu}
    - {type: Dense, units: 4, activation: softmax}
""", line=5, says=("90,000 values", "46,080,512 parameters", "184.3 MB")),
    Case("KS105", False, """\
data: {type: synthetic, image_size: 264, samples: 2000, rescale: 1/255}
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 128, activation: relu}
    - {type: Dense, units: 4, activation: softmax}
""", id="just-under-ten-million"),
    # ---------------------------------------------------------------- KS106 reshape-size-mismatch
    Case("KS106", True, """\
model:
  layers:
    - {type: Reshape, target_shape: [28, 28, 3]}
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
""", line=3, says=("2352", "784")),
    Case("KS106", True, """\
data: {type: keras, name: fashion_mnist, rescale: 1/255, reshape: [28, 28, 3]}
""", line=1, says=("2,352", "784"), id="data-reshape"),
    Case("KS106", False, """\
model:
  layers:
    - {type: Reshape, target_shape: [-1, 28, 1]}
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
""", id="inferred-axis"),
    # ---------------------------------------------------------------- KS201 last-layer-units-mismatch
    Case("KS201", True, """\
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 8, activation: softmax}
""", line=4, says=("8 units", "10 classes"), id="fashion"),
    Case("KS201", True, FOLDER.format(folder="train", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 2, activation: softmax}]
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
""", line=9, says=("2 units", "2 classes", "binary_crossentropy"), id="binary-two-units-bce"),
    Case("KS201", True, FOLDER.format(folder="train_with_empty", mode="sparse") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 2, activation: softmax}]
""", line=9, says=("3 classes",), id="class-folders"),
    Case("KS201", False, FOLDER.format(folder="train", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 2, activation: softmax}]
""", id="binary-two-softmax-units"),
    Case("KS201", False, FOLDER.format(folder="train", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
""", id="binary-one-sigmoid-unit"),
    # ---------------------------------------------------------------- KS202 softmax-single-unit
    Case("KS202", True, """\
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 1}
    - {type: Activation, activation: softmax}
""", line=5, says=("always outputs 1.0",), id="activation-layer"),
    Case("KS202", False, FOLDER.format(folder="train", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 2, activation: softmax}]
"""),
    # ---------------------------------------------------------------- KS203 loss-activation-mismatch
    Case("KS203", True, FOLDER.format(folder="train", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: relu}]
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
""", line=9, says=("binary_crossentropy", "relu"), id="bce-relu"),
    Case("KS203", True, """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 10}]
""", line=2, says=("linear",), id="sparse-linear"),
    Case("KS203", False, """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 10}]
compile:
  optimizer: adam
  loss: {type: sparse_categorical_crossentropy, from_logits: true}
""", id="from-logits"),
    Case("KS203", False, """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 10, activation: softmax}, {type: BatchNormalization}]
""", id="unknown-output-range"),
    # ---------------------------------------------------------------- KS204 from-logits-on-probabilities
    Case("KS204", True, """\
compile:
  optimizer: adam
  loss: {type: sparse_categorical_crossentropy, from_logits: true}
""", line=3, says=("softmax",)),
    Case("KS204", False, """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 10}]
compile:
  optimizer: adam
  loss: {type: sparse_categorical_crossentropy, from_logits: true}
"""),
    # ---------------------------------------------------------------- KS205 label-encoding-mismatch
    Case("KS205", True, "compile: {optimizer: adam, loss: categorical_crossentropy}\n", line=1,
         says=("integer class ids 0..9", "label_encoding: one_hot"), id="ids-with-categorical"),
    Case("KS205", True, """\
data: {type: keras, name: fashion_mnist, rescale: 1/255, label_encoding: one_hot}
""", line=8, says=("one-hot",), id="one-hot-with-sparse"),
    Case("KS205", True, FOLDER.format(folder="train", mode="categorical") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 2, activation: softmax}]
""", line=11, says=("class_mode: sparse",), id="folder-categorical-with-sparse"),
    Case("KS205", True, """\
data:
  type: arrays
  x: [[0.1], [0.2], [0.3]]
  y: [[1, 1, 0], [0, 1, 1], [1, 0, 0]]
model:
  layers: [{type: Dense, units: 3, activation: softmax}]
compile: {optimizer: adam, loss: binary_crossentropy}
""", line=6, says=("multi-hot",), id="multi-hot-softmax"),
    Case("KS205", True, "compile: {optimizer: adam, loss: binary_crossentropy}\n", line=1,
         says=("up to 9",), id="ids-with-bce"),
    Case("KS205", False, """\
data: {type: keras, name: fashion_mnist, rescale: 1/255, label_encoding: one_hot}
compile: {optimizer: adam, loss: categorical_crossentropy, metrics: [accuracy]}
""", id="one-hot-with-categorical"),
    Case("KS205", False, """\
data:
  type: arrays
  x: [[0.1], [0.2], [0.3]]
  y: [[1, 1, 0], [0, 1, 1], [1, 0, 0]]
model:
  layers: [{type: Dense, units: 3, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
""", id="multi-hot-sigmoid"),
    # ---------------------------------------------------------------- KS206 regression-loss-on-classes
    Case("KS206", True, """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1}]
compile: {optimizer: adam, loss: mean_squared_error}
""", line=3, says=("10 classes",), id="class-ids"),
    Case("KS206", False, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", id="continuous"),
    Case("KS206", False, FOLDER.format(folder="train", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: mean_squared_error}
""", id="binary-sigmoid"),
    # ---------------------------------------------------------------- KS207 output-range-mismatch
    Case("KS207", True, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", line=6, says=("[0, 1]", "-3 to 7")),
    Case("KS207", False, """\
data:
  type: arrays
  x: [[0.1], [0.2], [0.3], [0.4]]
  y: [0.0, 0.5, 1.0, 0.25]
model:
  layers: [{type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", id="targets-in-range"),
    # ---------------------------------------------------------------- KS208 hidden-softmax
    Case("KS208", True, """\
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 64}
    - {type: Activation, activation: softmax}
    - {type: Dense, units: 10, activation: softmax}
""", line=5),
    Case("KS208", False, """\
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 64, activation: relu}
    - {type: Dense, units: 10}
    - {type: Activation, activation: softmax}
""", id="activation-after-output"),
    # ---------------------------------------------------------------- KS209 consecutive-activations
    Case("KS209", True, """\
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 64, activation: relu}
    - {type: Activation, activation: relu}
    - {type: Dense, units: 10, activation: softmax}
""", line=5, says=("relu right after",)),
    Case("KS209", False, """\
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 64}
    - {type: Activation, activation: relu}
    - {type: Dense, units: 10, activation: softmax}
"""),
    # ---------------------------------------------------------------- KS210 no-nonlinearity
    Case("KS210", True, """\
data: {type: synthetic, image_size: 16, samples: 400, rescale: 1/255}
model:
  layers:
    - {type: Conv2D, filters: 8, kernel_size: 3}
    - {type: AveragePooling2D, pool_size: 2}
    - {type: Flatten}
    - {type: Dense, units: 4, activation: softmax}
""", line=4),
    Case("KS210", False, """\
data: {type: synthetic, image_size: 16, samples: 400, rescale: 1/255}
model:
  layers:
    - {type: Conv2D, filters: 8, kernel_size: 3}
    - {type: MaxPooling2D}
    - {type: Flatten}
    - {type: Dense, units: 4, activation: softmax}
""", id="max-pooling-is-nonlinear"),
    Case("KS210", False, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", id="one-layer"),
    # ---------------------------------------------------------------- KS301 unscaled-input
    Case("KS301", True, "data: {type: keras, name: mnist}\n", line=1, says=("uint8", "0..255", "rescale: 1/255")),
    Case("KS301", False, """\
data: {type: keras, name: fashion_mnist}
model:
  layers:
    - {type: Rescaling, scale: 0.00392156862745098}
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
""", id="rescaling-layer"),
    Case("KS301", False, """\
data: {type: keras, name: fashion_mnist}
model:
  layers:
    - {type: BatchNormalization}
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
""", id="batchnorm-first"),
    Case("KS301", False, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", id="small-features"),
    # ---------------------------------------------------------------- KS302 inconsistent-scaling
    Case("KS302", True, """\
data:
  type: arrays
  x: [[0, 255], [255, 0], [0, 0], [255, 255]]
  y: [0, 1, 0, 1]
  x_test: [[0.0, 1.0], [1.0, 0.0]]
  y_test: [0, 1]
  rescale: 1/255
model:
  layers: [{type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
""", line=5, says=("0..255", "test inputs range 0..1")),
    Case("KS302", False, """\
data:
  type: arrays
  x: [[0, 255], [255, 0], [0, 0], [255, 255]]
  y: [0, 1, 0, 1]
  x_test: [[0, 250], [240, 0]]
  y_test: [0, 1]
  rescale: 1/255
model:
  layers: [{type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
"""),
    # ---------------------------------------------------------------- KS303 class-imbalance
    Case("KS303", True, FOLDER.format(folder="train_imbalanced", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
""", line=3, says=("horses: 12", "humans: 2", "6.0x")),
    Case("KS303", False, FOLDER.format(folder="train", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
"""),
    # ---------------------------------------------------------------- KS304 validation-classes-mismatch
    Case("KS304", True, FOLDER.format(folder="train", mode="binary") + """\
  validation_directory: images/validation_typo
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
""", line=8, says=("missing humans", "extra humnas")),
    Case("KS304", False, FOLDER.format(folder="train", mode="binary") + """\
  validation_directory: images/validation
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
"""),
    # ---------------------------------------------------------------- KS305 empty-class
    Case("KS305", True, FOLDER.format(folder="train_with_empty", mode="sparse") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 3, activation: softmax}]
""", line=3, says=("folder c contains no images",)),
    Case("KS305", False, FOLDER.format(folder="train", mode="sparse") + """\
  validation_directory: images/validation
model:
  layers: [{type: Flatten}, {type: Dense, units: 2, activation: softmax}]
"""),
    # ---------------------------------------------------------------- KS306 little-data
    Case("KS306", True, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 8192, activation: relu}, {type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", says=("24,577 trainable parameters for 6",)),
    Case("KS306", False, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
"""),
    # ---------------------------------------------------------------- KS307 image-size-cost
    Case("KS307", True, """\
data:
  type: image_folder
  directory: images/no_such_folder
  target_size: [300, 300]
  class_mode: binary
  rescale: 1/255
model:
  layers:
    - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
    - {type: MaxPooling2D, pool_size: 2}
    - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
    - {type: MaxPooling2D, pool_size: 2}
    - {type: Conv2D, filters: 64, kernel_size: 3, activation: relu}
    - {type: MaxPooling2D, pool_size: 2}
    - {type: Conv2D, filters: 64, kernel_size: 3, activation: relu}
    - {type: MaxPooling2D, pool_size: 2}
    - {type: Conv2D, filters: 64, kernel_size: 3, activation: relu}
    - {type: MaxPooling2D, pool_size: 2}
    - {type: Flatten}
    - {type: Dense, units: 512, activation: relu}
    - {type: Dense, units: 1, activation: sigmoid}
compile: {optimizer: rmsprop, loss: binary_crossentropy, metrics: [accuracy]}
""", line=4, says=("at [150, 150]", "4.4x less compute"), severity=Severity.INFO, id="course-cnn-300"),
    Case("KS307", True, FOLDER.format(folder="train", mode="binary").replace("[16, 16]", "[48, 48]") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
""", line=4, says=("stored images are 16x16", "at [16, 16]", "9.0x less"), id="upscaling"),
    Case("KS307", False, FOLDER.format(folder="train", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
"""),
    # ---------------------------------------------------------------- KS308 data-not-inspected
    Case("KS308", True, "data: {type: npy, x: missing_x.npy, y: missing_y.npy}\n", line=1,
         says=("does not exist",), severity=Severity.INFO),
    # ---------------------------------------------------------------- KS309 input-scaled-twice
    Case("KS309", True, """\
model:
  layers:
    - {type: Rescaling, scale: 0.00392156862745098}
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
""", line=3, says=("255x smaller",), id="rescale-and-layer"),
    Case("KS309", True, """\
data:
  type: arrays
  x: [[0.1, 0.9], [0.5, 0.2], [0.3, 0.4]]
  y: [0, 1, 0]
  rescale: 1/255
model:
  layers: [{type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
""", line=5, says=("already in 0.1..0.9",), id="already-scaled"),
    Case("KS309", False, """\
data: {type: keras, name: fashion_mnist}
model:
  layers:
    - {type: Rescaling, scale: 0.00392156862745098}
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
""", id="layer-only"),
    # ---------------------------------------------------------------- KS310 missing-split
    Case("KS310", True, HELLO_DATA + """\
  validation: test
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", line=5, says=("no test samples", "x_test")),
    Case("KS310", True, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
evaluate: {data: validation}
""", line=8, says=("no validation split",), id="evaluate-validation"),
    Case("KS310", False, FOLDER.format(folder="train", mode="binary") + """\
  validation_directory: images/validation
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
evaluate: {data: validation}
""", id="folder-validation"),
    # ---------------------------------------------------------------- KS311 unreadable-image
    Case("KS311", True, FOLDER.format(folder="train_with_bad_file", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
""", line=3, says=("broken.png", "not an image"), severity=Severity.ERROR),
    Case("KS311", True, FOLDER.format(folder="train_with_bad_file", mode="binary") + """\
  on_bad_file: skip
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
""", line=3, says=("on_bad_file: skip leaves them out",), severity=Severity.INFO, id="skipped"),
    # ---------------------------------------------------------------- KS312 color-mode-mismatch
    Case("KS312", True, FOLDER.format(folder="train", mode="binary").replace("grayscale", "rgb") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
""", line=5, says=("grayscale", "3 channels")),
    # ---------------------------------------------------------------- KS401 learning-rate-range
    Case("KS401", True, "compile:\n  optimizer: {type: sgd, learning_rate: 0.0000001}\n  loss: sparse_categorical_crossentropy\n",
         line=2, says=("very small", "sgd")),
    Case("KS401", False, "compile:\n  optimizer: {type: sgd, learning_rate: 0.5}\n  loss: sparse_categorical_crossentropy\n"),
    Case("KS401", False, "compile:\n  optimizer: {type: adam, learning_rate: 0.01}\n  loss: sparse_categorical_crossentropy\n"),
    Case("KS401", True, "compile:\n  optimizer: {type: sgd, learning_rate: 0.1, momentum: 0.99}\n  loss: sparse_categorical_crossentropy\n",
         line=2, says=("momentum 0.99", "effective step of 10", "expected 1e-05..1", "Bengio"), id="momentum"),
    Case("KS401", True, "compile:\n  optimizer: {type: rmsprop, learning_rate: 0.1}\n  loss: sparse_categorical_crossentropy\n",
         line=2, says=("very large for rmsprop", "expected 1e-05..0.01", "use learning_rate 0.001"), id="rmsprop"),
    Case("KS401", False, "compile:\n  optimizer: {type: sgd, learning_rate: 0.01, momentum: 0.9}\n  loss: sparse_categorical_crossentropy\n",
         id="momentum-ok"),
    Case("KS401", False, "compile:\n  optimizer: {type: sgd, learning_rate: 1.0e-8, momentum: 0.9}\n  loss: huber\n"
         "train: {epochs: 100, callbacks: [{type: learning_rate_scheduler, schedule: {type: exponential, "
         "initial_learning_rate: 1.0e-8, factor: 10, epochs_per_factor: 20}}]}\n", id="sweep-sets-the-rate"),
    # ---------------------------------------------------------------- KS450 schedule-and-rate-callback
    Case("KS450", True, "compile:\n  optimizer: {type: adam, learning_rate: {type: ExponentialDecay, initial_learning_rate: 0.001, "
         "decay_steps: 100, decay_rate: 0.9}}\n  loss: sparse_categorical_crossentropy\n"
         "train: {epochs: 20, callbacks: [{type: ReduceLROnPlateau, monitor: loss, patience: 3}]}\n", line=4,
         says=("reduce_lr_on_plateau", "schedule ExponentialDecay", "not set")),
    Case("KS450", False, "compile:\n  optimizer: {type: adam, learning_rate: {type: ExponentialDecay, initial_learning_rate: 0.001, "
         "decay_steps: 100, decay_rate: 0.9}}\n  loss: sparse_categorical_crossentropy\n"
         "train: {epochs: 20, callbacks: [terminate_on_nan]}\n", id="schedule-alone"),
    # ---------------------------------------------------------------- KS451 swap-ema-without-ema
    Case("KS451", True, "train: {callbacks: [SwapEMAWeights]}\n", line=1, says=("use_ema is false",)),
    Case("KS451", False, "compile:\n  optimizer: {type: adam, use_ema: true}\n  loss: sparse_categorical_crossentropy\n"
         "train: {callbacks: [swap_ema_weights]}\n", id="ema-on"),
    # ---------------------------------------------------------------- KS411 ambiguous-accuracy
    Case("KS411", True, "data: {type: keras, name: mnist, rescale: 1/255, label_encoding: one_hot}\n"
         "compile: {optimizer: adam, loss: binary_crossentropy, metrics: [acc]}\n", line=2,
         says=("`acc` is binary_accuracy", "each of the 10 outputs", "0.90")),
    Case("KS411", False, "data: {type: keras, name: mnist, rescale: 1/255, label_encoding: one_hot}\n"
         "compile: {optimizer: adam, loss: categorical_crossentropy, metrics: [acc]}\n"),
    # ---------------------------------------------------------------- KS408 too-few-steps
    Case("KS408", True, "train: {epochs: 1, batch_size: 1024}\n", line=1,
         says=("1 epoch x 59 steps per epoch = 59 optimisation steps", "at least 100", "at least 2 epochs")),
    Case("KS408", False, "train: {epochs: 2, batch_size: 1024}\n", id="118-steps"),
    Case("KS408", False, HELLO_DATA + "model:\n  layers: [{type: Dense, units: 1}]\ncompile: {optimizer: sgd, loss: mean_squared_error}\n"
         "train: {epochs: 3}\n", id="tiny-data"),
    # ---------------------------------------------------------------- KS409 optimizer-epsilon
    Case("KS409", True, "compile:\n  optimizer: {type: adam, epsilon: 1.0e-10}\n  loss: sparse_categorical_crossentropy\n",
         line=2, says=("epsilon 1e-10 is below 1e-8", "expected 1e-8..1")),
    Case("KS409", False, "compile:\n  optimizer: {type: adam, epsilon: 1.0e-8}\n  loss: sparse_categorical_crossentropy\n"),
    # ---------------------------------------------------------------- KS410 gradient-clipping
    Case("KS410", True, "compile:\n  optimizer: {type: sgd, clipvalue: 0.00001}\n  loss: sparse_categorical_crossentropy\n",
         line=2, says=("clipvalue 1e-05", "expected at least 0.0001")),
    Case("KS410", False, "compile:\n  optimizer: {type: sgd, clipnorm: 1.0}\n  loss: sparse_categorical_crossentropy\n"),
    # ---------------------------------------------------------------- KS402 batch-size
    Case("KS402", True, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
train: {epochs: 5, batch_size: 64}
""", line=8, says=("larger than the 6 training samples",), id="larger-than-data"),
    Case("KS402", False, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", id="default-batch-on-small-data"),
    # ---------------------------------------------------------------- KS403 steps-exceed-data
    Case("KS403", True, FOLDER.format(folder="train", mode="binary") + """\
  validation_directory: images/validation
  batch_size: 2
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
train: {epochs: 2, steps_per_epoch: 3, validation_steps: 3}
""", line=13, says=("validation_steps 3 x batch size 2 = 6", "4"), id="validation-steps"),
    Case("KS403", False, FOLDER.format(folder="train", mode="binary") + """\
  batch_size: 2
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy}
train: {epochs: 2, steps_per_epoch: 3}
""", id="exactly-one-pass"),
    # ---------------------------------------------------------------- KS404 unknown-monitor
    Case("KS404", True, """\
train:
  callbacks:
    - {type: early_stopping, monitor: val_accuracy, patience: 2}
  epochs: 10
""", line=3, says=("no validation data",), id="val-without-validation"),
    Case("KS404", True, """\
train:
  epochs: 10
  callbacks:
    - {type: early_stopping, monitor: auc, patience: 2}
""", line=4, says=("'auc' is not compiled",), id="not-compiled"),
    Case("KS404", True, """\
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [acc]}
train:
  epochs: 10
  callbacks:
    - {type: threshold_stop, monitor: accuracy, threshold: 0.9}
""", line=5, says=("as 'acc'",), id="compiled-as-acc"),
    Case("KS404", False, """\
data: {type: keras, name: fashion_mnist, rescale: 1/255, validation: 0.1}
train:
  epochs: 10
  callbacks:
    - {type: early_stopping, monitor: val_accuracy, patience: 2}
    - {type: model_checkpoint, monitor: anything}
    - {type: reduce_lr_on_plateau, monitor: learning_rate, patience: 2}
""", id="validation-present"),
    # ---------------------------------------------------------------- KS405 unreachable-threshold
    Case("KS405", True, """\
train:
  epochs: 10
  callbacks:
    - {type: threshold_stop, monitor: loss, threshold: -0.1}
""", line=4, says=("never below 0",), id="negative-loss"),
    Case("KS405", False, """\
train:
  epochs: 10
  callbacks:
    - {type: threshold_stop, monitor: accuracy, threshold: 1.0}
""", id="accuracy-one"),
    # ---------------------------------------------------------------- KS406 patience-not-below-epochs
    Case("KS406", True, """\
data: {type: keras, name: fashion_mnist, rescale: 1/255, validation: 0.1}
train:
  epochs: 5
  callbacks:
    - {type: reduce_lr_on_plateau, patience: 10}
""", line=5, says=("patience 10", "epochs 5"), id="reduce-lr"),
    Case("KS406", False, """\
train:
  epochs: 5
  callbacks:
    - {type: early_stopping, monitor: loss, patience: 2}
"""),
    # ---------------------------------------------------------------- KS407 accuracy-on-regression
    Case("KS407", True, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error, metrics: [acc]}
""", line=7, says=("acc on a regression model",)),
    Case("KS407", False, FOLDER.format(folder="train", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: mean_squared_error, metrics: [accuracy]}
""", id="binary-labels"),
    # ---------------------------------------------------------------- KS501 high-dropout
    Case("KS501", True, MLP.replace("    - {type: Dense, units: 10", "    - {type: Dropout, rate: 0.75}\n    - {type: Dense, units: 10"),
         line=5, says=("75%",)),
    Case("KS501", False, MLP.replace("    - {type: Dense, units: 10", "    - {type: Dropout, rate: 0.5}\n    - {type: Dense, units: 10")),
    # ---------------------------------------------------------------- KS502 dropout-before-batchnorm
    Case("KS502", True, MLP.replace("    - {type: Dense, units: 10", "    - {type: Dropout, rate: 0.2}\n    - {type: BatchNormalization}\n    - {type: Dense, units: 10"), line=5),
    Case("KS502", False, MLP.replace("    - {type: Dense, units: 10", "    - {type: BatchNormalization}\n    - {type: Dropout, rate: 0.2}\n    - {type: Dense, units: 10")),
    # ---------------------------------------------------------------- KS503 bias-before-batchnorm
    Case("KS503", True, MLP.replace("units: 128, activation: relu}", "units: 128}\n    - {type: BatchNormalization}\n    - {type: Activation, activation: relu}"),
         line=4, severity=Severity.INFO),
    Case("KS503", False, MLP.replace("units: 128, activation: relu}", "units: 128, activation: relu}\n    - {type: BatchNormalization}"),
         id="activation-in-between"),
    Case("KS503", False, MLP.replace("units: 128, activation: relu}", "units: 128}\n    - {type: BatchNormalization, center: false}\n    - {type: Activation, activation: relu}"),
         id="no-centering"),
    # ---------------------------------------------------------------- KS504 constant-initializer
    Case("KS504", True, MLP.replace("units: 128, activation: relu}", "units: 128, activation: relu, kernel_initializer: zeros}"),
         line=4, says=("never learn",), severity=Severity.ERROR, id="zeros-relu"),
    Case("KS504", True, MLP.replace("units: 128, activation: relu}", "units: 128, activation: tanh, kernel_initializer: ones}"),
         line=4, says=("near-copies",), severity=Severity.WARNING, id="ones-tanh"),
    Case("KS504", False, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1, kernel_initializer: zeros}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", id="output-layer"),
    Case("KS504", False, HELLO_DATA + """\
model:
  layers: [{type: Dense, units: 1, kernel_initializer: ones}, {type: Dense, units: 1}]
compile: {optimizer: sgd, loss: mean_squared_error}
""", id="single-unit"),
    # ---------------------------------------------------------------- KS505 stride-skips-input
    Case("KS505", True, """\
data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
model:
  layers:
    - {type: Conv2D, filters: 8, kernel_size: 3, strides: [1, 4], activation: relu}
    - {type: Flatten}
    - {type: Dense, units: 4, activation: softmax}
""", line=4, id="conv"),
    Case("KS505", False, """\
data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
model:
  layers:
    - {type: Conv2D, filters: 8, kernel_size: 1, strides: 2, activation: relu}
    - {type: MaxPooling2D, pool_size: 3, strides: 2}
    - {type: Flatten}
    - {type: Dense, units: 4, activation: softmax}
""", id="overlapping-and-1x1"),
    # ---------------------------------------------------------------- KS506 dropout-after-output
    Case("KS506", True, MLP + "    - {type: Dropout, rate: 0.1}\n", line=6),
    Case("KS506", False, MLP.replace("    - {type: Dense, units: 10", "    - {type: Dropout, rate: 0.2}\n    - {type: Dense, units: 10")),
    # ---------------------------------------------------------------- KS8xx design advice (selected)
    Case("KS801", True, CNN.format(layers=_conv(3) + _pool + _conv(5, 32) + _pool), line=6, says=("larger kernel (5)",), advice=True),
    Case("KS801", False, CNN.format(layers=_conv(5) + _pool + _conv(3, 32) + _pool), advice=True),
    Case("KS802", True, CNN.format(layers=_conv(3, 64) + _pool + _conv(3, 16) + _pool), line=6,
         says=("16 filters, fewer than the 64",), advice=True),
    Case("KS802", False, CNN.format(layers=_conv(3, 16) + _pool + _conv(3, 16) + _pool), advice=True),
    Case("KS803", True, MLP.replace("units: 128", "units: 32").replace("    - {type: Dense, units: 10",
         "    - {type: Dense, units: 64, activation: relu}\n    - {type: Dense, units: 10"), line=5,
         says=("(64 units) is wider than layer 1 (32 units)",), advice=True),
    Case("KS803", False, MLP, advice=True),
    Case("KS804", True, CNN.format(layers=_conv(3) + _conv(3)), line=4, says=("2 convolutions and no pooling",), advice=True),
    Case("KS804", False, CNN.format(layers=_conv(3) + "    - {type: Conv2D, filters: 16, kernel_size: 3, strides: 2, activation: relu}\n"),
         advice=True, id="strided"),
    Case("KS805", True, MLP.replace("activation: relu}", "activation: tanh}\n    - {type: Dense, units: 64, activation: tanh}"
                                    "\n    - {type: Dense, units: 32, activation: sigmoid}"), line=4,
         says=("3 hidden layers use saturating activations (sigmoid, tanh)",), advice=True),
    Case("KS805", False, MLP.replace("activation: relu}", "activation: tanh}\n    - {type: Dense, units: 64, activation: tanh}"),
         advice=True, id="two"),
    Case("KS806", True, CNN.format(layers=_conv(3) + _pool).replace("    - {type: Dense, units: 4",
         "    - {type: Dense, units: 8, activation: relu}\n" * 4 + "    - {type: Dense, units: 4"), line=8,
         says=("4 hidden Dense layers",), advice=True),
    Case("KS806", False, CNN.format(layers=_conv(3) + _pool).replace("    - {type: Dense, units: 4",
         "    - {type: Dense, units: 8, activation: relu}\n" * 3 + "    - {type: Dense, units: 4"), advice=True),
    Case("KS807", True, CNN.format(layers=_conv(3) + _conv(3) + _pool + _conv(3) + _pool), line=4,
         says=("3 of the 3 convolutions",), advice=True),
    Case("KS807", False, CNN.format(layers=_conv(3) + _pool + _conv(3) + _pool), advice=True, id="two-convs"),
    Case("KS808", True, CNN.format(layers=_conv(3) + "    - {type: Dropout, rate: 0.2}\n" + _pool), line=5,
         says=("right before MaxPooling2D",), advice=True),
    Case("KS808", False, CNN.format(layers=_conv(3) + _pool + "    - {type: Dropout, rate: 0.2}\n"), advice=True),
    Case("KS809", True, MLP.replace("activation: relu}", "activation: relu, bias_initializer: ones}"), line=4,
         says=("starts its biases with ones",), advice=True),
    Case("KS809", False, MLP.replace("activation: softmax}", "activation: softmax, bias_initializer: ones}"),
         advice=True, id="output-bias"),
    # ---------------------------------------------------------------- KS301 on tabular features
    Case("KS301", True, ARRAYS.format(x="[[0.1, 250], [0.2, 310], [0.3, 120], [0.4, 480]]", y="[0, 1, 0, 1]", extra="")
         + BINARY, line=3, says=("1 of the 2 input features exceeds 10", "column 1: 120..480"), id="tabular"),
    Case("KS301", False, ARRAYS.format(x="[[-1.2, 0.3], [0.1, -1.4], [1.3, 1.0], [-0.2, 0.1]]", y="[0, 1, 0, 1]",
                                       extra="") + BINARY, id="tabular-standardised"),
    # ---------------------------------------------------------------- KS313 non-finite-values
    Case("KS313", True, ARRAYS.format(x="[[0.1, .nan], [0.2, .inf], [0.3, .nan], [0.4, 0.5]]", y="[0, 1, 0, 1]",
                                      extra="") + BINARY, line=3,
         says=("training inputs", "2 NaN values and 1 infinite value")),
    Case("KS313", True, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[0, 1, .nan, 1]", extra="") + BINARY,
         line=4, says=("training labels", "1 NaN value"), id="labels"),
    Case("KS313", False, ARRAYS.format(x="[[0.1, 1e30], [0.2, -1e30], [0.3, 0], [0.4, 0.5]]", y="[0, 1, 0, 1]",
                                       extra="") + BINARY, id="huge-but-finite"),
    # ---------------------------------------------------------------- KS314 constant-values
    Case("KS314", True, ARRAYS.format(x="[[0.1, 7, 1], [0.2, 7, 1], [0.3, 7, 1], [0.4, 7, 1]]",
                                      y="[0.5, 0.7, 0.9, 1.1]", extra="") + REGRESSION, line=3,
         says=("2 input features of 3 have one value", "column 1, 2")),
    Case("KS314", True, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[3.0, 3.0, 3.0, 3.0]", extra="")
         + REGRESSION, line=4, says=("every one of the 4 training targets is 3",), severity=Severity.WARNING,
         id="constant-target"),
    Case("KS314", False, ARRAYS.format(x="[[0.1, 7], [0.2, 7.5], [0.3, 7], [0.4, 7]]", y="[0.5, 0.7, 0.9, 1.1]",
                                       extra="") + REGRESSION, id="one-value-differs"),
    # ---------------------------------------------------------------- KS315 unscaled-targets
    Case("KS315", True, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[1200, 1800, 2500, 3100]", extra="")
         + REGRESSION, line=4, says=("1200..3100", "expected within -10..10")),
    Case("KS315", False, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[-1.3, -0.4, 0.4, 1.3]", extra="")
         + REGRESSION, id="standardised"),
    Case("KS315", False, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[0, 1, 2, 12]", extra="class_names: [a, b, c, d, e, f, g, h, i, j, k, l, m]")
         + "model:\n  layers: [{type: Dense, units: 13, activation: softmax}]\n"
           "compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}\n", id="class-ids"),
    # ---------------------------------------------------------------- KS316 label-values
    Case("KS316", True, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[0.0, 0.00392156862745098, 0.00784313725490196, 0.0]",
                                      extra="") + SPARSE3, line=4, says=("fractions such as 0.00392157", "divided by 255"),
         severity=Severity.WARNING),
    Case("KS316", True, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[0, 1, 2, 3]", extra="class_names: [a, b, c]")
         + SPARSE3, line=4, says=("0..2 for the 3 class_names", "up to 3"), severity=Severity.ERROR, id="id-too-big"),
    Case("KS316", True, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[[0.5, 0.2, 0.1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]",
                                      extra="") + SPARSE3.replace("sparse_categorical", "categorical"), line=4,
         says=("do not sum to 1",), id="one-hot-rows"),
    Case("KS316", True, FOLDER.format(folder="three", mode="binary") + """\
model:
  layers: [{type: Flatten}, {type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
""", line=6, says=("exactly 2 class folders", "3 class folders"), id="binary-folder-of-three"),
    Case("KS316", True, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[1, 2, 3, 1]", extra="") + SPARSE3, line=4,
         says=("0..2 for the 3 output units", "up to 3", "subtract 1"), id="ids-beyond-units"),
    Case("KS316", False, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[0, 1, 2, 1]", extra="class_names: [a, b, c]")
         + SPARSE3, id="ids-in-range"),
    # ---------------------------------------------------------------- KS317 split-overlap
    Case("KS317", True, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[0, 1, 0, 1]",
                                      extra="x_test: [[0.4], [0.9]]\n  y_test: [1, 1]\n  validation: test") + BINARY,
         line=5, says=("1 of the 2 validation samples",)),
    Case("KS317", True, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4], [0.5], [0.6], [0.7], [0.8], [0.1], [0.2]]",
                                      y="[0, 1, 0, 1, 0, 1, 0, 1, 0, 1]", extra="validation: 0.2") + BINARY,
         line=5, says=("2 of the 2 validation samples", "last 0.2"), id="validation-split"),
    Case("KS317", False, ARRAYS.format(x="[[0.1], [0.2], [0.3], [0.4]]", y="[0, 1, 0, 1]",
                                       extra="x_test: [[0.15], [0.25]]\n  y_test: [0, 1]\n  validation: test") + BINARY),
    # ---------------------------------------------------------------- KS318 backbone-input-range
    Case("KS318", True, BACKBONE.format(rescale="rescale: 1/255", pre=""), line=1,
         says=("takes pixel values 0..255", "remove the rescaling")),
    Case("KS318", True, BACKBONE.format(rescale="", pre=", preprocess_input: false"), line=4,
         says=("takes -1..1",), id="unscaled-pixels"),
    Case("KS318", False, BACKBONE.format(rescale="", pre="")),
    # ------------------------------------------- the preprocessing layers in the rules that reason about layers
    Case("KS301", True, CIFAR.format(layers="    - {type: RandomFlip}\n    - {type: Resizing, height: 16, width: 16}\n"),
         line=1, says=("uint8", "0..255"), id="augmentation-does-not-scale"),
    Case("KS301", False, CIFAR.format(layers="    - {type: RandomFlip}\n    - {type: Normalization}\n"),
         id="normalization-layer"),
    Case("KS301", False, ARRAYS.format(x="[[0.1, 250], [0.2, 310], [0.3, 120], [0.4, 480]]", y="[0, 1, 0, 1]", extra="")
         + "model:\n  layers:\n    - {type: Discretization, bin_boundaries: [200, 300], output_mode: multi_hot}\n"
         "    - {type: Dense, units: 1, activation: sigmoid}\ncompile: {optimizer: adam, loss: binary_crossentropy}\n",
         id="discretized-features"),
    Case("KS318", True, BACKBONE_AFTER.format(rescale="", layers="    - {type: Resizing, height: 64, width: 64}\n"
                                              "    - {type: Normalization}\n", pre=""),
         line=5, says=("layer 2 (Application MobileNetV2) takes pixel values 0..255", "layer 1 (Normalization",
                       "remove the Normalization"), id="normalization-in-front"),
    Case("KS318", True, BACKBONE_AFTER.format(rescale="rescale: 1/255", layers="    - {type: RandomFlip}\n"
                                              "    - {type: Resizing, height: 64, width: 64}\n", pre=""),
         line=1, says=("reach it as 0..1",), id="rescaled-then-resized"),
    Case("KS318", False, BACKBONE_AFTER.format(rescale="", layers="    - {type: Resizing, height: 64, width: 64}\n"
                                               "    - {type: RandomFlip}\n", pre=""), id="resized-pixels"),
    Case("KS318", False, BACKBONE_AFTER.format(rescale="", layers="    - {type: Normalization, mean: 127.5, "
                                               "variance: 16256.25}\n", pre=", preprocess_input: false"),
         id="normalized-to-unit-range"),
    # ---------------------------------------------------------------- KS319 ignored-data-option
    Case("KS319", True, FOLDER.format(folder="train", mode="binary") + "  reshape: [256]\n", line=8,
         says=("`reshape` does not apply to image_folder data", "target_size"), id="image-folder-reshape"),
    Case("KS319", False, FOLDER.format(folder="train", mode="binary"), id="image-folder-rescale"),
    Case("KS319", True, "data: {type: table, path: sentiment.csv, target: label, rescale: 0.5}\n", line=1,
         says=("`rescale` does not apply to table data", "standardised on the training rows", "remove `rescale`"),
         id="table-rescale"),
    Case("KS319", False, "data: {type: series, generator: {length: 200}, window_size: 3, split_time: 150, "
         "rescale: 0.01, reshape: [3, 1]}\n", id="series-applies-both"),
    Case("KS704", True, ARRAYS.format(x=_IDS, y="[0, 1, 0, 1]", extra="") + _EMBED.format(
        first="{type: Hashing, num_bins: 64}", dim=32), line=9,
         says=("Embedding input_dim is 32 but the ids of layer 0 (Hashing) run up to 63", "input_dim: 64"), id="hashing"),
    Case("KS704", False, ARRAYS.format(x=_IDS, y="[0, 1, 0, 1]", extra="") + _EMBED.format(
        first="{type: Hashing, num_bins: 64}", dim=64), id="hashing"),
    Case("KS704", True, ARRAYS.format(x=_IDS, y="[0, 1, 0, 1]", extra="") + _EMBED.format(
        first="{type: IntegerLookup, vocabulary: [3, 7, 11], mask_token: 0}", dim=4), line=9,
         says=("run up to 4", "input_dim: 5"), id="integer-lookup-with-mask-and-oov"),
    Case("KS704", False, ARRAYS.format(x=_IDS, y="[0, 1, 0, 1]", extra="") + _EMBED.format(
        first="{type: IntegerLookup, vocabulary: [3, 7, 11], mask_token: 0}", dim=5), id="integer-lookup"),
    Case("KS704", True, ARRAYS.format(x=_IDS, y="[0, 1, 0, 1]", extra="") + """\
model:
  layers:
    - {type: Hashing, num_bins: 8}
    - {type: CategoryEncoding, num_tokens: 4}
    - {type: Dense, units: 1, activation: sigmoid}
compile: {optimizer: adam, loss: binary_crossentropy}
""", line=9, says=("CategoryEncoding num_tokens is 4", "up to 7"), id="category-encoding"),
    Case("KS704", False, ARRAYS.format(x=_IDS, y="[0, 1, 0, 1]", extra="") + _EMBED.format(
        first="{type: Discretization, bin_boundaries: [2, 5]}", dim=3), id="discretization"),
]


def _id(case: Case) -> str:
    return f"{case.code}-{'fires' if case.fires else 'silent'}" + (f"-{case.id}" if case.id else "")


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_rule(case: Case):
    found = lint_fragment(case.fragment, config=LintConfig(select=["ALL", case.code]) if case.advice else None)
    schema = [d for d in found if d.code[:3] == "KS0" and d.code != "KS090"]
    assert not schema, f"the fragment is not a valid spec: {[(d.code, d.message) for d in schema]}"
    mine = [d for d in found if d.code == case.code]
    if not case.fires:
        assert not mine, f"{case.code} fired on a correct spec: {[d.message for d in mine]}"
        return
    assert mine, f"{case.code} did not fire (found {codes(found)})"
    d = mine[0]
    if case.line is not None:
        assert d.span is not None and d.span.line == case.line, f"finding at line {d.span.line if d.span else None}, " \
                                                                 f"expected {case.line}: {d.message}"
    for text in case.says:
        assert text in f"{d.message} {d.hint}", f"{text!r} not in {d.message!r} / {d.hint!r}"
    if case.severity is not None:
        assert d.severity is case.severity
    assert d.name and d.path is not None and d.span is not None


def test_every_rule_has_a_true_finding_and_a_near_miss():
    fires = {c.code for c in CASES if c.fires}
    silent = {c.code for c in CASES if not c.fires}
    # KS308 and KS312 near misses are every clean case that reads its data or folder.
    documented_elsewhere = {"KS090", "KS308", "KS311", "KS312"}
    for rule in RULES:
        if rule.code in documented_elsewhere or rule.code.startswith(("KS6", "KS7")):
            continue  # KS6xx (distribution) and KS7xx (series, text, tables) rules are tested with their data kinds
        assert rule.code in fires, f"{rule.code}: no true-finding case"
        assert rule.code in silent, f"{rule.code}: no near-miss case"


def test_learning_rate_not_positive_is_a_schema_error():
    found = lint_fragment("compile:\n  optimizer: {type: adam, learning_rate: 0}\n  loss: sparse_categorical_crossentropy\n")
    assert [(d.code, d.path) for d in found] == [("KS014", "compile.optimizer.learning_rate")]


def test_a_crashing_rule_becomes_ks000_and_others_still_run(monkeypatch):
    from kspec.analyse.rules import output

    def boom(self, ctx):
        raise RuntimeError("kaboom")
        yield

    monkeypatch.setattr(output.SoftmaxSingleUnit, "check", boom)
    found = lint_fragment(MLP.replace("units: 10", "units: 8"))
    assert "KS000" in codes(found) and "KS201" in codes(found)
    assert "kaboom" in next(d for d in found if d.code == "KS000").message


def test_threshold_direction_matches_the_runner():
    from kspec.analyse.rules.training import _threshold_mode
    from kspec.emit.callbacks import threshold_mode
    from kspec.spec import ThresholdStop

    for monitor in ("loss", "val_loss", "accuracy", "val_accuracy", "mean_squared_error", "mae", "auc"):
        for mode in ("auto", "min", "max"):
            cb = ThresholdStop(type="threshold_stop", monitor=monitor, threshold=0.5, mode=mode)
            assert _threshold_mode(cb) == threshold_mode(cb), (monitor, mode)


def test_advice_is_off_unless_selected():
    fragment = MLP.replace("activation: relu}", "activation: relu, bias_initializer: ones}")
    assert "KS809" not in codes(lint_fragment(fragment))
    assert "KS809" not in codes(lint_fragment(fragment, config=LintConfig(select=["ALL"])))
    assert "KS809" not in codes(lint_fragment(fragment, config=LintConfig(select=["KS"])))
    for sel in ("KS8", "KS809", "non-zero-bias"):
        assert "KS809" in codes(lint_fragment(fragment, config=LintConfig(select=["ALL", sel]))), sel
    assert "KS809" not in codes(lint_fragment(fragment, config=LintConfig(select=["KS8"], ignore=["KS809"])))
