"""The spec language: Pydantic models for every section.

The models are "schema-pure": what JSON Schema can say (types, ranges, enumerations, unknown
keys) lives here and is exported to ``schemas/``; relations between sections (units vs classes,
loss vs activation, ...) are lint rules. Field docstrings are the schema descriptions.
"""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

import re
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator

from .layers import ActivationName, Layer, StrictModel
from .tagged import Tagged

FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)

PosInt = Annotated[int, Field(ge=1)]
Fraction = Annotated[float, Field(gt=0, lt=1)]


_FRACTION = r"^ *[0-9]+(\.[0-9]+)? */ *([0-9]*[1-9][0-9]*(\.[0-9]+)?|[0-9]+\.[0-9]*[1-9][0-9]*) *$"
"""A fraction such as ``1/255``: ASCII digits, a denominator that is not zero."""


def _fraction_string(v: Any) -> Any:
    """``'1/255'`` -> 0.00392... (ASCII digits only; a spec is data, never an expression)."""
    if isinstance(v, str):
        m = re.fullmatch(r" *([0-9]+(?:\.[0-9]+)?) */ *([0-9]+(?:\.[0-9]+)?) *", v)
        if not m:
            raise ValueError("expected a number or a fraction such as '1/255'")
        den = float(m.group(2))
        if den == 0:
            raise ValueError("division by zero")
        return float(m.group(1)) / den
    return v


Scale = Annotated[
    float,
    BeforeValidator(_fraction_string, json_schema_input_type=Union[float, Annotated[str, Field(pattern=_FRACTION)]]),
]

# ---------------------------------------------------------------------------------------- data


class DataBase(StrictModel):
    rescale: Scale | None = None
    """Multiply every input value by this before training (e.g. ``1/255`` for 0..255 pixels)."""
    validation: Literal["test", "none"] | Fraction = "none"
    """Validation data: ``test`` (the test set), a fraction of the training data held out (e.g. 0.1), or ``none``."""
    shuffle: bool = True
    """Shuffle training samples every epoch."""
    seed: int | None = None
    """Seed of the data's random choices. Image folders: the validation split, the ``limit`` sample, the shuffling and the augmentation (default: the train seed). Text and tables: the rows held out for validation (default 0, so that lint and every run hold out the same rows; shuffling follows the train seed). Arrays and series split in order (the last fraction, the time split) and shuffle with the train seed."""
    class_names: list[str] | None = None
    """Names of the classes, in label order (used by predictions and plots)."""
    label_encoding: Literal["integer", "one_hot"] = "integer"
    """How labels are fed to the loss: integer class ids, or one-hot vectors (made from integer labels)."""
    limit: PosInt | None = None
    """Use only the first N training samples (quick experiments): arrays the first N samples, then the validation split; text and tables the first N training rows after it (the tokenizer and the column encodings fitted on those); series the first N training windows; image folders a seeded sample of N training files."""
    reshape: Annotated[list[PosInt], Field(min_length=1)] | None = None
    """Reshape every input sample to this shape, e.g. [28, 28, 1] to give 28x28 images a channel axis."""


Sample = Union[float, list[float], list[list[float]], list[list[list[float]]]]
NumberArray = Annotated[list[Sample], Field(min_length=1)]
"""A list of samples; each sample a number or a nested list of numbers (rank 3 at most)."""


class ArraysData(DataBase):
    """Samples written inline in the spec."""

    type: Literal["arrays"]
    x: NumberArray
    """Training inputs: a list of samples (numbers or nested lists)."""
    y: NumberArray
    """Training targets, one per sample."""
    x_test: NumberArray | None = None
    """Test inputs (optional), like x."""
    y_test: NumberArray | None = None
    """Test targets (optional), one per test input."""


class NpzData(DataBase):
    """Arrays from a NumPy ``.npz`` archive (the layout of ``mnist.npz``)."""

    type: Literal["npz"]
    path: str
    """Path to the .npz file, relative to the spec."""
    x_key: str = "x_train"
    """Key of the training inputs in the archive."""
    y_key: str = "y_train"
    """Key of the training targets in the archive."""
    x_test_key: str | None = "x_test"
    """Key of test inputs (skipped when absent from the file)."""
    y_test_key: str | None = "y_test"
    """Key of the test targets (skipped when absent from the file)."""


class NpyData(DataBase):
    """Arrays from ``.npy`` files."""

    type: Literal["npy"]
    x: str
    """Path of the training inputs .npy, relative to the spec."""
    y: str
    """Path of the training targets .npy, relative to the spec."""
    x_test: str | None = None
    """Path of the test inputs .npy."""
    y_test: str | None = None
    """Path of the test targets .npy."""


class IdxData(DataBase):
    """The IDX format of MNIST / Fashion-MNIST (optionally gzip-compressed)."""

    type: Literal["idx"]
    train_images: str
    """Path of the training images file (e.g. train-images-idx3-ubyte.gz), relative to the spec."""
    train_labels: str
    """Path of the training labels file, relative to the spec."""
    test_images: str | None = None
    """Path of the test images file."""
    test_labels: str | None = None
    """Path of the test labels file."""


KerasDatasetName = Literal["mnist", "fashion_mnist", "cifar10", "cifar100"]


