"""One view of the model that every lint rule reads, so that rules cannot disagree about it.

For each layer it tells what the layer does to the values flowing through it (:class:`LayerView`):
a learned map followed by an activation (Dense, Conv, recurrent layers), a fixed activation
(an ``Activation`` layer, ``Softmax``, ``ReLU``, ``LeakyReLU`` ...), a range-keeping step
(Flatten, Reshape, Dropout, pooling), an affine step (BatchNormalization, Rescaling), or
something kspec does not model. From that it derives the output head (:class:`Head`: the
activation actually applied last, wherever it is written, and the layer producing the scores),
the loss family and the label kind.

A layer class can describe itself with class attributes, so new layer types need no change
here::

    lint_kind: ClassVar[str] = "activation"      # weighted | activation | keeps | affine | opaque
    lint_activation: ClassVar[str] = "softmax"   # the fixed activation an activation layer applies
    lint_nonlinear: ClassVar[bool] = True        # a non-linearity by itself (gates, max, norm)

Without them the kind comes from the table below, then from the layer vocabulary's own class
attributes (``family = "activation"`` with the ``activation_name`` property, ``weighted =
True``); an unknown layer with ``units`` or ``filters`` counts as weighted; anything else is
opaque, and rules stay silent about it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

INF = math.inf

ACTIVATION_RANGE: dict[str, tuple[float, float]] = {
    "linear": (-INF, INF), "leaky_relu": (-INF, INF), "prelu": (-INF, INF),
    "relu": (0.0, INF), "relu6": (0.0, 6.0), "softplus": (0.0, INF), "exponential": (0.0, INF),
    "elu": (-1.0, INF), "selu": (-1.7581, INF), "gelu": (-0.17, INF), "silu": (-0.2785, INF),
    "swish": (-0.2785, INF), "mish": (-0.3089, INF),
    "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "hard_silu": (-0.375, INF), "softmax": (0.0, 1.0),
    "tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0), "log_softmax": (-INF, 0.0), "log_sigmoid": (-INF, 0.0),
}
"""Closed hull of each activation's outputs."""

PROBABILITY = ("sigmoid", "softmax", "hard_sigmoid")
"""Activations whose outputs lie in [0, 1]."""

SATURATING = ("sigmoid", "tanh", "hard_sigmoid", "softsign")

# type name -> (kind, fixed activation, non-linear by itself)
_KNOWN: dict[str, tuple[str, str | None, bool]] = {
    "Dense": ("weighted", None, False), "EinsumDense": ("weighted", None, False),
    "Conv1D": ("weighted", None, False), "Conv2D": ("weighted", None, False), "Conv3D": ("weighted", None, False),
    "Conv1DTranspose": ("weighted", None, False), "Conv2DTranspose": ("weighted", None, False),
    "Conv3DTranspose": ("weighted", None, False), "SeparableConv1D": ("weighted", None, False),
    "SeparableConv2D": ("weighted", None, False), "DepthwiseConv1D": ("weighted", None, False),
    "DepthwiseConv2D": ("weighted", None, False),
    "SimpleRNN": ("weighted", None, False), "LSTM": ("weighted", None, True), "GRU": ("weighted", None, True),
    "ConvLSTM1D": ("weighted", None, True), "ConvLSTM2D": ("weighted", None, True),
    "Bidirectional": ("opaque", None, True), "TimeDistributed": ("opaque", None, False),
    "Embedding": ("opaque", None, False),
    "Activation": ("activation", None, False), "Softmax": ("activation", "softmax", False),
    "ReLU": ("activation", "relu", False), "LeakyReLU": ("activation", "leaky_relu", False),
    "ELU": ("activation", "elu", False), "PReLU": ("activation", "prelu", False),
    "ThresholdedReLU": ("activation", "relu", False),
    "Flatten": ("keeps", None, False), "Reshape": ("keeps", None, False), "Permute": ("keeps", None, False),
    "RepeatVector": ("keeps", None, False), "Dropout": ("keeps", None, False),
    "SpatialDropout1D": ("keeps", None, False), "SpatialDropout2D": ("keeps", None, False),
    "SpatialDropout3D": ("keeps", None, False), "GaussianDropout": ("keeps", None, False),
    "AlphaDropout": ("keeps", None, False), "ActivityRegularization": ("keeps", None, False),
    "MaxPooling1D": ("keeps", None, True), "MaxPooling2D": ("keeps", None, True), "MaxPooling3D": ("keeps", None, True),
    "AveragePooling1D": ("keeps", None, False), "AveragePooling2D": ("keeps", None, False),
    "AveragePooling3D": ("keeps", None, False),
    "GlobalMaxPooling1D": ("keeps", None, True), "GlobalMaxPooling2D": ("keeps", None, True),
    "GlobalMaxPooling3D": ("keeps", None, True),
    "GlobalAveragePooling1D": ("keeps", None, False), "GlobalAveragePooling2D": ("keeps", None, False),
    "GlobalAveragePooling3D": ("keeps", None, False),
    "Cropping1D": ("keeps", None, False), "Cropping2D": ("keeps", None, False), "Cropping3D": ("keeps", None, False),
    "RandomFlip": ("keeps", None, False), "RandomRotation": ("keeps", None, False),
    "RandomZoom": ("keeps", None, False), "RandomTranslation": ("keeps", None, False),
    "RandomContrast": ("keeps", None, False), "RandomBrightness": ("keeps", None, False),
    "RandomCrop": ("keeps", None, False), "GaussianNoise": ("keeps", None, False),
    "BatchNormalization": ("affine", None, False), "Rescaling": ("affine", None, False),
    "Normalization": ("affine", None, False), "ZeroPadding1D": ("affine", None, False),
    "ZeroPadding2D": ("affine", None, False), "ZeroPadding3D": ("affine", None, False),
    "LayerNormalization": ("affine", None, True), "GroupNormalization": ("affine", None, True),
    "UnitNormalization": ("affine", None, True),
}

