"""KS3xx: the data, as far as it can be known without loading it (:class:`kspec.resolve.DataFacts`)."""

from __future__ import annotations

import math
from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..base import LintContext, Rule
from ..shapes import infer
from .common import explicit, fmt_count, is_weighted

_SCALING_LAYERS = ("Rescaling", "BatchNormalization", "Normalization", "LayerNormalization", "UnitNormalization")
_ENCODING_LAYERS = ("Discretization", "Hashing", "IntegerLookup", "CategoryEncoding")
"""Layers that turn values into ids or their encoding: what comes out of them is not the raw scale."""


def _first_weighted(layers) -> int:
    return next((i for i, layer in enumerate(layers) if is_weighted(layer)), len(layers))


def _layer_scales(ctx: LintContext) -> list[tuple[int, float]]:
    """(index, scale) of the Rescaling layers before the first weighted layer."""
    stop = _first_weighted(ctx.layers)
    return [(i, layer.scale) for i, layer in enumerate(ctx.layers[:stop]) if layer.type == "Rescaling"]


def _data_path(ctx: LintContext) -> tuple:
    for key in ("name", "directory", "path", "x", "train_images"):
        if explicit(ctx, ("data", key)):
            return ("data", key)
    return ("data",)


def _pixels(ctx: LintContext, raw: tuple[float, float] | None) -> bool:
    """Raw values look like 8-bit pixels."""
    f = ctx.facts
    if raw is None or raw[1] <= 1.0:
        return False
    if f.dtype == "uint8":
        return True
    return f.sample_shape is not None and len(f.sample_shape) >= 2 and raw[0] >= 0 and raw[1] <= 255


class UnscaledInput(Rule):
    """What it does: finds 8-bit pixel data (values 0..255), or tabular features (one vector per
    sample) above 10 in magnitude that are not standardised, fed to the model with no
    ``rescale`` in the data section and no Rescaling, Normalization or BatchNormalization layer
    (nor a Discretization, Hashing, IntegerLookup or CategoryEncoding that turns the values into
    categories) before the first weighted layer.

    Why is this bad: inputs in the hundreds make the first layer's activations and gradients
    huge; training diverges or crawls, and the course's "normalise your data" step is skipped.

    Example:
        data: {type: keras, name: fashion_mnist}

    Use instead:
        data: {type: keras, name: fashion_mnist, rescale: 1/255}
    """

    code = "KS301"
    name = "unscaled-input"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        f = ctx.facts
        if ctx.data.rescale is not None:
            return
        stop = _first_weighted(ctx.layers)
        if any(layer.type in _SCALING_LAYERS + _ENCODING_LAYERS for layer in ctx.layers[:stop]):
            return
        if any(layer.type == "Application" and _backbone_scale(layer) for layer in ctx.layers[:stop]):
            return  # a pretrained backbone takes pixels and scales them itself (KS318 checks the range)
        if not _pixels(ctx, f.raw_range):
            yield from self._features(ctx)
            return
        lo, hi = f.raw_range
        yield self.diag(
            ctx, _data_path(ctx),
            f"inputs are {f.dtype or 'pixel'} values {lo:g}..{hi:g} and nothing scales them before the first "
            "weighted layer",
            hint="add `rescale: 1/255` to the data section (or a Rescaling layer with scale: 0.00392156862745098)",
            received=[lo, hi], expected=[0, 1],
        )


    def _features(self, ctx: LintContext) -> Iterator[Diagnostic]:
        """Tabular inputs (one vector per sample): a feature above 10 in magnitude, unless every
        feature is already standardised (mean near 0, standard deviation near 1)."""
        feats = ctx.facts.stats.get("x", {}).get("features")
        if not feats:
            return
        tops = [max(abs(lo), abs(hi)) if lo <= hi else 0.0 for lo, hi in zip(feats["min"], feats["max"])]
        worst = max(range(len(tops)), key=tops.__getitem__)
        standard = all(abs(m) < 0.5 and (s == 0 or 0.5 < s < 2.0) for m, s in zip(feats["mean"], feats["std"]))
        if tops[worst] <= FEATURE_SCALE or standard:
            return
        big = sum(t > FEATURE_SCALE for t in tops)
        yield self.diag(
            ctx, _data_path(ctx),
            (f"the input feature exceeds " if len(tops) == 1 else
             f"{big} of the {len(tops)} input features exceed{'s' if big == 1 else ''} ") +
            f"{FEATURE_SCALE:g} in magnitude (column {worst}: {feats['min'][worst]:g}..{feats['max'][worst]:g}) and "
            f"nothing scales {'it' if len(tops) == 1 else 'them'} before the first weighted layer; expected features "
            "within -10..10 or standardised",
            hint="standardise each column ((x - mean) / std over the training rows) before saving the arrays",
            received=[feats["min"][worst], feats["max"][worst]], expected=[-FEATURE_SCALE, FEATURE_SCALE])