class KerasData(DataBase):
    """A Keras built-in data set, loaded as ``keras.datasets.<name>.load_data()`` does."""

    type: Literal["keras"]
    name: KerasDatasetName
    """Which data set: mnist, fashion_mnist, cifar10 or cifar100."""


class SyntheticData(DataBase):
    """An image-classification data set kspec draws itself: deterministic from ``seed``, no download."""

    type: Literal["synthetic"]
    name: Literal["shapes"] = "shapes"
    """``shapes``: grayscale images of 4 classes (circle, square, triangle, cross) at random positions and sizes."""
    samples: PosInt = 2000
    """Number of training samples."""
    test_samples: Annotated[int, Field(ge=0)] = 500
    """Number of test samples (drawn after the training samples)."""
    image_size: Annotated[int, Field(ge=8, le=512)] = 28
    """Height and width in pixels."""
    noise: Annotated[float, Field(ge=0, le=1)] = 0.1
    """Amount of pixel noise, 0..1."""
    data_seed: int = 0
    """Seed of the generator (the same seed always draws the same images)."""


class ImageAugmentation(StrictModel):
    """ImageDataGenerator-style augmentation, applied to training batches only."""

    rotation_range: Annotated[float, Field(ge=0, le=360)] = 0
    """Degrees of random rotation (+/-)."""
    width_shift_range: Annotated[float, Field(ge=0, lt=1)] = 0
    """Random horizontal shift, as a fraction of width."""
    height_shift_range: Annotated[float, Field(ge=0, lt=1)] = 0
    """Random vertical shift, as a fraction of height."""
    shear_range: Annotated[float, Field(ge=0, le=90)] = 0
    """Shear angle in degrees."""
    zoom_range: Union[Annotated[float, Field(ge=0, lt=1)], Annotated[list[float], Field(min_length=2, max_length=2)]] = 0
    """Random zoom: a float z means [1-z, 1+z]."""
    horizontal_flip: bool = False
    """Randomly flip images left-right."""
    vertical_flip: bool = False
    """Randomly flip images upside down."""
    brightness_range: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    """Random brightness factor range, e.g. [0.8, 1.2]."""
    fill_mode: Literal["nearest", "constant", "reflect", "wrap"] = "nearest"
    """How points outside the image are filled."""


