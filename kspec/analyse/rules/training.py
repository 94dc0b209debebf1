"""KS4xx: optimizer, batches, steps, metrics and callbacks."""

from __future__ import annotations

import math
from typing import Iterator

from ...compiling import initial_learning_rate
from ...diagnostics import Diagnostic, Severity, did_you_mean
from ...spec import REGRESSION_LOSSES
from ..base import LintContext, Rule
from .common import BOUNDED_METRICS, NONNEGATIVE_LOSSES, explicit, fmt_count, logged_metrics, loss_path, loss_type

LR_BANDS: dict[str, tuple[float, float, str]] = {
    "sgd": (1e-5, 1.0, "Bengio, Practical recommendations for gradient-based training of deep architectures "
                       "(2012), sec. 3.1: below 1 and above 1e-6, default 0.01"),
    "adam": (1e-5, 0.1, "Kingma & Ba, Adam (ICLR 2015), default 0.001"),
    "adamw": (1e-5, 0.1, "Loshchilov & Hutter, Decoupled Weight Decay Regularization (ICLR 2019), as Adam"),
    "nadam": (1e-5, 0.1, "Dozat, Incorporating Nesterov Momentum into Adam (ICLR 2016 workshop), as Adam"),
    "rmsprop": (1e-5, 1e-2, "Hinton, Neural Networks for Machine Learning, lecture 6e (2012), default 0.001"),
    "adagrad": (1e-4, 0.5, "Duchi, Hazan & Singer, Adaptive Subgradient Methods (JMLR 2011); Keras default 0.001"),
}
"""(low, high, source) of the usual learning rate of each optimizer. For SGD and RMSprop with
momentum the band applies to the effective step ``learning_rate / (1 - momentum)`` (Goodfellow,
Bengio & Courville, Deep Learning, sec. 8.3.2: momentum multiplies the step by 1 / (1 - momentum))."""
LR_DEFAULT_BAND = (1e-5, 1e-1, "the range of the built-in optimizers")


def _optimizer_path(ctx: LintContext, field: str) -> tuple:
    if isinstance(ctx.doc.get(("compile", "optimizer")), dict):
        return ("compile", "optimizer", field)
    return ("compile", "optimizer")


class LearningRateRange(Rule):
    """What it does: compares the learning rate with the usual range of its optimizer: SGD
    1e-5..1 (Bengio 2012), Adam, AdamW and Nadam 1e-5..0.1 (Kingma & Ba 2015; UMLAUT and Theia
    already flag 0.01, but small tabular models train well at 0.05), RMSprop 1e-5..0.01 (Hinton's
    lecture 6e), Adagrad 1e-4..0.5 (Duchi et al. 2011). With
    ``momentum`` (SGD, RMSprop) the effective step ``learning_rate / (1 - momentum)`` is compared
    (Goodfellow et al., Deep Learning, sec. 8.3.2), so lr 0.1 with momentum 0.99 is a step of 10.
    A learning rate that is not positive is a schema error (KS014). A ``learning_rate_scheduler``
    callback replaces the optimizer's rate before the first step, so with one the rate is not
    checked (a sweep ranges over rates on purpose).

    Why is this bad: too large and the loss diverges to NaN in the first epoch; too small and
    nothing moves, so the run looks like a model that cannot learn.

    Example:
        compile:
          optimizer: {type: adam, learning_rate: 0.5}
          loss: sparse_categorical_crossentropy
          metrics: [accuracy]

    Use instead:
        compile:
          optimizer: {type: adam, learning_rate: 0.001}
          loss: sparse_categorical_crossentropy
          metrics: [accuracy]
    """

    code = "KS401"
    name = "learning-rate-range"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        if any(cb.type == "learning_rate_scheduler" for cb in ctx.train.callbacks):
            return
        opt = ctx.resolved.compile.optimizer
        lr = initial_learning_rate(opt.learning_rate)
        lo, hi, source = LR_BANDS.get(opt.type, LR_DEFAULT_BAND)
        momentum = getattr(opt, "momentum", 0.0) or 0.0
        step = lr / (1 - momentum) if 0 < momentum < 1 else lr
        if lo <= step <= hi:
            return
        what = "large" if step > hi else "small"
        received = (f"learning_rate {lr:g} with momentum {momentum:g} (an effective step of {step:g})"
                    if step != lr else f"learning_rate {lr:g}")
        default = type(opt).model_fields["learning_rate"].default
        yield self.diag(
            ctx, _optimizer_path(ctx, "learning_rate"),
            f"{received} is very {what} for {opt.type}: expected {lo:g}..{hi:g} (source: {source})",
            hint=(f"use learning_rate {default:g} (the {opt.type} default)" if lo <= default / (1 - momentum if 0 < momentum < 1 else 1) <= hi
                  else f"lower the momentum or the learning rate to bring the step under {hi:g}"),
            received=lr, expected=[lo, hi], momentum=momentum, source=source,
        )