FEATURE_SCALE = 10.0


class InconsistentScaling(Rule):
    """What it does: compares the value range of the training inputs with that of the
    validation or test inputs, and reports when one is 0..255 pixels and the other is
    already scaled to 0..1.

    Why is this bad: one ``rescale`` applies to both splits, so one of them reaches the model at
    the wrong scale: validation accuracy is meaningless and predictions on the test data are
    wrong.

    Example:
        data:
          type: arrays
          x: [[0, 255], [255, 0], [0, 0], [255, 255]]
          y: [0, 1, 0, 1]
          x_test: [[0.0, 1.0], [1.0, 0.0]]
          y_test: [0, 1]
          rescale: 1/255
          validation: test
        model:
          layers: [{type: Dense, units: 1, activation: sigmoid}]
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: arrays
          x: [[0, 255], [255, 0], [0, 0], [255, 255]]
          y: [0, 1, 0, 1]
          x_test: [[0, 200], [255, 10]]
          y_test: [0, 1]
          rescale: 1/255
          validation: test
        model:
          layers: [{type: Dense, units: 1, activation: sigmoid}]
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
    """

    code = "KS302"
    name = "inconsistent-scaling"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        f = ctx.facts
        train, test = f.raw_range, f.test_raw_range
        if train is None or test is None:
            return
        big, small = (train, test) if train[1] > test[1] else (test, train)
        if not (big[1] > 2.0 and small[1] <= 1.0 and small[0] >= -1.0):
            return
        split = "validation" if ctx.data.validation == "test" else "test"
        yield self.diag(
            ctx, _test_path(ctx),
            f"training inputs range {train[0]:g}..{train[1]:g} but the {split} inputs range {test[0]:g}..{test[1]:g}: "
            "one split is scaled and the other is not",
            hint="store both splits at the same scale (both 0..255, with rescale: 1/255), since rescale applies to both",
            related=[ctx.related(f"training inputs range {train[0]:g}..{train[1]:g}", _data_path(ctx))],
            received=list(test), expected=list(train),
        )


def _test_path(ctx: LintContext) -> tuple:
    for key in ("x_test", "test_images", "x_test_key", "path"):
        if explicit(ctx, ("data", key)):
            return ("data", key)
    return ("data",)


IMBALANCE_RATIO = 3.0


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {fmt_count(v)}" for k, v in counts.items())


class ClassImbalance(Rule):
    """What it does: reports training classes whose sizes differ by more than a factor of 3,
    with the count of every class.

    Why is this bad: the model learns to favour the large classes; accuracy looks good while
    the small classes are mostly wrong. Balance the folders, weight the classes, or watch
    per-class metrics.

    Example:
        data:
          type: arrays
          x: [[0.1], [0.2], [0.3], [0.4], [0.5], [0.6], [0.7], [0.8], [0.9], [1.0]]
          y: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
          class_names: [cat, dog]
        model:
          layers: [{type: Dense, units: 1, activation: sigmoid}]
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: arrays
          x: [[0.1], [0.2], [0.3], [0.4], [0.5], [0.6], [0.7], [0.8], [0.9], [1.0]]
          y: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
          class_names: [cat, dog]
        model:
          layers: [{type: Dense, units: 1, activation: sigmoid}]
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
    """

    code = "KS303"
    name = "class-imbalance"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        counts = ctx.facts.class_counts
        if not counts or len(counts) < 2:
            return
        nonzero = [v for v in counts.values() if v > 0]
        if len(nonzero) < 2:
            return
        lo, hi = min(nonzero), max(nonzero)
        if hi < IMBALANCE_RATIO * lo:
            return
        yield self.diag(
            ctx, _data_path(ctx),
            f"training classes are imbalanced ({hi / lo:.1f}x between the largest and the smallest): {_counts(counts)}",
            hint="collect more samples of the small classes, or drop samples of the large ones; "
                 "watch per-class accuracy rather than overall accuracy",
            counts=counts,
        )


