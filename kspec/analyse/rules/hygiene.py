"""KS5xx: layer hygiene: arguments and orderings that train worse than they should."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..base import LintContext, Rule
from .common import activation_of, is_weighted, last_weighted

HIGH_DROPOUT = 0.5


class HighDropout(Rule):
    """What it does: warns about a Dropout rate above 0.5.

    Why is this bad: dropping most of the units every step throws away most of the signal;
    the model underfits and trains slowly. Rates of 0.1 to 0.5 are usual.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dropout, rate: 0.8}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dropout, rate: 0.2}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS501"
    name = "high-dropout"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for i, layer in enumerate(ctx.layers):
            if layer.type == "Dropout" and layer.rate > HIGH_DROPOUT:
                yield self.diag(ctx, ctx.layer_path(i, "rate"),
                                f"Dropout rate {layer.rate:g} drops {layer.rate:.0%} of the units every step",
                                hint="use a rate between 0.1 and 0.5", received=layer.rate, expected=HIGH_DROPOUT)


class DropoutBeforeBatchNorm(Rule):
    """What it does: finds a Dropout layer directly before a BatchNormalization layer.

    Why is this bad: BatchNormalization learns its moving variance from the dropped-out
    activations during training, but sees undropped ones at inference (the "variance shift"),
    so the model behaves differently when evaluated. Put Dropout after BatchNormalization.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dropout, rate: 0.2}
            - {type: BatchNormalization}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: BatchNormalization}
            - {type: Dropout, rate: 0.2}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS502"
    name = "dropout-before-batchnorm"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        layers = ctx.layers
        for i in range(len(layers) - 1):
            if layers[i].type == "Dropout" and layers[i + 1].type == "BatchNormalization":
                yield self.diag(ctx, ctx.layer_path(i), f"Dropout (layer {i}) directly before BatchNormalization "
                                f"(layer {i + 1})", hint="swap them: BatchNormalization first, then Dropout",
                                related=[ctx.related("BatchNormalization", ctx.layer_path(i + 1))])


class BiasBeforeBatchNorm(Rule):
    """What it does: finds a Dense or convolution layer with a bias and no activation directly
    before a BatchNormalization that centres its input.

    Why is this bad: BatchNormalization subtracts the mean, which removes any constant bias;
    the bias weights are trained for nothing. ``use_bias: false`` saves them.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128}
            - {type: BatchNormalization}
            - {type: Activation, activation: relu}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, use_bias: false}
            - {type: BatchNormalization}
            - {type: Activation, activation: relu}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS503"
    name = "bias-before-batchnorm"
    severity = Severity.INFO

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        layers = ctx.layers
        for i in range(len(layers) - 1):
            layer, nxt = layers[i], layers[i + 1]
            if (is_weighted(layer) and getattr(layer, "use_bias", False) and activation_of(layer) == "linear"
                    and nxt.type == "BatchNormalization" and nxt.center):
                yield self.diag(ctx, ctx.layer_path(i), f"layer {i} ({layer.type}) has a bias that the next "
                                "BatchNormalization cancels", hint="set use_bias: false on this layer",
                                related=[ctx.related("BatchNormalization", ctx.layer_path(i + 1))])


CONSTANT_INITIALIZERS = ("zeros", "ones")


class ConstantInitializer(Rule):
    """What it does: finds a hidden layer (one followed by another weighted layer) whose
    ``kernel_initializer`` is a constant (``zeros`` or ``ones``).

    Why is this bad: every unit of the layer starts with the same weights, computes the same
    output and gets the same kind of update, so the units stay near-copies of each other;
    with ``zeros`` and ReLU they output 0, receive no gradient and never learn at all.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu, kernel_initializer: zeros}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu, kernel_initializer: he_normal}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS504"
    name = "constant-initializer"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        last = last_weighted(ctx.layers)
        for i, layer in enumerate(ctx.layers):
            if not is_weighted(layer) or i == last or getattr(layer, "kernel_initializer", None) not in CONSTANT_INITIALIZERS:
                continue
            dead = layer.kernel_initializer == "zeros" and activation_of(layer) in ("relu", "relu6")
            width = getattr(layer, "units", None) or getattr(layer, "filters", None)
            if width == 1 and not dead:
                continue  # a single unit has no copies to be identical to
            yield self.diag(
                ctx, ctx.layer_path(i, "kernel_initializer"),
                f"hidden layer {i} ({layer.type}) starts with every weight {layer.kernel_initializer[:-1]}: its units "
                + ("output 0 through ReLU, get no gradient and never learn" if dead else "start identical and stay near-copies"),
                hint="remove kernel_initializer (default glorot_uniform), or use he_normal for ReLU layers",
                severity=Severity.ERROR if dead else None,
            )


class StrideSkipsInput(Rule):
    """What it does: finds a pooling or convolution layer whose stride is larger than its window
    (``strides: 3`` with ``pool_size: 2``), so some rows and columns are never looked at.

    Why is this bad: the skipped pixels never reach the model; it is usually a confusion
    between ``strides`` and ``pool_size`` (Keras's default stride for pooling is the pool size).

    Example:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D, pool_size: 2, strides: 3}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}

    Use instead:
        data: {type: synthetic, image_size: 28, samples: 400, rescale: 1/255}
        model:
          layers:
            - {type: Conv2D, filters: 16, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D, pool_size: 2}
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}
    """

    code = "KS505"
    name = "stride-skips-input"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for i, layer in enumerate(ctx.layers):
            window = getattr(layer, "pool_size", None) or getattr(layer, "kernel_size", None)
            strides = getattr(layer, "strides", None)
            if window is None or strides is None:
                continue
            w = [window] * 2 if isinstance(window, int) else list(window)
            s = [strides] * 2 if isinstance(strides, int) else list(strides)
            dil = getattr(layer, "dilation_rate", 1)
            d = [dil] * 2 if isinstance(dil, int) else list(dil)
            span = [(k - 1) * r + 1 for k, r in zip(w, d)]
            if is_weighted(layer) and max(span) == 1:
                continue  # a strided 1x1 convolution subsamples on purpose
            if any(st > sp for st, sp in zip(s, span)):
                field = "pool_size" if hasattr(layer, "pool_size") else "kernel_size"
                yield self.diag(ctx, ctx.layer_path(i, "strides"),
                                f"layer {i} ({layer.type}) moves {strides} per step over a window of {window}: "
                                "some inputs are never read",
                                hint=f"use strides no larger than {field} (pooling defaults to strides = pool_size)")


class DropoutAfterOutput(Rule):
    """What it does: finds a Dropout layer after the last weighted layer, where it drops the
    model's predictions themselves.

    Why is this bad: during training the outputs are randomly zeroed and the rest scaled up by
    1/(1 - rate): probabilities become 0 or exceed 1, the loss is computed on corrupted
    predictions, and the model trains on noise.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10, activation: softmax}
            - {type: Dropout, rate: 0.2}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dropout, rate: 0.2}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS506"
    name = "dropout-after-output"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        last = last_weighted(ctx.layers)
        if last is None:
            return
        for i in range(last + 1, len(ctx.layers)):
            if ctx.layers[i].type == "Dropout":
                yield self.diag(ctx, ctx.layer_path(i), f"Dropout (layer {i}) after the output layer {last} drops "
                                "predictions during training", hint="move the Dropout before the last Dense layer",
                                related=[ctx.related("output layer", ctx.layer_path(last))])
