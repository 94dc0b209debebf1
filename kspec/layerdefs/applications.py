"""Pretrained backbones: the ``Application`` layer, one ``keras.applications`` model as a layer.

Its output shape and parameter counts come from a table generated from Keras by
``python -m kspec.emit.appgen`` (``applications.json``: the chain of spatial operations of each
application, its feature channels and parameter counts per variant; ``application_layers.json.gz``:
the names and trainable parameters of every layer and which are BatchNormalization layers, read only
for ``fine_tune_from``). Both are plain JSON read on first use, so lint needs no TensorFlow.
"""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

import functools
import gzip
import json
from pathlib import Path
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, ValidationInfo, field_validator

from ..compiling import SpecValueError
from ..layers import ActivationName, LayerBase, PosInt, Rate, Shape, ShapeError, conv_length, fmt_shape

HERE = Path(__file__).resolve().parent

APPLICATIONS = (
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
    "DenseNet121", "DenseNet169", "DenseNet201",
    "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
    "EfficientNetB6", "EfficientNetB7",
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2L",
    "EfficientNetV2M", "EfficientNetV2S",
    "InceptionResNetV2", "InceptionV3", "MobileNet", "MobileNetV2", "MobileNetV3Large", "MobileNetV3Small",
    "NASNetLarge", "NASNetMobile", "ResNet101", "ResNet101V2", "ResNet152", "ResNet152V2", "ResNet50", "ResNet50V2",
    "VGG16", "VGG19", "Xception",
)
"""Every model of ``keras.applications`` (a test checks the list against the installed Keras)."""
ApplicationName = Literal[APPLICATIONS]  # type: ignore[valid-type]

EXPECTS = {
    "tf": "pixel values scaled to -1..1",
    "caffe": "BGR pixel values 0..255 minus the ImageNet channel means",
    "torch": "pixel values scaled to 0..1, then standardised with the ImageNet channel means and deviations",
}
"""What each ``preprocess_input`` mode of Keras produces (what the backbone itself takes)."""

_OPTIONS = {"alpha": ("MobileNet", "MobileNetV2", "MobileNetV3Small", "MobileNetV3Large"),
            "minimalistic": ("MobileNetV3Small", "MobileNetV3Large"),
            "include_preprocessing": ("MobileNetV3Small", "MobileNetV3Large", "EfficientNetV2B0", "EfficientNetV2B1",
                                      "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2S", "EfficientNetV2M",
                                      "EfficientNetV2L", "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase",
                                      "ConvNeXtLarge", "ConvNeXtXLarge"),
            "depth_multiplier": ("MobileNet",),
            "dropout": ("MobileNet",),
            "dropout_rate": ("MobileNetV3Small", "MobileNetV3Large")}
_TOP_ONLY = ("dropout", "dropout_rate")
"""Arguments that act on the classification top only (Keras ignores them without it)."""
_DEFAULTS = {"alpha": 1.0, "minimalistic": False}


@functools.cache
def takes(name: str, argument: str) -> bool:
    """Whether ``keras.applications.<name>`` takes ``argument`` (alpha, minimalistic,
    include_preprocessing, depth_multiplier, dropout, dropout_rate)."""
    return name in _OPTIONS.get(argument, ())


def table() -> dict:
    """The committed table (applications.json)."""
    return json.loads((HERE / "applications.json").read_text(encoding="utf-8"))["apps"]


@functools.cache
def layer_table() -> dict:
    """Names and trainable parameters of every backbone layer (application_layers.json.gz)."""
    return json.loads(gzip.decompress((HERE / "application_layers.json.gz").read_bytes()))


def variant_key(name: str, alpha: float | None, minimalistic: bool | None) -> str:
    """The table's key of a variant: ``alpha=0.35`` for MobileNetV2 (empty for one-variant models)."""
    parts = {}
    if name in _OPTIONS["alpha"]:
        parts["alpha"] = alpha if alpha is not None else 1.0
    if name in _OPTIONS["minimalistic"]:
        parts["minimalistic"] = bool(minimalistic)
    return ",".join(f"{k}={parts[k]}" for k in sorted(parts))


