"""Small facts about a model that several rules share: which activation produces the output,
what range an activation can reach, what Keras will log. Pure functions of the resolved spec.
"""

from __future__ import annotations

import math
from typing import Any

from ...compiling import metric_logged_name

INF = math.inf

from ..view import ACTIVATION_RANGE, PROBABILITY, layer_view  # noqa: F401  (re-exported for rules)

CROSSENTROPY = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")
CATEGORICAL = ("categorical_crossentropy", "sparse_categorical_crossentropy")
NONNEGATIVE_LOSSES = {
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "binary_focal_crossentropy", "categorical_focal_crossentropy", "categorical_generalized_cross_entropy",
    "huber", "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "log_cosh", "hinge", "squared_hinge", "categorical_hinge",
    "kl_divergence", "dice", "tversky", "circle", "ctc",
}
"""Losses that are never below 0 (Dice and Tversky are 1 minus a ratio in [0, 1], circle loss a softplus)."""
SIGNED_LOSSES = {"poisson", "cosine_similarity"}
"""Losses that can be negative: Poisson (y_pred - y_true * log(y_pred)) and cosine similarity (-1..1)."""

BOUNDED_METRICS = {
    "accuracy": (0.0, 1.0), "acc": (0.0, 1.0), "binary_accuracy": (0.0, 1.0),
    "categorical_accuracy": (0.0, 1.0), "sparse_categorical_accuracy": (0.0, 1.0),
    "top_k_categorical_accuracy": (0.0, 1.0), "sparse_top_k_categorical_accuracy": (0.0, 1.0),
    "auc": (0.0, 1.0), "precision": (0.0, 1.0), "recall": (0.0, 1.0),
    "mean_squared_error": (0.0, INF), "mean_absolute_error": (0.0, INF), "mse": (0.0, INF),
    "mae": (0.0, INF), "root_mean_squared_error": (0.0, INF), "mean_absolute_percentage_error": (0.0, INF),
}
"""Range of each compiled metric Keras can log."""


def is_weighted(layer: Any) -> bool:
    """A layer with a learned map and an ``activation`` argument (Dense, Conv, recurrent ...)."""
    return layer_view(0, layer, None).kind == "weighted"


def activation_of(layer: Any) -> str | None:
    """The activation a layer applies (``linear`` for a weighted layer without one), or None
    (see :mod:`kspec.analyse.view`)."""
    return layer_view(0, layer, None).activation


def last_weighted(layers: list) -> int | None:
    for i in range(len(layers) - 1, -1, -1):
        if is_weighted(layers[i]):
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
        m = metric_logged_name(m)
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