class ImageFolderData(DataBase):
    """A class-per-subfolder image tree, as ``flow_from_directory`` reads it: folder names are labels."""

    type: Literal["image_folder"]
    directory: str
    """Training folder with one subfolder per class, relative to the spec."""
    validation_directory: str | None = None
    """Validation folder with the same class subfolders."""
    target_size: Annotated[list[PosInt], Field(min_length=2, max_length=2)] = [256, 256]
    """[height, width] every image is resized to."""
    color_mode: Literal["grayscale", "rgb", "rgba"] = "rgb"
    """Channels to decode: grayscale (1), rgb (3) or rgba (4)."""
    class_mode: Literal["binary", "categorical", "sparse", "none"] = "categorical"
    """Label format: ``binary`` (0/1 floats), ``categorical`` (one-hot), ``sparse`` (integer ids), ``none``."""
    batch_size: PosInt | None = None
    """Training batch size (default: train.batch_size)."""
    validation_batch_size: PosInt | None = None
    """Validation batch size (default: the training batch size)."""
    interpolation: Literal["nearest", "bilinear", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"] = "bilinear"
    """Resampling used to resize images to target_size."""
    formats: list[Literal["png", "jpg", "jpeg", "bmp", "gif"]] = ["png", "jpg", "jpeg", "bmp", "gif"]
    """File extensions that count as images."""
    follow_links: bool = False
    """Follow symbolic links to class folders and files."""
    augmentation: ImageAugmentation | None = None
    """Random augmentation of training batches (never validation)."""
    cache: Union[bool, str] = False
    """Cache decoded images (uint8, before rescale): ``true`` in memory, or a file path prefix."""
    cache_budget_mb: PosInt = 2048
    """Largest in-memory cache; above it kspec does not cache in memory and says so."""
    on_bad_file: Literal["error", "skip"] = "error"
    """A file that cannot be decoded: stop with its name (``error``) or skip and count it (``skip``)."""


class SeriesGenerator(StrictModel):
    """The course's synthetic series: baseline + slope * t + seasonality + noise (``np.random.RandomState(noise_seed)``)."""

    length: Annotated[int, Field(ge=2)] = 1461
    """Number of time steps (the course: 4 * 365 + 1)."""
    baseline: float = 10.0
    """Constant level."""
    slope: float = 0.05
    """Trend per time step."""
    amplitude: float = 40.0
    """Height of the seasonal pattern."""
    period: Annotated[float, Field(gt=0)] = 365.0
    """Length of a season in time steps."""
    phase: float = 0.0
    """Shift of the seasonal pattern in time steps."""
    noise_level: Annotated[float, Field(ge=0)] = 5.0
    """Standard deviation of the Gaussian noise."""
    noise_seed: int | None = 42
    """Seed of the noise (the course: 42)."""


class SeriesData(DataBase):
    """A univariate time series cut into windows (``timeseries_dataset_from_array`` semantics), split by time."""

    type: Literal["series"]
    path: str | None = None
    """A CSV / TSV / JSON-lines file (with ``column``) or a ``.npy`` file holding the series, relative to the spec. Default: the generator."""
    column: str | int | None = None
    """Column of the file that holds the series: a header name, or a 0-based index."""
    format: Literal["auto", "csv", "tsv", "jsonl"] = "auto"
    """File format (``auto``: from the file suffix)."""
    generator: SeriesGenerator = SeriesGenerator()
    """The synthetic series used when there is no ``path``."""
    window_size: PosInt = 20
    """Time steps the model sees per sample."""
    horizon: PosInt = 1
    """Time steps forecast per sample (the targets that follow each window)."""
    shift: PosInt = 1
    """Steps between the starts of consecutive windows (``sequence_stride``)."""
    split_time: PosInt | None = None
    """First time step of the validation period (the course: 1000). Default: from ``validation`` (a fraction of the end), else no validation."""
    normalize: Literal["none", "standard", "minmax"] = "none"
    """Scale the series: ``standard`` (mean 0, std 1) or ``minmax`` (0..1); forecasts are scaled back."""
    normalize_fit: Literal["train", "all"] = "train"
    """Where the normalisation statistics come from: the training period, or the whole series (leaks the validation period)."""
    shuffle_buffer: PosInt | None = None
    """Shuffle buffer of training windows (the course: 1000). Default: all training windows."""
    moving_average: PosInt | None = None
    """Window of the moving-average baseline (the course: 30). Default: window_size."""


class TableData(DataBase):
    """A CSV / TSV / JSON-lines table: numeric columns standardised on the training rows, categorical ones one-hot."""

    type: Literal["table"]
    path: str
    """The table file (a header row first), relative to the spec."""
    target: str | int
    """Column holding the target: a header name or a 0-based index."""
    format: Literal["auto", "csv", "tsv", "jsonl"] = "auto"
    """File format (``auto``: from the file suffix)."""
    columns: dict[str, Literal["numeric", "categorical", "ignore"]] | None = None
    """Declared column types (the others are inferred: numeric when every value is a number)."""
    task: Literal["auto", "classification", "regression"] = "auto"
    """``auto``: classification for text targets or at most 20 distinct integers, else regression."""
    test_path: str | None = None
    """A second table with the same columns, used as test data."""


class TokenizerSpec(StrictModel):
    """The course's ``Tokenizer`` + ``pad_sequences``, declared once; fitted on the training texts only."""

    num_words: Annotated[int, Field(ge=2)] | None = None
    """Keep the most frequent words: token ids below this (default: every word of the training texts)."""
    oov_token: str | None = "<OOV>"
    """Token for words outside the vocabulary (id 1); ``null`` drops them, as Tokenizer without oov_token does."""
    maxlen: PosInt | None = None
    """Length every sequence is padded or truncated to (default: the longest training sequence)."""
    padding: Literal["pre", "post"] = "pre"
    """Pad at the front (``pre``, Keras's default) or the back (``post``, the course's sentiment notebooks)."""
    truncating: Literal["pre", "post"] = "pre"
    """Cut long sequences at the front (``pre``) or the back (``post``)."""
    lower: bool = True
    """Lower-case texts first."""
    filters: str | None = None
    """Characters removed before splitting (default: Keras's punctuation, tab and newline)."""
    split: Annotated[str, Field(min_length=1)] = " "
    """Word separator."""


class TextVectorizationSpec(StrictModel):
    """``keras.layers.TextVectorization``'s options, fitted on the training texts only (the
    vocabulary is saved in the run directory); the model receives its output: token ids, or one
    value per vocabulary entry."""

    type: Literal["TextVectorization"]
    max_tokens: Annotated[int, Field(ge=2)] | None = None
    """Largest vocabulary, reserved ids included (int mode: padding 0 and ``[UNK]`` 1; other modes: ``[UNK]`` 0)."""
    standardize: Literal["lower_and_strip_punctuation", "lower", "strip_punctuation"] | None = "lower_and_strip_punctuation"
    """How texts are cleaned before splitting (none: as they are)."""
    split: Literal["whitespace", "character"] | None = "whitespace"
    """How texts are cut into tokens (none: the whole text is one token)."""
    ngrams: Union[Annotated[int, Field(ge=1)], Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1)], None] = None
    """n-grams of tokens as well: 2 means unigrams and bigrams; a list names the lengths, e.g. [1, 3]."""
    output_mode: Literal["int", "multi_hot", "count", "tf_idf"] = "int"
    """``int``: a sequence of token ids; ``multi_hot``: 1 per vocabulary entry present; ``count``: how often; ``tf_idf``: counts weighted by inverse document frequency."""
    output_sequence_length: PosInt | None = None
    """int mode: length every sequence is cut or padded to, at the end (default: the longest training sequence)."""
    pad_to_max_tokens: bool = False
    """Encoded modes: output max_tokens values per text whatever the vocabulary size."""

    @model_validator(mode="after")
    def _modes(self):
        if self.output_mode != "int" and self.output_sequence_length is not None:
            raise ValueError("output_sequence_length is for output_mode int (Keras refuses it with "
                             f"{self.output_mode})")
        if self.pad_to_max_tokens and self.max_tokens is None:
            raise ValueError("pad_to_max_tokens: true needs max_tokens (the width of the output)")
        return self