def chain_output(ops: list, size: tuple[int, int], *, app: str = "") -> tuple[int, int]:
    """The spatial size after the table's chain of operations, per axis; a ShapeError when a window
    does not fit what is left of the image."""
    out = list(size)
    for op in ops:
        for axis in range(2):
            n = out[axis]
            if op[0] == "pad":
                n += sum(op[1][axis])
            elif op[0] == "cpad":
                n += 2 * op[1][axis] - (1 - n % 2)
            elif op[0] == "crop":
                n -= sum(op[1][axis])
            else:
                _, kernel, stride, padding, dilation = op[:5]
                n = conv_length(n, kernel[axis], stride[axis], padding, dilation[axis])
            if n < 1:
                raise ShapeError(f"{app} downsamples an input of {size[0]}x{size[1]} below one position "
                                 f"(axis {axis + 1})", hint="use larger images (Resizing, or a larger target_size)")
            out[axis] = n
    return tuple(out)


class Application(LayerBase):
    """A pretrained ``keras.applications`` backbone (MobileNetV2, ResNet50, EfficientNetB0, ...) as one layer."""

    type: Literal["Application"]
    name: ApplicationName  # type: ignore[assignment]
    """The ``keras.applications`` model (also the layer's name in the Keras model)."""
    weights: Union[Literal["imagenet"], None, Annotated[str, Field(pattern=r"\.h5$")]] = "imagenet"
    """``imagenet`` (from the Keras cache, ``$KERAS_HOME/models``), ``null`` (random initialisation) or a
    ``.weights.h5`` file relative to the spec."""
    include_top: bool = True
    """Keep the ImageNet classifier on top (``false`` for transfer learning: the layer then gives features)."""
    pooling: Literal["avg", "max"] | None = None
    """Without the top: ``avg`` or ``max`` pools the feature map to one vector; ``null`` keeps the map."""
    classes: PosInt = 1000
    """With the top: the number of classes (1000 with imagenet weights)."""
    classifier_activation: ActivationName | None = "softmax"
    """With the top: the activation of the classifier."""
    alpha: float | None = None
    """MobileNet, MobileNetV2 and MobileNetV3 only: the width multiplier (Keras's default 1.0)."""
    minimalistic: bool | None = None
    """MobileNetV3 only: the minimalistic variant without squeeze-excite and hard-swish (default false)."""
    include_preprocessing: bool | None = None
    """MobileNetV3, EfficientNetV2 and ConvNeXt only: their own rescaling layer inside the model (default true)."""
    depth_multiplier: PosInt | None = None
    """MobileNet only: the output channels of every depthwise convolution per input channel (default 1;
    imagenet weights need 1)."""
    dropout: Rate | None = None
    """MobileNet only, with the top: the dropout rate before the classifier (Keras's default 0.001)."""
    dropout_rate: Rate | None = None
    """MobileNetV3 only, with the top: the dropout rate before the classifier (Keras's default 0.2)."""
    preprocess_input: bool = True
    """Apply ``keras.applications.<module>.preprocess_input`` as the layer's first step, so the layer takes
    pixel values 0..255 (``false``: the input must already be what the backbone expects)."""
    fine_tune_from: str | None = None
    """Name of a layer inside the backbone: the layers before it stay frozen, it and the layers after it train,
    except the BatchNormalization layers, which stay frozen (in inference mode) as Keras's fine-tuning guide has them."""
    batch_norm_momentum: Annotated[float, Field(gt=0, lt=1)] | None = None
    """The momentum of every BatchNormalization layer of the backbone (Keras's applications build them with
    their own, 0.999 for MobileNetV2: moving statistics that lag for many steps when the backbone trains
    from scratch); only for a backbone that has BatchNormalization layers and trains whole (neither
    ``trainable: false`` nor ``fine_tune_from``, which keep them frozen)."""
    family: ClassVar[str] = "applications"
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3

    @field_validator("alpha", "minimalistic", "include_preprocessing", "depth_multiplier", "dropout", "dropout_rate")
    @classmethod
    def _option(cls, v, info: ValidationInfo):
        name = info.data.get("name")
        if v is None or name is None:
            return v
        if name not in _OPTIONS[info.field_name]:
            raise SpecValueError(f"{name} has no {info.field_name} argument",
                                 f"remove {info.field_name}; it applies to {', '.join(_OPTIONS[info.field_name])}")
        if info.field_name in _TOP_ONLY and not info.data.get("include_top", True):
            raise SpecValueError(f"{info.field_name} is the dropout of {name}'s classification top, and "
                                 "include_top is false (Keras would ignore it)",
                                 f"remove {info.field_name}, or put a Dropout layer after the backbone")
        if info.field_name == "depth_multiplier" and v != 1 and info.data.get("weights") == "imagenet":
            raise SpecValueError(f"{name}'s imagenet weights have depth_multiplier 1, not {v}",
                                 "use depth_multiplier: 1, or weights: null (random initialisation)")
        if info.field_name == "alpha":
            allowed = sorted({float(k.split(",")[0].split("=")[1]) for k in table()[name]["variants"]})
            if float(v) not in allowed:
                raise SpecValueError(f"{name} alpha {v} is not one of {', '.join(map(str, allowed))}",
                                     "use one of the widths Keras has ImageNet weights for")
            return float(v)
        return v

    @field_validator("fine_tune_from")
    @classmethod
    def _layer_name(cls, v, info: ValidationInfo):
        name = info.data.get("name")
        if v is None or name is None:
            return v
        names = backbone_layers(name, info.data.get("alpha"), info.data.get("minimalistic"))[0]
        if info.data.get("include_preprocessing") is False:  # the rescaling layers are not built
            variant = table()[name]["variants"][variant_key(name, info.data.get("alpha"), info.data.get("minimalistic"))]
            gone = set((variant.get("preprocessing") or [[]])[0])
            names = [n for n in names if n not in gone]
        if v not in names:
            from ..diagnostics import did_you_mean

            guess = did_you_mean(v, names)
            raise SpecValueError(f"{name} has no layer {v!r}" + (f"; did you mean {guess!r}?" if guess else ""),
                                 f"write {guess!r}" if guess else
                                 f"name one of its {len(names)} layers, e.g. {names[len(names) * 3 // 4]!r} "
                                 f"(keras.applications.{name}(weights=None).summary() lists them)")
        return v

    @field_validator("batch_norm_momentum")
    @classmethod
    def _has_batch_norm(cls, v, info: ValidationInfo):
        name = info.data.get("name")
        if v is None or name is None:
            return v
        if not table()[name]["bn_momentum"]:
            raise SpecValueError(f"{name} has no BatchNormalization layers, so batch_norm_momentum has nothing to set",
                                 "remove batch_norm_momentum")
        if info.data.get("fine_tune_from") is not None or info.data.get("trainable") is False:
            raise SpecValueError("the backbone's BatchNormalization layers are frozen (trainable: false, or "
                                 "fine_tune_from, which keeps them frozen), so they never update their moving "
                                 "statistics and batch_norm_momentum would change nothing",
                                 "remove batch_norm_momentum; it is for a backbone that trains whole")
        return v

    @property
    def entry(self) -> dict:
        return table()[self.name]

    @property
    def variant(self) -> dict:
        return self.entry["variants"][variant_key(self.name, self.alpha, self.minimalistic)]

    @property
    def mode(self) -> str:
        """The preprocess_input mode kspec applies (``tf``, ``caffe``, ``torch``) or ``internal``."""
        return self.entry["preprocess"]

    @property
    def keras_preprocesses(self) -> bool:
        """The application rescales its input itself (EfficientNet, and MobileNetV3/EfficientNetV2/ConvNeXt
        with include_preprocessing)."""
        return self.mode == "internal" and self.include_preprocessing is not False

    def expected_input(self) -> str | None:
        """What the layer takes, in words (None: not known, the backbone's own preprocessing is off)."""
        if self.keras_preprocesses or (self.preprocess_input and self.mode != "internal"):
            return "pixel values 0..255"
        return EXPECTS.get(self.mode)

    def output_shape(self, shape: Shape) -> Shape:
        h, w, c = shape
        e = self.entry
        if c != 3:
            raise ShapeError(f"{self.name} takes RGB images with 3 channels, got {c} channel(s) in {fmt_shape(shape)}",
                             hint="read the images with color_mode: rgb (a grayscale image then repeats its one "
                             "channel three times) and declare input_shape [height, width, 3]")
        m = e["min_size"]
        if (h is not None and h < m) or (w is not None and w < m):
            raise ShapeError(f"{self.name} needs images of at least {m}x{m}, got {h}x{w}",
                             hint=f"resize the images to at least {m}x{m} (target_size, or a Resizing layer)")
        if self.include_top and self.weights == "imagenet" and not e.get("top_any_size"):
            d = e["default_size"]
            sizes = e.get("weight_sizes") or [d]
            if h != w or h not in sizes:
                raise ShapeError(f"{self.name} with include_top and imagenet weights takes {sizes[-1]}x{sizes[-1]} "
                                 f"images{' (or ' + ', '.join(map(str, sizes[:-1])) + ')' if len(sizes) > 1 else ''}, "
                                 f"got {h}x{w}", field="include_top",
                                 hint="set include_top: false (and add your own classifier), or resize the images")
            if self.classes != 1000:
                raise ShapeError(f"{self.name}'s ImageNet classifier has 1000 classes, not {self.classes}",
                                 field="classes", hint="set include_top: false and add Dense(units=classes)")
        if h is None or w is None:
            raise ShapeError(f"{self.name} needs a known image size", hint="declare input_shape [height, width, 3]")
        spatial = chain_output(e["ops"], (h, w), app=self.name)
        if self.include_top:
            return (self.classes,)
        if self.pooling:
            return (self.variant["features"],)
        return (*spatial, self.variant["features"])

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        v = self.variant
        trainable, frozen = v["trainable"], v["non_trainable"]
        if self.depth_multiplier not in (None, 1):
            trainable += (self.depth_multiplier - 1) * v["per_depth_multiplier"][0]
            frozen += (self.depth_multiplier - 1) * v["per_depth_multiplier"][1]
        if self.include_preprocessing is False:
            trainable -= v["preprocessing"][1]
            frozen -= v["preprocessing"][2]
        if self.preprocess_input and self.mode == "caffe":
            frozen += 12  # the frozen 1x1 convolution that swaps RGB to BGR and subtracts the means
        top = 0
        if self.include_top:
            c0, c1 = v["top"]
            if "top_flatten" in v:
                units, rest = v["top_flatten"]
                h, w = chain_output(self.entry["ops"], shape[:2], app=self.name)
                c0 = (h * w * v["features"] + 1) * units + rest
            top = c0 + c1 * self.classes
        if self.fine_tune_from is not None:
            names, per_layer = backbone_layers(self.name, self.alpha, self.minimalistic, self.depth_multiplier)
            i = names.index(self.fine_tune_from)
            bn = batch_norm_indices(self.name, self.alpha, self.minimalistic)
            tuned = sum(per_layer[i:]) - sum(per_layer[j] for j in bn if j >= i) + top  # BatchNormalization stays frozen
            return tuned, trainable + frozen + top - tuned
        return trainable + top, frozen

    def infer(self, shape: Shape) -> tuple[Shape, int, int]:
        out, trainable, frozen = super().infer(shape)
        if self.fine_tune_from is not None and not self.trainable:
            trainable, frozen = self.param_counts(shape)  # fine_tune_from says where training starts
        return out, trainable, frozen


def backbone_layers(name: str, alpha: float | None = None, minimalistic: bool | None = None,
                    depth_multiplier: int | None = None) -> tuple[list[str], list[int]]:
    """(layer names, trainable parameters per layer) of a backbone without its top."""
    entry = layer_table()[name]
    key = variant_key(name, alpha, minimalistic)
    names = entry[key]["names"]
    if names is None:  # the same names as the first variant
        names = next(v["names"] for v in entry.values() if v["names"] is not None)
    trainable = entry[key]["trainable"]
    if depth_multiplier not in (None, 1):
        trainable = [t + (depth_multiplier - 1) * d for t, d in zip(trainable, entry[key]["per_depth_multiplier"])]
    return names.split(" "), trainable


def batch_norm_indices(name: str, alpha: float | None = None, minimalistic: bool | None = None) -> list[int]:
    """The positions of a backbone's BatchNormalization layers in :func:`backbone_layers`' lists."""
    return layer_table()[name][variant_key(name, alpha, minimalistic)]["batch_norm"]
