"""The losses other than the three cross-entropies, huber and the losses without arguments (those
are in :mod:`kspec.compiling`), created when a spec names one."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created

from typing import Annotated, Literal

from pydantic import Field

from ..compiling import LossBase, NonNegFloat, PosFloat, Probabilistic, Unit


class BinaryFocalCrossentropy(Probabilistic):
    """Binary cross-entropy down-weighting easy examples by ``(1 - p) ** gamma`` (imbalanced data)."""

    type: Literal["binary_focal_crossentropy"]
    apply_class_balancing: bool = False
    """Weight positives by alpha and negatives by 1 - alpha."""
    alpha: Unit = 0.25
    """Weight of the positive class (with apply_class_balancing)."""
    gamma: NonNegFloat = 2.0
    """Focusing parameter (0: plain cross-entropy)."""


class CategoricalFocalCrossentropy(Probabilistic):
    """Categorical cross-entropy down-weighting easy examples by ``(1 - p) ** gamma``."""

    type: Literal["categorical_focal_crossentropy"]
    alpha: Unit = 0.25
    """Weighting factor of every class."""
    gamma: NonNegFloat = 2.0
    """Focusing parameter (0: plain cross-entropy)."""


class CosineSimilarityLoss(LossBase):
    """Negative cosine similarity between targets and predictions."""

    type: Literal["cosine_similarity"]
    axis: int = -1
    """Axis along which the similarity is computed."""


class CategoricalGeneralizedCrossEntropy(LossBase):
    """Generalised cross-entropy, robust to noisy labels (q -> 0: cross-entropy, q = 1: MAE)."""

    type: Literal["categorical_generalized_cross_entropy"]
    q: Annotated[float, Field(gt=0, le=1)] = 0.5
    """Interpolation between cross-entropy and mean absolute error."""


class Dice(LossBase):
    """Dice loss (segmentation)."""

    type: Literal["dice"]
    axis: int | list[int] | None = None
    """Axes to reduce over (none: all)."""


class Tversky(LossBase):
    """Tversky loss: Dice with separate weights for false positives and false negatives."""

    type: Literal["tversky"]
    alpha: NonNegFloat = 0.5
    """Weight of false positives."""
    beta: NonNegFloat = 0.5
    """Weight of false negatives."""
    axis: int | list[int] | None = None
    """Axes to reduce over (none: all)."""


class Circle(LossBase):
    """Circle loss for metric learning (targets are class ids, outputs embeddings)."""

    type: Literal["circle"]
    gamma: PosFloat = 80.0
    """Scale factor."""
    margin: NonNegFloat = 0.4
    """Relaxation margin."""
    remove_diagonal: bool = True
    """Ignore each sample's similarity with itself."""
