"""Recurrent layers (SimpleRNN, LSTM, GRU, ConvLSTM1D/2D/3D) and the wrappers Bidirectional and
TimeDistributed, which hold a nested layer."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

import math
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, field_validator

from ..layers import (ActivationName, Constraint, DataFormat, InnerLayer, RecurrentLayer, Initializer, IntOrOne, IntOrPair, IntOrTriple,
                      LayerBase, PosInt, Rate, Regularizer, Shape, ShapeError, fmt_shape, join_channels, ntuple,
                      spatial_output, split_channels)

_RETURN_STATE = ("return_state: true makes the layer return its states as extra outputs, and a Sequential model "
                 "passes exactly one tensor from layer to layer (Keras builds no Sequential model from it); "
                 "leave return_state false, or write the model in Python with the functional API")


class _Recurrent(LayerBase):
    activation: ActivationName | None = "tanh"
    """Activation of the output and state."""
    use_bias: bool = True
    """Add learned biases."""
    kernel_initializer: Initializer = "glorot_uniform"
    """Initial values of the input kernel."""
    recurrent_initializer: Initializer = "orthogonal"
    """Initial values of the recurrent kernel."""
    bias_initializer: Initializer = "zeros"
    """Initial values of the bias."""
    kernel_regularizer: Regularizer | None = None
    """Penalty on the input kernel."""
    recurrent_regularizer: Regularizer | None = None
    """Penalty on the recurrent kernel."""
    bias_regularizer: Regularizer | None = None
    """Penalty on the bias."""
    activity_regularizer: Regularizer | None = None
    """Penalty on the layer's output."""
    kernel_constraint: Constraint | None = None
    """Constraint on the input kernel."""
    recurrent_constraint: Constraint | None = None
    """Constraint on the recurrent kernel."""
    bias_constraint: Constraint | None = None
    """Constraint on the bias."""
    dropout: Rate = 0.0
    """Fraction of the inputs dropped at each step (training only)."""
    recurrent_dropout: Rate = 0.0
    """Fraction of the recurrent state dropped at each step (training only)."""
    seed: int | None = None
    """Seed of the dropout masks."""
    return_sequences: bool = False
    """Output every step (shape (steps, units)) instead of only the last (shape (units,)); needed to stack recurrent layers."""
    return_state: Annotated[bool, Field(json_schema_extra={"const": False})] = False
    """Also return the final states: not possible in a Sequential model (only ``false`` is accepted)."""
    go_backwards: bool = False
    """Process the sequence backwards."""
    stateful: bool = False
    """Keep the states between batches (needs a fixed batch size)."""

    recurrent: ClassVar[bool] = True
    weighted: ClassVar[bool] = True
    family: ClassVar[str] = "recurrent"
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2
    gates: ClassVar[int] = 1

    @field_validator("return_state")
    @classmethod
    def _no_state(cls, v: bool) -> bool:
        if v:
            raise ValueError(_RETURN_STATE)
        return v

    def output_shape(self, shape: Shape) -> Shape:
        return (shape[0], self.units) if self.return_sequences else (self.units,)

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        n, u, g = shape[-1] or 0, self.units, self.gates
        return g * u * (n + u) + (g * u if self.use_bias else 0), 0


class SimpleRNN(_Recurrent):
    """Fully connected recurrent layer: the output is fed back as the next step's state."""

    type: Literal["SimpleRNN"]
    units: PosInt
    """Size of the output and state."""
    unroll: bool = False
    """Unroll the loop (faster for short sequences, more memory)."""


class LSTM(_Recurrent):
    """Long short-term memory (Hochreiter 1997)."""

    type: Literal["LSTM"]
    units: PosInt
    """Size of the output and state."""
    recurrent_activation: ActivationName = "sigmoid"
    """Activation of the gates."""
    unit_forget_bias: bool = True
    """Start the forget gate's bias at 1."""
    unroll: bool = False
    """Unroll the loop (faster for short sequences, more memory)."""
    use_cudnn: Union[bool, Literal["auto"]] = "auto"
    """Use the cuDNN kernel when the arguments allow it."""
    gates: ClassVar[int] = 4


class GRU(_Recurrent):
    """Gated recurrent unit (Cho 2014)."""

    type: Literal["GRU"]
    units: PosInt
    """Size of the output and state."""
    recurrent_activation: ActivationName = "sigmoid"
    """Activation of the gates."""
    unroll: bool = False
    """Unroll the loop (faster for short sequences, more memory)."""
    reset_after: bool = True
    """Apply the reset gate after the matrix multiplication (cuDNN-compatible; two biases per gate)."""
    use_cudnn: Union[bool, Literal["auto"]] = "auto"
    """Use the cuDNN kernel when the arguments allow it."""
    gates: ClassVar[int] = 3

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        n, u = shape[-1] or 0, self.units
        bias = (6 * u if self.reset_after else 3 * u) if self.use_bias else 0
        return 3 * u * (n + u) + bias, 0


class _ConvLSTM(_Recurrent):
    filters: PosInt
    """Number of output channels."""
    padding: Literal["valid", "same"] = "valid"
    """``valid`` or ``same`` (of the input convolution; the recurrent one always keeps the size)."""
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""
    recurrent_activation: ActivationName = "sigmoid"
    """Activation of the gates."""
    unit_forget_bias: bool = True
    """Start the forget gate's bias at 1."""
    rank: ClassVar[int] = 2
    gates: ClassVar[int] = 4

    def output_shape(self, shape: Shape) -> Shape:
        spatial, _ = split_channels(shape[1:], self.data_format)
        out = spatial_output(self.type, "kernel_size", spatial, ntuple(self.kernel_size, self.rank),
                             ntuple(self.strides, self.rank), self.padding, ntuple(self.dilation_rate, self.rank))
        step = join_channels(out, self.filters, self.data_format)
        return (shape[0],) + step if self.return_sequences else step

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        _, c = split_channels(shape[1:], self.data_format)
        k = math.prod(ntuple(self.kernel_size, self.rank))
        f = self.filters
        return 4 * f * k * ((c or 0) + f) + (4 * f if self.use_bias else 0), 0