STEPS_FLOOR = 100
"""Fewest optimisation steps (epochs x batches per epoch) of a run on real data. The catalogue
suggests 500; the course's horse-or-human model learns in 15 epochs of 8 steps (120)."""
STEPS_MIN_SAMPLES = 1000


class TooFewSteps(Rule):
    """What it does: multiplies the epochs by the batches per epoch (``steps_per_epoch``, or the
    training samples divided by the batch size) and warns when a run on a data set of at least
    1,000 samples takes fewer than 100 optimisation steps in all.

    Why is this bad: each step moves the weights once; with a large batch and one or two epochs
    the model stops long before it has learnt, and the result looks like a model that cannot
    learn (wrong epoch counts are among the most common real training faults).

    Example:
        train: {epochs: 1, batch_size: 1024}

    Use instead:
        train: {epochs: 5, batch_size: 128}
    """

    code = "KS408"
    name = "too-few-steps"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        n = ctx.facts.n_train
        if n is None or n < STEPS_MIN_SAMPLES:
            return
        batch = _batch_size(ctx)
        per_epoch = ctx.train.steps_per_epoch or math.ceil(n / batch)
        epochs = ctx.train.epochs
        total = epochs * per_epoch
        if total >= STEPS_FLOOR:
            return
        written = explicit(ctx, ("train", "epochs"))
        path = ("train", "epochs") if written else ("train",) if explicit(ctx, ("train",)) else ("data",)
        need = math.ceil(STEPS_FLOOR / per_epoch)
        yield self.diag(
            ctx, path,
            ("" if written else f"train.epochs is not set (default {epochs}): ")
            + f"{epochs} epoch{'s' if epochs != 1 else ''} x {per_epoch} step{'s' if per_epoch != 1 else ''} per epoch "
            f"= {total} optimisation step{'s' if total != 1 else ''} in all; expected at least {STEPS_FLOOR}",
            hint=f"{'train for' if written else 'set train.epochs to'} at least {need} epochs"
                 + (f", or use a smaller batch size than {batch}" if per_epoch < 10 else ""),
            related=_samples_related(ctx), received=total, expected=STEPS_FLOOR)


class AdamEpsilon(Rule):
    """What it does: reports an ``epsilon`` of Adam, AdamW, Nadam, RMSprop or Adagrad below 1e-8
    or above 1.

    Why is this bad: epsilon keeps the division by the running gradient scale finite. Below
    1e-8 (in float32) parameters whose gradients are near zero take huge steps and the loss
    spikes or turns NaN (TheDeepChecker's ``low_adam_epsilon`` fault); above 1 the adaptive
    scaling is switched off and the optimizer behaves like slow plain SGD.

    Example:
        compile:
          optimizer: {type: adam, epsilon: 1.0e-12}
          loss: sparse_categorical_crossentropy
          metrics: [accuracy]

    Use instead:
        compile:
          optimizer: {type: adam}
          loss: sparse_categorical_crossentropy
          metrics: [accuracy]
    """

    code = "KS409"
    name = "optimizer-epsilon"
    severity = Severity.INFO

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        opt = ctx.resolved.compile.optimizer
        eps = getattr(opt, "epsilon", None)
        if eps is None or 1e-8 <= eps <= 1.0:
            return
        yield self.diag(
            ctx, _optimizer_path(ctx, "epsilon"),
            f"{opt.type} epsilon {eps:g} is {'below 1e-8: near-zero gradients get huge steps' if eps < 1e-8 else 'above 1: the adaptive step size is switched off'}; "
            "expected 1e-8..1",
            hint="remove epsilon (the Keras default is 1e-07)", received=eps, expected=[1e-8, 1.0])