def _tokenisation(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return "vectorization" if kind is not None else "tokenizer"


class TextData(DataBase):
    """Texts and labels from a CSV / TSV / JSON-lines file or a class-per-subfolder tree of ``.txt`` files; or a corpus for next-word prediction."""

    type: Literal["text"]
    path: str | None = None
    """A CSV / TSV / JSON-lines file with a text and a label column (next_word: a text file, one line per sentence), relative to the spec."""
    directory: str | None = None
    """A folder with one subfolder of ``.txt`` files per class (``text_dataset_from_directory``): folder names are labels."""
    format: Literal["auto", "csv", "tsv", "jsonl"] = "auto"
    """File format (``auto``: from the file suffix)."""
    text_column: str | int = "text"
    """Column holding the texts: a header name (JSON lines: a key) or a 0-based index."""
    label_column: str | int | None = "label"
    """Column holding the labels (class names or integer ids)."""
    test_path: str | None = None
    """A second file with the same columns, used as test data."""
    test_directory: str | None = None
    """A second class-per-subfolder tree, used as test data."""
    task: Literal["classify", "next_word"] = "classify"
    """``classify`` texts by label, or predict the ``next_word`` of every line's n-grams (the course's poetry model)."""
    tokenizer: Annotated[Union[Annotated[TextVectorizationSpec, Tag("vectorization")], Annotated[TokenizerSpec, Tag("tokenizer")]],
                         Discriminator(_tokenisation)] = TokenizerSpec()
    """Vocabulary size, out-of-vocabulary token, sequence length, padding and truncating side (the course's
    Tokenizer), or ``type: TextVectorization`` with Keras's TextVectorization options."""


class KerasTextData(DataBase):
    """Keras's imdb or reuters data set (word ids already), loaded as ``keras.datasets.<name>.load_data()`` does, from the Keras cache."""

    type: Literal["keras_text"]
    name: Literal["imdb", "reuters"]
    """Which data set: imdb (2 classes) or reuters (46 topics)."""
    num_words: Annotated[int, Field(ge=4)] | None = None
    """Keep the most frequent words (ids below num_words; others become the OOV id 2)."""
    maxlen: PosInt = 200
    """Length every review or newswire is padded or truncated to."""
    padding: Literal["pre", "post"] = "pre"
    """Pad at the front or the back."""
    truncating: Literal["pre", "post"] = "pre"
    """Cut long sequences at the front or the back."""


Data = Annotated[
    DataBase,
    Tagged(ArraysData, NpzData, NpyData, IdxData, KerasData, SyntheticData, ImageFolderData, SeriesData, TableData, TextData,
           KerasTextData),
]

# ---------------------------------------------------------------------------------------- model


class ModelSpec(StrictModel):
    """A Keras ``Sequential`` model."""

    input_shape: Annotated[list[PosInt], Field(min_length=1)] | None = None
    """Shape of one sample, without the batch axis, e.g. [28, 28, 1]. Default: the data's sample shape."""
    layers: Annotated[list[Layer], Field(min_length=1)]
    """Layers in order, each with a ``type`` (Keras class name) and Keras's own arguments."""
    name: str | None = None
    """Model name (default: the spec name)."""
    dtype_policy: Literal["float32", "mixed_float16", "mixed_bfloat16", "float16", "bfloat16"] | None = None
    """Keras dtype policy of every layer, e.g. ``mixed_float16`` (compute in float16, weights in float32) on GPUs."""


# ---------------------------------------------------------------------------------------- compile

from .compiling import (LOSS_ALIASES, REGRESSION_LOSSES, BinaryCrossentropy, CategoricalCrossentropy,  # noqa: E402,F401
                        TYPE_ALIASES, Huber, Loss, Metric, Optimizer, OptimizerName, SimpleLoss,
                        SparseCategoricalCrossentropy, type_normaliser)


class CompileSpec(StrictModel):
    """Arguments of ``model.compile``."""

    optimizer: Optimizer
    """Optimizer name (``adam``) or an object with ``type`` and arguments (``{type: rmsprop, learning_rate: 0.001}``)."""
    loss: Loss
    """Loss name (``sparse_categorical_crossentropy``) or an object with ``type`` and arguments (``from_logits``, ``label_smoothing``)."""
    metrics: list[Metric] = []
    """Metrics to log, by name ([accuracy, auc]) or with arguments (``{type: precision, thresholds: 0.7}``). Keras 3 logs ``accuracy``/``val_accuracy``."""


# ---------------------------------------------------------------------------------------- train

_LOWER_IS_BETTER = ("loss", "error", "mse", "mae", "mape", "msle", "hinge", "divergence", "poisson", "log_cosh", "logcosh")


def lower_is_better(metric: str) -> bool:
    """True for metrics that improve downwards (losses and error metrics), as Keras's ``auto`` mode."""
    name = metric.removeprefix("val_")
    return any(token in name for token in _LOWER_IS_BETTER)


Mode = Literal["auto", "min", "max"]


class ThresholdStop(StrictModel):
    """Stop training at the end of the first epoch where ``monitor`` crosses ``threshold`` (the course's custom callback)."""

    type: Literal["threshold_stop"]
    monitor: str = "accuracy"
    """Logged metric to watch, e.g. ``accuracy``, ``val_accuracy``, ``loss``."""
    threshold: float
    """The bound: stop when the metric reaches it."""
    mode: Mode = "auto"
    """``max``: stop when metric >= threshold; ``min``: when <= threshold; ``auto``: ``min`` for losses, else ``max``."""

    @property
    def direction(self) -> Literal["min", "max"]:
        """``mode`` with ``auto`` resolved: ``min`` for losses and errors, else ``max``."""
        if self.mode != "auto":
            return self.mode
        return "min" if lower_is_better(self.monitor) else "max"


class EarlyStopping(StrictModel):
    """Stop when ``monitor`` stops improving (keras.callbacks.EarlyStopping)."""

    type: Literal["early_stopping"]
    monitor: str = "val_loss"
    """Logged metric to watch, e.g. val_loss or val_accuracy."""
    min_delta: Annotated[float, Field(ge=0)] = 0.0
    """Smallest change that counts as an improvement."""
    patience: Annotated[int, Field(ge=0)] = 0
    """Epochs without improvement before stopping."""
    mode: Mode = "auto"
    """min, max, or auto (min for losses)."""
    restore_best_weights: bool = False
    """Restore the weights of the best epoch when stopping."""
    start_from_epoch: Annotated[int, Field(ge=0)] = 0
    """Epochs to wait before watching."""
    baseline: float | None = None
    """Stop unless the metric beats this value within patience epochs."""
    verbose: Literal[0, 1] = 0
    """1: say when the callback stops training."""


KSPEC_WRITES = (
    "spec", "spec.resolved.json", "manifest.json", "summary.txt", "shapes.txt", "classes.json", "history.json",
    "history.csv", "metrics.json", "confusion_matrix.png", "confusion_matrix.json", "predictions.json",
    "predictions", "model.keras", "loss.png", "accuracy.png", "diagnostics.json", "visualize", "lint.json",
    "report.html", "resume", "error.log", "forecast.json", "forecast.png", "series.json", "table.json",
    "vocabulary.json", "state.json", "samples", ".lock",
)
"""Files and folders kspec itself writes at the top of a run directory: a spec's output paths may not name them."""

_SEGMENT = r"([^/\\.][^/\\]*|\.[^/\\.][^/\\]*|\.\.[^/\\]+)"
"""One path segment that is not ``.`` or ``..`` and holds no slash or backslash."""
_RESERVED = "^(" + "|".join(re.escape(n) for n in KSPEC_WRITES) + ")(/.*)?$"


_INSIDE = f"^{_SEGMENT}(/{_SEGMENT})*$"


def _inside_run_dir(v: str) -> str:
    if not re.match(_INSIDE, v):
        raise ValueError("is not a path inside the run directory: write it relative to the run directory, "
                         "with no leading '/', no '.' or '..' part and no backslash (e.g. logs/train.csv)")
    if re.match(_RESERVED, v):
        raise ValueError(f"names {v.split('/')[0]!r}, which kspec writes itself in the run directory; "
                         "choose another name")
    return v


RunPath = Annotated[
    str,
    Field(json_schema_extra={"pattern": _INSIDE, "not": {"pattern": _RESERVED}}),
    AfterValidator(_inside_run_dir),
]
"""A path inside the run directory: relative, no ``.``/``..`` segment, no backslash, and not a file kspec writes."""


class ModelCheckpoint(StrictModel):
    """Save the model during training (keras.callbacks.ModelCheckpoint), inside the run directory."""

    type: Literal["model_checkpoint"]
    filepath: RunPath = "checkpoints/epoch{epoch:03d}.keras"
    """File name pattern relative to the run directory; must end in .keras (or .weights.h5 with save_weights_only)."""
    monitor: str = "val_loss"
    """Metric deciding the best model (with save_best_only)."""
    save_best_only: bool = False
    """Keep only the best model seen so far."""
    save_weights_only: bool = False
    """Save weights only (file name must end in .weights.h5)."""
    mode: Mode = "auto"
    """min, max, or auto (min for losses)."""
    save_freq: Union[Literal["epoch"], Annotated[int, Field(ge=1)]] = "epoch"
    """Save at the end of every epoch, or every N batches."""
    initial_value_threshold: float | None = None
    """With save_best_only: save only once the metric beats this value."""
    verbose: Literal[0, 1] = 0
    """1: say when a model is saved."""


class CSVLogger(StrictModel):
    """Write per-epoch metrics to a CSV file in the run directory (kspec always writes history.csv too)."""

    type: Literal["csv_logger"]
    filename: RunPath = "training.log.csv"
    """CSV file name, relative to the run directory."""
    append: bool = False
    """Append to an existing file instead of overwriting it."""
    separator: str = ","
    """Column separator."""


class ReduceLROnPlateau(StrictModel):
    """Lower the learning rate when ``monitor`` stops improving."""

    type: Literal["reduce_lr_on_plateau"]
    monitor: str = "val_loss"
    """Logged metric to watch."""
    factor: Annotated[float, Field(gt=0, lt=1)] = 0.1
    """Multiply the learning rate by this when the metric stalls."""
    patience: Annotated[int, Field(ge=0)] = 10
    """Epochs without improvement before lowering the rate."""
    min_delta: Annotated[float, Field(ge=0)] = 0.0001
    """Smallest change that counts as an improvement."""
    min_lr: Annotated[float, Field(ge=0)] = 0.0
    """Lower bound of the learning rate."""
    mode: Mode = "auto"
    """min, max, or auto (min for losses)."""
    cooldown: Annotated[int, Field(ge=0)] = 0
    """Epochs to wait after lowering the rate before watching again."""
    verbose: Literal[0, 1] = 0
    """1: say when the rate is lowered."""


class TensorBoard(StrictModel):
    """Write TensorBoard logs inside the run directory."""

    type: Literal["tensorboard"]
    log_dir: RunPath = "tensorboard"
    """Log folder, relative to the run directory."""
    histogram_freq: Annotated[int, Field(ge=0)] = 0
    """Epochs between weight histograms (0: none)."""


class TerminateOnNaN(StrictModel):
    """Stop training at the first batch whose loss is NaN or infinite (keras.callbacks.TerminateOnNaN)."""

    type: Literal["terminate_on_nan"]
    raise_error: bool = False
    """Fail the run with an error instead of stopping it quietly."""


class SwapEMAWeights(StrictModel):
    """Evaluate (and save) with the optimizer's moving average of the weights; needs ``use_ema: true`` on the optimizer."""

    type: Literal["swap_ema_weights"]
    swap_on_epoch: bool = False
    """Also use the averaged weights for the validation at the end of each epoch (and checkpoints)."""


class ExponentialEpochSchedule(StrictModel):
    """``initial_learning_rate * factor ** (epoch / epochs_per_factor)``, epochs counted from 0.

    The course's learning-rate sweep ``lambda epoch: 1e-8 * 10**(epoch / 20)`` is
    ``{type: exponential, initial_learning_rate: 1e-8, factor: 10, epochs_per_factor: 20}``.
    """

    type: Literal["exponential"]
    initial_learning_rate: Annotated[float, Field(gt=0)]
    """Learning rate of the first epoch (epoch 0)."""
    factor: Annotated[float, Field(gt=0)]
    """The rate is multiplied by this every epochs_per_factor epochs (above 1: a sweep upwards; below 1: decay)."""
    epochs_per_factor: Annotated[float, Field(gt=0)] = 1
    """Epochs over which the rate changes by one factor."""
    staircase: bool = False
    """Change the rate in whole steps of epochs_per_factor epochs instead of every epoch."""

    def rate(self, epoch: int) -> float:
        e = epoch / self.epochs_per_factor
        return self.initial_learning_rate * self.factor ** (int(e) if self.staircase else e)


class PiecewiseEpochSchedule(StrictModel):
    """Constant rates between epoch boundaries: ``values[i]`` before epoch ``boundaries[i]``, the last value after."""

    type: Literal["piecewise"]
    boundaries: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1)]
    """Epochs (counted from 0) where the next rate starts, increasing, e.g. [10, 20]."""
    values: Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=2)]
    """Rates: one more than boundaries, e.g. [0.001, 0.0001, 0.00001]."""

    @field_validator("values")
    @classmethod
    def _lengths(cls, v, info):
        b = info.data.get("boundaries")
        if b is not None and len(v) != len(b) + 1:
            raise ValueError(f"values needs one entry more than boundaries: {len(b)} boundaries, {len(v)} values")
        if b is not None and any(x >= y for x, y in zip(b, b[1:])):
            raise ValueError(f"boundaries must increase: {b}")
        return v

    def rate(self, epoch: int) -> float:
        for boundary, value in zip(self.boundaries, self.values):
            if epoch < boundary:
                return value
        return self.values[-1]


