"""KS1xx: shapes and structure. They read the static plan (:mod:`kspec.analyse.shapes`)."""

from __future__ import annotations

import math
from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ...layers import fmt_shape
from ..base import LintContext, Rule
from .common import fmt_count, loss_type, mb

_IMAGE_LAYERS = ("Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
                 "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast")


def _sample_origin(ctx: LintContext, sample) -> list:
    origin = ctx.facts.origin.get("sample_shape")
    return [ctx.related(f"data samples have shape {fmt_shape(sample)}", origin)] if origin else []


class ImpossibleShape(Rule):
    """What it does: computes every layer's output shape from the input shape and reports the
    first layer that cannot accept its input: a kernel or pool window larger than what is left
    of the image (a spatial dimension that collapses below 1, or becomes smaller than the next
    kernel), or a layer that needs a different rank (a convolution on images without a channel
    axis). The finding points at that exact layer.

    Why is this bad: Keras fails only when the model is built, with a stack trace far from the
    line in the spec.

    Example:
        data: {type: synthetic, image_size: 12, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D, pool_size: 2}
            - {type: Conv2D, filters: 16, kernel_size: 7, activation: relu}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}

    Use instead:
        data: {type: synthetic, image_size: 12, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D, pool_size: 2}
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}
    """

    code = "KS101"
    name = "impossible-shape"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        err = ctx.plan.error
        if err is None:
            return
        index = err.data["layer"]
        layer = ctx.layers[index]
        if layer.type == "Reshape":
            return  # KS106 reports it
        hint = err.hint
        sample = ctx.facts.sample_shape
        related = []
        if (index == 0 and sample is not None and tuple(ctx.plan.input_shape) == tuple(sample)
                and layer.type in _IMAGE_LAYERS and len(sample) == 2):
            want = list(sample) + [1]
            hint = (f"the {fmt_shape(tuple(sample))} samples have no channel axis: add `reshape: {want}` to "
                    f"the data section (and `input_shape: {want}` to the model if it declares one)")
            related = _sample_origin(ctx, sample)
        yield self.diag(ctx, err.data["spec_path"], err.message, hint=hint, related=related,
                        input_shape=err.data["input_shape"], layer=index)


class InputShapeMismatch(Rule):
    """What it does: compares the model's declared ``input_shape`` with the shape of one data
    sample (declared shapes, inline arrays, array files, the Keras data set's metadata, or an
    image folder's ``target_size`` and ``color_mode``), and suggests the fix when only a
    channel axis is missing.

    Why is this bad: the first layer must match the data. Keras fails at ``fit`` with an
    incompatible-shape error, or (for a missing channel axis) the notebook reshapes by hand.

    Example:
        data: {type: keras, name: fashion_mnist, rescale: 1/255}
        model:
          input_shape: [28, 28, 1]
          layers:
            - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
            - {type: Flatten}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        data: {type: keras, name: fashion_mnist, rescale: 1/255, reshape: [28, 28, 1]}
        model:
          input_shape: [28, 28, 1]
          layers:
            - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
            - {type: Flatten}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS102"
    name = "input-shape-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        declared = ctx.model.input_shape
        sample = ctx.facts.sample_shape
        if declared is None or sample is None or tuple(declared) == tuple(sample):
            return
        declared = tuple(declared)
        sample = tuple(sample)
        related = _sample_origin(ctx, sample)
        data = ctx.data
        if declared == sample + (1,):
            yield self.diag(
                ctx, ("model", "input_shape"),
                f"model input_shape {list(declared)} has a channel axis the data lacks: samples are {fmt_shape(sample)}",
                hint=f"add `reshape: {list(declared)}` to the data section to give each sample a channel axis",
                related=related, received=list(declared), expected=list(sample),
            )
            return
        hint = f"set input_shape: {list(sample)} (or remove it: kspec takes it from the data)"
        if data.type == "image_folder" and len(declared) == 3:
            fixes = []
            if tuple(declared[:2]) != sample[:2]:
                fixes.append(f"target_size: {list(declared[:2])}")
            channels = {1: "grayscale", 3: "rgb", 4: "rgba"}.get(declared[2])
            if declared[2] != sample[2] and channels:
                fixes.append(f"color_mode: {channels}")
            if fixes:
                hint = f"set {' and '.join(fixes)} in the data section, or input_shape: {list(sample)}"
        yield self.diag(
            ctx, ("model", "input_shape"),
            f"model input_shape {list(declared)} differs from the data's sample shape {list(sample)}",
            hint=hint, related=related, received=list(declared), expected=list(sample),
        )


def _output_check(ctx: LintContext) -> tuple[tuple, tuple, bool] | None:
    """(model output, output the loss needs, whether a Dense got several axes per sample) when the
    two differ; None when they agree or either is unknown."""
    plan = ctx.plan
    if not plan.complete or not plan.layers:
        return None
    want = expected_output(ctx)
    if want is None:
        return None
    out = tuple(plan.output_shape)
    norm = out[:-1] if len(out) > 1 and out[-1] == 1 and len(want) == len(out) - 1 else out
    if len(norm) == len(want) and all(w is None or w == o for w, o in zip(want, norm)):
        return None
    unflattened = len(norm) > len(want) and any(p.type == "Dense" and len(p.input_shape) >= 2 for p in plan.layers)
    return out, want, unflattened


class DenseWithoutFlatten(Rule):
    """What it does: finds a Dense layer that receives more than one axis per sample (an image,
    a sequence) with no Flatten or global pooling before it, while the labels hold one class or
    one vector per sample.

    Why is this bad: Dense acts on the last axis only, so the output keeps the spatial axes:
    28x28 images into Dense(10) give 28x10 outputs per sample, not 10. Keras then either fails
    in the loss with a shape error or silently broadcasts labels over the extra axis.

    Example:
        model:
          layers:
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS103"
    name = "dense-without-flatten"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        found = _output_check(ctx)
        if found is None or not found[2]:
            return
        out = found[0]
        p = next(p for p in ctx.plan.layers if p.type == "Dense" and len(p.input_shape) >= 2)
        index = p.index
        yield self.diag(
            ctx, ctx.layer_path(index), key=False,
            message=(f"layer {index} (Dense) receives {fmt_shape(p.input_shape)} per sample and acts on the last "
                     f"axis only: the model outputs {fmt_shape(out)} per sample, but the labels hold "
                     f"{_label_words(ctx)}"),
            hint=f"insert `- {{type: Flatten}}` before layer {index} (or GlobalAveragePooling2D after convolutions)",
            received=list(out), expected=_label_words(ctx),
        )


