"""Metric objects (``{type: precision, thresholds: 0.7}``), created when a spec names one; a metric
given by name stays a string and needs none of them."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from ..compiling import SIMPLE_METRICS, MetricBase, NonNegFloat, PosFloat, PosInt, SpecValueError, Unit


class BinaryAccuracy(MetricBase):
    """Share of predictions on the right side of ``threshold``."""

    type: Literal["binary_accuracy"]
    threshold: Unit = 0.5
    """Predictions above this count as 1."""


class _TopK(MetricBase):
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


class _Crossentropy(MetricBase):
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


class _Axis(MetricBase):
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


class _Counts(MetricBase):
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


class _AtValue(MetricBase):
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


class AUC(MetricBase):
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


class F1Score(MetricBase):
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


class R2Score(MetricBase):
    """Coefficient of determination (regression)."""

    type: Literal["r2_score"]
    class_aggregation: Literal["uniform_average", "variance_weighted_average"] | None = "uniform_average"
    """How the scores of several outputs are combined (none: one per output)."""
    num_regressors: Annotated[int, Field(ge=0)] = 0
    """Number of regressors, for the adjusted R2 (0: plain R2)."""


class _IoUBase(MetricBase):
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


class BinaryIoU(MetricBase):
    """IoU of binary targets against thresholded predictions."""

    type: Literal["binary_io_u"]
    target_class_ids: Annotated[list[Literal[0, 1]], Field(min_length=1, max_length=2)] = [0, 1]
    """Which of the classes 0 and 1 the IoU averages over."""
    threshold: Unit = 0.5
    """Predictions above this count as 1."""


class SimpleMetric(MetricBase):
    """A metric whose only argument is its name."""

    type: Literal[tuple(SIMPLE_METRICS)]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _renamable(self):
        if self.name and SIMPLE_METRICS[self.type] is None:
            raise SpecValueError(f"{self.type!r} is a Keras string that cannot be renamed",
                                 hint="name its explicit form instead, e.g. {type: sparse_categorical_accuracy, name: ...}")
        return self