EpochSchedule = Annotated[StrictModel, Tagged(ExponentialEpochSchedule, PiecewiseEpochSchedule)]


class LearningRateScheduler(StrictModel):
    """Set the learning rate at the start of every epoch from a declared schedule (keras.callbacks.LearningRateScheduler).

    The run also draws ``lr_sweep.png``: the loss of each epoch against its learning rate on a log
    axis (the course's ``plt.semilogx``), to pick the rate where the loss falls fastest.
    """

    type: Literal["learning_rate_scheduler"]
    schedule: EpochSchedule
    """The rate per epoch: ``{type: exponential, ...}`` or ``{type: piecewise, ...}``."""
    verbose: Literal[0, 1] = 0
    """1: print the rate at the start of every epoch."""

    def rates(self, epochs: int) -> list[float]:
        return [self.schedule.rate(e) for e in range(epochs)]


CALLBACK_KERAS = {
    "early_stopping": "EarlyStopping", "model_checkpoint": "ModelCheckpoint", "csv_logger": "CSVLogger",
    "reduce_lr_on_plateau": "ReduceLROnPlateau", "tensorboard": "TensorBoard", "terminate_on_nan": "TerminateOnNaN",
    "swap_ema_weights": "SwapEMAWeights", "learning_rate_scheduler": "LearningRateScheduler",
}
"""Canonical callback name -> Keras class name."""
CALLBACK_ALIASES = {v: k for k, v in CALLBACK_KERAS.items()} | {"ThresholdStop": "threshold_stop"}
_CODE = ("it runs Python code, which a spec cannot name", "use a callback kspec declares as data")
CALLBACK_REFUSED = {
    "LambdaCallback": _CODE, "lambda_callback": _CODE, "Callback": _CODE,
    "BackupAndRestore": ("kspec checkpoints every run itself", "continue an interrupted run with kspec run --resume RUN_DIR"),
    "backup_and_restore": ("kspec checkpoints every run itself", "continue an interrupted run with kspec run --resume RUN_DIR"),
    "History": ("Keras records the history of every run", "read history.json in the run directory"),
    "ProgbarLogger": ("Keras shows the progress bar itself", "set train.verbose"),
    "RemoteMonitor": ("it posts to a server during training", "use csv_logger or tensorboard"),
}
_CallbackUnion = Annotated[
    StrictModel,
    Tagged(ThresholdStop, EarlyStopping, ModelCheckpoint, CSVLogger, ReduceLROnPlateau, TensorBoard, TerminateOnNaN,
           SwapEMAWeights, LearningRateScheduler),
]
_BARE_CALLBACKS = [  # a callback may be named alone only when none of its arguments is required
    name for cls in (ThresholdStop, EarlyStopping, ModelCheckpoint, CSVLogger, ReduceLROnPlateau, TensorBoard,
                     TerminateOnNaN, SwapEMAWeights, LearningRateScheduler)
    if not any(f.is_required() for key, f in cls.model_fields.items() if key != "type")
    for name in typing.get_args(cls.model_fields["type"].annotation)
]
CallbackName = Literal[tuple(  # type: ignore[valid-type]
    _BARE_CALLBACKS + [alias for alias, name in CALLBACK_ALIASES.items() if name in _BARE_CALLBACKS])]
