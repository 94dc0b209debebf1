"""The shared model view: the effective activation wherever it is written, the output head,
per-layer linearity, and layer types the view does not know (described by class attributes)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import ClassVar

from kspec.analyse.view import build, loss_family
from kspec.diagnostics import Severity

from .helpers import lint_fragment


class _L:
    """A stand-in layer: ``type`` plus whatever attributes a test gives it."""

    model_fields: ClassVar[dict] = {}

    def __init__(self, type, **kw):
        self.type = type
        self.__dict__.update(kw)


def _view(*layers, loss="sparse_categorical_crossentropy", **loss_kw):
    return build(list(layers), None, SimpleNamespace(type=loss, **loss_kw), SimpleNamespace(fed_label_kind="integer",
                                                                                            num_classes=10))


def test_output_activation_seen_through_its_spelling():
    for tail in ([_L("Softmax")], [_L("Activation", activation="softmax")],
                 [_L("Activation", activation="softmax"), _L("Dropout", rate=0.1)],
                 [_L("Softmax"), _L("Activation", activation="linear")]):
        view = _view(_L("Dense", units=10), *tail)
        assert view.head.activation == "softmax", tail
        assert view.head.producer == 0 and view.head.plain


def test_relu_layer_arguments_change_the_range():
    assert _view(_L("Dense", units=1), _L("ReLU", max_value=6.0)).head.range == (0.0, 6.0)
    assert _view(_L("Dense", units=1), _L("ReLU", negative_slope=0.1)).head.activation == "leaky_relu"


def test_a_layer_kspec_cannot_see_through_hides_the_head():
    view = _view(_L("Dense", units=10, activation="softmax"), _L("BatchNormalization"))
    assert view.head.activation is None


def test_unknown_layers_use_class_attributes_or_stay_unknown():
    class Sparkle(_L):
        lint_kind: ClassVar[str] = "activation"
        lint_activation: ClassVar[str] = "sigmoid"

    class Mystery(_L):
        pass

    assert _view(_L("Dense", units=1), Sparkle("Sparkle")).head.activation == "sigmoid"
    view = _view(_L("Dense", units=8), Mystery("Mystery"), _L("Dense", units=1))
    assert view.layers[1].kind == "opaque" and view.linear_gaps() == []  # unknown: no claim of linearity


def test_layer_vocabulary_metadata_is_read():
    class Swish(_L):
        family: ClassVar[str] = "activation"

        @property
        def activation_name(self):
            return "swish"

    class Projection(_L):
        weighted: ClassVar[bool] = True

    view = _view(Projection("Projection", units=8), Swish("Swish"), _L("Dense", units=1))
    assert [v.kind for v in view.layers] == ["weighted", "activation", "weighted"]
    assert view.layers[1].activation == "swish" and view.linear_gaps() == []
    assert _view(Projection("Projection", units=8), _L("Dense", units=1)).linear_gaps() == [(0, 1)]


def test_linearity_is_checked_per_hidden_layer():
    view = _view(_L("Dense", units=64, activation="relu"), _L("Dense", units=32), _L("Dropout", rate=0.2),
                 _L("Dense", units=16), _L("BatchNormalization"), _L("ReLU"), _L("Dense", units=10))
    assert view.linear_gaps() == [(1, 3)]
    conv = _view(_L("Conv2D", filters=8), _L("MaxPooling2D"), _L("Conv2D", filters=8), _L("Flatten"), _L("Dense", units=4))
    assert conv.linear_gaps() == [(2, 4)]  # max pooling is a non-linearity; Flatten is not
    assert _view(_L("LSTM", units=8, activation="linear"), _L("Dense", units=1)).linear_gaps() == []  # gates


def test_loss_family():
    assert [loss_family(x) for x in ("binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
                                     "sparse_categorical_crossentropy", "mean_squared_error", "squared_hinge",
                                     "kl_divergence")] == ["binary", "binary", "categorical", "sparse", "regression",
                                                           "hinge", "distribution"]


def _found(fragment):
    return [(d.code, d.severity) for d in lint_fragment(fragment)]


def test_activation_layer_satisfies_the_loss():
    found = _found("model:\n  layers:\n    - {type: Flatten}\n    - {type: Dense, units: 128, activation: relu}\n"
                   "    - {type: Dense, units: 10}\n    - {type: Activation, activation: softmax}\n")
    assert found == []


def test_sigmoid_under_a_categorical_loss_is_a_warning_linear_is_an_error():
    head = "model:\n  layers:\n    - {type: Flatten}\n    - {type: Dense, units: 128, activation: relu}\n"
    assert ("KS203", Severity.WARNING) in _found(head + "    - {type: Dense, units: 10, activation: sigmoid}\n")
    assert ("KS203", Severity.ERROR) in _found(head + "    - {type: Dense, units: 10, activation: relu}\n")


def test_logits_loss_after_relu_is_info():
    found = _found("model:\n  layers:\n    - {type: Flatten}\n    - {type: Dense, units: 128, activation: relu}\n"
                   "    - {type: Dense, units: 10, activation: relu}\n"
                   "compile:\n  optimizer: adam\n  loss: {type: sparse_categorical_crossentropy, from_logits: true}\n")
    assert found == [("KS204", Severity.INFO)]
