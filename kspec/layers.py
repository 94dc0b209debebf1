"""Layer models: one Pydantic class per supported Keras layer, with its static shape rule beside it.

Field names and defaults are Keras's own, so a spec reads like the Keras call it replaces.
Each class knows, in pure Python, the output shape it produces for an input shape and how many
parameters it holds: :meth:`LayerBase.infer` returns both or raises :class:`ShapeError` naming
the argument at fault. Shapes are per sample (no batch axis); ``None`` is an unknown dimension.

This module holds the shared parts (the base class, argument types, shape helpers) and the
vocabulary: :data:`LAYER_MODULES` names every layer type and the module of
:mod:`kspec.layerdefs` that defines it. A layer class is created the first time a spec uses its
type (:func:`layer_class`), so start-up does not grow with the vocabulary; the JSON Schema of
the whole vocabulary is built only when a schema is asked for. The initializer, regularizer and
constraint objects (``{type: RandomNormal, stddev: 0.05}``) live in :mod:`kspec.layerdefs.arguments`,
created the first time a spec writes one.
"""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

import ast
import functools
import importlib
import inspect
import sys
import math
import textwrap
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema
from typing_extensions import TypeAliasType

from .tagged import Tagged, later

Shape = tuple[int | None, ...]

ActivationName = Literal[
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish",
    "sigmoid", "hard_sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign",
    "exponential", "celu", "glu", "hard_shrink", "hard_silu", "hard_swish", "hard_tanh", "log_sigmoid",
    "soft_shrink", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold",
]
"""Keras activation names."""

InitializerName = Literal[
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "random_uniform", "random_normal", "truncated_normal", "orthogonal", "zeros", "ones",
    "uniform", "normal", "constant", "identity", "variance_scaling",
]
"""Keras initializer names (an object ``{type: RandomNormal, stddev: 0.05}`` gives arguments)."""
RegularizerName = Literal["l1", "l2", "l1l2", "orthogonal_regularizer"]
ConstraintName = Literal["max_norm", "non_neg", "unit_norm", "min_max_norm"]
DataFormat = Literal["channels_last", "channels_first"]
FillMode = Literal["reflect", "wrap", "constant", "nearest"]
Interpolation = Literal["nearest", "bilinear"]
PosInt = Annotated[int, Field(ge=1)]
IntOrPair = Union[PosInt, Annotated[list[PosInt], Field(min_length=2, max_length=2)]]
IntOrOne = Union[PosInt, Annotated[list[PosInt], Field(min_length=1, max_length=1)]]
IntOrTriple = Union[PosInt, Annotated[list[PosInt], Field(min_length=3, max_length=3)]]
Factor = Union[float, Annotated[list[float], Field(min_length=2, max_length=2)]]
Rate = Annotated[float, Field(ge=0, lt=1)]


class ShapeError(Exception):
    """A layer cannot accept its input. ``field`` names the argument to blame (or None)."""

    def __init__(self, message: str, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint


@functools.cache
def _module_field_docs(module: str) -> dict[str, dict[str, str]]:
    """For every class in a module (by qualified name), the docstrings written under its fields
    (``x: int`` then ``\"\"\"...\"\"\"``). The module's source is parsed once, not once per class."""
    mod = sys.modules.get(module)
    try:
        tree = ast.parse(inspect.getsource(mod)) if mod is not None else None
    except (OSError, TypeError, SyntaxError):  # pragma: no cover - source not available
        tree = None
    out: dict[str, dict[str, str]] = {}

    def visit(body: list, prefix: str) -> None:
        for cls in body:
            if not isinstance(cls, ast.ClassDef):
                continue
            qualname = prefix + cls.name
            docs = out.setdefault(qualname, {})
            for node, after in zip(cls.body, cls.body[1:]):
                if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                        and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                        and isinstance(after.value.value, str)):
                    docs[node.target.id] = inspect.cleandoc(after.value.value)
            visit(cls.body, qualname + ".")

    if tree is not None:
        visit(tree.body, "")
    return out


def _own_field_docs(cls: type) -> dict[str, str]:
    """The docstrings written under the fields a class itself declares."""
    return _module_field_docs(cls.__module__).get(cls.__qualname__, {})