Callback = Annotated[
    _CallbackUnion,
    BeforeValidator(type_normaliser(CALLBACK_ALIASES, CALLBACK_REFUSED, "callback"),
                    json_schema_input_type=Union[CallbackName, _CallbackUnion]),
]
TYPE_ALIASES.update(CALLBACK_ALIASES)


class DefaultDistribute(StrictModel):
    """One device, plain ``model.fit``: no tf.distribute strategy and no overhead."""

    type: Literal["default"]


class MirroredDistribute(StrictModel):
    """``tf.distribute.MirroredStrategy``: synchronous data-parallel training on the devices of one machine."""

    type: Literal["mirrored"]
    devices: Annotated[list[Annotated[str, Field(pattern=r"^(/job:[a-z_]+(/replica:[0-9]+)?(/task:[0-9]+)?)?/?(device:)?([gG][pP][uU]|[cC][pP][uU]|[tT][pP][uU]):[0-9]+$")]], Field(min_length=1)] | None = None
    """Devices to replicate on, e.g. ["/gpu:0", "/gpu:1"]. Default: every local GPU. ["/cpu:0", "/cpu:1"] splits the CPU into logical devices (to try replication without GPUs)."""
    cross_device_ops: Literal["auto", "nccl", "hierarchical_copy", "reduce_to_one"] = "auto"
    """How gradients are summed across devices (``auto``: TensorFlow's choice)."""