class ValidationClassesMismatch(Rule):
    """What it does: compares the class subfolders of the validation folder with those of the
    training folder.

    Why is this bad: labels follow the sorted folder names, separately for each folder. A
    missing, extra or misspelt class shifts every label after it, so validation accuracy
    compares predictions with the wrong classes.

    Example:
        data:
          type: image_folder
          directory: images/train
          validation_directory: images/validation_typo
          target_size: [16, 16]
          color_mode: grayscale
          class_mode: binary
          rescale: 1/255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: image_folder
          directory: images/train
          validation_directory: images/validation
          target_size: [16, 16]
          color_mode: grayscale
          class_mode: binary
          rescale: 1/255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
    """

    code = "KS304"
    name = "validation-classes-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        if not ctx.data.type == "image_folder" or not ctx.data.validation_directory:
            return
        train = ctx.facts.class_names
        val = ctx.facts.extra.get("validation_class_names")
        if not train or val is None or list(train) == list(val):
            return
        missing = [c for c in train if c not in val]
        extra = [c for c in val if c not in train]
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            parts.append("extra " + ", ".join(extra))
        yield self.diag(
            ctx, ("data", "validation_directory"),
            f"validation classes differ from training classes ({'; '.join(parts) or 'different order'}): "
            f"training has {', '.join(train)}; validation has {', '.join(val) or 'none'}",
            hint="give the validation folder exactly the training folder's class subfolders, spelt the same",
            related=[ctx.related(f"training classes: {', '.join(train)}", ("data", "directory"))],
            missing=missing, extra=extra,
        )


class EmptyClass(Rule):
    """What it does: finds class subfolders with no images in them (training or validation).

    Why is this bad: an empty folder still counts as a class: the model gets an output unit for
    a class it never sees, and the label of every later class is one higher than the folder
    count suggests.

    Example:
        data:
          type: image_folder
          directory: images/train_with_empty
          target_size: [16, 16]
          color_mode: grayscale
          class_mode: sparse
          rescale: 1/255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 3, activation: softmax}
        compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: image_folder
          directory: images/train
          target_size: [16, 16]
          color_mode: grayscale
          class_mode: sparse
          rescale: 1/255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 2, activation: softmax}
        compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
    """

    code = "KS305"
    name = "empty-class"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        extra = ctx.facts.extra
        present = set(extra.get("validation_class_names") or ())
        for listing, key, what in ((extra.get("listing"), "directory", "training"),
                                   (extra.get("validation_listing"), "validation_directory", "validation")):
            if listing is None:
                continue
            empty = [c for c, n in listing.counts.items() if n == 0 and (what == "training" or c in present)]
            if empty:
                yield self.diag(
                    ctx, ("data", key),
                    f"{what} class folder{'s' if len(empty) > 1 else ''} {', '.join(empty)} "
                    f"contain{'' if len(empty) > 1 else 's'} no images (of the formats read)",
                    hint="add images, or remove the empty folder (it still counts as a class)",
                    empty=empty,
                )


LITTLE_DATA_RATIO = 1000


class LittleData(Rule):
    """What it does: reports a model with more than a thousand trainable parameters per
    training sample.

    Why is this bad: the model can memorise the training set; training accuracy climbs while
    validation accuracy stalls. Augmentation, a smaller model or more data help.

    Example:
        data:
          type: arrays
          x: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]]
          y: [0.1, 0.2, 0.3, 0.4]
        model:
          layers:
            - {type: Dense, units: 4096, activation: relu}
            - {type: Dense, units: 1}
        compile: {optimizer: adam, loss: mean_squared_error}

    Use instead:
        data:
          type: arrays
          x: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]]
          y: [0.1, 0.2, 0.3, 0.4]
        model:
          layers:
            - {type: Dense, units: 4, activation: relu}
            - {type: Dense, units: 1}
        compile: {optimizer: adam, loss: mean_squared_error}
    """

    code = "KS306"
    name = "little-data"
    severity = Severity.INFO

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        n = ctx.facts.n_train
        params = ctx.plan.trainable
        if not n or not ctx.plan.complete or params < LITTLE_DATA_RATIO * n:
            return
        yield self.diag(
            ctx, ("model", "layers"), key=True,
            message=f"the model has {fmt_count(params)} trainable parameters for {fmt_count(n)} training samples "
                    f"({fmt_count(params // n)} per sample): expect it to memorise the training data",
            hint="use augmentation, dropout or a smaller model, or collect more data; watch validation accuracy",
            params=params, samples=n,
        )