def field_docs(cls: type) -> dict[str, str]:
    """Each field's docstring, from the class in the MRO that declares the field."""
    out: dict[str, str] = {}
    for name in getattr(cls, "model_fields", {}):
        owner = next((k for k in cls.__mro__ if name in k.__dict__.get("__annotations__", {})), None)
        doc = _own_field_docs(owner).get(name) if owner is not None else None
        if doc:
            out[name] = doc
    return out


def _describe_fields(schema: dict, cls: type) -> None:
    """Field docstrings become the JSON Schema's descriptions, read only when a schema is made.

    (Pydantic's ``use_attribute_docstrings`` parses every class's source when the class is
    created, which costs start-up time for every model of the vocabulary, used or not.)"""
    props = schema.get("properties", {})
    for name, doc in field_docs(cls).items():
        field = cls.model_fields[name]
        key = field.alias or name
        if key in props and field.description is None:
            props[key]["description"] = doc


class StrictModel(BaseModel):
    """The base of every spec model: unknown keys refused, no type coercion.

    ``strict`` means a value has the type its field declares, as the exported JSON Schema says:
    ``true`` is not the integer 1, ``"128"`` is not a number. (A whole float such as ``5.0`` is
    an integer for JSON Schema; :func:`kspec.validate.validate` reads it as one.)
    """

    model_config = ConfigDict(extra="forbid", frozen=False, strict=True, defer_build=True,
                              json_schema_extra=_describe_fields)


# ------------------------------------------------------------------------------ argument objects


class ArgObject(StrictModel):
    """A Keras object given by class name and arguments (an initializer, regularizer or constraint)."""

    def keras_config(self) -> dict:
        """The ``{"class_name", "config"}`` form Keras's ``get`` functions accept."""
        config = {k: _keras_value(v) for k, v in self.model_dump(exclude={"type"}).items() if v is not None}
        return {"class_name": self.type, "config": config}


InitializerObject = Annotated[ArgObject, Tagged(*later("kspec.layerdefs.arguments", {
    "RandomNormal": ("RandomNormal",), "TruncatedNormal": ("TruncatedNormal",), "RandomUniform": ("RandomUniform",),
    "VarianceScaling": ("VarianceScaling",),
    "FanInitializer": ("GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal"),
    "Orthogonal": ("Orthogonal",), "IdentityInit": ("Identity",), "Constant": ("Constant",),
    "ZerosOnes": ("Zeros", "Ones"),
}))]
Initializer = TypeAliasType("Initializer", Union[InitializerName, InitializerObject])
Regularizer = TypeAliasType("Regularizer", Union[RegularizerName, Annotated[ArgObject, Tagged(*later(
    "kspec.layerdefs.arguments", {"L1": ("L1",), "L2": ("L2",), "L1L2": ("L1L2",),
                                  "OrthogonalRegularizer": ("OrthogonalRegularizer",)}))]])
Constraint = TypeAliasType("Constraint", Union[ConstraintName, Annotated[ArgObject, Tagged(*later(
    "kspec.layerdefs.arguments", {"MaxNorm": ("MaxNorm",), "MinMaxNorm": ("MinMaxNorm",), "UnitNorm": ("UnitNorm",),
                                  "NonNeg": ("NonNeg",)}))]])


def _keras_value(v: Any) -> Any:
    """A dumped field value as Keras takes it: lists become tuples (nested too)."""
    if isinstance(v, list):
        return tuple(_keras_value(x) for x in v)
    return v


# ------------------------------------------------------------------------------ layers