WorkerAddress = Annotated[str, Field(pattern=r"^[^ \t\r\n:/]+:[0-9]{1,5}$")]


class MultiWorkerDistribute(StrictModel):
    """``tf.distribute.MultiWorkerMirroredStrategy``: synchronous training across processes or machines (collective all-reduce)."""

    type: Literal["multi_worker"]
    workers: Union[Annotated[list[WorkerAddress], Field(min_length=1)], PosInt, None] = None
    """Every worker's ``host:port``, the chief first; or just how many workers there are (the addresses then come from TF_CONFIG, or from ``kspec run --local``). Default: the cluster in TF_CONFIG."""
    worker_index: Annotated[int, Field(ge=0)] | None = None
    """This worker's index in ``workers`` (0 is the chief). Usually given per machine: ``kspec run --worker-index`` or TF_CONFIG."""
    communication: Literal["auto", "ring", "nccl"] = "auto"
    """Collective implementation: ``ring`` (gRPC, CPUs), ``nccl`` (GPUs), or TensorFlow's choice."""
    startup_timeout: Annotated[int, Field(ge=1)] = 300
    """Seconds to wait for every worker to join before giving up with the names of the missing ones."""


class ParameterServerDistribute(StrictModel):
    """``tf.distribute.ParameterServerStrategy``: the cluster (chief, workers, ps) comes from TF_CONFIG. Not supported by Keras 3's ``fit``; see docs/distribute.md."""

    type: Literal["parameter_server"]
    variable_partitions: PosInt | None = None
    """Shard large variables over this many parameter servers (default: no sharding)."""


class TPUDistribute(StrictModel):
    """``tf.distribute.TPUStrategy`` (needs a TensorFlow build with TPU support)."""

    type: Literal["tpu"]
    tpu: str = ""
    """TPU name or ``grpc://`` address; empty for the TPU attached to this machine."""
    zone: str | None = None
    """Cloud zone of the TPU (passed to TPUClusterResolver)."""
    project: str | None = None
    """Cloud project of the TPU (passed to TPUClusterResolver)."""


DistributeName = Literal["default", "mirrored", "multi_worker", "parameter_server", "tpu"]
_DistributeUnion = Annotated[
    StrictModel, Tagged(DefaultDistribute, MirroredDistribute, MultiWorkerDistribute, ParameterServerDistribute, TPUDistribute),
]


