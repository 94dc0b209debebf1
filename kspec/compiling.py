"""The ``compile`` vocabulary: optimizers, learning-rate schedules, losses and metrics.

Every class mirrors a Keras 3 class with Keras's own argument names and defaults. Each kind has
one canonical spelling, the string identifier Keras itself accepts (``adam``,
``binary_crossentropy``, ``precision``); schedules, which Keras names only by class, use the class
name (``ExponentialDecay``). The other spelling, the Keras class name (``Adam``,
``BinaryCrossentropy``) or the snake_case of a schedule (``exponential_decay``), is accepted and
rewritten to the canonical one before validation, so rules and the emitter see one name.

This module holds the base classes, the names of every member and the members most specs use
(sgd, adam, rmsprop; the three cross-entropies, huber and the losses without arguments). The
others live in :mod:`kspec.compiledefs`, one module per kind, imported the first time a spec names
one of their members: creating a Pydantic class is start-up time for every lint.
``kspec.compiling.AdamW``, ``OPTIMIZER_CLASSES`` and the like load them on access.
"""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from .layers import StrictModel
from .tagged import Later, Tagged, later


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


class ScheduleBase(StrictModel):
    name: str | None = None
    """Name of the schedule (Keras's default when absent)."""

    def initial(self) -> float:
        """The rate of the first step (a schedule without ``initial_learning_rate`` says its own)."""
        return self.initial_learning_rate  # type: ignore[attr-defined]


_SCHEDULES = Tagged(*later("kspec.compiledefs.schedules", {
    "ExponentialDecay": ("ExponentialDecay",), "InverseTimeDecay": ("InverseTimeDecay",),
    "PiecewiseConstantDecay": ("PiecewiseConstantDecay",), "PolynomialDecay": ("PolynomialDecay",),
    "CosineDecay": ("CosineDecay",), "CosineDecayRestarts": ("CosineDecayRestarts",),
}))
SCHEDULE_NAMES = _SCHEDULES.tags()
SCHEDULE_ALIASES = {snake(n): n for n in SCHEDULE_NAMES}
_ScheduleUnion = Annotated[ScheduleBase, _SCHEDULES]
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


class AdamLike(OptimizerBase):
    learning_rate: LearningRate = 0.001
    """Step size: a number or a schedule."""
    beta_1: Unit = 0.9
    """Decay rate of the first-moment estimates."""
    beta_2: Unit = 0.999
    """Decay rate of the second-moment estimates."""
    epsilon: PosFloat = 1e-7
    """Small constant for numerical stability."""


class Adam(AdamLike):
    """Adam."""

    type: Literal["adam"]
    amsgrad: bool = False
    """Use the AMSGrad variant."""


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


_OPTIMIZERS = Tagged(SGD, Adam, RMSprop, *later("kspec.compiledefs.optimizers", {
    "AdamW": ("adamw",), "Adagrad": ("adagrad",), "Nadam": ("nadam",), "Adamax": ("adamax",),
    "Adadelta": ("adadelta",), "Adafactor": ("adafactor",), "Ftrl": ("ftrl",), "Lamb": ("lamb",), "Lion": ("lion",),
    "Muon": ("muon",), "ScheduleFreeAdamW": ("schedule_free_adamw",),
}))
OPTIMIZER_NAMES = _OPTIMIZERS.tags()
OPTIMIZER_KERAS = {name: m.name if isinstance(m, Later) else m.__name__ for name, m in _OPTIMIZERS.by_tag.items()}
"""Canonical name -> Keras class name (``sgd`` -> ``SGD``)."""
OPTIMIZER_ALIASES = {v: k for k, v in OPTIMIZER_KERAS.items()}
OPTIMIZER_REFUSED = {
    "LossScaleOptimizer": ("Keras wraps the optimizer in a LossScaleOptimizer itself under a mixed_float16 dtype policy",
                           "write the inner optimizer, e.g. optimizer: adam"),
    "loss_scale_optimizer": ("Keras wraps the optimizer in a LossScaleOptimizer itself under a mixed_float16 dtype policy",
                             "write the inner optimizer, e.g. optimizer: adam"),
    "MultiOptimizer": ("it maps layers to optimizers by Python objects", "use one optimizer for the model"),
}
_OptimizerUnion = Annotated[OptimizerBase, _OPTIMIZERS]
OptimizerName = Literal[tuple(OPTIMIZER_NAMES + list(OPTIMIZER_ALIASES))]  # type: ignore[valid-type]
Optimizer = Annotated[
    _OptimizerUnion,
    BeforeValidator(type_normaliser(OPTIMIZER_ALIASES, OPTIMIZER_REFUSED, "optimizer"),
                    json_schema_input_type=Union[OptimizerName, _OptimizerUnion]),
]