class LayerBase(StrictModel):
    name: str | None = None
    """Optional layer name (Keras picks one when absent)."""
    trainable: bool = True
    """``false`` freezes the layer: its weights are not updated and count as non-trainable."""

    min_rank: ClassVar[int] = 1
    max_rank: ClassVar[int | None] = None
    recurrent: ClassVar[bool] = False
    """A recurrent layer over the steps of a sequence (SimpleRNN, LSTM, GRU, ConvLSTM...)."""
    weighted: ClassVar[bool] = False
    """The layer multiplies its input by a learned kernel (Dense, convolutions, recurrent layers)."""
    family: ClassVar[str] = ""
    """The group the layer belongs to in the docs (core, convolution, pooling, ...)."""

    def keras_kwargs(self) -> dict:
        """Arguments for the Keras constructor: every field except ``type``; None left out; lists as
        tuples; argument objects in Keras's ``{"class_name", "config"}`` form. A nested layer stays a
        kspec layer (the emit stage builds it)."""
        out = {}
        for k in type(self).model_fields:
            if k == "type":
                continue
            v = getattr(self, k)
            if v is None or (k == "trainable" and v is True):
                continue
            if isinstance(v, ArgObject):
                v = v.keras_config()
            elif not isinstance(v, LayerBase):
                v = _keras_value(v)
            out[k] = v
        return out

    @property
    def keras_class(self) -> str:
        """The Keras class name (an alias such as ``Convolution2D`` is the same class)."""
        return self.type

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
        if not self.trainable:
            trainable, frozen = 0, trainable + frozen
        return out, trainable, frozen

    def output_shape(self, shape: Shape) -> Shape:
        return shape

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        return 0, 0

    @property
    def activation_name(self) -> str | None:
        return getattr(self, "activation", None)

    @property
    def returns_sequences(self) -> bool:
        """For a recurrent layer: whether it outputs every step (else only the last)."""
        return bool(getattr(self, "return_sequences", False))


def fmt_shape(shape: Shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _rank_hint(layer: str, shape: Shape) -> str | None:
    if layer.startswith(("Conv2D", "MaxPooling2D", "AveragePooling2D", "Global")) and len(shape) == 2:
        return f"images need a channel axis: declare input_shape {list(shape) + [1]} (grayscale) or add a Reshape layer"
    if layer.startswith(("Conv1D", "MaxPooling1D", "AveragePooling1D", "SimpleRNN", "LSTM", "GRU")) and len(shape) == 1:
        return (f"sequences need a feature axis: declare input_shape {list(shape) + [1]}, or start with an "
                "Embedding layer for token ids")
    return None


def ntuple(v: int | list | tuple, n: int) -> tuple:
    """An int repeated ``n`` times, or the list as a tuple."""
    return (v,) * n if isinstance(v, int) else tuple(v)


def _pair(v: int | list[int]) -> tuple[int, int]:
    return ntuple(v, 2)


def _one(v: int | list[int]) -> int:
    return v if isinstance(v, int) else v[0]


def split_channels(shape: Shape, data_format: str | None) -> tuple[Shape, int | None]:
    """(spatial axes, channel count) of a per-sample shape in ``data_format``."""
    if data_format == "channels_first":
        return shape[1:], shape[0]
    return shape[:-1], shape[-1]


def join_channels(spatial: Shape, channels: int | None, data_format: str | None) -> Shape:
    return (channels,) + tuple(spatial) if data_format == "channels_first" else tuple(spatial) + (channels,)


def conv_length(n: int | None, kernel: int, stride: int, padding: str, dilation: int = 1) -> int | None:
    """Keras's output length of a convolution or pooling window along one axis."""
    if n is None:
        return None
    if padding in ("same", "causal"):
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


def spatial_output(layer: str, field: str, dims: Shape, kernel: tuple[int, ...], stride: tuple[int, ...],
                   padding: str, dilation: tuple[int, ...] | None = None) -> Shape:
    """Output lengths of a window (convolution or pooling) sliding over ``dims``; a ShapeError
    naming ``field`` when it does not fit."""
    return _spatial(layer, field, dims, kernel, stride, padding, dilation)


# ------------------------------------------------------------------------------ vocabulary

LAYER_MODULES: dict[str, str] = {}
"""Every supported layer type (Keras class name, aliases included) -> its module in kspec.layerdefs.
``Application`` is the one type that is not a class of ``keras.layers``: it stands for a model of
``keras.applications``."""

NOT_KERAS_LAYERS = ("Application",)
"""Types of the spec language that are not classes of ``keras.layers``."""

_FAMILIES = {
    "core": ["Dense", "EinsumDense", "Embedding", "ReversibleEmbedding", "Masking", "Identity", "Activation", "ReLU", "LeakyReLU",
             "PReLU", "ELU", "Softmax"],
    "conv": ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
             "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
             "Convolution1D", "Convolution2D", "Convolution3D", "Convolution1DTranspose",
             "Convolution2DTranspose", "Convolution3DTranspose", "SeparableConvolution1D",
             "SeparableConvolution2D"],
    "pooling": ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
                "AveragePooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
                "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
                "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
                "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
                "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
                "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D"],
    "recurrent": ["SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed", "ConvLSTM1D", "ConvLSTM2D",
                  "ConvLSTM3D"],
    "normalization": ["BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
                      "RMSNormalization", "SpectralNormalization"],
    "regularization": ["Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
                       "GaussianNoise", "AlphaDropout", "ActivityRegularization"],
    "reshaping": ["Flatten", "Reshape", "Permute", "RepeatVector", "Cropping1D", "Cropping2D", "Cropping3D",
                  "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"],
    "preprocessing": ["Rescaling", "Resizing", "CenterCrop", "RandomCrop", "RandomFlip", "RandomRotation",
                      "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness",
                      "RandomColorDegeneration", "RandomHue", "RandomSaturation", "RandomSharpness",
                      "RandomPosterization", "RandomInvert", "RandomGrayscale", "RandomColorJitter",
                      "RandomGaussianBlur", "RandomErasing", "RandomElasticTransform", "RandomPerspective",
                      "RandomShear", "Solarization", "AutoContrast", "Equalization",
                      "ContrastLimitedAdaptiveHistogramEqualization", "AugMix", "RandAugment", "Normalization"],
    "encoding": ["CategoryEncoding", "Discretization", "Hashing", "IntegerLookup"],
    "audio": ["STFTSpectrogram", "MelSpectrogram"],
    "applications": ["Application"],
}
for _module, _names in _FAMILIES.items():
    LAYER_MODULES.update(dict.fromkeys(_names, _module))

