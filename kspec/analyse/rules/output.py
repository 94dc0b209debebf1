"""KS2xx: the output layer, its activation, the loss and the labels."""

from __future__ import annotations

import math
from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ...spec import REGRESSION_LOSSES
from ..base import LintContext, Rule
from ..view import ACTIVATION_RANGE, PROBABILITY
from .common import loss_path


def _activation_path(ctx: LintContext, index: int) -> tuple:
    return ctx.layer_path(index, "activation") if ctx.doc.get(ctx.layer_path(index, "activation")) else ctx.layer_path(index)


def _classes_related(ctx: LintContext) -> list:
    origin = ctx.facts.origin.get("num_classes")
    return [ctx.related(f"the data has {ctx.facts.num_classes} classes", origin)] if origin else []


class LastLayerUnitsMismatch(Rule):
    """What it does: compares the units of the last Dense layer with the number of classes
    (from the labels, the data set's metadata or the class folders). Binary data needs one
    sigmoid unit (with ``binary_crossentropy``) or two softmax units (with a categorical loss).

    Why is this bad: with too few units some classes can never be predicted and Keras fails on
    the first batch with an out-of-range label; with too many the model wastes outputs on
    classes that do not exist, and accuracy looks fine while the probabilities are wrong. Two
    units with ``binary_crossentropy`` and 0/1 labels broadcast the label over both units
    without any error.

    Example:
        data: {type: keras, name: fashion_mnist, rescale: 1/255}
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 8, activation: softmax}

    Use instead:
        data: {type: keras, name: fashion_mnist, rescale: 1/255}
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS201"
    name = "last-layer-units-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        facts = ctx.facts
        n = facts.num_classes
        if not facts.classification or n is None or not ctx.layers:
            return
        view = ctx.view
        index = view.head.producer
        if index is None or ctx.layers[index].type != "Dense" or not view.head.plain:
            return  # a Flatten or Reshape after the last Dense: KS104 compares shapes
        units = ctx.layers[index].units
        loss = view.loss
        fed = facts.fed_label_kind
        if n == 2 and fed not in ("one_hot", "multi_hot") and view.family not in ("categorical", "sparse"):
            if view.family == "binary":
                if units == 1:
                    return
                expected, hint = "1", "set units: 1 with activation: sigmoid (or use sparse_categorical_crossentropy with 2 softmax units)"
            elif units in (1, 2):
                return
            else:
                expected, hint = "1 (sigmoid) or 2 (softmax)", "set units: 1 with activation: sigmoid"
        elif units == n:
            return
        else:
            expected, hint = str(n), f"set units: {n}"
        yield self.diag(
            ctx, ctx.layer_path(index, "units"),
            f"last layer has {units} unit{'s' if units != 1 else ''} but the data has {n} classes"
            + (f" and the loss is {loss}" if n == 2 else "") + f"; expected {expected}",
            hint=hint, related=_classes_related(ctx), received=units, expected=expected,
        )


class SoftmaxSingleUnit(Rule):
    """What it does: finds softmax applied to a single unit (``units: 1`` with
    ``activation: softmax``, or an Activation softmax after one unit).

    Why is this bad: softmax normalises over the units, so with one unit it always outputs 1.0:
    the loss never changes and the model learns nothing. Binary classification wants one
    sigmoid unit, or two softmax units.

    Example:
        data:
          type: arrays
          x: [[0.0], [1.0], [2.0], [3.0]]
          y: [0, 0, 1, 1]
        model:
          layers: [{type: Dense, units: 1, activation: softmax}]
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: arrays
          x: [[0.0], [1.0], [2.0], [3.0]]
          y: [0, 0, 1, 1]
        model:
          layers: [{type: Dense, units: 1, activation: sigmoid}]
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
    """

    code = "KS202"
    name = "softmax-single-unit"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for v in ctx.view.layers:
            if v.activation == "softmax" and v.width == 1:
                yield self.diag(
                    ctx, _activation_path(ctx, v.index),
                    f"softmax over a single unit (layer {v.index}, {v.type}) always outputs 1.0",
                    hint="for two classes use one unit with activation: sigmoid and binary_crossentropy, "
                         "or two units with softmax and sparse_categorical_crossentropy",
                )


class LossActivationMismatch(Rule):
    """What it does: checks that the output activation produces what the loss expects:
    probabilities in [0, 1] (sigmoid) for ``binary_crossentropy`` and a probability
    distribution (softmax) for ``categorical_crossentropy`` and
    ``sparse_categorical_crossentropy``, unless the loss is told ``from_logits: true``.

    Why is this bad: a cross-entropy of raw scores (or of ReLU outputs) takes the log of values
    outside (0, 1]; Keras clips them, so training runs, but the loss and gradients are wrong and
    accuracy stalls.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10}
        compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10}
        compile:
          optimizer: adam
          loss: {type: sparse_categorical_crossentropy, from_logits: true}
          metrics: [accuracy]
    """

    code = "KS203"
    name = "loss-activation-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        view = ctx.view
        act, index, loss = view.head.activation, view.head.activation_index, view.loss
        if view.family not in ("binary", "categorical", "sparse") or view.from_logits or act is None:
            return
        allowed = ("sigmoid", "hard_sigmoid", "softmax") if view.family == "binary" else ("softmax",)
        if act in allowed or not ctx.layers:
            return
        want = "sigmoid" if view.family == "binary" else "softmax"
        where = _activation_path(ctx, index) if index is not None else ctx.layer_path(len(ctx.layers) - 1)
        lo, hi = view.head.range or (None, None)
        # sigmoid scores under a categorical loss still train (Keras renormalises them): a warning
        severity = Severity.WARNING if act in PROBABILITY else None
        yield self.diag(
            ctx, where,
            f"{loss} expects {'a probability distribution' if want == 'softmax' else 'probabilities'} "
            f"but the output activation is {act}"
            + (f" (outputs in [{lo:g}, {hi:g}])" if lo is not None and (lo, hi) != (-math.inf, math.inf) else ""),
            hint=f"set activation: {want} on the last layer, or `loss: {{type: {loss}, from_logits: true}}` "
                 "to keep raw scores" if act not in PROBABILITY else f"set activation: {want} on the last layer",
            related=[ctx.related(f"the loss is {loss}", loss_path(ctx))], received=act, expected=want,
            severity=severity,
        )


class FromLogitsOnProbabilities(Rule):
    """What it does: finds ``from_logits: true`` on a loss whose model already ends in sigmoid
    or softmax.

    Why is this bad: the loss applies sigmoid/softmax a second time to values already in
    [0, 1]; gradients shrink and the model trains slowly or stalls while the loss looks
    plausible.

    Example:
        compile:
          optimizer: adam
          loss: {type: sparse_categorical_crossentropy, from_logits: true}
          metrics: [accuracy]

    Use instead:
        compile:
          optimizer: adam
          loss: sparse_categorical_crossentropy
          metrics: [accuracy]
    """

    code = "KS204"
    name = "from-logits-on-probabilities"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        view = ctx.view
        act, index = view.head.activation, view.head.activation_index
        if not view.from_logits or act is None or index is None or act == "linear":
            return
        if act not in PROBABILITY:
            yield self.diag(
                ctx, _activation_path(ctx, index),
                f"from_logits: true expects raw scores but the output passes through {act}, which limits the "
                f"logits to {_range_words(view.head.range)}",
                hint=f"remove activation: {act} from the output (logits are linear)", severity=Severity.INFO,
                related=[ctx.related("the loss reads logits", loss_path(ctx, "from_logits"))],
                received=act, expected="linear")
            return
        yield self.diag(
            ctx, loss_path(ctx, "from_logits"),
            f"from_logits: true but the last layer already applies {act}: the loss squashes the outputs twice",
            hint=f"remove from_logits (the model outputs probabilities), or remove activation: {act} from the last layer",
            related=[ctx.related(f"the output activation is {act}", _activation_path(ctx, index))],
        )


class LabelEncodingMismatch(Rule):
    """What it does: compares how labels are encoded with what the loss reads: integer class ids
    with ``categorical_crossentropy`` (needs one-hot), one-hot labels with
    ``sparse_categorical_crossentropy`` (needs ids), class ids above 1 with
    ``binary_crossentropy``, and multi-hot labels (several classes per sample) with softmax.

    Why is this bad: Keras fails on the first batch with a shape error, or, worse, the shapes
    happen to broadcast and the model trains on garbage targets.

    Example:
        compile: {optimizer: adam, loss: categorical_crossentropy, metrics: [accuracy]}

    Use instead:
        compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
    """

    code = "KS205"
    name = "label-encoding-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        facts = ctx.facts
        kind = facts.fed_label_kind
        loss = ctx.view.loss
        origin = facts.origin.get("labels") or facts.origin.get("num_classes")
        related = [ctx.related(f"labels are {_kind_words(ctx)}", origin)] if origin else []
        where = loss_path(ctx)
        if loss == "categorical_crossentropy" and kind in ("integer", "binary") and facts.label_shape in ((), (1,)):
            hint = "use loss: sparse_categorical_crossentropy"
            if ctx.data.type == "image_folder":
                hint += ", or class_mode: categorical in the data section"
            else:
                hint += ", or label_encoding: one_hot in the data section"
            yield self.diag(ctx, where, f"categorical_crossentropy needs one-hot labels but the labels are {_kind_words(ctx)}",
                            hint=hint, related=related, received=kind, expected="one_hot")
        elif loss == "sparse_categorical_crossentropy" and kind == "one_hot":
            hint = "use loss: categorical_crossentropy"
            if ctx.data.type == "image_folder":
                hint += ", or class_mode: sparse in the data section"
            elif ctx.data.label_encoding == "one_hot":
                hint += ", or remove label_encoding: one_hot from the data section"
            yield self.diag(ctx, where, "sparse_categorical_crossentropy needs integer class ids but the labels are one-hot vectors",
                            hint=hint, related=related, received=kind, expected="integer")
        elif loss == "binary_crossentropy" and kind == "integer" and facts.num_classes != 2:
            top = facts.num_classes - 1 if facts.num_classes else facts.target_range[1] if facts.target_range else None
            yield self.diag(ctx, where,
                            "binary_crossentropy needs 0/1 labels but the labels are class ids"
                            + (f" up to {top:g}" if top is not None else ""),
                            hint="use sparse_categorical_crossentropy with one softmax unit per class",
                            related=related, received=kind, expected="binary")
        if kind == "multi_hot":
            act, index = ctx.view.head.activation, ctx.view.head.activation_index
            if act == "softmax" and index is not None:
                yield self.diag(ctx, _activation_path(ctx, index),
                                "the labels are multi-hot (several classes per sample) but the output is softmax, "
                                "which makes the classes compete for one probability mass",
                                hint="use activation: sigmoid with binary_crossentropy for multi-label targets",
                                related=related, received="softmax", expected="sigmoid")


def _range_words(rng: tuple[float, float] | None) -> str:
    if rng is None:
        return "a range it cannot leave"
    lo, hi = rng
    return f"[{lo:g}, {hi:g}]".replace("inf", "\u221e")


def _kind_words(ctx: LintContext) -> str:
    kind = ctx.facts.fed_label_kind
    n = ctx.facts.num_classes
    return {
        "integer": "integer class ids" + (f" 0..{n - 1}" if n else ""),
        "binary": "0/1 class ids",
        "one_hot": "one-hot vectors" + (f" of {n}" if n else ""),
        "multi_hot": "multi-hot vectors",
        "continuous": "continuous values",
    }.get(kind or "", str(kind))


_STRONG_CLASS_SOURCES = ("keras", "synthetic", "image_folder")


class RegressionLossOnClasses(Rule):
    """What it does: finds a regression loss (``mean_squared_error``, ``mean_absolute_error``,
    ``huber`` ...) on a classification head (softmax over several units) or on class labels
    of more than two classes.

    Why is this bad: class ids are names, not quantities: mean squared error says class 9 is
    "further" from class 0 than class 1 is, and a squared error on softmax outputs learns very
    slowly. A cross-entropy loss fits class labels.

    Example:
        compile: {optimizer: adam, loss: mean_squared_error}

    Use instead:
        compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
    """

    code = "KS206"
    name = "regression-loss-on-classes"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        view = ctx.view
        loss = view.loss
        if loss not in REGRESSION_LOSSES:
            return
        facts = ctx.facts
        act, index, width = view.head.activation, view.head.activation_index, view.head.width
        if act == "softmax" and index is not None and width and width > 1:
            yield self.diag(ctx, loss_path(ctx),
                            f"{loss} on a softmax classification head of {width} units",
                            hint="use sparse_categorical_crossentropy (integer labels) or categorical_crossentropy (one-hot)",
                            related=[ctx.related("softmax output", _activation_path(ctx, index))])
            return
        strong = ctx.data.type in _STRONG_CLASS_SOURCES or ctx.data.class_names is not None
        if (facts.classification and strong and facts.num_classes and facts.num_classes > 2
                and facts.fed_label_kind in ("integer", "one_hot")):
            yield self.diag(ctx, loss_path(ctx),
                            f"{loss} on class labels ({facts.num_classes} classes): class ids are not quantities",
                            hint="use sparse_categorical_crossentropy with a softmax unit per class",
                            related=_classes_related(ctx))


class OutputRangeMismatch(Rule):
    """What it does: compares the range the output activation can reach with the range of the
    targets, when the targets are known: ReLU (never negative) with negative targets, sigmoid
    or softmax (0..1) with targets above 1, tanh (-1..1) with targets outside it.

    Why is this bad: the model can never produce those targets; the loss has a floor it cannot
    go below, and predictions for the out-of-range samples are always wrong.

    Example:
        data:
          type: arrays
          x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
          y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
        model:
          layers: [{type: Dense, units: 1, activation: relu}]
        compile: {optimizer: sgd, loss: mean_squared_error}

    Use instead:
        data:
          type: arrays
          x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
          y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
        model:
          layers: [{type: Dense, units: 1}]
        compile: {optimizer: sgd, loss: mean_squared_error}
    """

    code = "KS207"
    name = "output-range-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        facts = ctx.facts
        target = facts.target_range
        view = ctx.view
        if target is None or view.family in ("categorical", "sparse") or facts.fed_label_kind in ("one_hot", "integer"):
            return
        if view.from_logits:
            return
        act, index = view.head.activation, view.head.activation_index
        if act is None or index is None or view.head.range is None:
            return
        lo, hi = view.head.range
        tmin, tmax = target
        if tmin >= lo - 1e-9 and tmax <= hi + 1e-9:
            return
        origin = facts.origin.get("labels")
        related = [ctx.related(f"targets range from {tmin:g} to {tmax:g}", origin)] if origin else []
        yield self.diag(
            ctx, _activation_path(ctx, index),
            f"the output activation {act} produces values in [{lo:g}, {hi:g}] but the targets range from {tmin:g} to {tmax:g}",
            hint="remove the activation of the last layer (linear output) for unbounded targets, or scale the targets into its range",
            related=related, received=[tmin, tmax], expected=[lo, hi],
        )


class HiddenSoftmax(Rule):
    """What it does: finds softmax on a layer that is not the output.

    Why is this bad: softmax squeezes a hidden representation into a probability distribution;
    the next layer sees values that sum to 1 and gradients vanish. It is almost always an
    output activation copied one layer too early.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: softmax}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS208"
    name = "hidden-softmax"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        last = ctx.view.head.producer
        for v in ctx.view.layers:
            if v.activation != "softmax" or last is None or v.index >= last:
                continue
            yield self.diag(ctx, _activation_path(ctx, v.index), f"softmax on hidden layer {v.index} ({v.type})",
                            hint="use activation: relu on hidden layers; softmax belongs on the last layer only")