# ---------------------------------------------------------------------------------------- losses

Reduction = Literal["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"]


class LossBase(StrictModel):
    reduction: Reduction = "sum_over_batch_size"
    """How per-sample losses are combined: the mean over the batch (Keras's default), their sum, ..."""
    name: str | None = None
    """Name of the loss (Keras's default when absent)."""


class Probabilistic(LossBase):
    from_logits: bool = False
    """True when the last layer outputs raw scores (no sigmoid or softmax)."""
    label_smoothing: Unit = 0.0
    """Squeeze targets towards uniform by this amount, 0..1."""
    axis: int = -1
    """Axis of the classes."""


class BinaryCrossentropy(Probabilistic):
    """Cross-entropy of 0/1 targets against a sigmoid output."""

    type: Literal["binary_crossentropy"]


class CategoricalCrossentropy(Probabilistic):
    """Cross-entropy of one-hot targets against a softmax output."""

    type: Literal["categorical_crossentropy"]


class SparseCategoricalCrossentropy(LossBase):
    """Cross-entropy of integer class ids against a softmax output."""

    type: Literal["sparse_categorical_crossentropy"]
    from_logits: bool = False
    """True when the last layer outputs raw scores (no softmax)."""
    ignore_class: int | None = None
    """A class id whose samples do not count (e.g. a padding or void label)."""
    axis: int = -1
    """Axis of the classes."""


class Huber(LossBase):
    """Squared error near 0, absolute error beyond ``delta`` (robust regression)."""

    type: Literal["huber"]
    delta: PosFloat = 1.0
    """Where the loss turns from quadratic to linear."""



SIMPLE_LOSSES = {
    "mean_squared_error": "MeanSquaredError", "mean_absolute_error": "MeanAbsoluteError",
    "mean_absolute_percentage_error": "MeanAbsolutePercentageError",
    "mean_squared_logarithmic_error": "MeanSquaredLogarithmicError", "log_cosh": "LogCosh", "hinge": "Hinge",
    "squared_hinge": "SquaredHinge", "categorical_hinge": "CategoricalHinge", "poisson": "Poisson",
    "kl_divergence": "KLDivergence",
}
"""Losses without arguments of their own: canonical name -> Keras class."""


class SimpleLoss(LossBase):
    """A loss whose only arguments are reduction and name."""

    type: Literal[tuple(SIMPLE_LOSSES)]  # type: ignore[valid-type]


_LOSSES = Tagged(BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
                 *later("kspec.compiledefs.losses", {"BinaryFocalCrossentropy": ("binary_focal_crossentropy",),
                                                     "CategoricalFocalCrossentropy": ("categorical_focal_crossentropy",)}),
                 Huber,
                 *later("kspec.compiledefs.losses", {
                     "CosineSimilarityLoss": ("cosine_similarity",),
                     "CategoricalGeneralizedCrossEntropy": ("categorical_generalized_cross_entropy",),
                     "Dice": ("dice",), "Tversky": ("tversky",), "Circle": ("circle",)}),
                 SimpleLoss)
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
_LossUnion = Annotated[LossBase, _LOSSES]
Loss = Annotated[_LossUnion, BeforeValidator(type_normaliser(LOSS_ALIASES, LOSS_REFUSED, "loss"),
                                             json_schema_input_type=Union[LossName, _LossUnion])]