class ConvLSTM1D(_ConvLSTM):
    """LSTM whose steps are 1D feature maps, with convolutions instead of matrix products."""

    type: Literal["ConvLSTM1D"]
    kernel_size: IntOrOne
    """Window length."""
    strides: IntOrOne = 1
    """Step between windows."""
    dilation_rate: IntOrOne = 1
    """Spacing between kernel taps."""
    rank: ClassVar[int] = 1
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class ConvLSTM2D(_ConvLSTM):
    """LSTM whose steps are images (e.g. video frames), with convolutions instead of matrix products."""

    type: Literal["ConvLSTM2D"]
    kernel_size: IntOrPair
    """Window size: one int or [height, width]."""
    strides: IntOrPair = 1
    """Step between windows."""
    dilation_rate: IntOrPair = 1
    """Spacing between kernel taps."""
    min_rank: ClassVar[int] = 4
    max_rank: ClassVar[int | None] = 4


class ConvLSTM3D(_ConvLSTM):
    """LSTM whose steps are volumes, with convolutions instead of matrix products."""

    type: Literal["ConvLSTM3D"]
    kernel_size: IntOrTriple
    """Window size: one int or [depth, height, width]."""
    strides: IntOrTriple = 1
    """Step between windows."""
    dilation_rate: IntOrTriple = 1
    """Spacing between kernel taps."""
    rank: ClassVar[int] = 3
    min_rank: ClassVar[int] = 5
    max_rank: ClassVar[int | None] = 5


class Bidirectional(LayerBase):
    """Runs a recurrent layer forwards and backwards over the steps and merges the two outputs."""

    type: Literal["Bidirectional"]
    layer: RecurrentLayer
    """The recurrent layer to run both ways, e.g. ``{type: LSTM, units: 64}``."""
    merge_mode: Literal["concat", "sum", "mul", "ave"] = "concat"
    """How the two outputs are merged: ``concat`` doubles the units; ``sum``, ``mul``, ``ave`` keep them."""
    backward_layer: RecurrentLayer | None = None
    """A different recurrent layer for the backward direction (default: a copy of ``layer``)."""

    recurrent: ClassVar[bool] = True
    weighted: ClassVar[bool] = True
    family: ClassVar[str] = "recurrent"
    min_rank: ClassVar[int] = 2

    @property
    def activation_name(self) -> str | None:
        return self.layer.activation_name

    @property
    def returns_sequences(self) -> bool:
        return self.layer.returns_sequences

    def infer(self, shape: Shape) -> tuple[Shape, int, int]:
        backward = self.backward_layer
        if backward is None and self.layer.go_backwards:
            raise ShapeError("Bidirectional runs `layer` forwards and a copy of it backwards, so `layer` needs "
                             "go_backwards: false (Keras: forward layer and backward layer should have different "
                             "go_backwards values)", field="layer.go_backwards")
        if backward is not None and backward.go_backwards == self.layer.go_backwards:
            raise ShapeError("Keras needs the forward and backward layers to have different go_backwards values "
                             "(set go_backwards: true on backward_layer)", field="backward_layer.go_backwards")
        if backward is not None and backward.returns_sequences != self.layer.returns_sequences:
            raise ShapeError("Keras needs the forward and backward layers to have the same return_sequences",
                             field="backward_layer.return_sequences")
        out_f, t_f, n_f = _inner(self, self.layer, shape, "layer")
        out_b, t_b, n_b = out_f, t_f, n_f
        if self.backward_layer is not None:
            out_b, t_b, n_b = _inner(self, self.backward_layer, shape, "backward_layer")
        if self.merge_mode == "concat":
            out = out_f[:-1] + (None if out_f[-1] is None or out_b[-1] is None else out_f[-1] + out_b[-1],)
        else:
            out = out_f
        trainable, frozen = t_f + t_b, n_f + n_b
        if not self.trainable:
            trainable, frozen = 0, trainable + frozen
        return out, trainable, frozen


class TimeDistributed(LayerBase):
    """Applies a layer to every step of a sequence (axis 1) on its own."""

    type: Literal["TimeDistributed"]
    layer: InnerLayer
    """The layer applied at each step, e.g. ``{type: Dense, units: 8}`` or ``{type: Conv2D, ...}`` for frames."""

    family: ClassVar[str] = "recurrent"
    min_rank: ClassVar[int] = 2

    @property
    def activation_name(self) -> str | None:
        return self.layer.activation_name

    @property
    def weighted(self) -> bool:  # type: ignore[override]
        return type(self.layer).weighted

    def infer(self, shape: Shape) -> tuple[Shape, int, int]:
        out, trainable, frozen = _inner(self, self.layer, shape[1:], "layer")
        if not self.trainable:
            trainable, frozen = 0, trainable + frozen
        return (shape[0],) + tuple(out), trainable, frozen


def _inner(wrapper: LayerBase, layer: LayerBase, shape: Shape, field: str) -> tuple[Shape, int, int]:
    try:
        return layer.infer(shape)
    except ShapeError as e:
        where = f"{field}.{e.field}" if e.field else field
        raise ShapeError(f"its {layer.type} on {fmt_shape(shape)}: {e.message}", field=where, hint=e.hint) from None
