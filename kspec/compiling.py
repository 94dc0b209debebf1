"""The ``compile`` vocabulary: optimizers, learning-rate schedules, losses and metrics.

Every class mirrors a Keras 3 class with Keras's own argument names and defaults. Each kind has
one canonical spelling, the string identifier Keras itself accepts (``adam``,
``binary_crossentropy``, ``precision``); schedules, which Keras names only by class, use the class
name (``ExponentialDecay``). The other spelling, the Keras class name (``Adam``,
``BinaryCrossentropy``) or the snake_case of a schedule (``exponential_decay``), is accepted and
rewritten to the canonical one before validation, so rules and the emitter see one name.
"""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from .layers import StrictModel
from .tagged import Tagged


class SpecValueError(ValueError):
    """A refused value with a fix: the validate stage shows ``hint`` as the diagnostic's hint."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
PosInt = Annotated[int, Field(ge=1)]
Unit = Annotated[float, Field(ge=0, le=1)]


def snake(name: str) -> str:
    """``ExponentialDecay`` -> ``exponential_decay`` (Keras's ``to_snake_case``)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def type_normaliser(aliases: dict[str, str], refused: dict[str, tuple[str, str]], kind: str):
    """A before-validator: a bare name becomes ``{type: name}``; an alias becomes its canonical name;
    a refused name raises with the reason and what to write instead."""

    def norm(v: Any) -> Any:
        if isinstance(v, str):
            v = {"type": v}
        if isinstance(v, dict) and isinstance(v.get("type"), str):
            t = v["type"]
            if t in refused:
                why, hint = refused[t]
                raise SpecValueError(f"{kind} {t!r} is not available in a spec: {why}", hint)
            if t in aliases:
                return {**v, "type": aliases[t]}
        return v

    return norm


# ------------------------------------------------------------------------ learning-rate schedules


class _Schedule(StrictModel):
    name: str | None = None
    """Name of the schedule (Keras's default when absent)."""

    def initial(self) -> float:
        """The rate of the first step (a schedule without ``initial_learning_rate`` says its own)."""
        return self.initial_learning_rate  # type: ignore[attr-defined]


class ExponentialDecay(_Schedule):
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


class InverseTimeDecay(_Schedule):
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


class PiecewiseConstantDecay(_Schedule):
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


class PolynomialDecay(_Schedule):
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


class CosineDecay(_Schedule):
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


class CosineDecayRestarts(_Schedule):
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


SCHEDULE_CLASSES = (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay,
                    CosineDecayRestarts)
SCHEDULE_NAMES = [c.model_fields["type"].annotation.__args__[0] for c in SCHEDULE_CLASSES]
SCHEDULE_ALIASES = {snake(n): n for n in SCHEDULE_NAMES}
_ScheduleUnion = Annotated[_Schedule, Tagged(*SCHEDULE_CLASSES)]
Schedule = Annotated[
    _ScheduleUnion,
    BeforeValidator(type_normaliser(SCHEDULE_ALIASES, {
        "LearningRateSchedule": ("it is the base class", "write one of " + ", ".join(SCHEDULE_NAMES)),
    }, "schedule")),
]
LearningRate = Union[PosFloat, Schedule]
"""A constant rate, or a schedule mapping ``{type: ExponentialDecay, ...}`` stepped every batch."""


def initial_learning_rate(lr: float | Any) -> float:
    """The rate of the first step: the number, or the schedule's starting (peak, after warm-up) rate."""
    return lr if isinstance(lr, (int, float)) else lr.initial()


# ------------------------------------------------------------------------------------ optimizers


class OptimizerBase(StrictModel):
    weight_decay: NonNegFloat | None = None
    """Decoupled weight decay applied to every weight (none: no decay)."""
    clipnorm: PosFloat | None = None
    """Clip each weight's gradient to this norm."""
    clipvalue: PosFloat | None = None
    """Clip each gradient value to [-clipvalue, clipvalue]."""
    global_clipnorm: PosFloat | None = None
    """Clip all gradients together so their global norm is at most this."""
    use_ema: bool = False
    """Keep an exponential moving average of the weights (swap it in with the swap_ema_weights callback)."""
    ema_momentum: Annotated[float, Field(ge=0, le=1)] = 0.99
    """Momentum of that moving average (with use_ema)."""
    ema_overwrite_frequency: PosInt | None = None
    """Every N steps, overwrite the weights with their moving average (with use_ema; none: never)."""
    loss_scale_factor: PosFloat | None = None
    """Multiply the loss by this before computing gradients (and divide the gradients back)."""
    gradient_accumulation_steps: Annotated[int, Field(ge=2)] | None = None
    """Accumulate gradients over N batches and apply them once (an N times larger batch in memory of one)."""
    name: str | None = None
    """Name of the optimizer (Keras's default when absent)."""
    decay: SkipJsonSchema[Any] = Field(None, exclude=True)
    lr: SkipJsonSchema[Any] = Field(None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _keras2(cls, data: Any) -> Any:
        if isinstance(data, dict) and "decay" in data:
            lr = data.get("learning_rate", data.get("lr", cls.model_fields["learning_rate"].default))
            return {**data, "decay": {"decay": data["decay"], "lr": lr}}
        return data

    @field_validator("decay")
    @classmethod
    def _no_decay(cls, v: Any) -> Any:
        decay, lr = v["decay"], v["lr"]
        lr_txt = lr if isinstance(lr, (int, float)) else "<learning_rate>"
        raise SpecValueError(
            f"`decay` is Keras 2's time-based learning-rate decay, which Keras 3 optimizers no longer take "
            f"(Keras 2 used lr / (1 + decay * step))",
            hint=f"write learning_rate: {{type: InverseTimeDecay, initial_learning_rate: {lr_txt}, decay_steps: 1, "
            f"decay_rate: {decay}}} and remove decay")

    @field_validator("lr")
    @classmethod
    def _no_lr(cls, v: Any) -> Any:
        raise SpecValueError("unknown key 'lr'; did you mean 'learning_rate'? (Keras 3 spells it in full)",
                             hint=f"rename lr to learning_rate: learning_rate: {v}")


class SGD(OptimizerBase):
    """Stochastic gradient descent, with optional (Nesterov) momentum."""

    type: Literal["sgd"]
    learning_rate: LearningRate = 0.01
    """Step size: a number or a schedule."""
    momentum: NonNegFloat = 0.0
    """Momentum factor (0: plain gradient descent)."""
    nesterov: bool = False
    """Use Nesterov momentum."""


class _AdamLike(OptimizerBase):
    learning_rate: LearningRate = 0.001
    """Step size: a number or a schedule."""
    beta_1: Unit = 0.9
    """Decay rate of the first-moment estimates."""
    beta_2: Unit = 0.999
    """Decay rate of the second-moment estimates."""
    epsilon: PosFloat = 1e-7
    """Small constant for numerical stability."""


class Adam(_AdamLike):
    """Adam."""

    type: Literal["adam"]
    amsgrad: bool = False
    """Use the AMSGrad variant."""


class AdamW(_AdamLike):
    """Adam with decoupled weight decay."""

    type: Literal["adamw"]
    weight_decay: NonNegFloat | None = 0.004
    """Decoupled weight decay."""
    amsgrad: bool = False
    """Use the AMSGrad variant."""


class Adamax(_AdamLike):
    """Adamax: Adam with the infinity norm."""

    type: Literal["adamax"]


class Nadam(_AdamLike):
    """Adam with Nesterov momentum."""

    type: Literal["nadam"]


class Lamb(_AdamLike):
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


class RMSprop(OptimizerBase):
    """RMSprop (the course's optimizer for image classifiers)."""

    type: Literal["rmsprop"]
    learning_rate: LearningRate = 0.001
    """Step size: a number or a schedule (the course uses 0.001)."""
    rho: Unit = 0.9
    """Decay rate of the moving average of squared gradients."""
    momentum: NonNegFloat = 0.0
    """Momentum factor."""
    epsilon: PosFloat = 1e-7
    """Small constant for numerical stability."""
    centered: bool = False
    """Normalise by the centred second moment."""


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


class ScheduleFreeAdamW(_AdamLike):
    """Schedule-free AdamW (no learning-rate schedule needed)."""

    type: Literal["schedule_free_adamw"]
    learning_rate: LearningRate = 0.0025
    """Step size: a number or a schedule."""
    epsilon: PosFloat = 1e-8
    """Small constant for numerical stability."""
    warmup_steps: Annotated[int, Field(ge=0)] = 0
    """Steps of linear warm-up."""


OPTIMIZER_CLASSES = (SGD, Adam, RMSprop, AdamW, Adagrad, Nadam, Adamax, Adadelta, Adafactor, Ftrl, Lamb, Lion,
                     Muon, ScheduleFreeAdamW)
OPTIMIZER_NAMES = [c.model_fields["type"].annotation.__args__[0] for c in OPTIMIZER_CLASSES]
OPTIMIZER_KERAS = {name: cls.__name__ for name, cls in zip(OPTIMIZER_NAMES, OPTIMIZER_CLASSES)}
"""Canonical name -> Keras class name (``sgd`` -> ``SGD``)."""
OPTIMIZER_ALIASES = {v: k for k, v in OPTIMIZER_KERAS.items()}
OPTIMIZER_REFUSED = {
    "LossScaleOptimizer": ("Keras wraps the optimizer in a LossScaleOptimizer itself under a mixed_float16 dtype policy",
                           "write the inner optimizer, e.g. optimizer: adam"),
    "loss_scale_optimizer": ("Keras wraps the optimizer in a LossScaleOptimizer itself under a mixed_float16 dtype policy",
                             "write the inner optimizer, e.g. optimizer: adam"),
    "MultiOptimizer": ("it maps layers to optimizers by Python objects", "use one optimizer for the model"),
}
_OptimizerUnion = Annotated[OptimizerBase, Tagged(*OPTIMIZER_CLASSES)]
OptimizerName = Literal[tuple(OPTIMIZER_NAMES + list(OPTIMIZER_ALIASES))]  # type: ignore[valid-type]
Optimizer = Annotated[
    _OptimizerUnion,
    BeforeValidator(type_normaliser(OPTIMIZER_ALIASES, OPTIMIZER_REFUSED, "optimizer"),
                    json_schema_input_type=Union[OptimizerName, _OptimizerUnion]),
]

# ---------------------------------------------------------------------------------------- losses

Reduction = Literal["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"]


class _Loss(StrictModel):
    reduction: Reduction = "sum_over_batch_size"
    """How per-sample losses are combined: the mean over the batch (Keras's default), their sum, ..."""
    name: str | None = None
    """Name of the loss (Keras's default when absent)."""


class _Probabilistic(_Loss):
    from_logits: bool = False
    """True when the last layer outputs raw scores (no sigmoid or softmax)."""
    label_smoothing: Unit = 0.0
    """Squeeze targets towards uniform by this amount, 0..1."""
    axis: int = -1
    """Axis of the classes."""


class BinaryCrossentropy(_Probabilistic):
    """Cross-entropy of 0/1 targets against a sigmoid output."""

    type: Literal["binary_crossentropy"]


class CategoricalCrossentropy(_Probabilistic):
    """Cross-entropy of one-hot targets against a softmax output."""

    type: Literal["categorical_crossentropy"]


class BinaryFocalCrossentropy(_Probabilistic):
    """Binary cross-entropy down-weighting easy examples by ``(1 - p) ** gamma`` (imbalanced data)."""

    type: Literal["binary_focal_crossentropy"]
    apply_class_balancing: bool = False
    """Weight positives by alpha and negatives by 1 - alpha."""
    alpha: Unit = 0.25
    """Weight of the positive class (with apply_class_balancing)."""
    gamma: NonNegFloat = 2.0
    """Focusing parameter (0: plain cross-entropy)."""


class CategoricalFocalCrossentropy(_Probabilistic):
    """Categorical cross-entropy down-weighting easy examples by ``(1 - p) ** gamma``."""

    type: Literal["categorical_focal_crossentropy"]
    alpha: Unit = 0.25
    """Weighting factor of every class."""
    gamma: NonNegFloat = 2.0
    """Focusing parameter (0: plain cross-entropy)."""


class SparseCategoricalCrossentropy(_Loss):
    """Cross-entropy of integer class ids against a softmax output."""

    type: Literal["sparse_categorical_crossentropy"]
    from_logits: bool = False
    """True when the last layer outputs raw scores (no softmax)."""
    ignore_class: int | None = None
    """A class id whose samples do not count (e.g. a padding or void label)."""
    axis: int = -1
    """Axis of the classes."""


class Huber(_Loss):
    """Squared error near 0, absolute error beyond ``delta`` (robust regression)."""

    type: Literal["huber"]
    delta: PosFloat = 1.0
    """Where the loss turns from quadratic to linear."""


class CosineSimilarityLoss(_Loss):
    """Negative cosine similarity between targets and predictions."""

    type: Literal["cosine_similarity"]
    axis: int = -1
    """Axis along which the similarity is computed."""


class CategoricalGeneralizedCrossEntropy(_Loss):
    """Generalised cross-entropy, robust to noisy labels (q -> 0: cross-entropy, q = 1: MAE)."""

    type: Literal["categorical_generalized_cross_entropy"]
    q: Annotated[float, Field(gt=0, le=1)] = 0.5
    """Interpolation between cross-entropy and mean absolute error."""


class Dice(_Loss):
    """Dice loss (segmentation)."""

    type: Literal["dice"]
    axis: int | list[int] | None = None
    """Axes to reduce over (none: all)."""


class Tversky(_Loss):
    """Tversky loss: Dice with separate weights for false positives and false negatives."""

    type: Literal["tversky"]
    alpha: NonNegFloat = 0.5
    """Weight of false positives."""
    beta: NonNegFloat = 0.5
    """Weight of false negatives."""
    axis: int | list[int] | None = None
    """Axes to reduce over (none: all)."""


class Circle(_Loss):
    """Circle loss for metric learning (targets are class ids, outputs embeddings)."""

    type: Literal["circle"]
    gamma: PosFloat = 80.0
    """Scale factor."""
    margin: NonNegFloat = 0.4
    """Relaxation margin."""
    remove_diagonal: bool = True
    """Ignore each sample's similarity with itself."""


SIMPLE_LOSSES = {
    "mean_squared_error": "MeanSquaredError", "mean_absolute_error": "MeanAbsoluteError",
    "mean_absolute_percentage_error": "MeanAbsolutePercentageError",
    "mean_squared_logarithmic_error": "MeanSquaredLogarithmicError", "log_cosh": "LogCosh", "hinge": "Hinge",
    "squared_hinge": "SquaredHinge", "categorical_hinge": "CategoricalHinge", "poisson": "Poisson",
    "kl_divergence": "KLDivergence",
}
"""Losses without arguments of their own: canonical name -> Keras class."""


class SimpleLoss(_Loss):
    """A loss whose only arguments are reduction and name."""

    type: Literal[tuple(SIMPLE_LOSSES)]  # type: ignore[valid-type]


LOSS_CLASSES = (BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, BinaryFocalCrossentropy,
                CategoricalFocalCrossentropy, Huber, CosineSimilarityLoss, CategoricalGeneralizedCrossEntropy, Dice,
                Tversky, Circle, SimpleLoss)
LOSS_KERAS = {
    "binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy", "huber": "Huber",
    "cosine_similarity": "CosineSimilarity",
    "categorical_generalized_cross_entropy": "CategoricalGeneralizedCrossEntropy", "dice": "Dice",
    "tversky": "Tversky", "circle": "Circle", **SIMPLE_LOSSES,
}
"""Canonical loss name -> Keras class name."""
LOSS_ALIASES = {
    "mse": "mean_squared_error", "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "kld": "kl_divergence", "bce": "binary_crossentropy",
    "binary_cross_entropy": "binary_crossentropy", "logcosh": "log_cosh", "huber_loss": "huber",
    **{v: k for k, v in LOSS_KERAS.items()},
}
LOSS_REFUSED = {
    "CTC": ("CTC needs label and prediction lengths that a Sequential model does not provide",
            "train CTC models in Python"),
    "ctc": ("CTC needs label and prediction lengths that a Sequential model does not provide",
            "train CTC models in Python"),
}
LOSS_NAMES = list(LOSS_KERAS)
LossName = Literal[tuple(LOSS_NAMES + list(LOSS_ALIASES))]  # type: ignore[valid-type]
_LossUnion = Annotated[_Loss, Tagged(*LOSS_CLASSES)]
Loss = Annotated[_LossUnion, BeforeValidator(type_normaliser(LOSS_ALIASES, LOSS_REFUSED, "loss"),
                                             json_schema_input_type=Union[LossName, _LossUnion])]

REGRESSION_LOSSES = {
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "log_cosh", "huber", "poisson", "cosine_similarity",
}

# --------------------------------------------------------------------------------------- metrics


class _Metric(StrictModel):
    name: str | None = None
    """The name the metric is logged under (Keras's default when absent)."""

    @property
    def logged_name(self) -> str:
        """The history key of this metric (without ``val_``)."""
        return self.name or METRIC_DEFAULT_NAMES.get(self.type, self.type)


class BinaryAccuracy(_Metric):
    """Share of predictions on the right side of ``threshold``."""

    type: Literal["binary_accuracy"]
    threshold: Unit = 0.5
    """Predictions above this count as 1."""


class _TopK(_Metric):
    k: PosInt = 5
    """A prediction is right when the target is among the k highest scores."""


class TopKCategoricalAccuracy(_TopK):
    """Share of one-hot targets among the k highest scores."""

    type: Literal["top_k_categorical_accuracy"]


class SparseTopKCategoricalAccuracy(_TopK):
    """Share of integer targets among the k highest scores."""

    type: Literal["sparse_top_k_categorical_accuracy"]
    from_sorted_ids: bool = False
    """Predictions are already the sorted ids of the top classes."""


class _Crossentropy(_Metric):
    from_logits: bool = False
    """True when the model outputs raw scores."""


class BinaryCrossentropyMetric(_Crossentropy):
    """Binary cross-entropy, as a metric."""

    type: Literal["binary_crossentropy"]
    label_smoothing: Unit = 0
    """Squeeze targets towards 0.5 by this amount."""


class CategoricalCrossentropyMetric(_Crossentropy):
    """Categorical cross-entropy, as a metric."""

    type: Literal["categorical_crossentropy"]
    label_smoothing: Unit = 0
    """Squeeze targets towards uniform by this amount."""
    axis: int = -1
    """Axis of the classes."""


class SparseCategoricalCrossentropyMetric(_Crossentropy):
    """Sparse categorical cross-entropy, as a metric."""

    type: Literal["sparse_categorical_crossentropy"]
    ignore_class: int | None = None
    """A class id whose samples do not count."""
    axis: int = -1
    """Axis of the classes."""


class _Axis(_Metric):
    axis: int = -1
    """Axis along which the metric is computed."""


class CosineSimilarityMetric(_Axis):
    """Cosine similarity between targets and predictions."""

    type: Literal["cosine_similarity"]


class PearsonCorrelation(_Axis):
    """Pearson correlation between targets and predictions."""

    type: Literal["pearson_correlation"]


class ConcordanceCorrelation(_Axis):
    """Concordance correlation coefficient between targets and predictions."""

    type: Literal["concordance_correlation"]


Thresholds = Union[Unit, Annotated[list[Unit], Field(min_length=1)]]


class _Counts(_Metric):
    thresholds: Thresholds | None = None
    """Decision threshold(s) in 0..1 (default 0.5); a list gives one value per threshold."""


class TruePositives(_Counts):
    """Number of true positives."""

    type: Literal["true_positives"]


class TrueNegatives(_Counts):
    """Number of true negatives."""

    type: Literal["true_negatives"]


class FalsePositives(_Counts):
    """Number of false positives."""

    type: Literal["false_positives"]


class FalseNegatives(_Counts):
    """Number of false negatives."""

    type: Literal["false_negatives"]


class _PrecisionRecall(_Counts):
    top_k: PosInt | None = None
    """Count only the k highest scores of each sample as predicted positives."""
    class_id: Annotated[int, Field(ge=0)] | None = None
    """Compute the metric for this class only (multi-label outputs)."""


class Precision(_PrecisionRecall):
    """Share of predicted positives that are positive."""

    type: Literal["precision"]


class Recall(_PrecisionRecall):
    """Share of positives that are predicted positive."""

    type: Literal["recall"]


class _AtValue(_Metric):
    num_thresholds: Annotated[int, Field(ge=2)] = 200
    """Thresholds tried to meet the constraint."""
    class_id: Annotated[int, Field(ge=0)] | None = None
    """Compute the metric for this class only."""


class PrecisionAtRecall(_AtValue):
    """Best precision where recall is at least ``recall``."""

    type: Literal["precision_at_recall"]
    recall: Unit
    """Required recall, 0..1."""


class RecallAtPrecision(_AtValue):
    """Best recall where precision is at least ``precision``."""

    type: Literal["recall_at_precision"]
    precision: Unit
    """Required precision, 0..1."""


class SensitivityAtSpecificity(_AtValue):
    """Best sensitivity where specificity is at least ``specificity``."""

    type: Literal["sensitivity_at_specificity"]
    specificity: Unit
    """Required specificity, 0..1."""


class SpecificityAtSensitivity(_AtValue):
    """Best specificity where sensitivity is at least ``sensitivity``."""

    type: Literal["specificity_at_sensitivity"]
    sensitivity: Unit
    """Required sensitivity, 0..1."""


class AUC(_Metric):
    """Area under the ROC or precision-recall curve."""

    type: Literal["auc"]
    num_thresholds: Annotated[int, Field(ge=2)] = 200
    """Thresholds used to approximate the curve."""
    curve: Literal["ROC", "PR"] = "ROC"
    """ROC (receiver operating characteristic) or PR (precision-recall)."""
    summation_method: Literal["interpolation", "minoring", "majoring"] = "interpolation"
    """How the area is summed."""
    thresholds: Annotated[list[Unit], Field(min_length=1)] | None = None
    """Explicit thresholds (instead of num_thresholds evenly spaced ones)."""
    multi_label: bool = False
    """Average one AUC per label (multi-label outputs) instead of flattening."""
    num_labels: PosInt | None = None
    """Number of labels (with multi_label; default: from the first batch)."""
    label_weights: Annotated[list[NonNegFloat], Field(min_length=1)] | None = None
    """Weight of each label in the average (with multi_label)."""
    from_logits: bool = False
    """True when the model outputs raw scores."""


class F1Score(_Metric):
    """F1 score: harmonic mean of precision and recall."""

    type: Literal["f1_score"]
    average: Literal["micro", "macro", "weighted"] | None = None
    """How per-class scores are combined (none: one score per class)."""
    threshold: Annotated[float, Field(gt=0, le=1)] | None = None
    """Predictions above this count as positive (none: the highest score of each sample)."""


class FBetaScore(F1Score):
    """F-beta score: recall weighted beta times as much as precision."""

    type: Literal["f_beta_score"]
    beta: PosFloat = 1.0
    """Weight of recall against precision."""


class R2Score(_Metric):
    """Coefficient of determination (regression)."""

    type: Literal["r2_score"]
    class_aggregation: Literal["uniform_average", "variance_weighted_average"] | None = "uniform_average"
    """How the scores of several outputs are combined (none: one per output)."""
    num_regressors: Annotated[int, Field(ge=0)] = 0
    """Number of regressors, for the adjusted R2 (0: plain R2)."""


class _IoUBase(_Metric):
    ignore_class: int | None = None
    """A class id left out of the metric."""
    axis: int = -1
    """Axis of the classes."""


class IoU(_IoUBase):
    """Intersection over union of the given classes."""

    type: Literal["io_u"]
    num_classes: Annotated[int, Field(ge=2)]
    """Number of classes."""
    target_class_ids: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]
    """Classes to average the IoU over."""
    sparse_y_true: bool = True
    """Targets are class ids (false: one-hot)."""
    sparse_y_pred: bool = True
    """Predictions are class ids (false: scores per class)."""


class MeanIoU(_IoUBase):
    """Mean intersection over union of every class."""

    type: Literal["mean_io_u"]
    num_classes: Annotated[int, Field(ge=2)]
    """Number of classes."""
    sparse_y_true: bool = True
    """Targets are class ids (false: one-hot)."""
    sparse_y_pred: bool = True
    """Predictions are class ids (false: scores per class)."""


class OneHotIoU(_IoUBase):
    """IoU of the given classes for one-hot targets and score predictions."""

    type: Literal["one_hot_io_u"]
    num_classes: Annotated[int, Field(ge=2)]
    """Number of classes."""
    target_class_ids: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]
    """Classes to average the IoU over."""
    sparse_y_pred: bool = False
    """Predictions are class ids (false: scores per class)."""


