"""Convolutions: 1D/2D/3D, transposed, separable and depthwise (Keras's shape rules, channels
last or first)."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

import math
from typing import ClassVar, Literal, Union

from ..layers import (ActivationName, Constraint, DataFormat, Initializer, IntOrOne, IntOrPair, IntOrTriple,
                      LayerBase, PosInt, Regularizer, Shape, ShapeError, join_channels, ntuple, spatial_output,
                      split_channels)

Pad = Literal["valid", "same"]


class _ConvCommon(LayerBase):
    activation: ActivationName | None = None
    """Activation applied to the output (none: linear)."""
    use_bias: bool = True
    """Add a learned bias per output channel."""
    data_format: DataFormat | None = None
    """``channels_last`` (default: height, width, channels) or ``channels_first``."""
    bias_initializer: Initializer = "zeros"
    """Initial values of the bias."""
    bias_regularizer: Regularizer | None = None
    """Penalty on the bias."""
    activity_regularizer: Regularizer | None = None
    """Penalty on the layer's output."""
    bias_constraint: Constraint | None = None
    """Constraint on the bias."""

    rank: ClassVar[int] = 2
    weighted: ClassVar[bool] = True
    family: ClassVar[str] = "convolution"

    @property
    def _kernel(self) -> tuple[int, ...]:
        return ntuple(self.kernel_size, self.rank)

    def _window(self, shape: Shape) -> tuple[Shape, int | None]:
        spatial, channels = split_channels(shape, self.data_format)
        out = spatial_output(self.type, "kernel_size", spatial, self._kernel, ntuple(self.strides, self.rank),
                             self.padding, ntuple(self.dilation_rate, self.rank))
        return out, channels


class _Kernel(_ConvCommon):
    kernel_initializer: Initializer = "glorot_uniform"
    """Initial values of the kernel: a name, or ``{type: HeNormal, seed: 1}``."""
    kernel_regularizer: Regularizer | None = None
    """Penalty on the kernel, e.g. ``{type: L2, l2: 0.001}``."""
    kernel_constraint: Constraint | None = None
    """Constraint on the kernel, e.g. ``{type: MaxNorm, max_value: 3}``."""