def flops(plan) -> int:
    """Multiply-adds x 2 of one forward pass for one sample (weighted layers only)."""
    total = 0
    for p in plan.layers:
        layer = p.layer
        if p.type == "Dense":
            total += 2 * math.prod(d or 0 for d in p.input_shape) * layer.units
        elif p.type in ("Conv2D", "Conv1D"):
            k = layer.kernel_size
            window = k * k if p.type == "Conv2D" and isinstance(k, int) else k if isinstance(k, int) else math.prod(k)
            total += 2 * math.prod(d or 0 for d in p.output_shape) * window * (p.input_shape[-1] or 0)
    return total


def _gflops(n: int) -> str:
    for scale, unit in ((1e9, "GFLOPs"), (1e6, "MFLOPs"), (1e3, "kFLOPs")):
        if n >= scale / 10:
            return f"{n / scale:.2f} {unit}"
    return f"{n} FLOPs"


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**19 else f"{n / 1024:.1f} KB"


COSTLY_SIDE = 200
"""target_size sides from which KS307 shows what half the size would save."""


class ImageSizeCost(Rule):
    """What it does: tells what an image folder's ``target_size`` costs: compute and activation
    memory per image, and how much less a smaller size needs (the course's "compacting images"
    lesson: 150x150 needs about a quarter of 300x300). It speaks up when the target size is at
    least 200 pixels on a side, or larger than the stored images (upscaling adds cost and no
    information).

    Why is this bad: compute and activation memory grow with the square of the side; an
    image size larger than the task needs makes every epoch several times slower and limits the
    batch size, often with no gain in accuracy.

    Example:
        data:
          type: image_folder
          directory: images/train
          target_size: [64, 64]
          color_mode: grayscale
          class_mode: binary
          rescale: 1/255
        model:
          layers:
            - {type: Conv2D, filters: 8, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D, pool_size: 2}
            - {type: Flatten}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: image_folder
          directory: images/train
          target_size: [16, 16]
          color_mode: grayscale
          class_mode: binary
          rescale: 1/255
        model:
          layers:
            - {type: Conv2D, filters: 8, kernel_size: 3, activation: relu}
            - {type: MaxPooling2D, pool_size: 2}
            - {type: Flatten}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
    """

    code = "KS307"
    name = "image-size-cost"
    severity = Severity.INFO

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        data = ctx.data
        plan = ctx.plan
        if data.type != "image_folder" or not plan.complete or ctx.model.input_shape and \
                tuple(ctx.model.input_shape[:2]) != tuple(data.target_size):
            return
        h, w = data.target_size
        stored = stored_size(ctx)
        if stored and (stored[0] < h or stored[1] < w):
            alt = (min(h, stored[0]), min(w, stored[1]))
            why = f"the stored images are {stored[0]}x{stored[1]}, so {h}x{w} upsamples them: no new detail, "
        elif min(h, w) >= COSTLY_SIDE:
            alt = (h // 2, w // 2)
            why = ""
        else:
            return
        small = infer(ctx.layers, alt + tuple(plan.input_shape[2:]))
        if not small.complete:
            return
        big_f, small_f = flops(plan), flops(small)
        big_m, small_m = plan.activation_bytes, small.activation_bytes
        if not small_f or not small_m:
            return
        yield self.diag(
            ctx, ("data", "target_size"),
            f"target_size [{h}, {w}] costs {_gflops(big_f)} and {_mb(big_m)} of activations per image; {why}"
            f"at [{alt[0]}, {alt[1]}] the model needs {big_f / small_f:.1f}x less compute "
            f"({_gflops(small_f)}) and {big_m / small_m:.1f}x less memory ({_mb(small_m)})",
            hint=f"try target_size: [{alt[0]}, {alt[1]}] (and input_shape to match) and compare validation accuracy",
            flops=big_f, flops_smaller=small_f, activation_bytes=big_m, activation_bytes_smaller=small_m,
        )


def stored_size(ctx: LintContext) -> tuple[int, int] | None:
    """(height, width) of most stored images of an image folder, when the folder was scanned."""
    scan = ctx.facts.extra.get("image_scan")
    if scan is None or not scan.sizes:
        return None
    (w, h), _ = scan.sizes.most_common(1)[0]
    return h, w


class DataNotInspected(Rule):
    """What it does: says when the data section could not be inspected (a missing file or
    folder, an unreadable array), so that rules which compare the model with the data were
    skipped for this spec.

    Why is this bad: it is not a mistake in itself (CI machines often lack the data), but a
    clean lint result then says less than usual; a wrong path is found only when training
    starts.

    Example:
        data: {type: npz, path: no/such/file.npz}

    Use instead:
        data: {type: keras, name: fashion_mnist, rescale: 1/255}
    """

    code = "KS308"
    name = "data-not-inspected"
    severity = Severity.INFO

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        reason = ctx.facts.unavailable
        if reason:
            yield self.diag(ctx, _data_path(ctx), f"the data could not be inspected: {reason}; rules that "
                            "compare the model with the data were skipped",
                            hint="check the path (relative to the spec), or ignore KS308 where the data is absent on purpose")


class InputScaledTwice(Rule):
    """What it does: finds inputs scaled twice (``rescale`` in the data section and a Rescaling
    layer in the model), or scaled by ``1/255`` when they are already in 0..1.

    Why is this bad: the inputs reach the model in 0..0.004 instead of 0..1; the first layer
    sees almost nothing and training is slow or stalls.

    Example:
        model:
          layers:
            - {type: Rescaling, scale: 0.00392156862745098}
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS309"
    name = "input-scaled-twice"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        rescale = ctx.data.rescale
        shrinking = [(i, s) for i, s in _layer_scales(ctx) if 0 < abs(s) < 0.1]
        if rescale is not None and rescale < 0.1 and shrinking:
            i, s = shrinking[0]
            yield self.diag(
                ctx, ctx.layer_path(i, "scale"),
                f"the data section already rescales by {rescale:.6g}, and layer {i} (Rescaling) scales by {s:.6g} "
                f"again: inputs reach the model {1 / s:,.0f}x smaller than intended",
                hint="keep one of the two: remove this layer or `rescale` from the data section",
                related=[ctx.related(f"rescale: {rescale:.6g}", ("data", "rescale"))],
            )
            return
        raw = ctx.facts.raw_range
        if raw is None or raw[1] <= 0 or raw[1] > 1.0:
            return
        scale = (rescale or 1.0) * math.prod(s for _, s in _layer_scales(ctx))
        if scale < 0.1:
            where = ("data", "rescale") if rescale is not None and rescale < 0.1 else ctx.layer_path(shrinking[0][0], "scale")
            yield self.diag(
                ctx, where,
                f"the inputs are already in {raw[0]:g}..{raw[1]:g}, and scaling by {scale:.6g} brings them to "
                f"{raw[0] * scale:.3g}..{raw[1] * scale:.3g}",
                hint="remove the scaling: the stored data is already scaled",
            )


class MissingSplit(Rule):
    """What it does: finds a reference to a test split the data does not have:
    ``validation: test``, ``evaluate: {data: test}`` or ``predict: {from_data: test}`` with data
    that has no test samples, or ``validation`` data asked for when there is none.

    Why is this bad: the run fails after training has started (or at its end), losing the
    trained model's evaluation.

    Example:
        data:
          type: arrays
          x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
          y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
          validation: test
        model:
          layers: [{type: Dense, units: 1}]
        compile: {optimizer: sgd, loss: mean_squared_error}

    Use instead:
        data:
          type: arrays
          x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
          y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
          x_test: [5.0, 6.0]
          y_test: [9.0, 11.0]
          validation: test
        model:
          layers: [{type: Dense, units: 1}]
        compile: {optimizer: sgd, loss: mean_squared_error}
    """

    code = "KS310"
    name = "missing-split"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        f = ctx.facts
        if f.unavailable:
            return
        has_test = bool(f.n_test)
        spec = ctx.resolved.spec
        uses = []
        if ctx.data.validation == "test":
            uses.append((("data", "validation"), "validation: test"))
        if ctx.doc.get(("evaluate", "data")) == "test":
            uses.append((("evaluate", "data"), "evaluate.data: test"))
        if spec.predict is not None and spec.predict.from_data == "test":
            uses.append((("predict", "from_data"), "predict.from_data: test"))
        if not has_test:
            for path, what in uses:
                yield self.diag(ctx, path, f"{what}, but the data has no test samples",
                                hint=_test_hint(ctx))
        if not ctx.has_validation():
            for path, what in ((("evaluate", "data"), "evaluate.data"), (("predict", "from_data"), "predict.from_data")):
                if ctx.doc.get(path) == "validation":
                    yield self.diag(ctx, path, f"{what}: validation, but the data has no validation split",
                                    hint="set data.validation (a fraction such as 0.2, or test)")


def _test_hint(ctx: LintContext) -> str:
    t = ctx.data.type
    if t == "arrays":
        return "add x_test and y_test to the data section, or use a fraction: validation: 0.2"
    if t == "synthetic":
        return "set test_samples above 0, or use a fraction: validation: 0.2"
    if t == "image_folder":
        return "image folders have no test split: use validation_directory, or validation: 0.2"
    return "give the data a test split, or use a fraction: validation: 0.2"


class UnreadableImage(Rule):
    """What it does: names image files in an image folder that a decoder will reject: truncated
    or damaged files, and files with an image extension whose content is not an image. The
    folder's files are checked from their headers and structure, without decoding pixels.

    Why is this bad: with ``on_bad_file: error`` the run stops at the first such file, possibly
    many epochs in; with ``on_bad_file: skip`` the file is silently left out of training.

    Example:
        data:
          type: image_folder
          directory: images/train_with_bad_file
          target_size: [16, 16]
          color_mode: grayscale
          class_mode: binary
          rescale: 1/255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: image_folder
          directory: images/train
          target_size: [16, 16]
          color_mode: grayscale
          class_mode: binary
          rescale: 1/255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
    """

    code = "KS311"
    name = "unreadable-image"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        skip = getattr(ctx.data, "on_bad_file", "error") == "skip"
        for key, folder in (("image_scan", "directory"), ("validation_image_scan", "validation_directory")):
            scan = ctx.facts.extra.get(key)
            if scan is None or not scan.bad:
                continue
            shown = "; ".join(f"{b.path}: {b.problem}" for b in scan.bad[:3])
            more = f" and {len(scan.bad) - 3} more" if len(scan.bad) > 3 else ""
            checked = "" if scan.complete else f" (of {fmt_count(scan.checked)} checked out of {fmt_count(scan.total)})"
            yield self.diag(
                ctx, ("data", folder),
                f"{len(scan.bad)} file{'s' if len(scan.bad) > 1 else ''} cannot be decoded{checked}: {shown}{more}"
                + (" (on_bad_file: skip leaves them out)" if skip else ""),
                hint="delete or replace the files" + ("" if skip else ", or set on_bad_file: skip to leave them out"),
                severity=Severity.INFO if skip else None, files=[str(b.path) for b in scan.bad],
            )


_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


class ColorModeMismatch(Rule):
    """What it does: finds an image folder of grayscale images read with ``color_mode: rgb``
    (or ``rgba``).

    Why is this bad: every image is copied into three identical channels; the first layer does
    three times the work and holds three times the weights for no extra information.

    Example:
        data:
          type: image_folder
          directory: images/train
          target_size: [16, 16]
          color_mode: rgb
          class_mode: binary
          rescale: 1/255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: image_folder
          directory: images/train
          target_size: [16, 16]
          color_mode: grayscale
          class_mode: binary
          rescale: 1/255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
    """

    code = "KS312"
    name = "color-mode-mismatch"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        data = ctx.data
        scan = ctx.facts.extra.get("image_scan")
        if data.type != "image_folder" or data.color_mode == "grayscale" or scan is None or not scan.modes:
            return
        if any(layer.type == "Application" for layer in ctx.layers):
            return  # a pretrained backbone takes 3 channels: rgb is the way to feed it grayscale images
        if not set(scan.modes) <= _GRAY_MODES:
            return
        n = sum(scan.modes.values())
        yield self.diag(
            ctx, ("data", "color_mode") if explicit(ctx, ("data", "color_mode")) else ("data",),
            f"all {fmt_count(n)} images checked are grayscale, but color_mode: {data.color_mode} feeds "
            f"{3 if data.color_mode == 'rgb' else 4} channels per pixel",
            hint="set color_mode: grayscale (and the model's input_shape to [h, w, 1])",
            key=not explicit(ctx, ("data", "color_mode")),
        )


_IMAGE_SOURCES = ("keras", "synthetic", "image_folder", "idx", "tfds")


def _backbone_scale(layer) -> str | None:
    """The input range an Application layer takes: ``pixels`` (0..255), ``unit`` (-1..1) or None."""
    expects = layer.expected_input()
    if expects == "pixel values 0..255":
        return "pixels"
    if expects == "pixel values scaled to -1..1":
        return "unit"
    return None


def _normalized(layer, lo: float, hi: float) -> tuple[float, float] | None:
    """The range of ``lo..hi`` after a Normalization with a given mean and variance (the hull over its
    channels); None when the statistics are adapted."""
    if layer.mean is None or layer.variance is None:
        return None
    means = layer.mean if isinstance(layer.mean, list) else [layer.mean]
    variances = layer.variance if isinstance(layer.variance, list) else [layer.variance]
    if len(means) != len(variances) and 1 not in (len(means), len(variances)):
        return None
    n = max(len(means), len(variances))
    means, variances = means * (n if len(means) == 1 else 1), variances * (n if len(variances) == 1 else 1)
    ends = [(v - m) / max(math.sqrt(var), 1e-7) for m, var in zip(means, variances) for v in (lo, hi)]  # as Keras
    return min(ends), max(ends)


class BackboneInputRange(Rule):
    """What it does: compares the values that reach a pretrained backbone (an ``Application``
    layer) with what it takes: pixel values 0..255 when it applies its own ``preprocess_input``
    (the default, and always for EfficientNet, MobileNetV3, EfficientNetV2 and ConvNeXt), -1..1
    for a MobileNet, Inception, Xception, NASNet or ResNetV2 backbone with
    ``preprocess_input: false``. It finds ``rescale: 1/255`` (or a Rescaling or Normalization
    layer) in front of a backbone that scales its input itself, and unscaled pixels in front of
    one that does not. Resizing, cropping and augmentation layers keep the range.

    Why is this bad: the backbone's weights were trained on inputs in one exact range. Images in
    0..1 become -1..-0.99 after MobileNetV2's preprocessing: nearly black, so the pretrained
    features are useless and the classifier on top barely learns; 0..255 fed where -1..1 is
    expected saturates every activation.

    Example:
        data: {type: keras, name: cifar10, rescale: 1/255}
        model:
          layers:
            - {type: Application, name: MobileNetV2, alpha: 0.35, weights: null, include_top: false, pooling: avg, trainable: false}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        data: {type: keras, name: cifar10}
        model:
          layers:
            - {type: Application, name: MobileNetV2, alpha: 0.35, weights: null, include_top: false, pooling: avg, trainable: false}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS318"
    name = "backbone-input-range"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        at = next((i for i, layer in enumerate(ctx.layers) if layer.type == "Application"), None)
        if at is None or any(is_weighted(layer) for layer in ctx.layers[:at]):
            return
        app = ctx.layers[at]
        want = _backbone_scale(app)
        raw = ctx.facts.raw_range
        if raw is None and ctx.data.type in _IMAGE_SOURCES:
            raw = (0.0, 255.0)  # image pixels, before rescale
        if want is None or raw is None:
            return
        rescale = ctx.data.rescale
        lo, hi = raw[0] * (rescale or 1.0), raw[1] * (rescale or 1.0)
        last = None
        standardised = False
        for i, layer in enumerate(ctx.layers[:at]):
            if layer.type == "Rescaling":
                lo, hi = sorted((lo * layer.scale + layer.offset, hi * layer.scale + layer.offset))
                last = i
            elif layer.type == "Normalization" and not layer.invert:
                moved = _normalized(layer, lo, hi)
                if moved is None:  # adapted on the training split: mean 0, deviation 1 per feature
                    standardised, lo, hi = True, -1.0, 1.0
                else:
                    lo, hi = moved
                last = i
            elif layer.type.startswith("ZeroPadding"):
                lo, hi = min(lo, 0.0), max(hi, 0.0)
            elif ctx.view.layers[i].kind != "keeps":
                return  # the values change in a way kspec does not follow (an encoding, a convolution ...)
        where = (ctx.layer_path(last) if last is not None and ctx.layers[last].type == "Normalization"
                 else ctx.layer_path(last, "scale") if last is not None
                 else ("data", "rescale") if rescale is not None else ctx.layer_path(at))
        label = f"layer {at} (Application {app.name})"
        if standardised:
            if want == "pixels":
                yield self.diag(
                    ctx, where, f"{label} takes pixel values 0..255 and scales them itself, but layer {last} "
                    "(Normalization, adapted on the training split) brings the inputs to mean 0 and deviation 1",
                    received="standardised", expected=[0, 255],
                    hint="remove the Normalization in front of the backbone: its preprocess_input scales the pixels")
            return
        if want == "pixels" and max(abs(lo), abs(hi)) <= 1.5:
            yield self.diag(
                ctx, where,
                f"{label} takes pixel values 0..255 and scales them itself, but the inputs reach it as "
                f"{lo:.3g}..{hi:.3g}", received=[lo, hi], expected=[0, 255],
                hint="remove the rescaling in front of the backbone" + (" (`rescale` in the data section)"
                                                                        if last is None and rescale is not None else ""))
        elif want == "unit" and (hi > 2.0 or (lo >= 0 and hi <= 1.5)):
            yield self.diag(
                ctx, where if where != ctx.layer_path(at) else ctx.layer_path(at, "preprocess_input"),
                f"{label} takes -1..1 (preprocess_input: false), but the inputs reach it as {lo:.3g}..{hi:.3g}",
                received=[lo, hi], expected=[-1, 1],
                hint="set preprocess_input: true and feed pixel values 0..255 (no rescale), or scale to -1..1 "
                "(a Rescaling layer with scale: 0.00784313725490196 and offset: -1 on 0..255 pixels)")


_TOKEN_IDS = (("rescale", "the inputs are token ids, which must stay whole numbers below the vocabulary size"),
              ("reshape", "the inputs are the tokenizer's sequences; their length is the tokenizer's maxlen"))
_IGNORED_OPTIONS = {
    "text": _TOKEN_IDS,
    "keras_text": _TOKEN_IDS,
    "table": (("rescale", "numeric columns are standardised on the training rows and categorical ones one-hot encoded"),
              ("reshape", "each row becomes one vector of its encoded columns")),
    "image_folder": (("reshape", "the images are resized to `target_size`, with the channels of `color_mode`"),),
}
"""Data options that do not apply to a data type, and what that type does instead."""


class IgnoredDataOption(Rule):
    """What it does: finds a data option that the data type does not apply: ``rescale`` or
    ``reshape`` on text and table data, ``reshape`` on an image folder.

    Why is this bad: the option reads as if the inputs were scaled or reshaped, but they reach
    the model unchanged (text: token ids; tables: the encoded columns); the spec says something
    that training does not do, and a course habit such as ``rescale: 1/255`` copied onto text
    data hides the real preprocessing.

    Example:
        data:
          type: text
          path: sentiment.csv
          tokenizer: {num_words: 60, maxlen: 20}
          rescale: 1/255
        model:
          layers:
            - {type: Embedding, input_dim: 60, output_dim: 16}
            - {type: GlobalAveragePooling1D}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: text
          path: sentiment.csv
          tokenizer: {num_words: 60, maxlen: 20}
        model:
          layers:
            - {type: Embedding, input_dim: 60, output_dim: 16}
            - {type: GlobalAveragePooling1D}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
    """

    code = "KS319"
    name = "ignored-data-option"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        kind = ctx.data.type
        for key, instead in _IGNORED_OPTIONS.get(kind, ()):
            value = getattr(ctx.data, key, None)
            if value is None:
                continue
            yield self.diag(ctx, ("data", key), f"`{key}` does not apply to {kind} data and would be ignored: {instead}",
                            hint=f"remove `{key}` from the data section", received=value)