ALIASES: dict[str, str] = {
    "Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
    "Convolution1DTranspose": "Conv1DTranspose", "Convolution2DTranspose": "Conv2DTranspose",
    "Convolution3DTranspose": "Conv3DTranspose", "SeparableConvolution1D": "SeparableConv1D",
    "SeparableConvolution2D": "SeparableConv2D",
    "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
    "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D", "AvgPool3D": "AveragePooling3D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D", "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "GlobalMaxPool3D": "GlobalMaxPooling3D", "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D", "GlobalAvgPool3D": "GlobalAveragePooling3D",
}
"""Keras's second names for a class: a spec may write either; kspec keeps the first (canonical) one."""

_SEVERAL_INPUTS = ("takes several input tensors; a Sequential model passes one tensor from layer to layer",
                   "write the model in Python with the functional API")
_CODE = ("runs Python code named in the spec; a spec is data and never executes code",
         "use built-in layers (Activation, Rescaling, Reshape, Permute, ...), or write the model in Python")
_STRINGS = ("takes strings, and a kspec model's input is numbers: no data kind feeds raw text to the model",
            "declare the tokenisation in the data section (`type: text`, `tokenizer: {type: TextVectorization, "
            "...}`): it is fitted on the training split and the model receives token ids")
REFUSED: dict[str, tuple[str, str]] = {
    "Lambda": ("runs a Python function, and a spec is data that never executes code",
               "use a built-in layer for the operation (Activation, Rescaling, Reshape, Permute, Softmax, "
               "Normalization, ...), or write the model in Python"),
    "TorchModuleWrapper": _CODE, "JaxLayer": _CODE, "FlaxLayer": _CODE,
    "TFSMLayer": ("loads a TensorFlow SavedModel, whose graph is code kspec cannot analyse",
                  "use the layers of that model in the spec, or write the model in Python"),
    "Layer": ("is the base class of every layer, with no computation of its own", "name a concrete layer type"),
    "Wrapper": ("is the abstract base of wrappers", "use Bidirectional or TimeDistributed"),
    "InputLayer": ("is created by kspec from the model's input_shape", "declare `input_shape: [...]` in the model"),
    "InputSpec": ("is not a layer (it describes a layer's inputs)", "declare `input_shape: [...]` in the model"),
    "RNN": ("needs a cell object", "use SimpleRNN, LSTM or GRU (the layers built from those cells)"),
    "SimpleRNNCell": ("is a cell, used inside an RNN layer, not a layer of a Sequential model", "use SimpleRNN"),
    "LSTMCell": ("is a cell, used inside an RNN layer, not a layer of a Sequential model", "use LSTM"),
    "GRUCell": ("is a cell, used inside an RNN layer, not a layer of a Sequential model", "use GRU"),
    "StackedRNNCells": ("combines cells for an RNN layer", "stack SimpleRNN, LSTM or GRU layers with "
                        "return_sequences: true on all but the last"),
    "Pipeline": ("groups preprocessing layers", "list the layers in the model one after another"),
    "Add": _SEVERAL_INPUTS, "Subtract": _SEVERAL_INPUTS, "Multiply": _SEVERAL_INPUTS, "Average": _SEVERAL_INPUTS,
    "Maximum": _SEVERAL_INPUTS, "Minimum": _SEVERAL_INPUTS, "Concatenate": _SEVERAL_INPUTS, "Dot": _SEVERAL_INPUTS,
    "Attention": _SEVERAL_INPUTS, "AdditiveAttention": _SEVERAL_INPUTS, "MultiHeadAttention": _SEVERAL_INPUTS,
    "GroupQueryAttention": _SEVERAL_INPUTS, "HashedCrossing": _SEVERAL_INPUTS,
    "MixUp": ("mixes pairs of samples and their labels, which a layer inside the model never sees",
              "augment in the data pipeline, or write the training loop in Python"),
    "CutMix": ("mixes pairs of samples and their labels, which a layer inside the model never sees",
               "augment in the data pipeline, or write the training loop in Python"),
    "TextVectorization": _STRINGS, "StringLookup": _STRINGS,
    "MaxNumBoundingBoxes": ("works on bounding-box annotations, which Sequential models do not carry",
                            "prepare bounding boxes in Python"),
}
"""Keras layer classes a spec cannot name: type -> (why, what to use instead)."""

