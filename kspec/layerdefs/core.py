"""Core layers: Dense, EinsumDense, Embedding, Masking, Identity and the activation layers."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

import math
import re
from typing import Annotated, ClassVar, Literal, Union

from pydantic import ConfigDict, Field

from ..layers import (ActivationName, Constraint, Initializer, LayerBase, PosInt, Regularizer, Shape, ShapeError,
                      fmt_shape)


class _Weighted(LayerBase):
    kernel_initializer: Initializer = "glorot_uniform"
    """Initial values of the kernel: a name, or ``{type: RandomNormal, stddev: 0.05, seed: 1}``."""
    bias_initializer: Initializer = "zeros"
    """Initial values of the bias."""
    kernel_regularizer: Regularizer | None = None
    """Penalty on the kernel: a name, or ``{type: L2, l2: 0.01}``."""
    bias_regularizer: Regularizer | None = None
    """Penalty on the bias."""
    activity_regularizer: Regularizer | None = None
    """Penalty on the layer's output."""
    kernel_constraint: Constraint | None = None
    """Constraint on the kernel, e.g. ``{type: MaxNorm, max_value: 3}``."""
    bias_constraint: Constraint | None = None
    """Constraint on the bias."""
    weighted: ClassVar[bool] = True
    family: ClassVar[str] = "core"


class Dense(_Weighted):
    """Fully connected layer: ``units`` outputs, each a weighted sum of the last axis."""

    type: Literal["Dense"]
    units: PosInt
    """Number of outputs."""
    activation: ActivationName | None = None
    """Activation applied to the output (none: linear)."""
    use_bias: bool = True
    """Add a learned bias per unit."""

    def output_shape(self, shape: Shape) -> Shape:
        return shape[:-1] + (self.units,)

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        n = shape[-1] or 0
        return n * self.units + (self.units if self.use_bias else 0), 0