class OneHotMeanIoU(_IoUBase):
    """Mean IoU of every class for one-hot targets and score predictions."""

    type: Literal["one_hot_mean_io_u"]
    num_classes: Annotated[int, Field(ge=2)]
    """Number of classes."""
    sparse_y_pred: bool = False
    """Predictions are class ids (false: scores per class)."""


class BinaryIoU(_Metric):
    """IoU of binary targets against thresholded predictions."""

    type: Literal["binary_io_u"]
    target_class_ids: Annotated[list[Literal[0, 1]], Field(min_length=1, max_length=2)] = [0, 1]
    """Which of the classes 0 and 1 the IoU averages over."""
    threshold: Unit = 0.5
    """Predictions above this count as 1."""


SIMPLE_METRICS = {
    "accuracy": None, "acc": None, "categorical_accuracy": "CategoricalAccuracy",
    "sparse_categorical_accuracy": "SparseCategoricalAccuracy", "mean_squared_error": "MeanSquaredError",
    "mean_absolute_error": "MeanAbsoluteError", "mean_absolute_percentage_error": "MeanAbsolutePercentageError",
    "mean_squared_logarithmic_error": "MeanSquaredLogarithmicError",
    "root_mean_squared_error": "RootMeanSquaredError", "log_cosh_error": "LogCoshError", "hinge": "Hinge",
    "squared_hinge": "SquaredHinge", "categorical_hinge": "CategoricalHinge", "poisson": "Poisson",
    "kl_divergence": "KLDivergence", "mse": None, "mae": None, "mape": None, "msle": None,
}
"""Metrics without arguments of their own: name -> Keras class (None: a Keras string only)."""