def _distribute_name(v: Any) -> Any:
    """Accept a bare name (``multi_worker``) as shorthand for ``{type: multi_worker}``."""
    return {"type": v} if isinstance(v, str) else v


Distribute = Annotated[
    _DistributeUnion,
    BeforeValidator(_distribute_name, json_schema_input_type=Union[DistributeName, _DistributeUnion]),
]


class TrainSpec(StrictModel):
    """Arguments of ``model.fit``."""

    epochs: PosInt = 1
    """Passes over the training data."""
    batch_size: PosInt = 32
    """Samples per gradient step (the global batch)."""
    steps_per_epoch: PosInt | None = None
    """Batches per epoch (default: all training samples once). When set, the data repeats so no epoch runs short."""
    validation_steps: PosInt | None = None
    """Validation batches per epoch (default: all validation samples once)."""
    verbose: Literal[0, 1, 2, "auto"] = "auto"
    """0 silent, 1 progress bar, 2 one line per epoch, auto (1 on a terminal, else 2)."""
    seed: int | None = None
    """Random seed for weights, shuffling and dropout (default: one is drawn and recorded in the manifest)."""
    callbacks: list[Callback] = []
    """Callbacks: threshold_stop, early_stopping, model_checkpoint, csv_logger, reduce_lr_on_plateau, tensorboard, terminate_on_nan, learning_rate_scheduler, swap_ema_weights (or their Keras class names)."""
    distribute: Distribute = DefaultDistribute(type="default")
    """Where to train: ``default`` (one device), ``mirrored`` (the GPUs of this machine), ``multi_worker`` (several processes or machines), ``parameter_server`` or ``tpu``. ``batch_size`` stays the global batch."""


class EvaluateSpec(StrictModel):
    """Evaluate after training."""

    data: Literal["test", "validation"] = "test"
    """Which data to evaluate on."""
    batch_size: PosInt | None = None
    """Batch size for evaluation (default: train.batch_size)."""


class PredictSpec(StrictModel):
    """Predict after training; results go to predictions.json."""

    x: NumberArray | None = None
    """Inline samples to predict, e.g. [[10.0]]."""
    from_data: Literal["test", "validation"] | None = None
    """Predict the first ``count`` samples of the test or validation data instead."""
    count: PosInt = 10
    """How many samples to predict with from_data."""


class VisualizeSpec(StrictModel):
    """Draw feature maps after training (the course's intermediate representations) into visualize/ in the run directory."""

    image: str | None = None
    """An image file (or a .npy file with one sample), relative to the spec. Default: a sample of ``from_data``."""
    from_data: Literal["test", "validation", "train"] = "test"
    """When no image is given: the data the sample comes from."""
    index: Annotated[int, Field(ge=0)] = 0
    """When no image is given: the sample's index in that data."""
    layers: list[str | int] | None = None
    """Layers to draw, by name or 0-based index (default: every convolution and pooling layer)."""
    channel: Annotated[int, Field(ge=0)] = 0
    """The channel drawn across layers in channel-<N>.png."""


class LintSpec(StrictModel):
    """Lint settings kept with the spec."""

    ignore: list[str] = []
    """Codes (KS201) or rule names to silence for this spec."""


PartRef = Annotated[str, Field(pattern=r"\.([yY][aA]?[mM][lL]|[jJ][sS][oO][nN])$", description="Relative path of a YAML or JSON file that holds this section.")]


def _part_kind(v: Any) -> str:
    return "ref" if isinstance(v, str) else "inline"


def _part(model: Any) -> Any:
    """A section written inline or kept in its own file (composed by the parser)."""
    return Annotated[
        Union[Annotated[model, Tag("inline")], Annotated[PartRef, Tag("ref")]],
        Discriminator(_part_kind),
    ]


class Spec(StrictModel):
    """A kspec training spec."""

    kspec: int = Field(FORMAT_VERSION, json_schema_extra={"enum": list(SUPPORTED_VERSIONS)})
    """Format version of this file (currently 1)."""
    name: str | None = None
    """Name of the experiment (default: the file name)."""
    description: str | None = None
    """Free text describing the experiment."""
    data: _part(Data)
    """The data section, or the relative path of a file that holds it."""
    model: _part(ModelSpec)
    """The model section, or the relative path of a file that holds it."""
    compile: _part(CompileSpec)
    """Arguments of model.compile, or the relative path of a file that holds them."""
    train: _part(TrainSpec) = TrainSpec()
    """Arguments of model.fit, or the relative path of a file that holds them."""
    evaluate: EvaluateSpec | bool = True
    """Evaluate after training (true: on the test data when there is any)."""
    predict: PredictSpec | None = None
    """Predict after training; results go to predictions.json."""
    visualize: VisualizeSpec | None = None
    """Feature maps of one image after training (``kspec visualize`` draws them for a saved run)."""
    lint: LintSpec = LintSpec()
    """Lint settings kept with the spec."""

    @field_validator("kspec")
    @classmethod
    def _version(cls, v: int) -> int:
        if v not in SUPPORTED_VERSIONS:
            raise ValueError(
                f"unknown format version {v}; this kspec reads version(s) {', '.join(map(str, SUPPORTED_VERSIONS))}"
            )
        return v


PART_MODELS = {"data": Data, "model": ModelSpec, "compile": CompileSpec, "train": TrainSpec}
