"""Layer models: one Pydantic class per supported Keras layer, with its static shape rule beside it.

Field names and defaults are Keras's own, so a spec reads like the Keras call it replaces.
Each class knows, in pure Python, the output shape it produces for an input shape and how many
parameters it holds: :meth:`Layer.infer` returns both or raises :class:`ShapeError` naming the
argument at fault. Shapes are per sample (no batch axis); ``None`` is an unknown dimension.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

Shape = tuple[int | None, ...]

ActivationName = Literal[
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish",
    "sigmoid", "hard_sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign",
    "exponential",
]
"""Keras activation names."""

InitializerName = Literal[
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "random_uniform", "random_normal", "truncated_normal", "orthogonal", "zeros", "ones",
]
FillMode = Literal["reflect", "wrap", "constant", "nearest"]
Interpolation = Literal["nearest", "bilinear"]
IntOrPair = Union[Annotated[int, Field(ge=1)], Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=2, max_length=2)]]
IntOrOne = Union[Annotated[int, Field(ge=1)], Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1, max_length=1)]]
Factor = Union[float, Annotated[list[float], Field(min_length=2, max_length=2)]]


class ShapeError(Exception):
    """A layer cannot accept its input. ``field`` names the argument to blame (or None)."""

    def __init__(self, message: str, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint


class StrictModel(BaseModel):
    """The base of every spec model: unknown keys refused, no type coercion.

    ``strict`` means a value has the type its field declares, as the exported JSON Schema says:
    ``true`` is not the integer 1, ``"128"`` is not a number. (A whole float such as ``5.0`` is
    an integer for JSON Schema; :func:`kspec.validate.validate` reads it as one.)
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=False, strict=True)


class LayerBase(StrictModel):
    name: str | None = None
    """Optional layer name (Keras picks one when absent)."""

    keras_class: ClassVar[str] = ""
    min_rank: ClassVar[int] = 1
    max_rank: ClassVar[int | None] = None

    def keras_kwargs(self) -> dict:
        """Arguments for the Keras constructor: every field except ``type``; None left out."""
        out = {}
        for k, v in self.model_dump(exclude={"type"}).items():
            if v is None:
                continue
            out[k] = tuple(v) if isinstance(v, list) else v
        return out

    def infer(self, shape: Shape) -> tuple[Shape, int, int]:
        """(output shape, trainable params, non-trainable params) for a per-sample input shape."""
        rank = len(shape)
        if rank < self.min_rank or (self.max_rank is not None and rank > self.max_rank):
            want = (f"rank {self.min_rank}" if self.max_rank == self.min_rank
                    else f"rank >= {self.min_rank}" if self.max_rank is None
                    else f"rank {self.min_rank}..{self.max_rank}")
            raise ShapeError(
                f"{self.type} expects input of {want} per sample, got shape {fmt_shape(shape)} (rank {rank})",
                hint=_rank_hint(self.type, shape),
            )
        out = self.output_shape(shape)
        trainable, frozen = self.param_counts(shape)
        return out, trainable, frozen

    def output_shape(self, shape: Shape) -> Shape:
        return shape

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        return 0, 0

    @property
    def activation_name(self) -> str | None:
        return getattr(self, "activation", None)