class GradientClipping(Rule):
    """What it does: reports gradient clipping so tight that every step is clipped: ``clipnorm``
    below 1e-3 or ``clipvalue`` below 1e-4.

    Why is this bad: a clipped gradient keeps its direction but not its size; with a bound this
    small each step moves the weights by about learning_rate x clipnorm, so training crawls
    whatever the learning rate says. Common values are a clipnorm of 1 or a clipvalue of 0.5.

    Example:
        compile:
          optimizer: {type: adam, clipnorm: 0.00001}
          loss: sparse_categorical_crossentropy
          metrics: [accuracy]

    Use instead:
        compile:
          optimizer: {type: adam, clipnorm: 1.0}
          loss: sparse_categorical_crossentropy
          metrics: [accuracy]
    """

    code = "KS410"
    name = "gradient-clipping"
    severity = Severity.INFO

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        opt = ctx.resolved.compile.optimizer
        for field, floor, usual in (("clipnorm", 1e-3, "1.0"), ("clipvalue", 1e-4, "0.5")):
            value = getattr(opt, field, None)
            if value is not None and value < floor:
                yield self.diag(
                    ctx, _optimizer_path(ctx, field),
                    f"{field} {value:g} clips every gradient to almost nothing; expected at least {floor:g}",
                    hint=f"use {field}: {usual}, or remove it", received=value, expected=floor)


def _batch_path(ctx: LintContext) -> tuple:
    if explicit(ctx, ("data", "batch_size")):
        return ("data", "batch_size")
    return ("train", "batch_size")


def _batch_size(ctx: LintContext) -> int:
    return getattr(ctx.data, "batch_size", None) or ctx.train.batch_size


class BatchSize(Rule):
    """What it does: warns about a batch size of 1, and about a batch size written in the spec
    that is larger than the training set.

    Why is this bad: one sample per step makes every epoch slow and the gradient noisy, and
    BatchNormalization cannot normalise a batch of one. A batch larger than the data set means
    one step per epoch, which is rarely what was meant (often a typo or a smaller data set than
    expected).

    Example:
        train: {epochs: 5, batch_size: 1}

    Use instead:
        train: {epochs: 5, batch_size: 32}
    """

    code = "KS402"
    name = "batch-size"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        path = _batch_path(ctx)
        if not explicit(ctx, path):
            return
        batch = _batch_size(ctx)
        n = ctx.facts.n_train
        if batch == 1:
            bn = any(layer.type == "BatchNormalization" for layer in ctx.layers)
            yield self.diag(ctx, path, "batch_size 1: every step sees one sample"
                            + (" and BatchNormalization cannot normalise a batch of one" if bn else ""),
                            hint="use a batch size such as 32")
        elif n is not None and batch > n:
            yield self.diag(ctx, path,
                            f"batch_size {batch} is larger than the {fmt_count(n)} training samples: each epoch is one step",
                            hint=f"use a batch size at most {n} (for example {min(32, n)})",
                            related=_samples_related(ctx), received=batch, expected=n)


def _samples_related(ctx: LintContext) -> list:
    origin = ctx.facts.origin.get("sample_shape") or ctx.facts.origin.get("num_classes")
    n = ctx.facts.n_train
    return [ctx.related(f"the training data has {fmt_count(n)} samples", origin)] if origin and n is not None else []