class SimpleMetric(_Metric):
    """A metric whose only argument is its name."""

    type: Literal[tuple(SIMPLE_METRICS)]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _renamable(self):
        if self.name and SIMPLE_METRICS[self.type] is None:
            raise SpecValueError(f"{self.type!r} is a Keras string that cannot be renamed",
                                 hint="name its explicit form instead, e.g. {type: sparse_categorical_accuracy, name: ...}")
        return self


METRIC_CLASSES = (BinaryAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, BinaryCrossentropyMetric,
                  CategoricalCrossentropyMetric, SparseCategoricalCrossentropyMetric, CosineSimilarityMetric,
                  PearsonCorrelation, ConcordanceCorrelation, TruePositives, TrueNegatives, FalsePositives,
                  FalseNegatives, Precision, Recall, PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,
                  SpecificityAtSensitivity, AUC, F1Score, FBetaScore, R2Score, IoU, MeanIoU, OneHotIoU,
                  OneHotMeanIoU, BinaryIoU, SimpleMetric)
METRIC_KERAS = {
    "binary_accuracy": "BinaryAccuracy", "top_k_categorical_accuracy": "TopKCategoricalAccuracy",
    "sparse_top_k_categorical_accuracy": "SparseTopKCategoricalAccuracy",
    "binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy", "cosine_similarity": "CosineSimilarity",
    "pearson_correlation": "PearsonCorrelation", "concordance_correlation": "ConcordanceCorrelation",
    "true_positives": "TruePositives", "true_negatives": "TrueNegatives", "false_positives": "FalsePositives",
    "false_negatives": "FalseNegatives", "precision": "Precision", "recall": "Recall",
    "precision_at_recall": "PrecisionAtRecall", "recall_at_precision": "RecallAtPrecision",
    "sensitivity_at_specificity": "SensitivityAtSpecificity", "specificity_at_sensitivity": "SpecificityAtSensitivity",
    "auc": "AUC", "f1_score": "F1Score", "f_beta_score": "FBetaScore", "r2_score": "R2Score", "io_u": "IoU",
    "mean_io_u": "MeanIoU", "one_hot_io_u": "OneHotIoU", "one_hot_mean_io_u": "OneHotMeanIoU",
    "binary_io_u": "BinaryIoU", **{k: v for k, v in SIMPLE_METRICS.items() if v},
}
"""Canonical metric name -> Keras class name."""
METRIC_DEFAULT_NAMES = {"log_cosh_error": "logcosh", "f_beta_score": "fbeta_score"}
"""Metrics whose Keras object is logged under another name than the canonical one."""
METRIC_ALIASES = {
    "bce": "binary_crossentropy", "iou": "io_u", "mean_iou": "mean_io_u", "logcosh": "log_cosh_error",
    "fbeta_score": "f_beta_score", **{v: k for k, v in METRIC_KERAS.items()},
}
METRIC_REFUSED = {
    "Accuracy": ("keras.metrics.Accuracy counts exact equality of prediction and target, which a probability "
                 "output never meets", "write accuracy (Keras picks binary, categorical or sparse accuracy from "
                 "the loss), or binary_accuracy / categorical_accuracy / sparse_categorical_accuracy"),
    **{n: ("it averages values a model does not produce from targets and predictions", "use a metric of targets and predictions")
       for n in ("Mean", "Sum", "mean", "sum")},
    **{n: ("it wraps a Python function", "choose one of the built-in metrics")
       for n in ("MeanMetricWrapper", "mean_metric_wrapper")},
}
METRIC_NAMES = list(dict.fromkeys([*SIMPLE_METRICS, *METRIC_KERAS]))
MetricName = Literal[tuple(METRIC_NAMES + list(METRIC_ALIASES))]  # type: ignore[valid-type]
_MetricUnion = Annotated[_Metric, Tagged(*METRIC_CLASSES)]
_metric_norm = type_normaliser(METRIC_ALIASES, METRIC_REFUSED, "metric")