def fmt_shape(shape: Shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _rank_hint(layer: str, shape: Shape) -> str | None:
    if layer.startswith(("Conv2D", "MaxPooling2D", "AveragePooling2D", "Global")) and len(shape) == 2:
        return f"images need a channel axis: declare input_shape {list(shape) + [1]} (grayscale) or add a Reshape layer"
    if layer.startswith(("Conv1D", "MaxPooling1D")) and len(shape) == 1:
        return f"sequences need a channel axis: declare input_shape {list(shape) + [1]}"
    return None


def _pair(v: int | list[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def _one(v: int | list[int]) -> int:
    return v if isinstance(v, int) else v[0]


def conv_length(n: int | None, kernel: int, stride: int, padding: str, dilation: int = 1) -> int | None:
    """Keras's output length of a convolution or pooling window along one axis."""
    if n is None:
        return None
    if padding == "same":
        return math.ceil(n / stride)
    if padding == "causal":
        return math.ceil(n / stride)
    eff = dilation * (kernel - 1) + 1
    return (n - eff) // stride + 1


def _spatial(layer: str, field: str, dims: Shape, kernel: tuple[int, ...], stride: tuple[int, ...],
             padding: str, dilation: tuple[int, ...] | None = None) -> Shape:
    out = []
    dilation = dilation or (1,) * len(kernel)
    if max(stride) > 1 and max(dilation) > 1:
        raise ShapeError(
            f"{layer} cannot combine strides {list(stride)} with dilation_rate {list(dilation)}: Keras supports "
            "strides > 1 only with dilation_rate 1", field="strides",
            hint="use strides: 1 with the dilation, or dilation_rate: 1 with the strides")
    for axis, (n, k, s, d) in enumerate(zip(dims, kernel, stride, dilation)):
        length = conv_length(n, k, s, padding, d)
        if length is not None and length < 1:
            eff = d * (k - 1) + 1
            raise ShapeError(
                f"{layer} {field} {k if len(set(kernel)) == 1 else list(kernel)} does not fit input "
                f"dimension {n} (axis {axis + 1}): the output would have {length} positions",
                field=field,
                hint=f"use padding: same, a smaller {field}, fewer downsampling layers before it, "
                f"or larger images (this axis needs at least {eff})",
            )
        out.append(length)
    return tuple(out)


class Dense(LayerBase):
    """Fully connected layer: ``units`` outputs, each a weighted sum of the last axis."""

    type: Literal["Dense"]
    units: Annotated[int, Field(ge=1)]
    """Number of outputs."""
    activation: ActivationName | None = None
    """Activation applied to the output (none: linear)."""
    use_bias: bool = True
    """Add a learned bias per unit."""
    kernel_initializer: InitializerName = "glorot_uniform"
    """Initial values of the kernel."""
    bias_initializer: InitializerName = "zeros"
    """Initial values of the bias."""

    def output_shape(self, shape: Shape) -> Shape:
        return shape[:-1] + (self.units,)

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        n = shape[-1] or 0
        return n * self.units + (self.units if self.use_bias else 0), 0


class Flatten(LayerBase):
    """Flattens each sample to one vector."""

    type: Literal["Flatten"]

    def output_shape(self, shape: Shape) -> Shape:
        if any(d is None for d in shape):
            return (None,)
        return (math.prod(shape),)


class _ConvBase(LayerBase):
    filters: Annotated[int, Field(ge=1)]
    """Number of output channels."""
    activation: ActivationName | None = None
    """Activation applied to the output (none: linear)."""
    use_bias: bool = True
    """Add a learned bias per filter."""
    kernel_initializer: InitializerName = "glorot_uniform"
    """Initial values of the kernel."""
    bias_initializer: InitializerName = "zeros"
    """Initial values of the bias."""


class Conv2D(_ConvBase):
    """2D convolution over height and width (channels last)."""

    type: Literal["Conv2D"]
    kernel_size: IntOrPair
    """Window size: one int or [height, width]."""
    strides: IntOrPair = 1
    """Step between windows: one int or [height, width]."""
    padding: Literal["valid", "same"] = "valid"
    """``valid`` shrinks the output by kernel_size - 1; ``same`` keeps the size (at stride 1)."""
    dilation_rate: IntOrPair = 1
    """Spacing between kernel taps: one int or [height, width]."""
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3

    def output_shape(self, shape: Shape) -> Shape:
        hw = _spatial("Conv2D", "kernel_size", shape[:2], _pair(self.kernel_size), _pair(self.strides),
                      self.padding, _pair(self.dilation_rate))
        return hw + (self.filters,)

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        kh, kw = _pair(self.kernel_size)
        return kh * kw * (shape[-1] or 0) * self.filters + (self.filters if self.use_bias else 0), 0


class Conv1D(_ConvBase):
    """1D convolution over steps (channels last)."""

    type: Literal["Conv1D"]
    kernel_size: IntOrOne
    """Window length: one int (or a list of one)."""
    strides: IntOrOne = 1
    """Step between windows."""
    padding: Literal["valid", "same", "causal"] = "valid"
    """``valid``, ``same`` or ``causal``."""
    dilation_rate: IntOrOne = 1
    """Spacing between kernel taps."""
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2

    def output_shape(self, shape: Shape) -> Shape:
        (n,) = _spatial("Conv1D", "kernel_size", shape[:1], (_one(self.kernel_size),), (_one(self.strides),),
                        self.padding, (_one(self.dilation_rate),))
        return (n, self.filters)

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        return _one(self.kernel_size) * (shape[-1] or 0) * self.filters + (self.filters if self.use_bias else 0), 0


class _Pool2D(LayerBase):
    pool_size: IntOrPair = 2
    """Window size: one int or [height, width]."""
    strides: IntOrPair | None = None
    """Step between windows (default: pool_size)."""
    padding: Literal["valid", "same"] = "valid"
    """``valid`` drops windows that do not fit; ``same`` pads so the output is ceil(input / strides)."""
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3

    def output_shape(self, shape: Shape) -> Shape:
        pool = _pair(self.pool_size)
        stride = _pair(self.strides) if self.strides is not None else pool
        return _spatial(self.type, "pool_size", shape[:2], pool, stride, self.padding) + (shape[2],)


class MaxPooling2D(_Pool2D):
    """Max over each pool_size window."""

    type: Literal["MaxPooling2D"]


class AveragePooling2D(_Pool2D):
    """Mean over each pool_size window."""

    type: Literal["AveragePooling2D"]


class MaxPooling1D(LayerBase):
    """Max over each pool_size window of steps."""

    type: Literal["MaxPooling1D"]
    pool_size: IntOrOne = 2
    """Window length."""
    strides: IntOrOne | None = None
    """Step between windows (default: pool_size)."""
    padding: Literal["valid", "same"] = "valid"
    """``valid`` or ``same``."""
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2

    def output_shape(self, shape: Shape) -> Shape:
        pool = _one(self.pool_size)
        stride = _one(self.strides) if self.strides is not None else pool
        return _spatial("MaxPooling1D", "pool_size", shape[:1], (pool,), (stride,), self.padding) + (shape[1],)


class _GlobalPool2D(LayerBase):
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3

    def output_shape(self, shape: Shape) -> Shape:
        return (shape[-1],)


class GlobalAveragePooling2D(_GlobalPool2D):
    """Mean over height and width: one value per channel."""

    type: Literal["GlobalAveragePooling2D"]


class GlobalMaxPooling2D(_GlobalPool2D):
    """Max over height and width: one value per channel."""

    type: Literal["GlobalMaxPooling2D"]


class Dropout(LayerBase):
    """Randomly sets a fraction ``rate`` of inputs to 0 during training."""

    type: Literal["Dropout"]
    rate: Annotated[float, Field(ge=0, lt=1)]
    """Fraction of inputs to drop, 0 <= rate < 1."""
    seed: int | None = None
    """Seed of the dropout mask (default: from the train seed)."""


class BatchNormalization(LayerBase):
    """Normalises the last axis with batch statistics (moving statistics at inference)."""

    type: Literal["BatchNormalization"]
    momentum: Annotated[float, Field(gt=0, lt=1)] = 0.99
    """Momentum of the moving mean and variance."""
    epsilon: Annotated[float, Field(gt=0)] = 0.001
    """Small constant added to the variance."""
    center: bool = True
    """Learn an offset (beta)."""
    scale: bool = True
    """Learn a scale (gamma)."""

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        c = shape[-1] or 0
        return c * (int(self.center) + int(self.scale)), 2 * c


class Activation(LayerBase):
    """Applies an activation function."""

    type: Literal["Activation"]
    activation: ActivationName
    """The activation function."""


class Reshape(LayerBase):
    """Reshapes each sample to ``target_shape`` (one entry may be -1: inferred)."""

    type: Literal["Reshape"]
    target_shape: Annotated[
        list[Union[Literal[-1], Annotated[int, Field(ge=1)]]],
        Field(min_length=1, json_schema_extra={"not": {"contains": {"const": -1}, "minContains": 2}}),
    ]
    """Shape of each output sample; entries are positive, and one may be -1 (inferred)."""

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


class Rescaling(LayerBase):
    """Multiplies inputs by ``scale`` and adds ``offset`` (e.g. scale 1/255 for pixels)."""

    type: Literal["Rescaling"]
    scale: float
    """Multiply inputs by this, e.g. 1/255 written as 0.00392156862745098."""
    offset: float = 0.0
    """Then add this."""


class _Augment(LayerBase):
    seed: int | None = None
    """Seed of the random transform."""
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class RandomFlip(_Augment):
    """Randomly flips images during training."""

    type: Literal["RandomFlip"]
    mode: Literal["horizontal", "vertical", "horizontal_and_vertical"] = "horizontal_and_vertical"
    """horizontal, vertical or horizontal_and_vertical."""


class RandomRotation(_Augment):
    """Randomly rotates images by up to ``factor`` x 2pi during training."""

    type: Literal["RandomRotation"]
    factor: Factor
    """Rotation as a fraction of a full turn: f means [-f, f], or [lower, upper]."""
    fill_mode: FillMode = "reflect"
    """How points outside the image are filled."""
    interpolation: Interpolation = "bilinear"
    """nearest or bilinear."""


class RandomZoom(_Augment):
    """Randomly zooms images during training."""

    type: Literal["RandomZoom"]
    height_factor: Factor
    """Zoom as a fraction of height: negative zooms in, positive out; f means [-f, f]."""
    width_factor: Factor | None = None
    """Zoom of width (default: keep the aspect ratio)."""
    fill_mode: FillMode = "reflect"
    """How points outside the image are filled."""
    interpolation: Interpolation = "bilinear"
    """nearest or bilinear."""


class RandomTranslation(_Augment):
    """Randomly shifts images during training (factors are fractions of height / width)."""

    type: Literal["RandomTranslation"]
    height_factor: Factor
    """Vertical shift as a fraction of height: f means [-f, f], or [lower, upper]."""
    width_factor: Factor
    """Horizontal shift as a fraction of width."""
    fill_mode: FillMode = "reflect"
    """How points outside the image are filled."""
    interpolation: Interpolation = "bilinear"
    """nearest or bilinear."""


class RandomContrast(_Augment):
    """Randomly adjusts contrast during training."""

    type: Literal["RandomContrast"]
    factor: Factor
    """Contrast change: a float f means [1-f, 1+f], or [lower, upper]."""


LAYER_CLASSES: tuple[type[LayerBase], ...] = (
    Dense, Flatten, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
    GlobalMaxPooling2D, Dropout, BatchNormalization, Activation, Reshape, Rescaling, Conv1D,
    MaxPooling1D, RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast,
)

Layer = Annotated[Union[LAYER_CLASSES], Field(discriminator="type")]  # type: ignore[valid-type]
LAYER_TYPES = [cls.model_fields["type"].annotation.__args__[0] for cls in LAYER_CLASSES]