def _label_words(ctx: LintContext) -> str:
    kind = ctx.facts.fed_label_kind
    n = ctx.facts.num_classes
    if kind == "one_hot" and n:
        return f"one one-hot vector of {n} per sample"
    if kind in ("integer", "binary"):
        return "one class id per sample"
    shape = ctx.facts.label_shape
    return f"shape {fmt_shape(shape)} per sample" if shape else "one value per sample"


def expected_output(ctx: LintContext) -> tuple | None:
    """The per-sample output shape the loss needs for these labels, or None when unknown.

    For class labels only the rank is known here (the class count is KS201's business), so
    the class axis is ``None``. A trailing axis of 1 in the labels counts as no axis.
    """
    facts = ctx.facts
    label = facts.label_shape
    kind = facts.fed_label_kind
    if label is None or kind is None:
        return None
    loss = loss_type(ctx)
    base = tuple(label[:-1]) if label and label[-1] == 1 else tuple(label)
    if ctx.data.label_encoding == "one_hot" and kind == "one_hot":
        return base + (None,)  # integer labels, one-hot encoded by kspec
    if kind in ("one_hot", "multi_hot"):
        return tuple(label[:-1]) + (None,)
    if loss == "sparse_categorical_crossentropy" or (loss == "categorical_crossentropy" and kind != "continuous"):
        return base + (None,)
    return base or (1,)


class OutputShapeMismatch(Rule):
    """What it does: compares the model's output shape per sample with the shape the loss needs
    for the labels: one vector of class scores for class labels, the target's own shape for
    regression targets (a scalar target matches one unit).

    Why is this bad: Keras either fails inside the loss on the first batch, or broadcasts the
    labels against the output and trains on a meaningless loss without any error.

    Example:
        data:
          type: arrays
          x: [[0.0], [1.0], [2.0], [3.0]]
          y: [[0.0, 1.0], [1.0, 3.0], [2.0, 5.0], [3.0, 7.0]]
        model:
          layers: [{type: Dense, units: 1}]
        compile: {optimizer: sgd, loss: mean_squared_error}

    Use instead:
        data:
          type: arrays
          x: [[0.0], [1.0], [2.0], [3.0]]
          y: [[0.0, 1.0], [1.0, 3.0], [2.0, 5.0], [3.0, 7.0]]
        model:
          layers: [{type: Dense, units: 2}]
        compile: {optimizer: sgd, loss: mean_squared_error}
    """

    code = "KS104"
    name = "output-shape-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        found = _output_check(ctx)
        if found is None or found[2]:
            return
        out, want, _ = found
        last = len(ctx.layers) - 1
        label = ctx.facts.label_shape
        origin = ctx.facts.origin.get("labels") or ctx.facts.origin.get("num_classes")
        related = [ctx.related(f"labels have shape {fmt_shape(label)} per sample", origin)] if origin else []
        expected = fmt_shape(tuple("C" if w is None else w for w in want)).replace("'", "")
        hint = "make the last layer produce " + expected
        if len(want) == 1 and want[0] is not None and ctx.layers[last].type == "Dense":
            hint = f"set units: {want[0]} on the last layer"
        elif len(out) > len(want):
            hint = "add a Flatten (or GlobalAveragePooling2D) before the last Dense layer"
        yield self.diag(
            ctx, ctx.layer_path(last),
            f"the model outputs {fmt_shape(out)} per sample but the loss ({loss_type(ctx)}) needs {expected} "
            f"for labels of shape {fmt_shape(label)}",
            hint=hint, related=related, received=list(out), expected=[w for w in want],
        )