class _Conv(_Kernel):
    filters: PosInt
    """Number of output channels."""
    groups: PosInt = 1
    """Split the input channels into this many groups, each convolved by filters / groups filters."""

    def output_shape(self, shape: Shape) -> Shape:
        if self.filters % self.groups:
            raise ShapeError(f"{self.type} filters {self.filters} is not divisible by groups {self.groups}: Keras needs "
                             "the number of filters to be evenly divisible by the number of groups", field="groups")
        out, channels = self._window(shape)
        if channels is not None and channels % self.groups:
            raise ShapeError(f"{self.type} groups {self.groups} does not divide the input's {channels} channels: "
                             "the number of input channels must be evenly divisible by the number of groups",
                             field="groups")
        return join_channels(out, self.filters, self.data_format)

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        _, c = split_channels(shape, self.data_format)
        return (math.prod(self._kernel) * ((c or 0) // self.groups) * self.filters
                + (self.filters if self.use_bias else 0)), 0


class Conv1D(_Conv):
    """1D convolution over steps (channels last): causal and dilated padding for time series."""

    type: Literal["Conv1D", "Convolution1D"]
    kernel_size: IntOrOne
    """Window length: one int (or a list of one)."""
    strides: IntOrOne = 1
    """Step between windows."""
    padding: Literal["valid", "same", "causal"] = "valid"
    """``valid``, ``same`` or ``causal`` (output[t] sees only input[:t + 1]; for forecasting)."""
    dilation_rate: IntOrOne = 1
    """Spacing between kernel taps (with causal padding: WaveNet-style dilated convolutions)."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class Conv2D(_Conv):
    """2D convolution over height and width."""

    type: Literal["Conv2D", "Convolution2D"]
    kernel_size: IntOrPair
    """Window size: one int or [height, width]."""
    strides: IntOrPair = 1
    """Step between windows: one int or [height, width]."""
    padding: Pad = "valid"
    """``valid`` shrinks the output by kernel_size - 1; ``same`` keeps the size (at stride 1)."""
    dilation_rate: IntOrPair = 1
    """Spacing between kernel taps: one int or [height, width]."""
    rank: ClassVar[int] = 2
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class Conv3D(_Conv):
    """3D convolution over depth, height and width (video, volumes)."""

    type: Literal["Conv3D", "Convolution3D"]
    kernel_size: IntOrTriple
    """Window size: one int or [depth, height, width]."""
    strides: IntOrTriple = 1
    """Step between windows."""
    padding: Pad = "valid"
    """``valid`` or ``same``."""
    dilation_rate: IntOrTriple = 1
    """Spacing between kernel taps."""
    rank: ClassVar[int] = 3
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4


def _transpose_length(n: int | None, k: int, s: int, padding: str, out_pad: int | None, d: int) -> int | None:
    if n is None:
        return None
    k = (k - 1) * d + 1
    if padding == "valid":
        out_pad = max(k, s) - k if out_pad is None else out_pad
        return (n - 1) * s + k + out_pad
    if out_pad is None:
        return n * s
    return (n - 1) * s + k % 2 + out_pad


class _ConvTranspose(_Kernel):
    filters: PosInt
    """Number of output channels."""
    padding: Pad = "valid"
    """``valid`` or ``same``."""

    def output_shape(self, shape: Shape) -> Shape:
        spatial, _ = split_channels(shape, self.data_format)
        k, s = self._kernel, ntuple(self.strides, self.rank)
        d = ntuple(self.dilation_rate, self.rank)
        op = ntuple(self.output_padding, self.rank) if self.output_padding is not None else (None,) * self.rank
        for axis, (oo, ss) in enumerate(zip(op, s)):
            if oo is not None and oo >= ss:
                raise ShapeError(f"{self.type} output_padding {oo} must be smaller than strides {ss} (axis {axis + 1})",
                                 field="output_padding")
        out = tuple(_transpose_length(n, *a) for n, a in zip(spatial, zip(k, s, (self.padding,) * self.rank, op, d)))
        return join_channels(out, self.filters, self.data_format)

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        _, c = split_channels(shape, self.data_format)
        return math.prod(self._kernel) * (c or 0) * self.filters + (self.filters if self.use_bias else 0), 0


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1D convolution (upsamples steps by strides)."""

    type: Literal["Conv1DTranspose", "Convolution1DTranspose"]
    kernel_size: IntOrOne
    """Window length."""
    strides: IntOrOne = 1
    """Upsampling factor."""
    output_padding: Union[int, list[int], None] = None
    """Extra length added to the output (must be smaller than strides)."""
    dilation_rate: IntOrOne = 1
    """Spacing between kernel taps."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2D convolution (upsamples height and width by strides)."""

    type: Literal["Conv2DTranspose", "Convolution2DTranspose"]
    kernel_size: IntOrPair
    """Window size: one int or [height, width]."""
    strides: IntOrPair = 1
    """Upsampling factor: one int or [height, width]."""
    output_padding: Union[int, list[int], None] = None
    """Extra size added to the output (each smaller than strides)."""
    dilation_rate: IntOrPair = 1
    """Spacing between kernel taps."""
    rank: ClassVar[int] = 2
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution."""

    type: Literal["Conv3DTranspose", "Convolution3DTranspose"]
    kernel_size: IntOrTriple
    """Window size."""
    strides: IntOrTriple = 1
    """Upsampling factor."""
    output_padding: Union[int, list[int], None] = None
    """Extra size added to the output (each smaller than strides)."""
    dilation_rate: IntOrTriple = 1
    """Spacing between kernel taps."""
    rank: ClassVar[int] = 3
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4


class _Separable(_ConvCommon):
    filters: PosInt
    """Number of output channels (of the pointwise step)."""
    depth_multiplier: PosInt = 1
    """Depthwise outputs per input channel."""
    padding: Pad = "valid"
    """``valid`` or ``same``."""
    depthwise_initializer: Initializer = "glorot_uniform"
    """Initial values of the depthwise kernel."""
    pointwise_initializer: Initializer = "glorot_uniform"
    """Initial values of the pointwise kernel."""
    depthwise_regularizer: Regularizer | None = None
    """Penalty on the depthwise kernel."""
    pointwise_regularizer: Regularizer | None = None
    """Penalty on the pointwise kernel."""
    depthwise_constraint: Constraint | None = None
    """Constraint on the depthwise kernel."""
    pointwise_constraint: Constraint | None = None
    """Constraint on the pointwise kernel."""

    def output_shape(self, shape: Shape) -> Shape:
        out, _ = self._window(shape)
        return join_channels(out, self.filters, self.data_format)

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        _, c = split_channels(shape, self.data_format)
        c = c or 0
        return (math.prod(self._kernel) * c * self.depth_multiplier + c * self.depth_multiplier * self.filters
                + (self.filters if self.use_bias else 0)), 0


class SeparableConv1D(_Separable):
    """Depthwise 1D convolution per channel, then a pointwise (1x1) convolution."""

    type: Literal["SeparableConv1D", "SeparableConvolution1D"]
    kernel_size: IntOrOne
    """Window length."""
    strides: IntOrOne = 1
    """Step between windows."""
    dilation_rate: IntOrOne = 1
    """Spacing between kernel taps."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class SeparableConv2D(_Separable):
    """Depthwise 2D convolution per channel, then a pointwise (1x1) convolution."""

    type: Literal["SeparableConv2D", "SeparableConvolution2D"]
    kernel_size: IntOrPair
    """Window size: one int or [height, width]."""
    strides: IntOrPair = 1
    """Step between windows."""
    dilation_rate: IntOrPair = 1
    """Spacing between kernel taps."""
    rank: ClassVar[int] = 2
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class _Depthwise(_ConvCommon):
    depth_multiplier: PosInt = 1
    """Output channels per input channel."""
    padding: Pad = "valid"
    """``valid`` or ``same``."""
    depthwise_initializer: Initializer = "glorot_uniform"
    """Initial values of the depthwise kernel."""
    depthwise_regularizer: Regularizer | None = None
    """Penalty on the depthwise kernel."""
    depthwise_constraint: Constraint | None = None
    """Constraint on the depthwise kernel."""

    def output_shape(self, shape: Shape) -> Shape:
        out, c = self._window(shape)
        return join_channels(out, None if c is None else c * self.depth_multiplier, self.data_format)

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        _, c = split_channels(shape, self.data_format)
        n = (c or 0) * self.depth_multiplier
        return math.prod(self._kernel) * n + (n if self.use_bias else 0), 0


class DepthwiseConv1D(_Depthwise):
    """1D convolution of each channel on its own."""

    type: Literal["DepthwiseConv1D"]
    kernel_size: IntOrOne
    """Window length."""
    strides: IntOrOne = 1
    """Step between windows."""
    dilation_rate: IntOrOne = 1
    """Spacing between kernel taps."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2


class DepthwiseConv2D(_Depthwise):
    """2D convolution of each channel on its own."""

    type: Literal["DepthwiseConv2D"]
    kernel_size: IntOrPair
    """Window size: one int or [height, width]."""
    strides: IntOrPair = 1
    """Step between windows."""
    dilation_rate: IntOrPair = 1
    """Spacing between kernel taps."""
    rank: ClassVar[int] = 2
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3