class EinsumDense(_Weighted):
    """A dense layer written as an einsum equation, e.g. ``ab,bc->ac`` (the first letter is the batch axis)."""

    type: Literal["EinsumDense"]
    equation: Annotated[str, Field(pattern=r"^ *[a-zA-Z.]+ *, *[a-zA-Z]+ *-> *[a-zA-Z.]+ *$")]
    """``input,kernel->output`` in einsum letters; ``...`` stands for the axes in between."""
    output_shape_: Annotated[Union[PosInt, None, list[PosInt | None]], Field(alias="output_shape")]
    """Output shape without the batch axis; None for an axis of unknown size."""
    activation: ActivationName | None = None
    """Activation applied to the output (none: linear)."""
    bias_axes: Annotated[str, Field(pattern=r"^[a-zA-Z]*$")] | None = None
    """Output letters that get a bias (none: no bias)."""

    model_config = ConfigDict(populate_by_name=True)

    def keras_kwargs(self) -> dict:
        out = super().keras_kwargs()
        out.pop("output_shape_", None)
        v = self.output_shape_
        out["output_shape"] = tuple(v) if isinstance(v, list) else v
        return out

    def _analyse(self, shape: Shape) -> tuple[Shape, list, list | None]:
        """Keras's einsum analysis (kernel shape, bias shape, output shape), in the same steps."""
        eq = self.equation.replace(" ", "")
        dotted = eq.replace("...", "0")
        left = False
        m = re.fullmatch(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", dotted)
        if not m:
            m = re.fullmatch(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", dotted)
            left = bool(m)
        if not m:
            m = re.fullmatch(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", dotted)
        if not m:
            raise ShapeError(f"EinsumDense equation {self.equation!r} must have the form X,Y->Z, ...X,Y->...Z or "
                             "X...,Y->Z...", field="equation")
        input_spec, weight_spec, output_spec = m.groups()
        full = (None,) + tuple(shape)
        elided = len(full) - len(input_spec)
        if elided < 0 or (elided > 0 and "0" not in dotted):
            raise ShapeError(f"EinsumDense equation {self.equation!r} names {len(input_spec)} input axes; the input "
                             f"{fmt_shape(shape)} has {len(full)} with the batch axis", field="equation")
        want = self.output_shape_
        out = [want] if not isinstance(want, list) else list(want)
        out.insert(0, None)
        if elided > 0 and left:
            for i in range(1, elided):
                out.insert(1, full[i])
        elif elided > 0:
            for i in range(len(full) - elided, len(full)):
                out.append(full[i])
        if left:
            in_map = {d: (i + elided) - len(full) for i, d in enumerate(input_spec)}
            out_map = {d: i + elided for i, d in enumerate(output_spec)}
        else:
            in_map = {d: i for i, d in enumerate(input_spec)}
            out_map = {d: i for i, d in enumerate(output_spec)}
        try:
            for d in input_spec:
                n = full[in_map[d]]
                if d in out_map:
                    o = out[out_map[d]]
                    if o is not None and o != n:
                        raise ShapeError(f"EinsumDense output_shape gives axis {d!r} size {o}, the input has {n}",
                                         field="output_shape")
            for d in output_spec:
                if d not in input_spec and d not in weight_spec:
                    raise ShapeError(f"EinsumDense output axis {d!r} is neither in the input nor in the kernel",
                                     field="equation")
            kernel = []
            for d in weight_spec:
                if d in out_map:
                    kernel.append(out[out_map[d]])
                elif d in in_map:
                    kernel.append(full[in_map[d]])
                else:
                    raise ShapeError(f"EinsumDense kernel axis {d!r} is neither in the input nor in the output",
                                     field="equation")
            bias = None
            if self.bias_axes is not None:
                shift = elided if left else 0
                idx = {c: out[i + shift] for i, c in enumerate(output_spec)}
                for c in self.bias_axes:
                    if c not in output_spec:
                        raise ShapeError(f"EinsumDense bias axis {c!r} is not in the output {output_spec!r}",
                                         field="bias_axes")
                first = min(output_spec.find(c) for c in self.bias_axes)
                bias = [idx[c] if c in self.bias_axes else 1 for c in output_spec[first:]]
                if not left:
                    bias += [1] * elided
        except IndexError:
            raise ShapeError(f"EinsumDense output_shape {want} does not match the output {output_spec!r} of the equation",
                             field="output_shape") from None
        if any(k is None for k in kernel):
            raise ShapeError("EinsumDense kernel has an axis of unknown size", field="output_shape")
        return tuple(out[1:]), kernel, bias

    def kernel_shape(self, shape: Shape) -> list:
        """The shape of the kernel Keras builds for a per-sample input shape."""
        return self._analyse(shape)[1]

    def output_shape(self, shape: Shape) -> Shape:
        return self._analyse(shape)[0]

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        _, kernel, bias = self._analyse(shape)
        return math.prod(kernel) + (math.prod(d or 0 for d in bias) if bias else 0), 0


class Embedding(LayerBase):
    """Maps integer token ids 0..input_dim-1 to learned vectors of output_dim values."""

    type: Literal["Embedding"]
    input_dim: PosInt
    """Size of the vocabulary: the largest token id + 1."""
    output_dim: PosInt
    """Length of each embedding vector."""
    embeddings_initializer: Initializer = "uniform"
    """Initial values of the embeddings."""
    embeddings_regularizer: Regularizer | None = None
    """Penalty on the embeddings."""
    embeddings_constraint: Constraint | None = None
    """Constraint on the embeddings."""
    mask_zero: bool = False
    """Treat id 0 as padding: later layers (recurrent ones) skip those steps."""
    weighted: ClassVar[bool] = True
    family: ClassVar[str] = "core"

    def output_shape(self, shape: Shape) -> Shape:
        return tuple(shape) + (self.output_dim,)

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        return self.input_dim * self.output_dim, 0


class ReversibleEmbedding(Embedding):
    """An Embedding that can also map vectors back to token scores (``reverse``), e.g. a language
    model's output head sharing the embedding weights; in a Sequential model it embeds."""

    type: Literal["ReversibleEmbedding"]  # type: ignore[assignment]
    tie_weights: bool = True
    """Reverse with the transposed embeddings (true) or a second matrix of its own."""
    reverse_dtype: str | None = None
    """Compute dtype of the reverse projection (default: the layer's)."""
    logit_soft_cap: Annotated[float, Field(gt=0)] | None = None
    """Cap the reverse logits with ``cap * tanh(logits / cap)``."""

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        n = self.input_dim * self.output_dim
        return (n if self.tie_weights else 2 * n), 0


class Masking(LayerBase):
    """Skips the steps whose features all equal ``mask_value`` in later (recurrent) layers."""

    type: Literal["Masking"]
    mask_value: float = 0.0
    """Value that marks a padded step."""
    family: ClassVar[str] = "core"


class Identity(LayerBase):
    """Passes its input through unchanged."""

    type: Literal["Identity"]
    family: ClassVar[str] = "core"


class Activation(LayerBase):
    """Applies an activation function."""

    type: Literal["Activation"]
    activation: ActivationName
    """The activation function."""
    family: ClassVar[str] = "activation"


class ReLU(LayerBase):
    """Rectified linear unit: max(x, 0), with an optional cap, slope below the threshold and threshold."""

    type: Literal["ReLU"]
    max_value: Annotated[float, Field(ge=0)] | None = None
    """Largest output (none: no cap)."""
    negative_slope: Annotated[float, Field(ge=0)] = 0.0
    """Slope below the threshold."""
    threshold: float = 0.0
    """Inputs below this are scaled by negative_slope."""
    family: ClassVar[str] = "activation"

    @property
    def activation_name(self) -> str | None:
        return "relu"


class LeakyReLU(LayerBase):
    """x for x >= 0, negative_slope * x below."""

    type: Literal["LeakyReLU"]
    negative_slope: Annotated[float, Field(ge=0)] = 0.3
    """Slope for negative inputs."""
    family: ClassVar[str] = "activation"

    @property
    def activation_name(self) -> str | None:
        return "leaky_relu"


class ELU(LayerBase):
    """Exponential linear unit: alpha * (exp(x) - 1) for x < 0."""

    type: Literal["ELU"]
    alpha: float = 1.0
    """Scale of the negative part."""
    family: ClassVar[str] = "activation"

    @property
    def activation_name(self) -> str | None:
        return "elu"


class Softmax(LayerBase):
    """Softmax over ``axis`` (the last by default): outputs are positive and sum to 1."""

    type: Literal["Softmax"]
    axis: Union[int, list[int]] = -1
    """Axis (or axes) to normalise over."""
    family: ClassVar[str] = "activation"

    @property
    def activation_name(self) -> str | None:
        return "softmax"


class PReLU(LayerBase):
    """Leaky ReLU with a learned slope per input value (shared along ``shared_axes``)."""

    type: Literal["PReLU"]
    alpha_initializer: Initializer = "zeros"
    """Initial slopes."""
    alpha_regularizer: Regularizer | None = None
    """Penalty on the slopes."""
    alpha_constraint: Constraint | None = None
    """Constraint on the slopes."""
    shared_axes: Union[PosInt, list[PosInt], None] = None
    """Axes (1-based, the batch axis is 0) that share one slope, e.g. [1, 2] for one slope per channel of an image."""
    family: ClassVar[str] = "activation"

    @property
    def activation_name(self) -> str | None:
        return "leaky_relu"

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        shared = [self.shared_axes] if isinstance(self.shared_axes, int) else (self.shared_axes or [])
        for a in shared:
            if a > len(shape):
                raise ShapeError(f"PReLU shared_axes {a} is beyond the input's {len(shape)} axes", field="shared_axes")
        dims = [1 if i + 1 in shared else (d or 0) for i, d in enumerate(shape)]
        return math.prod(dims), 0