REGRESSION_LOSSES = {
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "log_cosh", "huber", "poisson", "cosine_similarity",
}

# --------------------------------------------------------------------------------------- metrics


class MetricBase(StrictModel):
    name: str | None = None
    """The name the metric is logged under (Keras's default when absent)."""

    @property
    def logged_name(self) -> str:
        """The history key of this metric (without ``val_``)."""
        return self.name or METRIC_DEFAULT_NAMES.get(self.type, self.type)


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


_METRICS = Tagged(*later("kspec.compiledefs.metrics", {
    "BinaryAccuracy": ("binary_accuracy",), "TopKCategoricalAccuracy": ("top_k_categorical_accuracy",),
    "SparseTopKCategoricalAccuracy": ("sparse_top_k_categorical_accuracy",),
    "BinaryCrossentropyMetric": ("binary_crossentropy",), "CategoricalCrossentropyMetric": ("categorical_crossentropy",),
    "SparseCategoricalCrossentropyMetric": ("sparse_categorical_crossentropy",),
    "CosineSimilarityMetric": ("cosine_similarity",), "PearsonCorrelation": ("pearson_correlation",),
    "ConcordanceCorrelation": ("concordance_correlation",), "TruePositives": ("true_positives",),
    "TrueNegatives": ("true_negatives",), "FalsePositives": ("false_positives",),
    "FalseNegatives": ("false_negatives",), "Precision": ("precision",), "Recall": ("recall",),
    "PrecisionAtRecall": ("precision_at_recall",), "RecallAtPrecision": ("recall_at_precision",),
    "SensitivityAtSpecificity": ("sensitivity_at_specificity",),
    "SpecificityAtSensitivity": ("specificity_at_sensitivity",), "AUC": ("auc",), "F1Score": ("f1_score",),
    "FBetaScore": ("f_beta_score",), "R2Score": ("r2_score",), "IoU": ("io_u",), "MeanIoU": ("mean_io_u",),
    "OneHotIoU": ("one_hot_io_u",), "OneHotMeanIoU": ("one_hot_mean_io_u",), "BinaryIoU": ("binary_io_u",),
    "SimpleMetric": tuple(SIMPLE_METRICS),
}))
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
_MetricUnion = Annotated[MetricBase, _METRICS]
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


def metric_logged_name(m: str | MetricBase) -> str:
    """The name Keras logs a compiled metric under (``val_`` + it for validation)."""
    return m if isinstance(m, str) else m.logged_name


def metric_type(m: str | MetricBase) -> str:
    """The canonical metric name of a metric given by name or as an object."""
    return m if isinstance(m, str) else m.type


TYPE_ALIASES: dict[str, str] = {**SCHEDULE_ALIASES, **OPTIMIZER_ALIASES, **LOSS_ALIASES, **METRIC_ALIASES}
"""Every accepted non-canonical spelling -> its canonical name (for did-you-mean over all of them)."""


_UNIONS = {"SCHEDULE_CLASSES": _SCHEDULES, "OPTIMIZER_CLASSES": _OPTIMIZERS, "LOSS_CLASSES": _LOSSES,
           "METRIC_CLASSES": _METRICS}
_LATER = {m.name: m for union in _UNIONS.values() for m in union.entries if isinstance(m, Later)}


def __getattr__(name: str) -> Any:
    """``kspec.compiling.AdamW`` and ``OPTIMIZER_CLASSES`` (every member of a kind) create the
    classes of :mod:`kspec.compiledefs` on first access."""
    if name in _UNIONS:
        return _UNIONS[name].members
    if name in _LATER:
        return _LATER[name].load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