CROSSENTROPY_FAMILIES = ("binary", "categorical", "sparse")

LOSS_FAMILY: dict[str, str] = {
    "binary_crossentropy": "binary", "binary_focal_crossentropy": "binary",
    "categorical_crossentropy": "categorical", "categorical_focal_crossentropy": "categorical",
    "sparse_categorical_crossentropy": "sparse",
    # Keras one-hot encodes integer class ids itself (losses.categorical_generalized_cross_entropy)
    "categorical_generalized_cross_entropy": "sparse",
    "mean_squared_error": "regression", "mean_absolute_error": "regression",
    "mean_absolute_percentage_error": "regression", "mean_squared_logarithmic_error": "regression",
    "log_cosh": "regression", "huber": "regression", "poisson": "regression", "cosine_similarity": "regression",
    "hinge": "hinge", "squared_hinge": "hinge", "categorical_hinge": "hinge",
    "kl_divergence": "distribution",
    "dice": "overlap", "tversky": "overlap",
    "circle": "embedding",
    "ctc": "sequence",
}
"""Every loss the compile section accepts (canonical name) -> its family: ``binary``, ``categorical``,
``sparse`` (probabilistic: the targets are 0/1, one-hot or class ids and the output a probability),
``regression``, ``hinge`` (targets -1/1 or 0/1 against raw scores), ``distribution`` (KL divergence
between two distributions), ``overlap`` (Dice and Tversky: masks against probabilities), ``embedding``
(circle loss: class ids against embeddings) or ``sequence`` (CTC, refused in a spec). A test checks
that every accepted loss is here."""


def loss_family(name: str) -> str:
    """The family of a loss (see :data:`LOSS_FAMILY`); ``other`` for a name it does not know."""
    return LOSS_FAMILY.get(name, "other")


@dataclass(frozen=True)
class LayerView:
    index: int
    type: str
    kind: str
    """``weighted``, ``activation``, ``keeps`` (range-keeping), ``affine`` or ``opaque``."""
    activation: str | None
    """The activation this layer applies (``linear`` for a weighted layer without one), or None."""
    nonlinear: bool | None
    """True when the layer is a non-linearity, False when it is linear, None when unknown."""
    range: tuple[float, float] | None
    """Range of the activation this layer applies, when it applies one kspec knows."""
    width: int | None
    """Size of the last axis of its output, when known."""


@dataclass(frozen=True)
class Head:
    activation: str | None
    """The activation applied last on the way to the output (None: a layer kspec cannot see
    through, such as BatchNormalization, comes after it)."""
    activation_index: int | None
    """The layer that applies it (None when no layer applies one: the output is linear)."""
    producer: int | None
    """The last weighted layer: the one whose units are the model's outputs."""
    range: tuple[float, float] | None
    width: int | None
    """Number of outputs per sample (the last axis of the model's output), when known."""
    plain: bool
    """True when only Dropout and activations follow the producer (its units are the outputs)."""