class StepsExceedData(Rule):
    """What it does: checks that ``steps_per_epoch`` x batch size does not exceed the training
    samples, and ``validation_steps`` x validation batch size the validation samples (the
    course's rule: steps = samples / batch size).

    Why is this bad: plain Keras runs out of data and alternates full and nearly empty epochs
    (with a warning in the log). kspec repeats the data instead, so no epoch runs short, but an
    "epoch" is then more than one pass over the data, and epoch counts and early-stopping
    patience mean something else than they seem to.

    Example:
        data:
          type: synthetic
          samples: 1000
          rescale: 1/255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}
        train: {epochs: 5, batch_size: 100, steps_per_epoch: 20}

    Use instead:
        data:
          type: synthetic
          samples: 1000
          rescale: 1/255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}
        train: {epochs: 10, batch_size: 100, steps_per_epoch: 10}
    """

    code = "KS403"
    name = "steps-exceed-data"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        t = ctx.train
        batch = _batch_size(ctx)
        vbatch = getattr(ctx.data, "validation_batch_size", None) or batch
        for steps, size, n, key, what in (
            (t.steps_per_epoch, batch, ctx.facts.n_train, "steps_per_epoch", "training"),
            (t.validation_steps, vbatch, ctx.facts.n_validation if ctx.has_validation() else None,
             "validation_steps", "validation"),
        ):
            if steps is None or not n or steps * size <= n:
                continue
            fit = max(1, math.ceil(n / size))
            yield self.diag(
                ctx, ("train", key),
                f"{key} {steps} x batch size {size} = {fmt_count(steps * size)} samples, but the {what} data has "
                f"{fmt_count(n)}: one epoch is {steps * size / n:.1f} passes over the data",
                hint=f"set {key}: {fit} (= ceil({n} / {size})) or leave it out (kspec then uses one pass)",
                received=steps, expected=fit,
            )


_ALIASES = {"acc": "accuracy", "accuracy": "acc", "mse": "mean_squared_error", "mean_squared_error": "mse",
            "mae": "mean_absolute_error", "mean_absolute_error": "mae"}


def _monitored(ctx: LintContext):
    """(index, callback, monitor) for each callback whose monitor Keras reads."""
    for i, cb in enumerate(ctx.train.callbacks):
        if cb.type == "model_checkpoint" and not cb.save_best_only:
            continue  # saves every epoch; monitor is not used
        monitor = getattr(cb, "monitor", None)
        if monitor is not None:
            yield i, cb, monitor


def _callback_path(ctx: LintContext, i: int, field: str) -> tuple:
    return ("train", "callbacks", i, field)


class UnknownMonitor(Rule):
    """What it does: checks that every callback monitors a value Keras will log: ``loss``,
    each compiled metric under the name it was compiled with (Keras 3 logs ``accuracy`` for
    ``metrics: [accuracy]``, not ``acc``), and their ``val_`` versions only when there is
    validation data.

    Why is this bad: Keras only warns once that the metric is missing, and the callback does
    nothing: early stopping never stops, a threshold is never reached, the "best" checkpoint is
    never saved.

    Example:
        train:
          epochs: 5
          callbacks:
            - {type: threshold_stop, monitor: acc, threshold: 0.9}

    Use instead:
        train:
          epochs: 5
          callbacks:
            - {type: threshold_stop, monitor: accuracy, threshold: 0.9}
    """

    code = "KS404"
    name = "unknown-monitor"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        logged = logged_metrics(ctx)
        validation = ctx.has_validation()
        available = logged + ([f"val_{m}" for m in logged] if validation else [])
        for i, cb, monitor in _monitored(ctx):
            if monitor in available or monitor == "learning_rate":
                continue  # learning_rate is logged by some callbacks: not known statically
            base = monitor[4:] if monitor.startswith("val_") else monitor
            path = _callback_path(ctx, i, "monitor")
            metrics_path = ("compile", "metrics") if explicit(ctx, ("compile", "metrics")) else ("compile",)
            related = [ctx.related(f"Keras will log: {', '.join(available)}", metrics_path)]
            if monitor.startswith("val_") and base in logged and not validation:
                yield self.diag(ctx, path, f"{cb.type} monitors {monitor!r} but there is no validation data, so Keras "
                                "never logs it", hint=f"set data.validation (e.g. 0.2 or test), or monitor {base!r}",
                                related=related, received=monitor, expected=available)
                continue
            alias = _ALIASES.get(base)
            if alias in logged:
                fixed = ("val_" if monitor.startswith("val_") else "") + alias
                yield self.diag(ctx, path, f"{cb.type} monitors {monitor!r} but Keras logs this metric as {fixed!r} "
                                f"(it keeps the name compiled in metrics)", hint=f"write monitor: {fixed}",
                                related=related, received=monitor, expected=available)
                continue
            guess = did_you_mean(monitor, available)
            if base in BOUNDED_METRICS or base in _ALIASES:
                msg = f"{cb.type} monitors {monitor!r} but {base!r} is not compiled"
                hint = f"add {base} to compile.metrics" + (f", or monitor {guess!r}" if guess else "")
            else:
                msg = f"{cb.type} monitors {monitor!r}, which Keras will not log"
                hint = f"write monitor: {guess}" if guess else f"monitor one of: {', '.join(available)}"
            yield self.diag(ctx, path, msg, hint=hint, related=related, received=monitor, expected=available)


