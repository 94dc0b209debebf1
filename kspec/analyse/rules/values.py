"""KS313-KS317: the values in the data, from the statistics resolve computes once per source
(:mod:`kspec.datastats`): NaN and Inf, constant columns, target scale, label values, repeated
rows between the training data and the validation or test data."""

from __future__ import annotations

import math
from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..base import LintContext, Rule
from .common import explicit, fmt_count

_ROLE_WORDS = {"x": "training inputs", "y": "training labels", "x_test": "test inputs", "y_test": "test labels"}


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{fmt_count(n)} {word if n == 1 else (many or word + 's')}"


def _origin(ctx: LintContext, role: str) -> tuple:
    """Where the array of ``role`` comes from in the spec."""
    data = ctx.data
    candidates = {"x": ("x", "path", "train_images"), "y": ("y", "path", "train_labels"),
                  "x_test": ("x_test", "x_test_key", "path", "test_images"),
                  "y_test": ("y_test", "y_test_key", "path", "test_labels")}[role]
    for key in candidates:
        if explicit(ctx, ("data", key)):
            return ("data", key)
    return ("data",) if data is not None else ()


def _labels_words(ctx: LintContext) -> str:
    return "targets" if ctx.view.family == "regression" else "labels"


class NonFiniteValues(Rule):
    """What it does: counts NaN and infinite values in the inputs and labels of every split,
    from the statistics of the stored arrays.

    Why is this bad: one NaN in a batch makes the loss NaN, and from then on every weight is
    NaN: training "runs" while the model is destroyed, usually in the first epoch.

    Example:
        data:
          type: arrays
          x: [[0.1, 0.2], [0.3, .nan], [0.5, 0.6], [0.7, 0.8]]
          y: [0, 1, 0, 1]
        model:
          layers: [{type: Dense, units: 1, activation: sigmoid}]
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: arrays
          x: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]]
          y: [0, 1, 0, 1]
        model:
          layers: [{type: Dense, units: 1, activation: sigmoid}]
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
    """

    code = "KS313"
    name = "non-finite-values"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for role, st in ctx.facts.stats.items():
            if role not in _ROLE_WORDS or not st.get("nan") and not st.get("inf"):
                continue
            parts = [_plural(st["nan"], "NaN value")] if st.get("nan") else []
            parts += [_plural(st["inf"], "infinite value")] if st.get("inf") else []
            yield self.diag(
                ctx, _origin(ctx, role), f"the {_ROLE_WORDS[role]} hold {' and '.join(parts)}: "
                "one in a batch turns the loss and then every weight into NaN",
                hint="drop or impute the missing values before saving the arrays (numpy.nan_to_num, or "
                     "remove those samples)", received={"nan": st.get("nan", 0), "inf": st.get("inf", 0)},
                expected=0)


