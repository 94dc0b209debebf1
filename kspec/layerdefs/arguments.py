"""Initializers, regularizers and constraints given as objects (``{type: RandomNormal, stddev: 0.05}``),
created the first time a spec writes one; a name (``he_normal``, ``l2``) needs none of them."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created

from typing import Annotated, Literal, Union

from pydantic import Field

from ..layers import ArgObject


class _Seeded(ArgObject):
    seed: int | None = None
    """Seed of the random values (default: from the train seed)."""


class RandomNormal(_Seeded):
    """Normal distribution with ``mean`` and ``stddev``."""

    type: Literal["RandomNormal"]
    mean: float = 0.0
    """Mean of the values."""
    stddev: Annotated[float, Field(ge=0)] = 0.05
    """Standard deviation of the values."""


class TruncatedNormal(_Seeded):
    """Normal distribution cut at two standard deviations."""

    type: Literal["TruncatedNormal"]
    mean: float = 0.0
    """Mean of the values."""
    stddev: Annotated[float, Field(ge=0)] = 0.05
    """Standard deviation before truncation."""


class RandomUniform(_Seeded):
    """Uniform distribution on [minval, maxval)."""

    type: Literal["RandomUniform"]
    minval: float = -0.05
    """Lower bound."""
    maxval: float = 0.05
    """Upper bound."""


class VarianceScaling(_Seeded):
    """Values scaled to the fan-in and/or fan-out of the weight."""

    type: Literal["VarianceScaling"]
    scale: Annotated[float, Field(gt=0)] = 1.0
    """Scaling factor."""
    mode: Literal["fan_in", "fan_out", "fan_avg"] = "fan_in"
    """Which fan the variance follows."""
    distribution: Literal["truncated_normal", "untruncated_normal", "uniform"] = "truncated_normal"
    """Distribution of the values."""


class FanInitializer(_Seeded):
    """Glorot (Xavier), He or LeCun initialisation, uniform or normal, with a seed."""

    type: Literal["GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal"]
    """GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform or LecunNormal."""


class Orthogonal(_Seeded):
    """A random orthogonal matrix times ``gain``."""

    type: Literal["Orthogonal"]
    gain: float = 1.0
    """Multiplier of the matrix."""


class IdentityInit(ArgObject):
    """The identity matrix times ``gain`` (2D weights only)."""

    type: Literal["Identity"]
    gain: float = 1.0
    """Multiplier of the matrix."""


class Constant(ArgObject):
    """Every value equal to ``value``."""

    type: Literal["Constant"]
    value: float = 0.0
    """The value."""


class ZerosOnes(ArgObject):
    """All zeros or all ones."""

    type: Literal["Zeros", "Ones"]
    """Zeros or Ones."""


class L1(ArgObject):
    """Penalty l1 * sum(|w|)."""

    type: Literal["L1"]
    l1: Annotated[float, Field(ge=0)] = 0.01
    """Factor of the L1 penalty."""


class L2(ArgObject):
    """Penalty l2 * sum(w^2)."""

    type: Literal["L2"]
    l2: Annotated[float, Field(ge=0)] = 0.01
    """Factor of the L2 penalty."""


class L1L2(ArgObject):
    """Both penalties."""

    type: Literal["L1L2"]
    l1: Annotated[float, Field(ge=0)] = 0.0
    """Factor of the L1 penalty."""
    l2: Annotated[float, Field(ge=0)] = 0.0
    """Factor of the L2 penalty."""


class OrthogonalRegularizer(ArgObject):
    """Penalty that pushes the rows (or columns) of the kernel towards orthogonality."""

    type: Literal["OrthogonalRegularizer"]
    factor: Annotated[float, Field(ge=0)] = 0.01
    """Factor of the penalty."""
    mode: Literal["rows", "columns"] = "rows"
    """Whether rows or columns should be orthogonal."""


class MaxNorm(ArgObject):
    """Rescales weights whose norm exceeds ``max_value``."""

    type: Literal["MaxNorm"]
    max_value: Annotated[float, Field(gt=0)] = 2
    """Largest norm."""
    axis: Union[int, list[int]] = 0
    """Axis (or axes) along which the norm is taken."""


class MinMaxNorm(ArgObject):
    """Keeps the weight norm between ``min_value`` and ``max_value``."""

    type: Literal["MinMaxNorm"]
    min_value: Annotated[float, Field(ge=0)] = 0.0
    """Smallest norm."""
    max_value: Annotated[float, Field(ge=0)] = 1.0
    """Largest norm."""
    rate: Annotated[float, Field(ge=0, le=1)] = 1.0
    """How far to move towards the bounds at each step (1: all the way)."""
    axis: Union[int, list[int]] = 0
    """Axis (or axes) along which the norm is taken."""


class UnitNorm(ArgObject):
    """Rescales weights to norm 1."""

    type: Literal["UnitNorm"]
    axis: Union[int, list[int]] = 0
    """Axis (or axes) along which the norm is taken."""


class NonNeg(ArgObject):
    """Sets negative weights to 0."""

    type: Literal["NonNeg"]
