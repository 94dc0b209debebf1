"""The rule registry: every lint rule, in one explicit tuple. Codes are never reused.

Groups (hundreds digit): 0 spec and tool, 1 shapes and structure, 2 output, loss and labels,
3 data, 4 training and callbacks, 5 layer hygiene, 6 distribution, 7 text, sequences, series and
tables, 8 design advice (off unless selected), 9 run diagnostics.
A retired code stays in ``RETIRED`` so that it is never given to another rule.
"""

from __future__ import annotations

from .advice import (ConvWithoutPooling, DropoutBeforePooling, FewerFilters, ManyDenseLayers, MissingBatchNorm,
                     NonZeroBias, SaturatingStack, ShrinkingKernels, WideningDense)
from .compile import ScheduleAndRateCallback, SwapEmaWithoutEma
from .data import (BackboneInputRange, ClassImbalance, ColorModeMismatch, DataNotInspected, EmptyClass,
                   IgnoredDataOption, ImageSizeCost,
                   InconsistentScaling, InputScaledTwice, LittleData, MissingSplit, UnreadableImage,
                   UnscaledInput, ValidationClassesMismatch)
from .distribute import BatchNotDivisible, ReplicasIdle, UnshardableData
from .hygiene import (BiasBeforeBatchNorm, ConstantInitializer, DropoutAfterOutput, DropoutBeforeBatchNorm,
                      HighDropout, StrideSkipsInput)
from .meta import UnusedSuppression
from .output import (ConsecutiveActivations, FromLogitsOnProbabilities, HiddenSoftmax, LabelEncodingMismatch,
                     LastLayerUnitsMismatch, LossActivationMismatch, NoNonlinearity, OutputRangeMismatch,
                     RegressionLossOnClasses, SoftmaxSingleUnit)
from .sequences import EmbeddingBelowVocabulary, NormalisationFromAllData, UnusableData, WindowsOverlapValidation
from .shapes import (DenseWithoutFlatten, FlattenParameterExplosion, ImpossibleShape, InputShapeMismatch,
                     OutputShapeMismatch, ReshapeSizeMismatch)
from .values import ConstantValues, LabelValues, NonFiniteValues, SplitOverlap, UnscaledTargets
from .training import (AccuracyOnRegression, AdamEpsilon, AmbiguousAccuracy, BatchSize, GradientClipping, TooFewSteps, LearningRateRange, PatienceNotBelowEpochs, StepsExceedData,
                       UnknownMonitor, UnreachableThreshold)

RULES = (
    UnusedSuppression,
    # shapes and structure
    ImpossibleShape,
    InputShapeMismatch,
    DenseWithoutFlatten,
    OutputShapeMismatch,
    FlattenParameterExplosion,
    ReshapeSizeMismatch,
    # output activation, loss and labels
    LastLayerUnitsMismatch,
    SoftmaxSingleUnit,
    LossActivationMismatch,
    FromLogitsOnProbabilities,
    LabelEncodingMismatch,
    RegressionLossOnClasses,
    OutputRangeMismatch,
    HiddenSoftmax,
    ConsecutiveActivations,
    NoNonlinearity,
    # data
    UnscaledInput,
    InconsistentScaling,
    ClassImbalance,
    ValidationClassesMismatch,
    EmptyClass,
    LittleData,
    ImageSizeCost,
    DataNotInspected,
    InputScaledTwice,
    MissingSplit,
    UnreadableImage,
    ColorModeMismatch,
    NonFiniteValues,
    ConstantValues,
    UnscaledTargets,
    LabelValues,
    SplitOverlap,
    BackboneInputRange,
    IgnoredDataOption,
    # training and callbacks
    LearningRateRange,
    BatchSize,
    StepsExceedData,
    UnknownMonitor,
    UnreachableThreshold,
    PatienceNotBelowEpochs,
    AccuracyOnRegression,
    TooFewSteps,
    AdamEpsilon,
    GradientClipping,
    AmbiguousAccuracy,
    ScheduleAndRateCallback,
    SwapEmaWithoutEma,
    # layer hygiene
    HighDropout,
    DropoutBeforeBatchNorm,
    BiasBeforeBatchNorm,
    ConstantInitializer,
    StrideSkipsInput,
    DropoutAfterOutput,
    # distribution
    BatchNotDivisible, ReplicasIdle, UnshardableData,
    # text, sequences, series and tables
    UnusableData, NormalisationFromAllData, WindowsOverlapValidation, EmbeddingBelowVocabulary,
    # design advice (off unless selected)
    ShrinkingKernels, FewerFilters, WideningDense, ConvWithoutPooling, SaturatingStack, ManyDenseLayers,
    MissingBatchNorm, DropoutBeforePooling, NonZeroBias,
)

RETIRED: dict[str, str] = {}
"""Codes that once named a rule: code -> what it was (never reuse them)."""

BY_CODE = {r.code: r for r in RULES}
BY_NAME = {r.name: r for r in RULES}


def find(key: str):
    """A rule by code (``KS201``, any case) or name (``last-layer-units-mismatch``), or None."""
    return BY_CODE.get(key.upper()) or BY_NAME.get(key)
