"""Learning-rate schedules (``keras.optimizers.schedules``), created when a spec names one."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..compiling import NonNegFloat, PosFloat, PosInt, ScheduleBase, Unit


class ExponentialDecay(ScheduleBase):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (keras.optimizers.schedules.ExponentialDecay)."""

    type: Literal["ExponentialDecay"]
    initial_learning_rate: PosFloat
    """Learning rate at step 0."""
    decay_steps: PosInt
    """Steps over which the rate is multiplied by decay_rate once."""
    decay_rate: PosFloat
    """Factor per decay_steps steps, e.g. 0.96."""
    staircase: bool = False
    """Decay in whole steps of decay_steps (integer division) instead of smoothly."""


class InverseTimeDecay(ScheduleBase):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (the Keras 2 ``decay`` argument with decay_steps 1)."""

    type: Literal["InverseTimeDecay"]
    initial_learning_rate: PosFloat
    """Learning rate at step 0."""
    decay_steps: PosInt
    """Steps that make one unit of decay."""
    decay_rate: NonNegFloat
    """Decay per decay_steps steps."""
    staircase: bool = False
    """Decay in whole steps of decay_steps instead of smoothly."""


class PiecewiseConstantDecay(ScheduleBase):
    """Constant rates between step boundaries: ``values[i]`` up to ``boundaries[i]``, the last value after."""

    type: Literal["PiecewiseConstantDecay"]
    boundaries: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]
    """Steps where the rate changes, increasing, e.g. [1000, 2000]."""
    values: Annotated[list[PosFloat], Field(min_length=2)]
    """Rates: one more than boundaries, e.g. [0.01, 0.001, 0.0001]."""

    @model_validator(mode="after")
    def _lengths(self):
        if len(self.values) != len(self.boundaries) + 1:
            raise ValueError(f"values needs one entry more than boundaries: {len(self.boundaries)} boundaries, "
                             f"{len(self.values)} values")
        if any(b >= a for b, a in zip(self.boundaries, self.boundaries[1:])):
            raise ValueError(f"boundaries must increase: {self.boundaries}")
        return self

    def initial(self) -> float:
        return self.values[0]


class PolynomialDecay(ScheduleBase):
    """From initial_learning_rate to end_learning_rate over decay_steps along a polynomial of ``power``."""

    type: Literal["PolynomialDecay"]
    initial_learning_rate: PosFloat
    """Learning rate at step 0."""
    decay_steps: PosInt
    """Steps to reach end_learning_rate."""
    end_learning_rate: NonNegFloat = 0.0001
    """Learning rate after decay_steps."""
    power: PosFloat = 1.0
    """Power of the polynomial (1: linear)."""
    cycle: bool = False
    """Start again after decay_steps (with a longer period) instead of staying at the end rate."""


class CosineDecay(ScheduleBase):
    """Cosine decay from initial_learning_rate to ``alpha * initial_learning_rate``, after an optional linear warm-up."""

    type: Literal["CosineDecay"]
    initial_learning_rate: NonNegFloat
    """Learning rate at step 0 (the start of the warm-up when there is one)."""
    decay_steps: PosInt
    """Steps of cosine decay (after the warm-up)."""
    alpha: Unit = 0.0
    """Final rate as a fraction of the rate the decay starts from."""
    warmup_target: PosFloat | None = None
    """Rate reached at the end of the warm-up (no warm-up when absent)."""
    warmup_steps: Annotated[int, Field(ge=0)] = 0
    """Steps of linear warm-up from initial_learning_rate to warmup_target."""

    def initial(self) -> float:
        return max(self.initial_learning_rate, self.warmup_target or 0)


class CosineDecayRestarts(ScheduleBase):
    """Cosine decay with warm restarts (SGDR): each period ``t_mul`` times longer and ``m_mul`` times lower."""

    type: Literal["CosineDecayRestarts"]
    initial_learning_rate: PosFloat
    """Learning rate at step 0."""
    first_decay_steps: PosInt
    """Steps of the first period."""
    t_mul: PosFloat = 2.0
    """Each period is this many times longer than the previous one."""
    m_mul: PosFloat = 1.0
    """Each restart begins at this fraction of the previous start."""
    alpha: Unit = 0.0
    """Lowest rate as a fraction of the period's start."""
