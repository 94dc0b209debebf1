"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, and Cropping, UpSampling and
ZeroPadding in 1D/2D/3D."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

import math
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, field_validator

from ..layers import DataFormat, LayerBase, PosInt, Shape, ShapeError, fmt_shape, join_channels, ntuple, split_channels

NonNeg = Annotated[int, Field(ge=0)]
Pair = Annotated[list[NonNeg], Field(min_length=2, max_length=2)]


class Flatten(LayerBase):
    """Flattens each sample to one vector."""

    type: Literal["Flatten"]
    data_format: DataFormat | None = None
    """Order of the input axes (``channels_first`` inputs are flattened in channels-last order, as Keras does)."""
    family: ClassVar[str] = "reshaping"

    def output_shape(self, shape: Shape) -> Shape:
        if any(d is None for d in shape):
            return (None,)
        return (math.prod(shape),)


class Reshape(LayerBase):
    """Reshapes each sample to ``target_shape`` (one entry may be -1: inferred)."""

    type: Literal["Reshape"]
    target_shape: Annotated[
        list[Union[Literal[-1], Annotated[int, Field(ge=1)]]],
        Field(min_length=1, json_schema_extra={"not": {"contains": {"const": -1}, "minContains": 2}}),
    ]
    """Shape of each output sample; entries are positive, and one may be -1 (inferred)."""
    family: ClassVar[str] = "reshaping"

    @field_validator("target_shape")
    @classmethod
    def _check(cls, v: list[int]) -> list[int]:
        if v.count(-1) > 1:
            raise ValueError("only one entry may be -1")
        return v

    def output_shape(self, shape: Shape) -> Shape:
        if any(d is None for d in shape):
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = math.prod(shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if total % known:
                raise ShapeError(
                    f"Reshape cannot infer -1: {total} elements per sample are not divisible by {known}",
                    field="target_shape")
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if known != total:
            raise ShapeError(
                f"Reshape target_shape {self.target_shape} holds {known} elements, input {fmt_shape(shape)} holds {total}",
                field="target_shape",
                hint="the element counts must be equal; use -1 for one dimension to infer it")
        return tuple(self.target_shape)


class Permute(LayerBase):
    """Reorders the axes of each sample: ``dims`` is a permutation of 1..rank (the batch axis is 0)."""

    type: Literal["Permute"]
    dims: Annotated[list[PosInt], Field(min_length=1)]
    """The new order of the axes, e.g. [2, 1] swaps the two axes of a sequence."""
    family: ClassVar[str] = "reshaping"

    def output_shape(self, shape: Shape) -> Shape:
        if len(self.dims) != len(shape):
            raise ShapeError(f"Permute dims {self.dims} has {len(self.dims)} entries; the input {fmt_shape(shape)} has "
                             f"{len(shape)} axes", field="dims")
        if sorted(self.dims) != list(range(1, len(shape) + 1)):
            raise ShapeError(f"Permute dims {self.dims} is not a permutation of 1..{len(shape)}: Keras needs every "
                             "axis once (the batch axis 0 stays first)", field="dims")
        return tuple(shape[d - 1] for d in self.dims)


class RepeatVector(LayerBase):
    """Repeats a vector ``n`` times: (features,) -> (n, features)."""

    type: Literal["RepeatVector"]
    n: PosInt
    """Number of repetitions."""
    family: ClassVar[str] = "reshaping"
    min_rank: ClassVar[int] = 1
    max_rank: ClassVar[int | None] = 1

    def output_shape(self, shape: Shape) -> Shape:
        return (self.n, shape[0])


def _bounds(v, rank: int) -> tuple[tuple[int, int], ...]:
    """Keras's forms of cropping / padding: int, one int per axis, or (before, after) per axis."""
    if isinstance(v, int):
        return ((v, v),) * rank
    if rank == 1:
        return (tuple(v),)
    return tuple((x, x) if isinstance(x, int) else tuple(x) for x in v)


class _Crop(LayerBase):
    family: ClassVar[str] = "reshaping"
    rank: ClassVar[int] = 2

    def output_shape(self, shape: Shape) -> Shape:
        spatial, c = split_channels(shape, getattr(self, "data_format", None))
        out = []
        for axis, (n, (a, b)) in enumerate(zip(spatial, _bounds(self.cropping, self.rank))):
            if n is not None and a + b >= n:
                raise ShapeError(f"{self.type} cropping {a}+{b} is not smaller than the input's {n} (axis {axis + 1})",
                                 field="cropping", hint="crop less, or crop a larger input")
            out.append(None if n is None else n - a - b)
        return join_channels(tuple(out), c, getattr(self, "data_format", None))


class Cropping1D(_Crop):
    """Removes steps at the start and end of a sequence."""

    type: Literal["Cropping1D"]
    cropping: Union[NonNeg, Pair] = [1, 1]
    """Steps removed: one int for both ends, or [start, end]."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class Cropping2D(_Crop):
    """Removes rows and columns at the edges of an image."""

    type: Literal["Cropping2D"]
    cropping: Union[NonNeg, Pair, Annotated[list[Pair], Field(min_length=2, max_length=2)]] = [[0, 0], [0, 0]]
    """One int for every edge, [height, width] (symmetric), or [[top, bottom], [left, right]]."""
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class Cropping3D(_Crop):
    """Removes slices at the edges of a volume."""

    type: Literal["Cropping3D"]
    cropping: Union[NonNeg, Annotated[list[NonNeg], Field(min_length=3, max_length=3)],
                    Annotated[list[Pair], Field(min_length=3, max_length=3)]] = [[1, 1], [1, 1], [1, 1]]
    """One int for every edge, one int per axis (symmetric), or [[before, after]] per axis."""
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""
    rank: ClassVar[int] = 3
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4


class _Pad(LayerBase):
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""
    family: ClassVar[str] = "reshaping"
    rank: ClassVar[int] = 2

    def output_shape(self, shape: Shape) -> Shape:
        spatial, c = split_channels(shape, self.data_format)
        out = tuple(None if n is None else n + a + b for n, (a, b) in zip(spatial, _bounds(self.padding, self.rank)))
        return join_channels(out, c, self.data_format)


class ZeroPadding1D(_Pad):
    """Adds zero steps at the start and end of a sequence."""

    type: Literal["ZeroPadding1D"]
    padding: Union[NonNeg, Pair] = 1
    """Steps added: one int for both ends, or [start, end]."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class ZeroPadding2D(_Pad):
    """Adds rows and columns of zeros at the edges of an image."""

    type: Literal["ZeroPadding2D"]
    padding: Union[NonNeg, Pair, Annotated[list[Pair], Field(min_length=2, max_length=2)]] = [1, 1]
    """One int for every edge, [height, width] (symmetric), or [[top, bottom], [left, right]]."""
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class ZeroPadding3D(_Pad):
    """Adds slices of zeros at the edges of a volume."""

    type: Literal["ZeroPadding3D"]
    padding: Union[NonNeg, Annotated[list[NonNeg], Field(min_length=3, max_length=3)],
                   Annotated[list[Pair], Field(min_length=3, max_length=3)]] = [[1, 1], [1, 1], [1, 1]]
    """One int for every edge, one int per axis (symmetric), or [[before, after]] per axis."""
    rank: ClassVar[int] = 3
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4


class _Up(LayerBase):
    family: ClassVar[str] = "reshaping"
    rank: ClassVar[int] = 2

    def output_shape(self, shape: Shape) -> Shape:
        df = getattr(self, "data_format", None)
        spatial, c = split_channels(shape, df)
        out = tuple(None if n is None else n * k for n, k in zip(spatial, ntuple(self.size, self.rank)))
        return join_channels(out, c, df)


class UpSampling1D(_Up):
    """Repeats each step ``size`` times."""

    type: Literal["UpSampling1D"]
    size: PosInt = 2
    """Repetitions of each step."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class UpSampling2D(_Up):
    """Enlarges an image by ``size`` (rows and columns repeated, or interpolated)."""

    type: Literal["UpSampling2D"]
    size: Union[PosInt, Annotated[list[PosInt], Field(min_length=2, max_length=2)]] = [2, 2]
    """Factor: one int or [height, width]."""
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""
    interpolation: Literal["nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"] = "nearest"
    """How new pixels are computed."""
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class UpSampling3D(_Up):
    """Enlarges a volume by ``size``."""

    type: Literal["UpSampling3D"]
    size: Union[PosInt, Annotated[list[PosInt], Field(min_length=3, max_length=3)]] = [2, 2, 2]
    """Factor: one int or [depth, height, width]."""
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""
    rank: ClassVar[int] = 3
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4