PENDING: dict[str, str] = {}
"""Keras layer classes with one input and one output that a spec cannot name yet: type -> why."""

LAYER_TYPES: list[str] = sorted(LAYER_MODULES)
"""Every type name a spec may write (aliases included)."""


def canonical(type_name: str) -> str:
    return ALIASES.get(type_name, type_name)


@functools.cache
def layer_class(type_name: str) -> type[LayerBase]:
    """The model class of a layer type, created (with its family module) on first use."""
    name = canonical(type_name)
    module = importlib.import_module(f"kspec.layerdefs.{LAYER_MODULES[name]}")
    return getattr(module, name)


def all_layer_classes() -> tuple[type[LayerBase], ...]:
    """Every layer class (loads the whole vocabulary: for schemas, docs and tests)."""
    return tuple(dict.fromkeys(layer_class(t) for t in LAYER_TYPES if t not in ALIASES))


def _validate_layer(value: Any) -> LayerBase:
    if isinstance(value, LayerBase):
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError("model_type", "Input should be a mapping with a `type`", {"class_name": "layer"})
    tag = value.get("type")
    if tag is None:
        raise PydanticCustomError("union_tag_not_found", "Unable to extract tag using discriminator 'type'",
                                  {"discriminator": "'type'"})
    if isinstance(tag, str) and tag in REFUSED:
        why, instead = REFUSED[tag]
        raise PydanticCustomError("layer_refused", "{tag} " + why, {"tag": tag, "reason": why, "instead": instead})
    if isinstance(tag, str) and tag in PENDING:
        raise PydanticCustomError("layer_refused", "{tag} " + PENDING[tag],
                                  {"tag": tag, "reason": f"is {PENDING[tag]}",
                                   "instead": "see docs/layers.md for the layers a spec can name"})
    if not isinstance(tag, str) or tag not in LAYER_MODULES:
        raise PydanticCustomError(
            "union_tag_invalid",
            "Input tag {tag} found using 'type' does not match any of the expected tags: {expected_tags}",
            {"discriminator": "'type'", "tag": str(tag), "expected_tags": ", ".join(repr(t) for t in LAYER_TYPES)})
    if tag in ALIASES:
        value = {**value, "type": ALIASES[tag]}
    return layer_class(tag).model_validate(value)


WRAPPERS = ("Bidirectional", "TimeDistributed")
"""Layers that hold another layer (which may not itself be a wrapper)."""


