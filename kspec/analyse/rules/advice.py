"""KS8xx: design advice. Opinions of the published tools (NeuraLint's CNN design rules, Theia's
layer heuristics) rather than faults: off by default, turned on with ``select = ["KS8"]`` (or a
code or a name), and reported as info."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..base import LintContext, Rule
from ..view import SATURATING

_CONV = ("Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D")


def _convs(ctx: LintContext) -> list[int]:
    return [i for i, layer in enumerate(ctx.layers) if layer.type in _CONV]


def _kernel(layer) -> tuple[int, ...]:
    k = getattr(layer, "kernel_size", 1)
    return tuple(k) if isinstance(k, (list, tuple)) else (k,)


class Advice(Rule):
    advice = True
    severity = Severity.INFO


class ShrinkingKernels(Advice):
    """What it does: finds a convolution whose kernel is larger than that of an earlier one
    (NeuraLint f016, "decreasing receptive field" read the other way round: kernels should not
    grow as the maps shrink, nor shrink before the first pooling). Concretely: a later
    convolution with a larger kernel than an earlier one.

    Why is this bad: later layers see smaller maps; a large kernel there costs parameters while
    covering most of the map, whereas small stacked kernels reach the same receptive field
    cheaper. It is a design smell, not an error.

    Example:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Conv2D, filters: 32, kernel_size: 5, activation: relu}
            - {type: MaxPooling2D}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}

    Use instead:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}
    """

    code = "KS801"
    name = "growing-kernels"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        convs = _convs(ctx)
        for a, b in zip(convs, convs[1:]):
            ka, kb = _kernel(ctx.layers[a]), _kernel(ctx.layers[b])
            if max(kb) > max(ka):
                yield self.diag(ctx, ctx.layer_path(b, "kernel_size"),
                                f"layer {b} has a larger kernel ({max(kb)}) than the earlier convolution {a} "
                                f"({max(ka)}) on a smaller feature map",
                                hint=f"use kernel_size {max(ka)} (stack two layers for a wider view)")


class FewerFilters(Advice):
    """What it does: finds a convolution with fewer filters than an earlier one (NeuraLint
    f023; Theia: "increase the number of filters while going deep").

    Why is this bad: each pooling halves the map, so a CNN usually doubles its filters to keep
    the information per layer; shrinking them throws capacity away where features are richest.

    Example:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 64, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}

    Use instead:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Conv2D, filters: 64, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}
    """

    code = "KS802"
    name = "fewer-filters-deeper"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        convs = _convs(ctx)
        for a, b in zip(convs, convs[1:]):
            fa, fb = getattr(ctx.layers[a], "filters", None), getattr(ctx.layers[b], "filters", None)
            if fa and fb and fb < fa:
                yield self.diag(ctx, ctx.layer_path(b, "filters"),
                                f"layer {b} has {fb} filters, fewer than the {fa} of layer {a} before it",
                                hint=f"use at least {fa} filters in layer {b} (filters usually grow with depth)")


class WideningDense(Advice):
    """What it does: finds a hidden Dense layer wider than the hidden Dense layer before it
    (NeuraLint f019; Theia: "keep the units the same or decrease").

    Why is this bad: a classifier head funnels features towards the classes; widening again
    adds parameters without adding information the earlier, narrower layer did not pass on.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 64, activation: relu}
            - {type: Dense, units: 256, activation: relu}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 256, activation: relu}
            - {type: Dense, units: 64, activation: relu}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS803"
    name = "widening-dense"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        last = ctx.view.head.producer
        dense = [i for i, layer in enumerate(ctx.layers) if layer.type == "Dense" and i != last]
        for a, b in zip(dense, dense[1:]):
            ua, ub = ctx.layers[a].units, ctx.layers[b].units
            if ub > ua:
                yield self.diag(ctx, ctx.layer_path(b, "units"),
                                f"hidden Dense layer {b} ({ub} units) is wider than layer {a} ({ua} units)",
                                hint=f"give layer {b} at most {ua} units, or swap the two widths")


class ConvWithoutPooling(Advice):
    """What it does: finds a CNN of two or more convolutions with no pooling layer and no strided
    convolution (NeuraLint f002; Theia: "add pooling").

    Why is this bad: without downsampling the feature maps stay full size, so the Flatten after
    them is huge, the Dense layer after it holds most of the parameters, and the model overfits
    and trains slowly.

    Example:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}

    Use instead:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}
    """

    code = "KS804"
    name = "conv-without-pooling"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        convs = _convs(ctx)
        if len(convs) < 2:
            return
        for layer in ctx.layers:
            strides = getattr(layer, "strides", 1)
            strided = max(strides) > 1 if isinstance(strides, (list, tuple)) else (strides or 1) > 1
            if "Pooling" in layer.type or (layer.type in _CONV and strided):
                return
        yield self.diag(ctx, ctx.layer_path(convs[0]),
                        f"{len(convs)} convolutions and no pooling: the feature maps never shrink",
                        hint=f"add {{type: MaxPooling2D}} after layer {convs[0]} and after each later convolution block")