@dataclass
class ModelView:
    layers: list[LayerView]
    head: Head
    loss: str
    family: str
    from_logits: bool
    label_kind: str | None
    num_classes: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    def weighted(self) -> list[int]:
        return [v.index for v in self.layers if v.kind == "weighted"]

    def linear_gaps(self) -> list[tuple[int, int]]:
        """(i, j) for each weighted layer ``i`` whose output reaches the next weighted layer ``j``
        through no non-linearity at all (its own activation included), every step between them
        being known to be linear. Such a pair collapses into one linear map."""
        out = []
        weighted = self.weighted()
        for i, j in zip(weighted, weighted[1:]):
            path = self.layers[i:j]
            if all(v.nonlinear is False for v in path):
                out.append((i, j))
        return out

    def back_to_back(self) -> list[tuple[int, int]]:
        """(i, j): layer ``j`` applies a non-linear activation to what layer ``i`` already passed
        through one, with only dropout between them."""
        out = []
        for j, v in enumerate(self.layers):
            if v.kind != "activation" or not v.nonlinear:
                continue
            i = j - 1
            while i >= 0 and self.layers[i].type in _DROPOUTS:
                i -= 1
            if i >= 0 and self.layers[i].activation not in (None, "linear") and self.layers[i].nonlinear:
                out.append((i, j))
        return out


_DROPOUTS = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "AlphaDropout")


def _describe(layer: Any) -> tuple[str, str | None, bool]:
    cls = type(layer)
    known = _KNOWN.get(layer.type)
    kind = getattr(cls, "lint_kind", None) or (known[0] if known else None)
    fixed = getattr(cls, "lint_activation", None) or (known[1] if known else None)
    inherent = getattr(cls, "lint_nonlinear", None)
    if inherent is None:
        inherent = known[2] if known else False
    if kind is None and getattr(cls, "family", None) == "activation":
        kind = "activation"  # the layer vocabulary's own metadata: family and activation_name
        fixed = fixed or getattr(layer, "activation_name", None)
    elif kind is None and getattr(cls, "weighted", False) is True:
        kind = "weighted"
    if kind is None:
        fields = getattr(cls, "model_fields", {})
        if "activation" in fields and not ({"units", "filters"} & set(fields)):
            kind = "activation"
        elif {"units", "filters"} & set(fields):
            kind = "weighted"
        else:
            kind = "opaque"
    return kind, fixed, bool(inherent)


def layer_view(index: int, layer: Any, width: int | None) -> LayerView:
    kind, fixed, inherent = _describe(layer)
    act: str | None = None
    rng: tuple[float, float] | None = None
    if kind == "weighted":
        act = getattr(layer, "activation", None) or "linear"
    elif kind == "activation":
        act = fixed or getattr(layer, "activation", None)
        if act == "relu":  # a ReLU layer's arguments change its range
            slope = getattr(layer, "negative_slope", 0) or 0
            top = getattr(layer, "max_value", None)
            if slope:
                act = "leaky_relu"
            elif top is not None:
                rng = (0.0, float(top))
    if act is not None and rng is None:
        rng = ACTIVATION_RANGE.get(act)
    if act is not None:
        nonlinear: bool | None = inherent or act != "linear"
    elif kind in ("keeps", "affine"):
        nonlinear = inherent
    else:
        nonlinear = True if inherent else None
    return LayerView(index, layer.type, kind, act, nonlinear, rng, width)


def _head(views: list[LayerView], out_width: int | None) -> Head:
    producer = next((v.index for v in reversed(views) if v.kind == "weighted"), None)
    plain = producer is not None and all(
        v.type in _DROPOUTS or v.kind == "activation" for v in views[producer + 1:])
    act, index = "linear", None
    for v in reversed(views):
        if v.kind == "activation" and v.activation == "linear":
            continue  # Activation(linear) is the identity
        if v.activation is not None:
            act, index = v.activation, v.index
            break
        if v.kind != "keeps":
            act, index = None, None
            break
    rng = views[index].range if index is not None else (ACTIVATION_RANGE["linear"] if act == "linear" else None)
    return Head(act, index, producer, rng, out_width, plain)


def build(layers: list, plan: Any, loss: Any, facts: Any) -> ModelView:
    """The view of a resolved model. ``plan`` gives widths where shapes are known."""
    widths: dict[int, int | None] = {}
    for p in getattr(plan, "layers", []) or []:
        widths[p.index] = p.output_shape[-1] if p.output_shape else None
    views = []
    for i, layer in enumerate(layers):
        width = widths.get(i)
        if width is None:
            width = getattr(layer, "units", None) or getattr(layer, "filters", None) if _describe(layer)[0] == "weighted" else None
        views.append(layer_view(i, layer, width))
    out_width = getattr(plan, "output_shape", None)
    out_width = out_width[-1] if out_width else (views[-1].width if views and _head(views, None).plain else None)
    return ModelView(layers=views, head=_head(views, out_width), loss=loss.type, family=loss_family(loss.type),
                     from_logits=bool(getattr(loss, "from_logits", False)),
                     label_kind=getattr(facts, "fed_label_kind", None), num_classes=getattr(facts, "num_classes", None))