class ConstantValues(Rule):
    """What it does: reports input features (columns of tabular data) that hold one value in
    every training sample, targets or labels that are the same for every sample, and images of an
    image folder that are one flat value (all black, all white: every pixel the same, per
    channel), counted in the sample of training images that resolve decodes.

    Why is this bad: a constant feature carries no information and only adds weights; a constant
    target means there is nothing to learn (the model predicts that value and the loss drops to
    0), which is almost always a loading or labelling mistake.

    Example:
        data:
          type: arrays
          x: [[0.1, 1.0], [0.2, 1.0], [0.3, 1.0], [0.4, 1.0]]
          y: [0.5, 0.7, 0.9, 1.1]
        model:
          layers: [{type: Dense, units: 1}]
        compile: {optimizer: adam, loss: mean_squared_error}

    Use instead:
        data:
          type: arrays
          x: [[0.1, 1.0], [0.2, 0.5], [0.3, 0.2], [0.4, 0.9]]
          y: [0.5, 0.7, 0.9, 1.1]
        model:
          layers: [{type: Dense, units: 1}]
        compile: {optimizer: adam, loss: mean_squared_error}
    """

    code = "KS314"
    name = "constant-values"
    severity = Severity.INFO

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        stats = ctx.facts.stats
        x = stats.get("x", {})
        feats = x.get("features")
        if feats and x["shape"][0] >= 2 and len(feats["std"]) >= 2:
            const = [i for i, (lo, hi) in enumerate(zip(feats["min"], feats["max"])) if lo == hi]
            if const:
                shown = ", ".join(str(i) for i in const[:5]) + (", ..." if len(const) > 5 else "")
                yield self.diag(
                    ctx, _origin(ctx, "x"),
                    f"{_plural(len(const), 'input feature')} of {len(feats['std'])} "
                    f"{'has' if len(const) == 1 else 'have'} one value in every training sample (column "
                    f"{shown})", hint="drop the constant columns; they add weights and carry no information",
                    received=const)
        yield from self._images(ctx, x.get("images"))
        y = stats.get("y", {})
        if y.get("min") is not None and y["shape"][0] >= 2 and y["min"] == y["max"]:
            yield self.diag(
                ctx, _origin(ctx, "y"),
                f"every one of the {fmt_count(y['shape'][0])} training {_labels_words(ctx)} is {y['min']:g}: "
                "there is nothing to learn", hint="check that the labels were loaded from the right file or column",
                severity=Severity.WARNING, received=y["min"])


    def _images(self, ctx: LintContext, images: dict | None) -> Iterator[Diagnostic]:
        if not images or not images.get("constant"):
            return
        n, flat, total = images["sampled"], images["constant"], images["total"]
        named = ", ".join(images["constant_files"]) + (", ..." if flat > len(images["constant_files"]) else "")
        of = f"of the {fmt_count(n)} training images" if n == total else \
            f"of {fmt_count(n)} training images sampled (of {fmt_count(total)})"
        if flat == n and n >= 2:
            yield self.diag(ctx, ("data", "directory"),
                            f"every one {of} is a single flat value ({named}): there is nothing to learn",
                            hint="check that the folder holds the real images (not blank exports or placeholders)",
                            severity=Severity.WARNING, received=flat, expected=0)
            return
        yield self.diag(ctx, ("data", "directory"),
                        f"{fmt_count(flat)} {of} {'is' if flat == 1 else 'are'} one flat value, every pixel the "
                        f"same ({named})", hint="remove blank or placeholder images; they carry no information "
                        "about their class", received=flat, expected=0)


TARGET_SCALE = 10.0


class UnscaledTargets(Rule):
    """What it does: reports regression targets (a regression loss on continuous values) whose
    magnitude exceeds 10 and that are not standardised (mean 0, standard deviation 1).

    Why is this bad: with targets in the thousands the first gradients are huge; the loss starts
    enormous, training diverges or needs a tiny learning rate, and mean squared error is
    dominated by the largest targets. Scaling the targets (and un-scaling predictions) trains
    faster and more stably.

    Example:
        data:
          type: arrays
          x: [[0.1], [0.2], [0.3], [0.4]]
          y: [120000.0, 180000.0, 250000.0, 310000.0]
        model:
          layers: [{type: Dense, units: 1}]
        compile: {optimizer: adam, loss: mean_squared_error}

    Use instead:
        data:
          type: arrays
          x: [[0.1], [0.2], [0.3], [0.4]]
          y: [1.2, 1.8, 2.5, 3.1]
        model:
          layers: [{type: Dense, units: 1}]
        compile: {optimizer: adam, loss: mean_squared_error}
    """

    code = "KS315"
    name = "unscaled-targets"
    severity = Severity.INFO

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        y = ctx.facts.stats.get("y", {})
        if ctx.view.family != "regression" or ctx.facts.classification or y.get("min") is None:
            return
        top = max(abs(y["min"]), abs(y["max"]))
        mean, std = y.get("mean") or 0.0, y.get("std") or 0.0
        standardised = abs(mean) < 0.5 and 0.5 < std < 2.0
        if top <= TARGET_SCALE or standardised:
            return
        yield self.diag(
            ctx, _origin(ctx, "y"),
            f"regression targets range {y['min']:g}..{y['max']:g} (mean {mean:.4g}, standard deviation {std:.4g}); "
            f"expected within -{TARGET_SCALE:g}..{TARGET_SCALE:g} or standardised",
            hint="store (y - mean) / std and multiply predictions back, or divide the targets by a round scale",
            received=[y["min"], y["max"]], expected=[-TARGET_SCALE, TARGET_SCALE])


