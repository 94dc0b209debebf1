"""Pooling: max and average 1D/2D/3D, global pooling and adaptive pooling."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

from typing import ClassVar, Literal, Union

from ..layers import (DataFormat, IntOrOne, IntOrPair, IntOrTriple, LayerBase, PosInt, Shape, join_channels, ntuple,
                      spatial_output, split_channels)

Pad = Literal["valid", "same"]


class _Pool(LayerBase):
    strides: Union[PosInt, list[PosInt], None] = None
    """Step between windows (default: pool_size)."""
    padding: Pad = "valid"
    """``valid`` drops windows that do not fit; ``same`` pads so the output is ceil(input / strides)."""
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""
    rank: ClassVar[int] = 2
    family: ClassVar[str] = "pooling"

    def output_shape(self, shape: Shape) -> Shape:
        spatial, c = split_channels(shape, self.data_format)
        pool = ntuple(self.pool_size, self.rank)
        stride = ntuple(self.strides, self.rank) if self.strides is not None else pool
        return join_channels(spatial_output(self.type, "pool_size", spatial, pool, stride, self.padding), c,
                             self.data_format)


class MaxPooling1D(_Pool):
    """Max over each pool_size window of steps."""

    type: Literal["MaxPooling1D", "MaxPool1D"]
    pool_size: IntOrOne = 2
    """Window length."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class MaxPooling2D(_Pool):
    """Max over each pool_size window."""

    type: Literal["MaxPooling2D", "MaxPool2D"]
    pool_size: IntOrPair = 2
    """Window size: one int or [height, width]."""
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class MaxPooling3D(_Pool):
    """Max over each pool_size window of a volume."""

    type: Literal["MaxPooling3D", "MaxPool3D"]
    pool_size: IntOrTriple = 2
    """Window size: one int or [depth, height, width]."""
    rank: ClassVar[int] = 3
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4


class AveragePooling1D(_Pool):
    """Mean over each pool_size window of steps."""

    type: Literal["AveragePooling1D", "AvgPool1D"]
    pool_size: IntOrOne
    """Window length."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class AveragePooling2D(_Pool):
    """Mean over each pool_size window."""

    type: Literal["AveragePooling2D", "AvgPool2D"]
    pool_size: IntOrPair
    """Window size: one int or [height, width]."""
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class AveragePooling3D(_Pool):
    """Mean over each pool_size window of a volume."""

    type: Literal["AveragePooling3D", "AvgPool3D"]
    pool_size: IntOrTriple
    """Window size: one int or [depth, height, width]."""
    rank: ClassVar[int] = 3
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4


class _Global(LayerBase):
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""
    keepdims: bool = False
    """Keep the pooled axes with length 1."""
    family: ClassVar[str] = "pooling"

    def output_shape(self, shape: Shape) -> Shape:
        spatial, c = split_channels(shape, self.data_format)
        if self.keepdims:
            return join_channels((1,) * len(spatial), c, self.data_format)
        return (c,)


class GlobalMaxPooling1D(_Global):
    """Max over all steps: one value per channel."""

    type: Literal["GlobalMaxPooling1D", "GlobalMaxPool1D"]
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class GlobalAveragePooling1D(_Global):
    """Mean over all steps: one value per channel."""

    type: Literal["GlobalAveragePooling1D", "GlobalAvgPool1D"]
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class GlobalMaxPooling2D(_Global):
    """Max over height and width: one value per channel."""

    type: Literal["GlobalMaxPooling2D", "GlobalMaxPool2D"]
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class GlobalAveragePooling2D(_Global):
    """Mean over height and width: one value per channel."""

    type: Literal["GlobalAveragePooling2D", "GlobalAvgPool2D"]
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class GlobalMaxPooling3D(_Global):
    """Max over depth, height and width: one value per channel."""

    type: Literal["GlobalMaxPooling3D", "GlobalMaxPool3D"]
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4


class GlobalAveragePooling3D(_Global):
    """Mean over depth, height and width: one value per channel."""

    type: Literal["GlobalAveragePooling3D", "GlobalAvgPool3D"]
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4


class _Adaptive(LayerBase):
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""
    rank: ClassVar[int] = 2
    family: ClassVar[str] = "pooling"

    def output_shape(self, shape: Shape) -> Shape:
        _, c = split_channels(shape, self.data_format)
        return join_channels(ntuple(self.output_size, self.rank), c, self.data_format)


class AdaptiveMaxPooling1D(_Adaptive):
    """Max pooling to a fixed output length, whatever the input length."""

    type: Literal["AdaptiveMaxPooling1D"]
    output_size: IntOrOne
    """Output length."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class AdaptiveAveragePooling1D(_Adaptive):
    """Average pooling to a fixed output length."""

    type: Literal["AdaptiveAveragePooling1D"]
    output_size: IntOrOne
    """Output length."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class AdaptiveMaxPooling2D(_Adaptive):
    """Max pooling to a fixed output size."""

    type: Literal["AdaptiveMaxPooling2D"]
    output_size: IntOrPair
    """Output size: one int or [height, width]."""
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class AdaptiveAveragePooling2D(_Adaptive):
    """Average pooling to a fixed output size."""

    type: Literal["AdaptiveAveragePooling2D"]
    output_size: IntOrPair
    """Output size: one int or [height, width]."""
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class AdaptiveMaxPooling3D(_Adaptive):
    """Max pooling to a fixed output volume."""

    type: Literal["AdaptiveMaxPooling3D"]
    output_size: IntOrTriple
    """Output size: one int or [depth, height, width]."""
    rank: ClassVar[int] = 3
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4


class AdaptiveAveragePooling3D(_Adaptive):
    """Average pooling to a fixed output volume."""

    type: Literal["AdaptiveAveragePooling3D"]
    output_size: IntOrTriple
    """Output size: one int or [depth, height, width]."""
    rank: ClassVar[int] = 3
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4