def _threshold_mode(cb) -> str:
    """The direction of a threshold_stop, as the runner resolves ``auto``."""
    return cb.direction


class UnreachableThreshold(Rule):
    """What it does: checks that a ``threshold_stop`` bound can be reached: an accuracy-like
    metric (0..1) stopping above 1 or below 0, a non-negative loss or error stopping below 0.

    Why is this bad: the callback never fires and training always runs every epoch; a
    threshold such as ``95`` for 95% accuracy is the usual cause.

    Example:
        train:
          epochs: 5
          callbacks:
            - {type: threshold_stop, monitor: accuracy, threshold: 95}

    Use instead:
        train:
          epochs: 5
          callbacks:
            - {type: threshold_stop, monitor: accuracy, threshold: 0.95}
    """

    code = "KS405"
    name = "unreachable-threshold"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for i, cb in enumerate(ctx.train.callbacks):
            if cb.type != "threshold_stop":
                continue
            base = cb.monitor[4:] if cb.monitor.startswith("val_") else cb.monitor
            if base == "loss":
                lo, hi = (0.0, math.inf) if loss_type(ctx) in NONNEGATIVE_LOSSES else (-math.inf, math.inf)
            else:
                lo, hi = BOUNDED_METRICS.get(base, (-math.inf, math.inf))
            mode = _threshold_mode(cb)
            t = cb.threshold
            path = _callback_path(ctx, i, "threshold")
            if mode == "max" and t > hi:
                hint = f"write threshold: {t / 100:g}" if hi == 1.0 and 1 < t <= 100 else f"use a threshold at most {hi:g}"
                yield self.diag(ctx, path, f"{cb.monitor} never exceeds {hi:g}, so threshold {t:g} is never reached",
                                hint=hint, received=t, expected=[lo, hi])
            elif mode == "min" and t < lo:
                yield self.diag(ctx, path, f"{cb.monitor} is never below {lo:g}, so threshold {t:g} is never reached",
                                hint=f"use a threshold above {lo:g}, e.g. 0.1 for a loss", received=t, expected=[lo, hi])


