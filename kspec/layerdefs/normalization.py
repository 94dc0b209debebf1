"""Normalisation layers: Batch, Layer, Group, Unit and RMS normalisation."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

import math
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field

from ..layers import (Constraint, Initializer, KernelLayer, LayerBase, PosInt, Regularizer, Shape, ShapeError, StrictModel,
                      fmt_shape)

Axis = Union[int, list[int]]


def _axes(layer: LayerBase, shape: Shape, axis: int | list[int]) -> list[int | None]:
    """Sizes of ``axis`` (Keras counts the batch axis as 0) in a per-sample shape."""
    full = (None,) + tuple(shape)
    out = []
    for a in [axis] if isinstance(axis, int) else axis:
        if a == 0 or not -len(full) <= a < len(full):
            raise ShapeError(f"{layer.type} axis {a} is not an axis of the input {fmt_shape(shape)} (0 is the batch "
                             f"axis; use 1..{len(shape)} or -1)", field="axis")
        out.append(full[a])
    return out


class _Affine(LayerBase):
    epsilon: Annotated[float, Field(gt=0)] = 0.001
    """Small constant added to the variance."""
    center: bool = True
    """Learn an offset (beta)."""
    scale: bool = True
    """Learn a scale (gamma)."""
    beta_initializer: Initializer = "zeros"
    """Initial offset."""
    gamma_initializer: Initializer = "ones"
    """Initial scale."""
    beta_regularizer: Regularizer | None = None
    """Penalty on the offset."""
    gamma_regularizer: Regularizer | None = None
    """Penalty on the scale."""
    beta_constraint: Constraint | None = None
    """Constraint on the offset."""
    gamma_constraint: Constraint | None = None
    """Constraint on the scale."""
    family: ClassVar[str] = "normalization"


class RenormClipping(StrictModel):
    """Bounds of the batch renormalisation corrections."""

    rmax: float | None = None
    """Largest scale correction."""
    rmin: float | None = None
    """Smallest scale correction."""
    dmax: Annotated[float, Field(ge=0)] | None = None
    """Largest shift correction."""


class BatchNormalization(_Affine):
    """Normalises ``axis`` with batch statistics while training (moving statistics at inference)."""

    type: Literal["BatchNormalization"]
    axis: int = -1
    """The feature axis (-1: the last, the channels of channels-last images)."""
    momentum: Annotated[float, Field(gt=0, lt=1)] = 0.99
    """Momentum of the moving mean and variance."""
    moving_mean_initializer: Initializer = "zeros"
    """Initial moving mean."""
    moving_variance_initializer: Initializer = "ones"
    """Initial moving variance."""
    renorm: bool = False
    """Batch renormalisation (adds three more non-trainable statistics per feature)."""
    renorm_clipping: RenormClipping | None = None
    """Bounds of the renormalisation corrections (with renorm)."""
    renorm_momentum: Annotated[float, Field(gt=0, lt=1)] = 0.99
    """Momentum of the renormalisation statistics."""
    synchronized: bool = False
    """Synchronise the statistics across devices when distributed."""

    def keras_kwargs(self) -> dict:
        out = super().keras_kwargs()
        if self.renorm_clipping is not None:
            out["renorm_clipping"] = self.renorm_clipping.model_dump(exclude_none=True)
        return out

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        (c,) = _axes(self, shape, self.axis)
        c = c or 0
        return c * (int(self.center) + int(self.scale)), c * (5 if self.renorm else 2)


class LayerNormalization(_Affine):
    """Normalises each sample over ``axis`` (the last by default): mean 0, variance 1, then scale and offset."""

    type: Literal["LayerNormalization"]
    axis: Axis = -1
    """Axis or axes to normalise over."""

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        n = math.prod(d or 0 for d in _axes(self, shape, self.axis))
        return n * (int(self.center) + int(self.scale)), 0


class GroupNormalization(_Affine):
    """Normalises groups of channels within each sample."""

    type: Literal["GroupNormalization"]
    groups: Union[PosInt, Literal[-1]] = 32
    """Number of channel groups (-1: one per channel); must divide the number of channels."""
    axis: int = -1
    """The channel axis."""

    def output_shape(self, shape: Shape) -> Shape:
        (c,) = _axes(self, shape, self.axis)
        if c is None:
            raise ShapeError(f"GroupNormalization needs a known size on axis {self.axis}", field="axis")
        g = c if self.groups == -1 else self.groups
        if c < g:
            raise ShapeError(f"GroupNormalization groups {g} is more than the {c} channels", field="groups",
                             hint=f"use groups: {c} or a divisor of {c}")
        if c % g:
            raise ShapeError(f"GroupNormalization groups {g} does not divide the {c} channels", field="groups",
                             hint=f"use a divisor of {c}")
        return shape

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        (c,) = _axes(self, shape, self.axis)
        return (c or 0) * (int(self.center) + int(self.scale)), 0


class UnitNormalization(LayerBase):
    """Scales each sample to L2 norm 1 along ``axis``."""

    type: Literal["UnitNormalization"]
    axis: Axis = -1
    """Axis or axes of the norm."""
    family: ClassVar[str] = "normalization"

    def output_shape(self, shape: Shape) -> Shape:
        _axes(self, shape, self.axis)
        return shape


class RMSNormalization(LayerBase):
    """Divides by the root mean square over ``axis`` and multiplies by a learned scale."""

    type: Literal["RMSNormalization"]
    axis: Axis = -1
    """Axis or axes to normalise over."""
    epsilon: Annotated[float, Field(gt=0)] = 1e-06
    """Small constant added to the mean square."""
    family: ClassVar[str] = "normalization"

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        return math.prod(d or 0 for d in _axes(self, shape, self.axis)), 0


class SpectralNormalization(LayerBase):
    """Divides the kernel of the layer it wraps by its largest singular value (estimated by power
    iteration) while training, e.g. for the discriminator of a GAN."""

    type: Literal["SpectralNormalization"]
    layer: KernelLayer
    """The wrapped layer: one with a kernel, e.g. ``{type: Dense, units: 8}`` or ``{type: Conv2D, ...}``."""
    power_iterations: PosInt = 1
    """Power iterations per training step."""
    family: ClassVar[str] = "normalization"

    @property
    def activation_name(self) -> str | None:
        return self.layer.activation_name

    def infer(self, shape: Shape) -> tuple[Shape, int, int]:
        try:
            out, trainable, frozen = self.layer.infer(shape)
        except ShapeError as e:
            where = f"layer.{e.field}" if e.field else "layer"
            raise ShapeError(f"its {self.layer.type} on {fmt_shape(shape)}: {e.message}", field=where,
                             hint=e.hint) from None
        frozen += self._columns(shape)  # the power-iteration vector u, (1, kernel.shape[-1])
        if not self.trainable:
            trainable, frozen = 0, trainable + frozen
        return out, trainable, frozen

    def _columns(self, shape: Shape) -> int:
        inner = self.layer
        if inner.type in ("Embedding", "ReversibleEmbedding"):
            return inner.output_dim
        if inner.type == "Dense":
            return inner.units
        if inner.type == "EinsumDense":
            return int(inner.kernel_shape(shape)[-1])
        if inner.type.startswith("Depthwise"):
            return inner.depth_multiplier
        if inner.type.endswith("Transpose"):  # kernel (..., filters, input channels)
            c = shape[0] if getattr(inner, "data_format", None) == "channels_first" else shape[-1]
            if c is None:
                raise ShapeError("SpectralNormalization around a transposed convolution needs a known number "
                                 "of input channels", field="layer")
            return c
        return inner.filters