FLATTEN_DENSE_LIMIT = 10_000_000
"""Parameters of one Dense after a Flatten above which KS105 warns (40 MB of float32)."""


class FlattenParameterExplosion(Rule):
    """What it does: warns when a Dense layer right after Flatten holds more than ten million
    parameters, because a large feature map (or a whole image) is flattened into it. The message
    gives the size in MB.

    Why is this bad: almost all of the model's weights sit in that one layer; it is slow, needs
    a lot of memory, and overfits small data sets. More pooling (or smaller images) shrinks the
    flattened vector and the layer with it.

    Example:
        data: {type: synthetic, image_size: 128, samples: 20000, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
            - {type: Flatten}
            - {type: Dense, units: 32, activation: relu}
            - {type: Dense, units: 4, activation: softmax}

    Use instead:
        data: {type: synthetic, image_size: 128, samples: 20000, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D, pool_size: 4}
            - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D, pool_size: 4}
            - {type: Flatten}
            - {type: Dense, units: 32, activation: relu}
            - {type: Dense, units: 4, activation: softmax}
    """

    code = "KS105"
    name = "flatten-parameter-explosion"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        layers = ctx.plan.layers
        total = ctx.plan.params
        for p in layers:
            if p.type != "Dense" or p.trainable < FLATTEN_DENSE_LIMIT:
                continue
            j = p.index - 1
            while j >= 0 and layers[j].type == "Dropout":
                j -= 1
            if j < 0 or layers[j].type != "Flatten":
                continue
            flat = layers[j].output_shape[0]
            share = p.trainable / total if total else 1.0
            yield self.diag(
                ctx, ctx.layer_path(p.index, "units"),
                f"Flatten gives {fmt_count(flat)} values per sample, so this Dense({p.layer.units}) holds "
                f"{fmt_count(p.trainable)} parameters ({mb(p.trainable)} of float32, {share:.0%} of the model)",
                hint="add pooling (MaxPooling2D) or strided convolutions before Flatten, use GlobalAveragePooling2D "
                     "instead of Flatten, or smaller images",
                related=[ctx.related(f"flattens {fmt_shape(layers[j].input_shape)}", ctx.layer_path(j))],
                params=p.trainable, bytes=p.trainable * 4,
            )


class ReshapeSizeMismatch(Rule):
    """What it does: checks that a Reshape layer's ``target_shape``, and the data section's
    ``reshape``, hold exactly as many values as their input (``-1`` infers one size).

    Why is this bad: Keras fails when the model is built (or when the first batch arrives) with
    a message about tensor sizes that does not say which value is wrong.

    Example:
        model:
          input_shape: [28, 28]
          layers:
            - {type: Reshape, target_shape: [28, 28, 3]}
            - {type: Flatten}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          input_shape: [28, 28]
          layers:
            - {type: Reshape, target_shape: [28, 28, 1]}
            - {type: Flatten}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS106"
    name = "reshape-size-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        bad = ctx.facts.extra.get("bad_reshape")
        if bad:
            stored, target = bad
            n_in, n_out = math.prod(stored), math.prod(target)
            yield self.diag(
                ctx, ("data", "reshape"),
                f"data reshape {list(target)} holds {fmt_count(n_out)} values but each stored sample "
                f"{fmt_shape(tuple(stored))} holds {fmt_count(n_in)}",
                hint="the sizes must multiply to the same total, e.g. "
                     f"{list(stored) + [1]} to add a channel axis",
                related=_sample_origin(ctx, tuple(stored)), received=list(target), expected=list(stored),
            )
        err = ctx.plan.error
        if err is not None and ctx.layers[err.data["layer"]].type == "Reshape":
            yield self.diag(ctx, err.data["spec_path"], err.message, hint=err.hint,
                            input_shape=err.data["input_shape"], layer=err.data["layer"])