class PatienceNotBelowEpochs(Rule):
    """What it does: finds early stopping (or learning-rate reduction) whose ``patience`` (plus
    ``start_from_epoch``) is not below the number of epochs.

    Why is this bad: the callback can never act: training always runs all epochs, and
    ``restore_best_weights`` restores nothing, which is easy to miss.

    Example:
        train:
          epochs: 5
          callbacks:
            - {type: early_stopping, monitor: loss, patience: 5}

    Use instead:
        train:
          epochs: 20
          callbacks:
            - {type: early_stopping, monitor: loss, patience: 5}
    """

    code = "KS406"
    name = "patience-not-below-epochs"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        epochs = ctx.train.epochs
        for i, cb in enumerate(ctx.train.callbacks):
            if cb.type not in ("early_stopping", "reduce_lr_on_plateau"):
                continue
            start = getattr(cb, "start_from_epoch", 0)
            if cb.patience + start < epochs:
                continue
            what = "stop early" if cb.type == "early_stopping" else "reduce the learning rate"
            extra = f" + start_from_epoch {start}" if start else ""
            yield self.diag(
                ctx, _callback_path(ctx, i, "patience"),
                f"{cb.type} patience {cb.patience}{extra} is not below epochs {epochs}: it can never {what}",
                hint=f"lower patience below {epochs}, or train for more epochs",
                related=[ctx.related(f"epochs: {epochs}", ("train", "epochs"))],
            )


class AmbiguousAccuracy(Rule):
    """What it does: finds ``accuracy`` (or ``acc``) compiled with ``binary_crossentropy`` on
    one-hot labels of more than two classes.

    Why is this bad: with a binary cross-entropy loss Keras resolves ``accuracy`` to
    ``binary_accuracy``, which scores each output unit on its own: with 10 classes a model that
    predicts 0 everywhere already scores 0.9, so the reported accuracy is inflated and says
    nothing about picking the right class. One class per sample is a categorical problem.

    Example:
        data: {type: keras, name: fashion_mnist, rescale: 1/255, label_encoding: one_hot}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data: {type: keras, name: fashion_mnist, rescale: 1/255, label_encoding: one_hot}
        compile: {optimizer: adam, loss: categorical_crossentropy, metrics: [accuracy]}
    """

    code = "KS411"
    name = "ambiguous-accuracy"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        facts = ctx.facts
        metrics = ctx.resolved.compile.metrics
        if ctx.view.family != "binary" or not any(m in ("accuracy", "acc") for m in metrics):
            return
        n = facts.num_classes
        if facts.fed_label_kind != "one_hot" or not n or n <= 2:
            return
        name = next(m for m in metrics if m in ("accuracy", "acc"))
        index = metrics.index(name)
        yield self.diag(
            ctx, ("compile", "metrics", index),
            f"with binary_crossentropy, `{name}` is binary_accuracy: each of the {n} outputs is scored on its own, so "
            f"predicting 0 everywhere already scores {1 - 1 / n:.2f}",
            hint="use loss: categorical_crossentropy for one class per sample (or metrics: [categorical_accuracy])",
            related=[ctx.related("the loss is binary_crossentropy", loss_path(ctx))],
            received="binary_accuracy", expected="categorical_accuracy")


class AccuracyOnRegression(Rule):
    """What it does: finds ``accuracy`` among the metrics of a regression model (a regression
    loss such as ``mean_squared_error`` on targets that are not class labels). The course's
    very first model does this.

    Why is this bad: accuracy counts exact matches of classes; on continuous targets Keras
    thresholds the predictions at 0.5 and reports a number near 0 that says nothing about the
    model. Watch the loss, or a regression metric such as ``mae``.

    Example:
        data:
          type: arrays
          x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
          y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
        model:
          layers: [{type: Dense, units: 1}]
        compile: {optimizer: sgd, loss: mean_squared_error, metrics: [accuracy]}

    Use instead:
        data:
          type: arrays
          x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
          y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
        model:
          layers: [{type: Dense, units: 1}]
        compile: {optimizer: sgd, loss: mean_squared_error, metrics: [mae]}
    """

    code = "KS407"
    name = "accuracy-on-regression"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        if loss_type(ctx) not in REGRESSION_LOSSES or ctx.facts.fed_label_kind != "continuous":
            return
        for j, m in enumerate(ctx.resolved.compile.metrics):
            if m in ("accuracy", "acc"):
                yield self.diag(ctx, ("compile", "metrics", j),
                                f"{m} on a regression model ({loss_type(ctx)}) measures nothing useful",
                                hint="use metrics: [mae] (mean absolute error), or no metric at all",
                                related=[ctx.related(f"the loss is {loss_type(ctx)}", ("compile", "loss"))])
