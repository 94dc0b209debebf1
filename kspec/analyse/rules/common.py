"""Small facts about a model that several rules share: which activation produces the output,
what range an activation can reach, what Keras will log. Pure functions of the resolved spec.
"""

from __future__ import annotations

import math
from typing import Any

INF = math.inf

WEIGHTED = ("Dense", "Conv2D", "Conv1D")
"""Layers with a kernel (and an ``activation`` argument)."""

RANGE_KEEPING = ("Flatten", "Reshape", "Dropout", "MaxPooling2D", "MaxPooling1D", "AveragePooling2D",
                 "GlobalMaxPooling2D", "GlobalAveragePooling2D")
"""Layers after which every output value lies in the range of the input values (at inference)."""

PROBABILITY = ("sigmoid", "softmax", "hard_sigmoid")
"""Activations whose outputs lie in [0, 1]."""

ACTIVATION_RANGE: dict[str, tuple[float, float]] = {
    "linear": (-INF, INF), "leaky_relu": (-INF, INF),
    "relu": (0.0, INF), "relu6": (0.0, 6.0), "softplus": (0.0, INF), "exponential": (0.0, INF),
    "elu": (-1.0, INF), "selu": (-1.7581, INF), "gelu": (-0.17, INF), "silu": (-0.2785, INF),
    "swish": (-0.2785, INF), "mish": (-0.3089, INF),
    "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0),
    "tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0), "log_softmax": (-INF, 0.0),
}
"""Closed hull of each activation's outputs."""

NONLINEAR_LAYERS = ("MaxPooling2D", "MaxPooling1D", "GlobalMaxPooling2D")
"""Layers without an activation that are still non-linear."""

CROSSENTROPY = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")
CATEGORICAL = ("categorical_crossentropy", "sparse_categorical_crossentropy")
NONNEGATIVE_LOSSES = {
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "huber",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "log_cosh", "hinge", "squared_hinge", "categorical_hinge",
    "kl_divergence",
}
"""Losses that are never below 0 (``poisson`` and ``cosine_similarity`` can be)."""

BOUNDED_METRICS = {
    "accuracy": (0.0, 1.0), "acc": (0.0, 1.0), "binary_accuracy": (0.0, 1.0),
    "categorical_accuracy": (0.0, 1.0), "sparse_categorical_accuracy": (0.0, 1.0),
    "top_k_categorical_accuracy": (0.0, 1.0), "sparse_top_k_categorical_accuracy": (0.0, 1.0),
    "auc": (0.0, 1.0), "precision": (0.0, 1.0), "recall": (0.0, 1.0),
    "mean_squared_error": (0.0, INF), "mean_absolute_error": (0.0, INF), "mse": (0.0, INF),
    "mae": (0.0, INF), "root_mean_squared_error": (0.0, INF), "mean_absolute_percentage_error": (0.0, INF),
}
"""Range of each compiled metric Keras can log."""


def activation_of(layer: Any) -> str | None:
    """The activation a layer applies: its ``activation`` (``linear`` when unset) for weighted and
    Activation layers, None for layers without one."""
    if layer.type == "Activation":
        return layer.activation
    if layer.type in WEIGHTED:
        return layer.activation or "linear"
    return None


def output_activation(layers: list) -> tuple[str | None, int | None]:
    """(activation that produces the model's output, index of the layer that applies it).

    Walks back over range-keeping layers (Flatten, Dropout, pooling ...). Returns ``(None, i)`` when
    layer ``i`` changes the range in a way kspec does not model (BatchNormalization, Rescaling ...),
    and ``("linear", None)`` when no layer applies an activation.
    """
    for i in range(len(layers) - 1, -1, -1):
        act = activation_of(layers[i])
        if act is not None:
            return act, i
        if layers[i].type not in RANGE_KEEPING:
            return None, i
    return "linear", None


def last_weighted(layers: list) -> int | None:
    for i in range(len(layers) - 1, -1, -1):
        if layers[i].type in WEIGHTED:
            return i
    return None


def loss_type(ctx) -> str:
    return ctx.resolved.compile.loss.type


def from_logits(ctx) -> bool:
    return bool(getattr(ctx.resolved.compile.loss, "from_logits", False))


def loss_path(ctx, field: str | None = None) -> tuple:
    """Path of the loss (or one of its arguments when the loss is written as a mapping)."""
    if field and isinstance(ctx.doc.get(("compile", "loss")), dict):
        return ("compile", "loss", field)
    return ("compile", "loss")


def logged_metrics(ctx) -> list[str]:
    """Names Keras 3 logs each epoch: ``loss`` and each compiled metric under the name it was
    compiled with (``acc`` logs ``acc``, ``accuracy`` logs ``accuracy``)."""
    names = ["loss"]
    for m in ctx.resolved.compile.metrics:
        if m not in names:
            names.append(m)
    return names


def explicit(ctx, path: tuple) -> bool:
    """True when ``path`` is written in the spec (not a default)."""
    return ctx.doc.get(path, _MISSING) is not _MISSING


_MISSING = object()


def fmt_count(n: int) -> str:
    return f"{n:,}"


def mb(n_params: int) -> str:
    return f"{n_params * 4 / 1e6:,.1f} MB"
