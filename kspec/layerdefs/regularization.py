"""Regularisation layers: dropout in its forms, Gaussian noise, activity regularisation."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ..layers import DataFormat, LayerBase, Rate, Shape, ShapeError

Noise = Annotated[list[int | None], Field(min_length=1)]


class _Drop(LayerBase):
    seed: int | None = None
    """Seed of the random mask (default: from the train seed)."""
    family: ClassVar[str] = "regularization"


class Dropout(_Drop):
    """Randomly sets a fraction ``rate`` of inputs to 0 during training."""

    type: Literal["Dropout"]
    rate: Rate
    """Fraction of inputs to drop, 0 <= rate < 1."""
    noise_shape: Noise | None = None
    """Shape of the mask with the batch axis first, 1 where the mask is shared, e.g. [null, 1, 64]."""

    def output_shape(self, shape: Shape) -> Shape:
        if self.noise_shape is not None and len(self.noise_shape) != len(shape) + 1:
            raise ShapeError(f"Dropout noise_shape {self.noise_shape} needs {len(shape) + 1} entries (the batch axis "
                             "first)", field="noise_shape")
        return shape


class AlphaDropout(Dropout):
    """Dropout that keeps the mean and variance of its inputs (for SELU networks)."""

    type: Literal["AlphaDropout"]  # type: ignore[assignment]


class SpatialDropout1D(_Drop):
    """Drops whole channels of a sequence (rather than single values)."""

    type: Literal["SpatialDropout1D"]
    rate: Rate
    """Fraction of channels to drop."""
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class SpatialDropout2D(_Drop):
    """Drops whole channels (feature maps) of an image."""

    type: Literal["SpatialDropout2D"]
    rate: Rate
    """Fraction of channels to drop."""
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class SpatialDropout3D(_Drop):
    """Drops whole channels (feature volumes) of a volume."""

    type: Literal["SpatialDropout3D"]
    rate: Rate
    """Fraction of channels to drop."""
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4


class GaussianDropout(_Drop):
    """Multiplies inputs by noise of mean 1 and variance rate / (1 - rate) during training."""

    type: Literal["GaussianDropout"]
    rate: Rate
    """Drop probability of the equivalent dropout."""


class GaussianNoise(_Drop):
    """Adds zero-mean Gaussian noise during training."""

    type: Literal["GaussianNoise"]
    stddev: Annotated[float, Field(ge=0)]
    """Standard deviation of the noise."""


class ActivityRegularization(LayerBase):
    """Adds l1 * sum(|x|) + l2 * sum(x^2) of its input to the loss."""

    type: Literal["ActivityRegularization"]
    l1: Annotated[float, Field(ge=0)] = 0.0
    """Factor of the L1 penalty."""
    l2: Annotated[float, Field(ge=0)] = 0.0
    """Factor of the L2 penalty."""
    family: ClassVar[str] = "regularization"