class LabelValues(Rule):
    """What it does: checks the label values against what the loss reads: class ids that are not
    whole numbers (often labels divided by 255 along with the pixels), negative ids, ids not
    below the number of declared classes, one-hot rows that do not sum to 1, and an image folder
    read with ``class_mode: binary`` that does not hold exactly two class folders.

    Why is this bad: Keras casts sparse labels to integers, so 0.5 silently becomes 0; an id
    outside 0..K-1 fails on the CPU and gives NaN on a GPU; soft or broken one-hot rows make the
    cross-entropy measure the wrong thing. Keras refuses ``binary`` labels for more than two
    classes.

    Example:
        data:
          type: arrays
          x: [[0.1], [0.2], [0.3], [0.4]]
          y: [0.0, 0.5, 1.0, 0.5]
        model:
          layers: [{type: Dense, units: 3, activation: softmax}]
        compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: arrays
          x: [[0.1], [0.2], [0.3], [0.4]]
          y: [0, 1, 2, 1]
        model:
          layers: [{type: Dense, units: 3, activation: softmax}]
        compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
    """

    code = "KS316"
    name = "label-values"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        facts, view = ctx.facts, ctx.view
        data = ctx.data
        if data.type == "image_folder" and getattr(data, "class_mode", None) == "binary" \
                and facts.num_classes is not None and facts.num_classes != 2:
            yield self.diag(
                ctx, ("data", "class_mode") if explicit(ctx, ("data", "class_mode")) else ("data",),
                f"class_mode: binary needs exactly 2 class folders but {data.directory} has "
                f"{_plural(facts.num_classes, 'class folder')}",
                hint="use class_mode: sparse (or categorical) with one softmax unit per class" if facts.num_classes > 2
                else "add the second class folder", received=facts.num_classes, expected=2,
                related=[ctx.related(f"{_plural(facts.num_classes, 'class')}: {', '.join(facts.class_names or [])}",
                                     ("data", "directory"))] if explicit(ctx, ("data", "directory")) else [])
        y = facts.stats.get("y", {})
        if y.get("min") is None or view.family not in ("sparse", "categorical", "binary"):
            return
        where = _origin(ctx, "y")
        if view.family == "sparse" and len(y["shape"]) <= 2 and math.prod(y["shape"][1:] or [1]) == 1:
            if not y["integral"]:
                example = next((v for v, _ in y.get("distinct", []) if v != int(v)), None)
                pixel = y["max"] <= 1.0 and all(abs(v * 255 - round(v * 255)) < 1e-4 for v, _ in y.get("distinct", []))
                yield self.diag(
                    ctx, where,
                    "sparse_categorical_crossentropy needs whole-number class ids but the labels hold fractions"
                    + (f" such as {example:g}" if example is not None else "")
                    + ("; they look divided by 255 like the pixels" if pixel and y["max"] > 0 else ""),
                    hint="divide the inputs only (rescale applies to inputs, never to labels)" if pixel
                    else "store class ids 0..K-1 (or use a regression loss for continuous targets)",
                    severity=Severity.WARNING, received="fractions", expected="integers 0..K-1")
                return
            if y["min"] < 0:
                yield self.diag(ctx, where, f"class ids must be 0..K-1 but the labels go down to {y['min']:g}",
                                hint="map the labels to 0..K-1 (for -1/1 labels: (y + 1) / 2)",
                                received=y["min"], expected=0)
            declared = len(data.class_names) if data.class_names else None
            width = view.head.width if view.head.plain else None
            if not declared and width and width > 1 and y["max"] >= width:
                yield self.diag(ctx, where, f"class ids must be 0..{width - 1} for the {width} output units but the "
                                f"labels go up to {y['max']:g}",
                                hint=(f"number the classes from 0 (subtract {y['min']:g} from every label)" if y["min"] >= 1
                                      else f"use {int(y['max']) + 1} output units, one per class"),
                                related=[ctx.related(f"{width} output units", ctx.layer_path(view.head.producer, "units"))],
                                received=y["max"], expected=width - 1)
            if declared and y["max"] >= declared:
                yield self.diag(ctx, where, f"class ids must be 0..{declared - 1} for the {declared} class_names "
                                f"but the labels go up to {y['max']:g}",
                                hint="list every class in class_names, or map the labels to 0..K-1",
                                related=[ctx.related(f"{declared} class_names", ("data", "class_names"))],
                                received=y["max"], expected=declared - 1)
        if view.family == "categorical" and y.get("rows_sum_to_one") is False and facts.label_kind != "multi_hot":
            yield self.diag(ctx, where,
                            f"categorical_crossentropy reads one probability row per sample but the label rows do "
                            f"not sum to 1 (values {y['min']:g}..{y['max']:g})",
                            hint="store one-hot rows (exactly one 1 per row), or class ids with "
                                 "sparse_categorical_crossentropy", severity=Severity.WARNING,
                            received="rows not summing to 1", expected="one-hot rows")
        if view.family == "binary" and (y["min"] < 0 or y["max"] > 1) and facts.label_kind not in ("integer",):
            yield self.diag(ctx, where, f"binary_crossentropy needs targets in 0..1 but they range "
                            f"{y['min']:g}..{y['max']:g} (the loss goes negative)",
                            hint="map the labels to 0/1", received=[y["min"], y["max"]], expected=[0, 1])