class ConsecutiveActivations(Rule):
    """What it does: finds an activation applied right after another one: a layer with
    ``activation: relu`` followed by an Activation layer, or two Activation layers in a row.

    Why is this bad: the first activation distorts what the second one sees (ReLU before
    softmax drops every negative score); it is usually a leftover from editing.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10, activation: relu}
            - {type: Activation, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10}
            - {type: Activation, activation: softmax}
    """

    code = "KS209"
    name = "consecutive-activations"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        views = ctx.view.layers
        for i, j in ctx.view.back_to_back():
            prev, act = views[i].activation, views[j].activation
            fix = (f"remove activation: {prev} from layer {i}" if views[i].kind == "weighted"
                   else f"remove layer {i}")
            yield self.diag(
                ctx, _activation_path(ctx, j),
                f"layer {j} applies {act} right after layer {i} applied {prev}",
                hint=f"{fix}, or remove layer {j}",
                related=[ctx.related(f"layer {i} applies {prev}", _activation_path(ctx, i))],
            )


class NoNonlinearity(Rule):
    """What it does: checks each hidden weighted layer (Dense, Conv ...): when nothing on the way
    from it to the next weighted layer is non-linear (its own activation is linear, and no
    Activation, ReLU, Softmax or max-pooling layer follows before the next weighted layer), the
    two layers collapse into one linear map.

    Why is this bad: a stack of linear layers is itself one linear layer; the hidden layer adds
    parameters and training time but no capacity. Usually an ``activation:`` was forgotten.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 64}
            - {type: Dropout, rate: 0.2}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 64, activation: relu}
            - {type: Dropout, rate: 0.2}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS210"
    name = "no-nonlinearity"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        views = ctx.view.layers
        for i, j in ctx.view.linear_gaps():
            yield self.diag(
                ctx, ctx.layer_path(i),
                f"layer {i} ({views[i].type}) has no non-linearity before layer {j} ({views[j].type}): "
                "the two collapse into one linear map",
                hint=f"add activation: relu to layer {i}",
                related=[ctx.related(f"layer {j} applies the next linear map", ctx.layer_path(j))],
                received="linear", expected="a non-linear activation",
            )