def _metric(v: Any) -> Any:
    """A bare name stays a string (Keras logs it under that name); a mapping is a metric object."""
    if not isinstance(v, str):
        return _metric_norm(v)
    name = _metric_norm(v)["type"]
    if name not in METRIC_NAMES:
        from .diagnostics import did_you_mean

        guess = did_you_mean(v, METRIC_NAMES) or did_you_mean(v, METRIC_ALIASES)
        raise SpecValueError(f"unknown metric {v!r}" + (f"; did you mean {guess!r}?" if guess else ""),
                             hint=f"write {guess!r}" if guess else "metrics: " + ", ".join(METRIC_NAMES))
    return name


Metric = Annotated[
    Union[Literal[tuple(METRIC_NAMES)], _MetricUnion],  # type: ignore[valid-type]
    BeforeValidator(_metric, json_schema_input_type=Union[MetricName, _MetricUnion]),
]
"""A metric name (``accuracy``) or an object with ``type`` and arguments (``{type: precision, thresholds: 0.7}``)."""


def metric_logged_name(m: str | _Metric) -> str:
    """The name Keras logs a compiled metric under (``val_`` + it for validation)."""
    return m if isinstance(m, str) else m.logged_name


def metric_type(m: str | _Metric) -> str:
    """The canonical metric name of a metric given by name or as an object."""
    return m if isinstance(m, str) else m.type


TYPE_ALIASES: dict[str, str] = {**SCHEDULE_ALIASES, **OPTIMIZER_ALIASES, **LOSS_ALIASES, **METRIC_ALIASES}
"""Every accepted non-canonical spelling -> its canonical name (for did-you-mean over all of them)."""