OVERLAP_SHARE = 0.1


class SplitOverlap(Rule):
    """What it does: counts validation or test samples whose input is byte-for-byte the same as
    a training sample (from a hash of every row), and reports when they are at least a tenth of
    that split.

    Why is this bad: the model is scored on samples it was trained on, so validation accuracy
    overstates how it does on new data, and early stopping or checkpoints pick the wrong epoch.
    It usually means the same array was passed as both splits.

    Example:
        data:
          type: arrays
          x: [[0.1], [0.2], [0.3], [0.4]]
          y: [0, 1, 0, 1]
          x_test: [[0.1], [0.2]]
          y_test: [0, 1]
          validation: test
        model:
          layers: [{type: Dense, units: 1, activation: sigmoid}]
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: arrays
          x: [[0.1], [0.2], [0.3], [0.4]]
          y: [0, 1, 0, 1]
          x_test: [[0.15], [0.25]]
          y_test: [0, 1]
          validation: test
        model:
          layers: [{type: Dense, units: 1, activation: sigmoid}]
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
    """

    code = "KS317"
    name = "split-overlap"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        stats = ctx.facts.stats
        overlap = stats.get("overlap", {})
        test = stats.get("x_test")
        if overlap.get("test") and test:
            n = test["shape"][0]
            if overlap["test"] >= OVERLAP_SHARE * n:
                split = "validation" if ctx.data.validation == "test" else "test"
                yield self.diag(
                    ctx, _origin(ctx, "x_test"),
                    f"{fmt_count(overlap['test'])} of the {fmt_count(n)} {split} samples are also in the training data",
                    hint=f"keep the {split} samples out of the training arrays",
                    related=[ctx.related("training inputs", _origin(ctx, "x"))],
                    received=overlap["test"], expected=0)
        n_val = ctx.facts.n_validation
        if overlap.get("validation") and n_val and overlap["validation"] >= OVERLAP_SHARE * n_val:
            yield self.diag(
                ctx, ("data", "validation"),
                f"{fmt_count(overlap['validation'])} of the {fmt_count(n_val)} validation samples (the last "
                f"{ctx.data.validation:g} of the training data) repeat earlier training samples",
                hint="remove duplicate rows before saving, or shuffle and split the data yourself",
                received=overlap["validation"], expected=0)