class SaturatingStack(Advice):
    """What it does: finds three or more hidden layers with a saturating activation (sigmoid,
    tanh, hard_sigmoid, softsign).

    Why is this bad: the derivative of sigmoid is at most 0.25 and tanh's falls to 0 away from
    the origin; multiplied over several layers the gradients of the first layers vanish, and
    they stop learning (AUTOTRAINER's repair replaces them with ReLU or adds BatchNormalization).

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: sigmoid}
            - {type: Dense, units: 64, activation: sigmoid}
            - {type: Dense, units: 32, activation: sigmoid}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 64, activation: relu}
            - {type: Dense, units: 32, activation: relu}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS805"
    name = "saturating-stack"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        last = ctx.view.head.producer
        hidden = [v for v in ctx.view.layers if v.activation in SATURATING and v.kind == "weighted"
                  and v.index != last and v.type in ("Dense", *_CONV)]
        if len(hidden) >= 3:
            yield self.diag(ctx, ctx.layer_path(hidden[0].index),
                            f"{len(hidden)} hidden layers use saturating activations "
                            f"({', '.join(sorted({v.activation for v in hidden}))}): gradients shrink at each",
                            hint="use activation: relu on hidden layers, or add BatchNormalization between them")


class ManyDenseLayers(Advice):
    """What it does: finds more than three hidden Dense layers after a convolutional base
    (Theia: "decrease the number of hidden dense layers to one or two").

    Why is this bad: the convolutions extract the features; a deep stack of Dense layers on top
    adds most of the parameters and overfits without improving accuracy.

    Example:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Flatten}
            - {type: Dense, units: 64, activation: relu}
            - {type: Dense, units: 64, activation: relu}
            - {type: Dense, units: 64, activation: relu}
            - {type: Dense, units: 64, activation: relu}
            - {type: Dense, units: 4, activation: softmax}

    Use instead:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Flatten}
            - {type: Dense, units: 64, activation: relu}
            - {type: Dense, units: 4, activation: softmax}
    """

    code = "KS806"
    name = "many-dense-layers"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        convs = _convs(ctx)
        if not convs:
            return
        last = ctx.view.head.producer
        dense = [i for i, layer in enumerate(ctx.layers) if layer.type == "Dense" and i > convs[-1] and i != last]
        if len(dense) > 3:
            yield self.diag(ctx, ctx.layer_path(dense[0]), f"{len(dense)} hidden Dense layers after the convolutions",
                            hint="keep one or two hidden Dense layers")


class MissingBatchNorm(Advice):
    """What it does: finds convolutions not followed by BatchNormalization in a CNN of three or
    more convolutions (Theia: "missing batch normalization"; known for false positives, hence
    advice).

    Why is this bad: deeper CNNs train faster and more stably with BatchNormalization after
    each convolution, and tolerate larger learning rates.

    Example:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, padding: same, activation: relu}
            - {type: Conv2D, filters: 16, kernel_size: 3, padding: same, activation: relu}
            - {type: MaxPooling2D}
            - {type: Conv2D, filters: 32, kernel_size: 3, padding: same, activation: relu}
            - {type: MaxPooling2D}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}

    Use instead:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, padding: same, use_bias: false}
            - {type: BatchNormalization}
            - {type: Activation, activation: relu}
            - {type: Conv2D, filters: 16, kernel_size: 3, padding: same, use_bias: false}
            - {type: BatchNormalization}
            - {type: Activation, activation: relu}
            - {type: MaxPooling2D}
            - {type: Conv2D, filters: 32, kernel_size: 3, padding: same, use_bias: false}
            - {type: BatchNormalization}
            - {type: Activation, activation: relu}
            - {type: MaxPooling2D}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}
    """

    code = "KS807"
    name = "missing-batchnorm"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        convs = _convs(ctx)
        if len(convs) < 3:
            return
        layers = ctx.layers
        bare = [i for i in convs if not any(layer.type == "BatchNormalization" for layer in layers[i + 1:i + 3])]
        if bare:
            yield self.diag(ctx, ctx.layer_path(bare[0]),
                            f"{len(bare)} of the {len(convs)} convolutions have no BatchNormalization after them",
                            hint="follow each convolution (without activation and bias) by BatchNormalization "
                                 "and then the activation")


class DropoutBeforePooling(Advice):
    """What it does: finds Dropout immediately before a pooling layer (NeuraLint f018; Theia has
    the opposite rule, which is why this is advice).

    Why is this bad: max pooling after dropout picks the largest surviving value, so the
    dropped units mostly vanish from the pooled map and the regularisation is weaker than the
    rate says; dropout after the pooling (or before the Dense head) does what it says.

    Example:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: Dropout, rate: 0.25}
            - {type: MaxPooling2D}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}

    Use instead:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D}
            - {type: Dropout, rate: 0.25}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}
    """

    code = "KS808"
    name = "dropout-before-pooling"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        layers = ctx.layers
        for i in range(len(layers) - 1):
            if layers[i].type == "Dropout" and "Pooling" in layers[i + 1].type:
                yield self.diag(ctx, ctx.layer_path(i), f"Dropout (layer {i}) right before {layers[i + 1].type}",
                                hint=f"move the Dropout after layer {i + 1}")


class NonZeroBias(Advice):
    """What it does: finds a hidden layer whose ``bias_initializer`` is not ``zeros``
    (NeuraLint f024).

    Why is this bad: biases need no symmetry breaking, so Keras starts them at 0; a constant
    such as ``ones`` shifts every unit the same way, and with ReLU it can make units always
    active (or, negative, always dead) from the first step.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu, bias_initializer: ones}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS809"
    name = "non-zero-bias"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        last = ctx.view.head.producer
        for i, layer in enumerate(ctx.layers):
            init = getattr(layer, "bias_initializer", "zeros")
            if i != last and getattr(layer, "use_bias", True) and isinstance(init, str) and init != "zeros":
                yield self.diag(ctx, ctx.layer_path(i, "bias_initializer"),
                                f"layer {i} ({layer.type}) starts its biases with {init}",
                                hint="remove bias_initializer (the default is zeros)")
