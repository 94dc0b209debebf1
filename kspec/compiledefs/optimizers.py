"""The optimizers other than sgd, adam and rmsprop (those are in :mod:`kspec.compiling`), created
when a spec names one."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created

from typing import Annotated, Literal

from pydantic import Field

from ..compiling import AdamLike, LearningRate, NonNegFloat, OptimizerBase, PosFloat, PosInt, Unit


class AdamW(AdamLike):
    """Adam with decoupled weight decay."""

    type: Literal["adamw"]
    weight_decay: NonNegFloat | None = 0.004
    """Decoupled weight decay."""
    amsgrad: bool = False
    """Use the AMSGrad variant."""


class Adamax(AdamLike):
    """Adamax: Adam with the infinity norm."""

    type: Literal["adamax"]


class Nadam(AdamLike):
    """Adam with Nesterov momentum."""

    type: Literal["nadam"]


class Lamb(AdamLike):
    """LAMB: Adam with layer-wise trust ratios (large batches)."""

    type: Literal["lamb"]


class Lion(OptimizerBase):
    """Lion: sign of an interpolated momentum (use a rate 3-10x smaller than Adam's)."""

    type: Literal["lion"]
    learning_rate: LearningRate = 0.001
    """Step size: a number or a schedule."""
    beta_1: Unit = 0.9
    """Interpolation factor of the update."""
    beta_2: Unit = 0.99
    """Decay rate of the momentum."""


class Adagrad(OptimizerBase):
    """Adagrad: per-parameter rates from accumulated squared gradients."""

    type: Literal["adagrad"]
    learning_rate: LearningRate = 0.001
    """Step size: a number or a schedule."""
    initial_accumulator_value: NonNegFloat = 0.1
    """Starting value of the per-parameter accumulators."""
    epsilon: PosFloat = 1e-7
    """Small constant for numerical stability."""


class Adadelta(OptimizerBase):
    """Adadelta."""

    type: Literal["adadelta"]
    learning_rate: LearningRate = 0.001
    """Step size: a number or a schedule."""
    rho: Unit = 0.95
    """Decay rate."""
    epsilon: PosFloat = 1e-7
    """Small constant for numerical stability."""


class Adafactor(OptimizerBase):
    """Adafactor: factored second moments (little optimizer memory)."""

    type: Literal["adafactor"]
    learning_rate: LearningRate = 0.001
    """Step size: a number or a schedule."""
    beta_2_decay: float = -0.8
    """Decay rate of the second moment."""
    epsilon_1: PosFloat = 1e-30
    """Small constant added to the squared gradient."""
    epsilon_2: PosFloat = 0.001
    """Small constant for the relative step."""
    clip_threshold: PosFloat = 1.0
    """Clipping threshold of the update."""
    relative_step: bool = True
    """Scale the rate by the inverse square root of the step."""


class Ftrl(OptimizerBase):
    """FTRL-proximal (sparse, wide models)."""

    type: Literal["ftrl"]
    learning_rate: LearningRate = 0.001
    """Step size: a number or a schedule."""
    learning_rate_power: Annotated[float, Field(le=0)] = -0.5
    """How the rate falls during training (0: constant)."""
    initial_accumulator_value: NonNegFloat = 0.1
    """Starting value of the accumulators."""
    l1_regularization_strength: NonNegFloat = 0.0
    """L1 regularisation."""
    l2_regularization_strength: NonNegFloat = 0.0
    """L2 regularisation."""
    l2_shrinkage_regularization_strength: NonNegFloat = 0.0
    """L2 shrinkage (magnitude penalty)."""
    beta: NonNegFloat = 0.0
    """Beta of the FTRL paper."""


class Muon(OptimizerBase):
    """Muon for 2D weights (Newton-Schulz orthogonalised momentum), AdamW for the others."""

    type: Literal["muon"]
    learning_rate: LearningRate = 0.001
    """Step size: a number or a schedule."""
    adam_beta_1: Unit = 0.9
    """beta_1 of the AdamW part."""
    adam_beta_2: Unit = 0.999
    """beta_2 of the AdamW part."""
    adam_weight_decay: NonNegFloat = 0.004
    """Weight decay of the AdamW part."""
    epsilon: PosFloat = 1e-7
    """Small constant for numerical stability."""
    weight_decay: NonNegFloat | None = 0.004
    """Weight decay of the Muon part."""
    exclude_layers: list[str] | None = None
    """Layer name patterns whose weights use AdamW instead."""
    exclude_embeddings: bool = True
    """Embedding weights use AdamW."""
    muon_a: float = 3.4445
    """First Newton-Schulz coefficient."""
    muon_b: float = -4.775
    """Second Newton-Schulz coefficient."""
    muon_c: float = 2.0315
    """Third Newton-Schulz coefficient."""
    adam_lr_ratio: PosFloat = 1
    """Rate of the AdamW part relative to learning_rate."""
    momentum: Unit = 0.95
    """Momentum of the Muon part."""
    ns_steps: PosInt = 5
    """Newton-Schulz iterations."""
    nesterov: bool = True
    """Use Nesterov momentum."""
    rms_rate: PosFloat = 0.2
    """Target RMS of the update."""


class ScheduleFreeAdamW(AdamLike):
    """Schedule-free AdamW (no learning-rate schedule needed)."""

    type: Literal["schedule_free_adamw"]
    learning_rate: LearningRate = 0.0025
    """Step size: a number or a schedule."""
    epsilon: PosFloat = 1e-8
    """Small constant for numerical stability."""
    warmup_steps: Annotated[int, Field(ge=0)] = 0
    """Steps of linear warm-up."""