RECURRENT = ("SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
"""The layers Bidirectional can wrap."""


def _validate_recurrent(value: Any) -> LayerBase:
    out = _validate_inner(value)
    if out.type not in RECURRENT:
        raise PydanticCustomError(
            "layer_refused", "{tag} is not recurrent",
            {"tag": out.type, "reason": "is not recurrent: Bidirectional runs a recurrent layer forwards and backwards "
             "over the steps, and Keras fails on a layer without go_backwards",
             "instead": "wrap SimpleRNN, LSTM, GRU or ConvLSTM1D/2D/3D"})
    return out


KERNEL_LAYERS = ("Dense", "EinsumDense", "Embedding", "ReversibleEmbedding", "Conv1D", "Conv2D", "Conv3D",
                 "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D")
"""The layers SpectralNormalization can wrap: those with one ``kernel`` (or ``embeddings``) weight."""


def _validate_kernel(value: Any) -> LayerBase:
    out = _validate_inner(value)
    if out.type not in KERNEL_LAYERS:
        raise PydanticCustomError(
            "layer_refused", "{tag} has no kernel to normalise",
            {"tag": out.type, "reason": "has no single `kernel` or `embeddings` weight, and Keras's "
             "SpectralNormalization fails on such a layer", "instead": "wrap one of " + ", ".join(KERNEL_LAYERS)})
    return out


def _validate_inner(value: Any) -> LayerBase:
    if isinstance(value, dict) and value.get("type") in WRAPPERS:
        raise PydanticCustomError("layer_refused", "{tag} cannot be nested in another wrapper in a spec",
                                  {"tag": value["type"], "reason": "cannot be nested in another wrapper in a spec",
                                   "instead": "wrap the innermost layer once (e.g. Bidirectional around an LSTM)"})
    return _validate_layer(value)


class _LayerDispatch:
    """Validates a layer mapping with the class of its ``type`` only (created on first use); the JSON
    Schema is the tagged union of the whole vocabulary, built when a schema is asked for."""

    def __init__(self, nested: bool | str = False):
        self.nested = nested

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        check = {False: _validate_layer, True: _validate_inner, "recurrent": _validate_recurrent,
                 "kernel": _validate_kernel}[self.nested]
        return core_schema.no_info_plain_validator_function(check)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        return handler(_union_core_schema(self.nested))

    def model_for(self, value: Any) -> type[LayerBase] | None:
        """The class that validates the mapping ``value`` (None when its type names no layer)."""
        tag = value.get("type") if isinstance(value, dict) else None
        return layer_class(tag) if isinstance(tag, str) and tag in LAYER_MODULES else None

    def tags(self) -> list[str]:
        """The types (aliases included) of the union's JSON Schema, without creating its classes."""
        return [t for t in LAYER_TYPES if _in_union(canonical(t), self.nested)]


def _in_union(name: str, nested: bool | str) -> bool:
    only = {"recurrent": RECURRENT, "kernel": KERNEL_LAYERS}.get(nested)  # type: ignore[call-overload]
    return not (nested and name in WRAPPERS) and (only is None or name in only)


def _union_core_schema(nested: bool) -> core_schema.CoreSchema:
    """The tagged union of the layer classes (without the wrappers for a wrapper's nested layer) as
    a named definition."""
    from pydantic import TypeAdapter

    ref = {False: "kspec.layers.Layer", True: "kspec.layers.InnerLayer", "recurrent": "kspec.layers.RecurrentLayer",
           "kernel": "kspec.layers.KernelLayer"}[nested]
    classes = tuple(c for c in all_layer_classes() if _in_union(c.__name__, nested))
    union = Annotated[Union[classes], Field(discriminator="type")]  # type: ignore[valid-type]
    built = dict(TypeAdapter(union).core_schema)
    if built.get("type") == "definitions":
        return core_schema.definitions_schema(core_schema.definition_reference_schema(ref),
                                              [*built["definitions"], {**built["schema"], "ref": ref}])
    return core_schema.definitions_schema(core_schema.definition_reference_schema(ref), [{**built, "ref": ref}])


Layer = Annotated[LayerBase, _LayerDispatch()]
"""A layer of the vocabulary, chosen by its ``type``."""
InnerLayer = Annotated[LayerBase, _LayerDispatch(nested=True)]
"""The layer a wrapper holds: any layer but a wrapper."""
RecurrentLayer = Annotated[LayerBase, _LayerDispatch(nested="recurrent")]
"""The layer Bidirectional holds: a recurrent layer."""
KernelLayer = Annotated[LayerBase, _LayerDispatch(nested="kernel")]
"""The layer SpectralNormalization holds: a layer with one kernel (Dense, a convolution, an Embedding)."""


def __getattr__(name: str) -> Any:
    """``kspec.layers.Dense`` and friends still work: the class is created on first access."""
    if name == "LAYER_CLASSES":
        return all_layer_classes()
    if name in LAYER_MODULES:
        return layer_class(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
