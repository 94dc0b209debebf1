"""Run diagnostics (group 9, ``KS9xx``): what went wrong in a training run, as findings.

They are the same :class:`~kspec.diagnostics.Diagnostic` as lint findings: a stable code, a
name, a severity, a message with the values, a spec path (and its span when the spec is at
hand) and a hint. Each check is a small class whose docstring is its documentation (the same four
parts as lint rules, so ``kspec rule KS903`` prints it). Checks read the history and what the
:func:`make_monitor` callback saw during training; they never raise.

A spec silences a check with ``lint: {ignore: [KS903]}`` (code or name), as for lint rules.

Thresholds are deliberately loose: a run diagnostic must be right when it speaks.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..diagnostics import Diagnostic, Related, Severity, Span
from .history import as_float


@dataclass
class MonitorFacts:
    """What the monitor callback records while training (kept in manifest.json for resumes)."""

    first_batch_loss: float | None = None
    """Loss of the very first batch (epoch 1, before any update had an effect)."""
    nan_at: dict[str, Any] | None = None
    """``{"epoch": e, "batch": b, "steps": n, "value": "nan"}``: first non-finite training loss (1-based)."""
    kept_epoch: int | None = None
    """The epoch (1-based) whose weights the run kept when early stopping restored them; None: the last."""
    layers: list[dict[str, Any]] = field(default_factory=list)
    """The layer monitor's looks at one fixed batch (:func:`kspec.run.dynamics.sample`), epoch 0
    (before training) first: ``{"epoch": e, "dead": {i: share}, "saturated": {i: share},
    "grad": {i: kernel gradient norm}}`` by spec layer index."""
    layers_error: str | None = None
    """Why the layer monitor stopped looking, when it did."""

    def to_json(self) -> dict[str, Any]:
        return {"first_batch_loss": self.first_batch_loss, "nan_at": self.nan_at, "kept_epoch": self.kept_epoch,
                "layers": self.layers, "layers_error": self.layers_error}

    @classmethod
    def from_json(cls, d: dict[str, Any] | None) -> "MonitorFacts":
        d = d or {}
        return cls(first_batch_loss=d.get("first_batch_loss"), nan_at=d.get("nan_at"), kept_epoch=d.get("kept_epoch"),
                   layers=list(d.get("layers") or []), layers_error=d.get("layers_error"))


def kept_epoch(callbacks: list, facts: MonitorFacts) -> None:
    """Record in ``facts`` the epoch whose weights an early-stopping callback restored at the end
    of training (Keras restores the best epoch's weights whenever ``restore_best_weights`` is on)."""
    for cb in callbacks:
        if (type(cb).__name__ == "EarlyStopping" and getattr(cb, "restore_best_weights", False)
                and getattr(cb, "best_weights", None) is not None and getattr(cb, "best_epoch", None) is not None):
            facts.kept_epoch = int(cb.best_epoch) + 1


def make_monitor(facts: MonitorFacts, *, initial_epoch: int, say: Callable[[str], None] = print):
    """A Keras callback that stops training at the first batch whose loss is NaN or infinite and
    records the first batch's loss.

    Cost: Keras turns the logged tensors into floats after every batch anyway (on TensorFlow it
    does so whether or not a callback reads them), so the check reads a float Keras already made:
    one Python call per batch, 0.4 microseconds measured here, 27 microseconds over a 63-batch
    epoch. Reading the loss only every N batches would save nothing, since the conversion is
    Keras's. Keras logs the epoch's running mean of the loss, which stays non-finite from the first
    bad batch on, so the first batch whose logged loss is not finite is the first bad batch.

    It is marked ``async_safe``: on backends where Keras runs batch-end callbacks on a worker
    thread (not TensorFlow's, whose callbacks run in line), it does not force them back onto the
    training loop; there, training stops a batch or two after the first non-finite loss. The
    batch recorded is always the first one."""
    import keras

    lock = threading.Lock()

    class RunMonitor(keras.callbacks.Callback):
        async_safe = True

        def __init__(self):
            super().__init__()
            self.epoch = initial_epoch

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is None:
                return
            try:
                value = float(loss)
            except (TypeError, ValueError):
                return
            if self.epoch == 0 and batch == 0 and facts.first_batch_loss is None:
                facts.first_batch_loss = value
            if not math.isfinite(value):
                with lock:
                    here = (self.epoch + 1, batch + 1)
                    old = facts.nan_at
                    if old is None or here < (old["epoch"], old["batch"]):
                        facts.nan_at = {"epoch": here[0], "batch": here[1], "steps": self.params.get("steps"),
                                        "value": str(value)}
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            n = facts.nan_at
            if n is not None:
                of = f" of {n['steps']}" if n.get("steps") else ""
                say(f"kspec: the training loss became {n['value']} at epoch {n['epoch']}, batch {n['batch']}{of}; "
                    "training stopped")

    return RunMonitor()


# ------------------------------------------------------------------------------------ context


@dataclass
class RunContext:
    """Everything a check may look at."""

    resolved: Any
    """The :class:`~kspec.resolve.Resolved` spec that was trained."""
    rows: list[dict[str, Any]]
    """history.json rows, one per epoch, epoch 1 first."""
    monitor: MonitorFacts = field(default_factory=MonitorFacts)
    span_of: Callable[[tuple], Span | None] = lambda path: None
    evaluation: dict[str, float] = field(default_factory=dict)
    """The final evaluation's metrics (``metrics.json``), measured on the weights the run kept."""
    probe: Any = None
    """What ``kspec lint --probe`` measured (:class:`kspec.run.probe.ProbeFacts`); None in a run."""

    def series(self, key: str) -> list[float]:
        return [as_float(r.get(key)) for r in self.rows]

    def kept_row(self) -> dict[str, Any] | None:
        """The history row of the epoch whose weights the run kept (the last one, unless early
        stopping restored an earlier epoch's)."""
        if not self.rows:
            return None
        want = self.monitor.kept_epoch
        if want is not None:
            for row in self.rows:
                if row.get("epoch") == want:
                    return row
        return self.rows[-1]

    @property
    def last_layer(self):
        return self.resolved.model.layers[-1]

    @property
    def loss_type(self) -> str:
        return self.resolved.compile.loss.type

    def num_classes(self) -> int | None:
        facts = self.resolved.facts
        last = self.last_layer
        units = getattr(last, "units", None)
        act = getattr(last, "activation", None)
        if act == "softmax" and isinstance(units, int) and units >= 2:
            return units
        if act == "sigmoid" and units == 1:
            return 2
        if facts.classification and facts.num_classes and facts.num_classes >= 2:
            return facts.num_classes
        return None

    def chance(self) -> tuple[float, str] | None:
        """Accuracy of always answering the most common class, and how it was found."""
        k = self.num_classes()
        if not k:
            return None
        counts = self.resolved.facts.class_counts
        if counts and len(counts) == k and sum(counts.values()) > 0:
            share = max(counts.values()) / sum(counts.values())
            if share > 1 / k + 1e-9:
                return share, "the share of the most common class"
        return 1 / k, f"1/{k} classes"

    def accuracy_key(self) -> str | None:
        keys = [k for r in self.rows[:1] for k in r]
        for k in ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy"):
            if k in keys:
                return k
        return None


class RunCheck:
    """Base class of run checks: ``code``, ``name``, ``severity``, a four-part docstring, ``check``."""

    code: str = ""
    name: str = ""
    severity: Severity = Severity.WARNING
    advice = False  # what LintConfig.selected asks of a rule

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:  # pragma: no cover - abstract
        raise NotImplementedError
        yield

    def diag(self, ctx: RunContext, path: tuple, message: str, *, hint: str | None = None,
             severity: Severity | None = None, related: tuple[tuple[tuple, str], ...] = (), **data) -> Diagnostic:
        from ..diagnostics import format_path

        rel = tuple(Related(text, ctx.span_of(where), format_path(where)) for where, text in related)
        return Diagnostic(self.code, self.name, severity or self.severity, message, path=format_path(path),
                          span=ctx.span_of(path), hint=hint, related=rel, data=data)


def _fmt(v: float) -> str:
    return f"{v:.4g}" if math.isfinite(v) else str(v)


class NanLoss(RunCheck):
    """What it does: stops training at the first batch whose training loss is NaN or infinite,
    and reports the epoch and batch. A validation loss that is not finite is reported too.

    Why is this bad: once the loss is NaN every weight update is NaN; the remaining epochs
    would train nothing and the saved model would predict NaN. The usual causes are a learning
    rate that is too high, inputs that are not scaled (pixels 0..255), or a loss that takes the
    logarithm of zero.

    Example:
        compile:
          optimizer: {type: sgd, learning_rate: 10.0}

    Use instead:
        compile:
          optimizer: {type: sgd, learning_rate: 0.01, clipnorm: 1.0}
    """

    code = "KS901"
    name = "nan-loss"
    severity = Severity.ERROR

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        hint = ("lower the learning rate (compile.optimizer.learning_rate), scale the inputs "
                "(data.rescale: 1/255 for pixels), or clip gradients (clipnorm: 1.0)")
        n = ctx.monitor.nan_at
        if n is not None:
            of = f" of {n['steps']}" if n.get("steps") else ""
            yield self.diag(ctx, ("compile", "optimizer"),
                            f"the training loss became {n['value']} at epoch {n['epoch']}, batch {n['batch']}{of}; "
                            "training was stopped there", hint=hint, epoch=n["epoch"], batch=n["batch"],
                            value=n["value"])
            return
        for key in ("loss", "val_loss"):
            for row in ctx.rows:
                if key in row and not math.isfinite(as_float(row[key])):
                    where = "training" if key == "loss" else "validation"
                    yield self.diag(ctx, ("compile", "optimizer"),
                                    f"the {where} loss is {row[key]} at epoch {row['epoch']}", hint=hint,
                                    epoch=row["epoch"], metric=key, value=str(row[key]))
                    break


def not_learning(ctx: "RunContext") -> tuple[float, str, list[float]] | None:
    """(reference loss, where it is from, first epochs' losses) when the training loss did not go
    down over the first epochs (see :class:`LossNotDecreasing`), else None."""
    window = LossNotDecreasing.WINDOW
    loss = ctx.series("loss")[:window]
    if ctx.monitor.nan_at is not None or any(not math.isfinite(v) for v in loss):
        return None
    first = ctx.monitor.first_batch_loss
    if first is not None and math.isfinite(first) and len(loss) >= 2:
        ref, ref_at, later = first, "the first batch", loss
    elif len(loss) >= 3:
        ref, ref_at, later = loss[0], "epoch 1", loss[1:]
    else:
        return None
    if min(later) < ref - LossNotDecreasing.MIN_DROP * abs(ref):
        return None
    return ref, ref_at, loss


def _sweeps_the_rate(ctx: RunContext) -> bool:
    """A ``learning_rate_scheduler`` raises the rate over the epochs that were run."""
    n = max(2, len(ctx.rows))
    return any(getattr(cb, "type", None) == "learning_rate_scheduler" and cb.schedule.rate(n - 1) > cb.schedule.rate(0)
               for cb in ctx.resolved.train.callbacks)


class LossNotDecreasing(RunCheck):
    """What it does: reports a training loss that did not go down over the first epochs (up to
    five): no epoch ended at least 1% below the first batch's loss, or, when that is unknown,
    below the first epoch's loss. A learning-rate sweep (a ``learning_rate_scheduler`` whose rate
    grows) starts far too low on purpose and is not reported.

    Why is this bad: a network that learns anything lowers its training loss in the first
    epochs. A flat loss means the updates do nothing useful: a learning rate far too small or
    too large, labels that do not belong to their inputs, or a last layer whose activation does
    not fit the loss.

    Example:
        compile:
          optimizer: {type: sgd, learning_rate: 0.0000001}

    Use instead:
        compile:
          optimizer: {type: sgd, learning_rate: 0.01}
    """

    code = "KS902"
    name = "loss-not-decreasing"
    severity = Severity.WARNING
    WINDOW = 5
    MIN_DROP = 0.01

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        found = not_learning(ctx)
        if found is None or _sweeps_the_rate(ctx):
            return
        ref, ref_at, loss = found
        best = min(loss)
        yield self.diag(
            ctx, ("compile", "optimizer", "learning_rate"),
            f"the training loss did not decrease over the first {len(loss)} epochs: {_fmt(ref)} at {ref_at}, "
            f"{_fmt(loss[-1])} at epoch {len(loss)} (best {_fmt(best)})",
            hint="try a learning rate 10x larger or smaller, check that each label belongs to its input, and that "
                 "the last layer's activation fits the loss (softmax with categorical losses, sigmoid with binary)",
            epochs=len(loss), first=ref, last=loss[-1])


class Overfitting(RunCheck):
    """What it does: reports validation loss that rose for at least two epochs, by 5% or more
    above its lowest value, while the training loss kept falling. It names the epoch where the
    rise started. A run whose training loss does not go down (KS902) is not reported.

    Why is this bad: from that epoch on, the model learns the training samples rather than
    what generalises; the weights of the last epoch are worse on new data than those of the
    best one, and the extra epochs cost time.

    Example:
        train:
          epochs: 50

    Use instead:
        train:
          epochs: 50
          callbacks:
            - {type: early_stopping, monitor: val_loss, patience: 2, restore_best_weights: true}
    """

    code = "KS903"
    name = "overfitting"
    severity = Severity.WARNING
    MIN_RISE = 0.05
    MIN_EPOCHS_AFTER_BEST = 2

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        val, loss = ctx.series("val_loss"), ctx.series("loss")
        if len(val) < 4 or len(loss) != len(val) or any(not math.isfinite(v) for v in val + loss):
            return
        if not_learning(ctx) is not None:  # a run that does not learn does not over-fit either
            return
        best = min(range(len(val)), key=lambda i: val[i])
        last = len(val) - 1
        if last - best < self.MIN_EPOCHS_AFTER_BEST:
            return
        if val[last] < val[best] * (1 + self.MIN_RISE) or not loss[last] < loss[best]:
            return
        start = best + 2  # 1-based epoch of the first rise
        restored = any(getattr(cb, "type", "") == "early_stopping" and cb.restore_best_weights
                       and cb.monitor == "val_loss" for cb in ctx.resolved.train.callbacks)
        message = (f"the model over-fits from epoch {start}: validation loss rose from {_fmt(val[best])} (epoch {best + 1}) "
                   f"to {_fmt(val[last])} (epoch {last + 1}) while training loss fell from {_fmt(loss[best])} to {_fmt(loss[last])}")
        if restored:
            # early stopping already kept the best epoch's weights: say so, and suggest the rest
            yield self.diag(
                ctx, ("train", "epochs"), message + f"; early_stopping restored the weights of epoch {best + 1}",
                hint="to over-fit later, add Dropout, augmentation or more data",
                severity=Severity.INFO,
                started=start, best_epoch=best + 1, best_val_loss=val[best], last_val_loss=val[last])
            return
        yield self.diag(
            ctx, ("train", "epochs"), message,
            hint=f"stop at the best epoch with `{{type: early_stopping, monitor: val_loss, patience: 2, "
                 f"restore_best_weights: true}}` or `train.epochs: {best + 1}`; add Dropout, augmentation or more data",
            started=start, best_epoch=best + 1, best_val_loss=val[best], last_val_loss=val[last])


class AccuracyAtChance(RunCheck):
    """What it does: reports a classifier whose accuracy, on the weights the run keeps, is within
    a small margin (0.05, or half the chance level when that is smaller) of chance: 1/number of
    classes, or the share of the most common class when the class counts are known. The kept
    weights are the last epoch's, or those of the epoch that early stopping restored
    (``restore_best_weights``); the training and validation accuracy of that epoch and the final
    evaluation's accuracy are checked separately. A run that was better at some earlier epoch
    is still reported when the weights it keeps are at chance.

    Why is this bad: a model at chance predicts (nearly) one class for everything; it has
    learned nothing from the inputs. Typical causes: labels in a different order than the
    inputs, a loss that does not match the labels (categorical with integer ids), a learning
    rate that is far off, or inputs that carry no signal after preprocessing.

    Example:
        compile:
          loss: categorical_crossentropy   # labels are integer ids

    Use instead:
        compile:
          loss: sparse_categorical_crossentropy
    """

    code = "KS904"
    name = "accuracy-at-chance"
    severity = Severity.WARNING

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        key = ctx.accuracy_key()
        chance = ctx.chance()
        row = ctx.kept_row()
        if key is None or chance is None or row is None or ctx.monitor.nan_at is not None:
            return
        level, how = chance
        margin = min(0.05, level / 2)
        epoch = row.get("epoch")
        restored = ctx.monitor.kept_epoch is not None and epoch != ctx.rows[-1].get("epoch")
        kept = f"epoch {epoch}, whose weights early stopping kept" if restored else f"epoch {epoch}, the last"
        found = [(key, "training", as_float(row.get(key)), kept), (f"val_{key}", "validation",
                                                                    as_float(row.get(f"val_{key}")), kept)]
        test = ctx.evaluation.get(key, ctx.evaluation.get("accuracy"))
        if test is not None:
            found.append((f"test_{key}", "evaluation", as_float(test), "the kept weights"))
        for metric, where, acc, at in found:
            if not math.isfinite(acc) or acc > level + margin:
                continue
            yield self.diag(
                ctx, ("compile", "loss"),
                f"the {where} accuracy is at chance: {acc:.3f} at {at}; chance is {level:.3f} ({how}), "
                f"and a model that learned something scores above {level + margin:.3f}",
                hint="check that labels match their inputs and the loss matches the labels (sparse_categorical_"
                     "crossentropy for integer ids, categorical_crossentropy for one-hot), and try another "
                     "learning rate",
                metric=metric, accuracy=acc, epoch=epoch, chance=level)


class InitialLossOff(RunCheck):
    """What it does: for a softmax classifier trained with a cross-entropy loss, compares the
    loss of the very first batch with ln(number of classes), the loss of a network that has not
    learned anything yet, and reports it when it is off by more than max(1, ln(K)/2). A binary
    classifier (one sigmoid unit, binary cross-entropy) is compared with ln(2) the same way.

    Why is this bad: freshly initialised weights give every class about the same probability,
    so the first loss is close to ln(K). A much larger value means the inputs are far too large
    (pixels 0..255 that were not rescaled) or the labels do not fit the output layer; a much
    smaller one means the task is trivial or the labels leak into the inputs.

    Example:
        data:
          type: keras
          name: fashion_mnist   # pixels 0..255

    Use instead:
        data:
          type: keras
          name: fashion_mnist
          rescale: 1/255
    """

    code = "KS905"
    name = "initial-loss-off"
    severity = Severity.WARNING

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        first = ctx.monitor.first_batch_loss
        last = ctx.last_layer
        units = getattr(last, "units", None)
        if first is None or not math.isfinite(first):
            return
        loss = ctx.resolved.compile.loss
        if getattr(loss, "from_logits", False):
            return
        act = getattr(last, "activation", None)
        if (act == "softmax" and isinstance(units, int) and units >= 2
                and loss.type in ("sparse_categorical_crossentropy", "categorical_crossentropy")):
            k, head = units, f"softmax classifier over {units} classes"
        elif act == "sigmoid" and units == 1 and loss.type == "binary_crossentropy":
            k, head = 2, "binary classifier (one sigmoid unit)"
        else:
            return
        expected = math.log(k)
        if abs(first - expected) <= max(1.0, expected / 2):
            return
        facts = ctx.resolved.facts
        data = ctx.resolved.data
        raw = facts.raw_range
        if first > expected and data.rescale is None and raw is not None and raw[1] > 10:
            path, hint = ("data",), (f"the inputs go up to {raw[1]:g} and are not rescaled: add `rescale: 1/{raw[1]:g}` "
                                     "to the data section")
        else:
            labels = (f"integer ids 0..{units - 1} for sparse_categorical_crossentropy, one-hot vectors for "
                      f"categorical_crossentropy), that the last layer is Dense({units}, softmax)" if k == units
                      else "0 or 1 for binary_crossentropy), that the last layer is Dense(1, sigmoid)")
            path, hint = ("compile", "loss"), f"check the labels ({labels}, and the input scale"
        yield self.diag(ctx, path,
                        f"the first batch's loss is {_fmt(first)}; an untrained {head} "
                        f"starts near ln({k}) = {expected:.3f}", hint=hint, first_batch_loss=first,
                        expected=expected)


class DivergingLoss(RunCheck):
    """What it does: reports a training loss that ended at least twice its lowest value after
    having gone down (TheDeepChecker's diverging-loss rule), for runs of three epochs or more.
    A loss that became NaN is KS901's.

    Why is this bad: the optimizer found a better point and then left it: the steps are too
    large for the loss surface (a learning rate that is too high, often together with unscaled
    inputs), and the weights of the last epoch are worse than those of an earlier one.

    Example:
        compile:
          optimizer: {type: sgd, learning_rate: 0.9, momentum: 0.9}

    Use instead:
        compile:
          optimizer: {type: sgd, learning_rate: 0.01, momentum: 0.9}
    """

    code = "KS906"
    name = "diverging-loss"
    severity = Severity.WARNING
    FACTOR = 2.0

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        loss = ctx.series("loss")
        if len(loss) < 3 or ctx.monitor.nan_at is not None or any(not math.isfinite(v) for v in loss):
            return
        best = min(range(len(loss)), key=loss.__getitem__)
        if best == len(loss) - 1 or loss[best] <= 0 or loss[-1] < self.FACTOR * loss[best]:
            return
        yield self.diag(
            ctx, ("compile", "optimizer", "learning_rate"),
            f"the training loss diverged: {_fmt(loss[best])} at epoch {best + 1}, then {_fmt(loss[-1])} at epoch "
            f"{len(loss)} ({loss[-1] / loss[best]:.1f}x its lowest; expected below {self.FACTOR:g}x)",
            hint="lower the learning rate (by 10x), scale the inputs, or clip gradients (clipnorm: 1.0)",
            best_epoch=best + 1, best=loss[best], last=loss[-1])


class OscillatingLoss(RunCheck):
    """What it does: reports a training loss that goes up and down from epoch to epoch instead of
    settling: over at least six epochs, the direction of the change flips in more than 60% of
    the steps (TheDeepChecker's fluctuating-loss rule uses a sign-change ratio of 0.5), and the
    typical rise is at least 5% of the loss (a falling loss with small bumps is not reported).

    Why is this bad: each epoch undoes part of the previous one; the optimizer bounces across a
    valley instead of descending it (a learning rate that is too high for the batch size, or a
    batch so small that each step follows noise), and where training stops is luck.

    Example:
        train: {epochs: 20, batch_size: 1}

    Use instead:
        train: {epochs: 20, batch_size: 32}
    """

    code = "KS907"
    name = "oscillating-loss"
    severity = Severity.WARNING
    MIN_EPOCHS = 6
    FLIPS = 0.6
    MIN_SWING = 0.05

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        loss = ctx.series("loss")
        if len(loss) < self.MIN_EPOCHS or any(not math.isfinite(v) for v in loss):
            return
        deltas = [b - a for a, b in zip(loss, loss[1:])]
        flips = sum(1 for a, b in zip(deltas, deltas[1:]) if a * b < 0)
        ratio = flips / (len(deltas) - 1)
        rises = sorted(d / max(abs(v), 1e-12) for d, v in zip(deltas, loss) if d > 0)
        swing = rises[len(rises) // 2] if rises else 0.0
        if ratio <= self.FLIPS or swing < self.MIN_SWING:
            return
        yield self.diag(
            ctx, ("compile", "optimizer", "learning_rate"),
            f"the training loss oscillates: its direction changed in {flips} of {len(deltas) - 1} epochs "
            f"({ratio:.0%}; expected at most {self.FLIPS:.0%}), rising by a median {swing:.0%} of the loss each time",
            hint="lower the learning rate, or use a larger batch size",
            flips=flips, ratio=ratio, swing=swing)


def _looks(ctx: RunContext, key: str) -> dict[int, list[tuple[int, Any]]]:
    """Per layer index, the (epoch, value) of every look of the layer monitor at ``key``."""
    out: dict[int, list[tuple[int, Any]]] = {}
    for look in ctx.monitor.layers:
        for i, v in (look.get(key) or {}).items():
            out.setdefault(int(i), []).append((int(look.get("epoch", 0)), v))
    return out


def _persists(values: list[bool]) -> bool:
    """True when a condition holds at the last look and at half of the looks or more (two at least)."""
    return len(values) >= 2 and values[-1] and 2 * sum(values) >= len(values)


def _layer_name(ctx: RunContext, i: int) -> str:
    layer = ctx.resolved.model.layers[i]
    act = getattr(layer, "activation", None)
    return f"layer {i} ({layer.type}{', ' + act if isinstance(act, str) else ''})"


def _after(epoch: int) -> str:
    return "before training" if epoch == 0 else f"after epoch {epoch}"


class DeadRelu(RunCheck):
    """What it does: the layer monitor runs one fixed batch of 64 training samples through the
    model before training and after every epoch (after the last one always; one in between is
    skipped only while the looks cost more than 2% of training's CPU time), and counts, for each hidden ReLU layer, the
    units whose output is zero for every sample (and every position of a feature map). It
    reports a layer where 70% of the units or more are dead at the end of training and in at
    least half of the looks (DeepDiagnosis reports 70% of a ReLU layer's outputs at or below 0).

    Why is this bad: a ReLU unit whose input is negative for every sample passes no gradient,
    so it never learns again; the layer works with a fraction of its width. The usual causes
    are a learning rate so large that one step pushed the biases far negative, inputs that are
    not scaled, or a bias initialiser that starts the units negative.

    Example:
        compile:
          optimizer: {type: sgd, learning_rate: 5.0}

    Use instead:
        compile:
          optimizer: {type: sgd, learning_rate: 0.01}
    """

    code = "KS910"
    name = "dead-relu"
    severity = Severity.WARNING
    SHARE = 0.7

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        for i, looks in sorted(_looks(ctx, "dead").items()):
            flags = [v >= self.SHARE for _, v in looks]
            if not _persists(flags):
                continue
            epoch, share = looks[-1]
            yield self.diag(
                ctx, ("model", "layers", i),
                f"{share:.0%} of the units of {_layer_name(ctx, i)} are dead {_after(epoch)}: they output 0 for "
                f"every one of the monitored samples (dead in {sum(flags)} of {len(flags)} looks; expected under "
                f"{self.SHARE:.0%})",
                hint="lower the learning rate, scale the inputs, or use `activation: leaky_relu` (or elu) here",
                layer=i, share=share, epoch=epoch, looks=len(flags), dead_looks=sum(flags))


def _grad_ends(look_grads: dict[int, list[tuple[int, Any]]]) -> tuple[int, int] | None:
    layers = sorted(look_grads)
    return (layers[0], layers[-1]) if len(layers) >= 2 else None


def _grad_pairs(ctx: RunContext) -> tuple[int, int, list[tuple[int, float, float]]] | None:
    """(first, last weighted layer, [(epoch, |g_first|, |g_last|)]) from the looks."""
    grads = _looks(ctx, "grad")
    ends = _grad_ends(grads)
    if ends is None:
        return None
    first, last = ends
    by_epoch_last = dict(grads[last])
    pairs = [(e, as_float(g), as_float(by_epoch_last[e])) for e, g in grads[first] if e in by_epoch_last]
    return first, last, pairs


class VanishingGradients(RunCheck):
    """What it does: the layer monitor computes, on one fixed batch of 64 training samples, the
    gradient of the loss for the kernel of every weighted layer, before training and after every
    epoch. It reports vanishing gradients when the first weighted layer's gradient norm is below
    1e-4 and below 1/1000 of the last weighted layer's (AUTOTRAINER's rule), at the end of
    training and in at least half of the looks.

    Why is this bad: the first layers, which turn the raw inputs into features, barely move;
    the network trains like a shallow one on fixed random features. Deep stacks of sigmoid or
    tanh layers are the classic cause (each multiplies the gradient by at most 0.25 or 1), and
    so are tiny initial weights.

    Example:
        model:
          layers:
            - {type: Dense, units: 32, activation: sigmoid}
            - {type: Dense, units: 32, activation: sigmoid}
            - {type: Dense, units: 32, activation: sigmoid}
            - {type: Dense, units: 32, activation: sigmoid}
            - {type: Dense, units: 10, activation: softmax}

    Use instead:
        model:
          layers:
            - {type: Dense, units: 32, activation: relu}
            - {type: Dense, units: 32, activation: relu}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS911"
    name = "vanishing-gradients"
    severity = Severity.WARNING
    RATIO = 1e-3
    FLOOR = 1e-4

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        found = _grad_pairs(ctx)
        if found is None or ctx.monitor.nan_at is not None:
            return
        first, last, pairs = found
        flags = [math.isfinite(a) and math.isfinite(b) and b > 0 and a < self.FLOOR and a / b < self.RATIO
                 for _, a, b in pairs]
        if not _persists(flags):
            return
        epoch, a, b = pairs[-1]
        yield self.diag(
            ctx, ("model", "layers", first),
            f"the gradients vanish before they reach {_layer_name(ctx, first)}: its kernel gradient norm is "
            f"{a:.3g} {_after(epoch)}, {a / b:.2g}x that of {_layer_name(ctx, last)} ({b:.3g}); expected at least "
            f"{self.RATIO:g}x or {self.FLOOR:g} (in {sum(flags)} of {len(flags)} looks)",
            hint="use relu (or another non-saturating activation) in the hidden layers, fewer layers, or "
                 "BatchNormalization between them",
            related=((("model", "layers", last), "the last weighted layer"),),
            layer=first, last_layer=last, first_norm=a, last_norm=b, epoch=epoch)


class ExplodingGradients(RunCheck):
    """What it does: from the same looks as KS911, reports exploding gradients when a weighted
    layer's kernel gradient is not finite, or when the first weighted layer's gradient norm is
    more than 1000 times the last one's, at the end of training and in at least half of the
    looks. AUTOTRAINER's bound is 70; kspec's is looser because a convolution's kernel gradient
    sums over every position of its feature map, so healthy CNNs exceed 70. A loss that became
    NaN is KS901's.

    Why is this bad: the first layers take steps thousands of times larger than the last: the
    weights jump instead of descending and training becomes unstable or ends in NaN. Causes:
    inputs that are not scaled, a learning rate that is too high, or deep stacks without
    normalisation.

    Example:
        data: {type: synthetic, samples: 64, image_size: 8}

    Use instead:
        data: {type: synthetic, samples: 64, image_size: 8, rescale: 1/255}
    """

    code = "KS912"
    name = "exploding-gradients"
    severity = Severity.WARNING
    RATIO = 1e3

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        if ctx.monitor.nan_at is not None:
            return
        grads = _looks(ctx, "grad")
        for i, looks in sorted(grads.items()):
            flags = [not math.isfinite(as_float(g)) for _, g in looks]
            if _persists(flags):
                epoch, g = looks[-1]
                yield self.diag(ctx, ("model", "layers", i),
                                f"the kernel gradient of {_layer_name(ctx, i)} is {g} {_after(epoch)} "
                                f"(in {sum(flags)} of {len(flags)} looks)",
                                hint="lower the learning rate, scale the inputs, or clip gradients (clipnorm: 1.0)",
                                layer=i, epoch=epoch, value=str(g))
                return
        found = _grad_pairs(ctx)
        if found is None:
            return
        first, last, pairs = found
        flags = [math.isfinite(a) and math.isfinite(b) and b > 0 and a / b > self.RATIO for _, a, b in pairs]
        if not _persists(flags):
            return
        epoch, a, b = pairs[-1]
        yield self.diag(
            ctx, ("model", "layers", first),
            f"the gradients explode on the way to {_layer_name(ctx, first)}: its kernel gradient norm is {a:.3g} "
            f"{_after(epoch)}, {a / b:.3g}x that of {_layer_name(ctx, last)} ({b:.3g}); expected at most "
            f"{self.RATIO:g}x (in {sum(flags)} of {len(flags)} looks)",
            hint="scale the inputs (data.rescale), lower the learning rate, or clip gradients (clipnorm: 1.0)",
            related=((("model", "layers", last), "the last weighted layer"),),
            layer=first, last_layer=last, first_norm=a, last_norm=b, epoch=epoch)


class SaturatedActivations(RunCheck):
    """What it does: the layer monitor runs one fixed batch of 64 training samples through the
    model before training and after every epoch and measures, for each hidden sigmoid or tanh
    layer, the share of outputs that are saturated: beyond what a pre-activation of +-5 gives
    (sigmoid below 0.0067 or above 0.9933, tanh beyond +-0.9999). It reports a layer where more
    than half of the outputs are saturated at the end of training and in at least half of the
    looks (DeepDiagnosis's rule). The output layer is not checked: confident predictions are
    saturated by design.

    Why is this bad: where sigmoid or tanh is saturated its slope is nearly zero, so almost no
    gradient flows through the layer and the layers before it stop learning. Causes: inputs that
    are not scaled, large initial weights, or a learning rate that pushed the weights far out.

    Example:
        data: {type: synthetic, samples: 64, image_size: 8}   # pixels 0..255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 16, activation: tanh}
            - {type: Dense, units: 4, activation: softmax}

    Use instead:
        data: {type: synthetic, samples: 64, image_size: 8, rescale: 1/255}
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 16, activation: tanh}
            - {type: Dense, units: 4, activation: softmax}
    """

    code = "KS913"
    name = "saturated-activations"
    severity = Severity.WARNING
    SHARE = 0.5

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        for i, looks in sorted(_looks(ctx, "saturated").items()):
            flags = [v > self.SHARE for _, v in looks]
            if not _persists(flags):
                continue
            epoch, share = looks[-1]
            yield self.diag(
                ctx, ("model", "layers", i),
                f"{share:.0%} of the outputs of {_layer_name(ctx, i)} are saturated {_after(epoch)} (pre-activations "
                f"beyond +-5, where the slope is almost 0; in {sum(flags)} of {len(flags)} looks; expected at most "
                f"{self.SHARE:.0%})",
                hint="scale the inputs (data.rescale), lower the learning rate, or use relu in hidden layers",
                layer=i, share=share, epoch=epoch)


MONITOR_CHECKS: tuple[type[RunCheck], ...] = (DeadRelu, VanishingGradients, ExplodingGradients, SaturatedActivations)
"""The checks that read the layer monitor's looks (:mod:`kspec.run.dynamics`); the monitor is
installed unless a spec ignores all of them."""


def _last_layer_path(ctx: RunContext) -> tuple:
    return ("model", "layers", len(ctx.resolved.model.layers) - 1)


def _learning_rate(ctx: RunContext) -> str:
    lr = getattr(ctx.resolved.compile.optimizer, "learning_rate", None)
    return f" (learning rate {lr:g})" if isinstance(lr, (int, float)) else ""


class ProbeInitialLoss(RunCheck):
    """What it does: ``kspec lint --probe`` builds the model with fresh weights and computes the
    loss of one batch of the training data (up to 128 samples) before any update. For a
    classifier trained with a cross-entropy loss it compares that loss with ln(K), the loss of
    a network that gives each of the K classes the same probability (ln 2 for a binary one), and
    reports it when it is off by more than max(1, ln(K)/2) (TheDeepChecker's ``poor_init_loss``
    check, measured before training instead of during it).

    Why is this bad: an untrained network starts near ln(K). A much larger first loss means
    inputs far too large (unscaled pixels), labels that do not fit the output layer, or a last
    activation that does not fit the loss; a much smaller one means the labels leak into the
    inputs. Found before training, it costs one forward pass instead of a wasted run.

    Example:
        data: {type: synthetic, samples: 64, image_size: 8}   # pixels 0..255
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}
        compile: {optimizer: adam, loss: sparse_categorical_crossentropy}

    Use instead:
        data: {type: synthetic, samples: 64, image_size: 8, rescale: 1/255}
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 4, activation: softmax}
        compile: {optimizer: adam, loss: sparse_categorical_crossentropy}
    """

    code = "KS908"
    name = "probe-initial-loss"
    severity = Severity.WARNING

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        p = ctx.probe
        if p is None or p.initial_loss is None or p.expected is None:
            return
        first, expected, k = p.initial_loss, p.expected, p.classes
        if math.isfinite(first) and abs(first - expected) <= max(1.0, expected / 2):
            return
        last = _last_layer_path(ctx)
        raw = ctx.resolved.facts.raw_range
        if (not math.isfinite(first) or first > expected) and ctx.resolved.data.rescale is None \
                and raw is not None and raw[1] > 10:
            path, hint = ("data",), (f"the inputs go up to {raw[1]:g} and are not rescaled: add `rescale: "
                                     f"1/{raw[1]:g}` to the data section")
        else:
            path, hint = ("compile", "loss"), (
                "check that the labels fit the loss (integer ids for sparse_categorical_crossentropy, one-hot rows "
                "for categorical_crossentropy, 0/1 for binary_crossentropy), that the last layer's activation fits "
                "it, and the input scale")
        yield self.diag(
            ctx, path,
            f"before training, the loss of one batch ({p.initial_samples} samples) is {_fmt(first)}; an untrained "
            f"classifier over {k} classes starts near ln({k}) = {expected:.3f} (expected within "
            f"{max(1.0, expected / 2):.3g})", hint=hint,
            related=((("compile", "loss"), "the loss"), (last, "the output layer")) if path == ("data",)
            else ((last, "the output layer"),),
            initial_loss=first, expected=expected, classes=k, samples=p.initial_samples)


class ProbeSingleBatch(RunCheck):
    """What it does: ``kspec lint --probe`` trains the spec's model, with the spec's optimizer
    and loss, for 300 steps on one batch of 16 training samples, and reports it when the loss
    of that batch did not fall below half of where it started (or became NaN). A classifier's
    accuracy on the batch is given with it (TheDeepChecker's ``underfitting_single_batch``).

    Why is this bad: any network that can learn the data set can memorise 16 samples in a few
    hundred steps. One that cannot has a learning rate far too small (or so large that it
    diverges), frozen or constant weights, an activation that blocks the gradient (a relu or
    sigmoid where the loss wants softmax), or labels the loss cannot reach; training longer on
    more data does not help.

    Example:
        compile:
          optimizer: {type: sgd, learning_rate: 0.0000001}

    Use instead:
        compile:
          optimizer: {type: adam, learning_rate: 0.001}
    """

    code = "KS909"
    name = "probe-single-batch"
    severity = Severity.WARNING
    MAX_REMAINING = 0.5

    def check(self, ctx: RunContext) -> Iterator[Diagnostic]:
        p = ctx.probe
        if p is None or p.overfit_before is None or p.overfit_after is None:
            return
        before, after = p.overfit_before, p.overfit_after
        if math.isfinite(after) and math.isfinite(before):
            if after <= self.MAX_REMAINING * before or before <= 1e-6:
                return
            what = (f"lowered its loss only from {_fmt(before)} to {_fmt(after)} "
                    f"({after / before:.0%} of the start; expected below {self.MAX_REMAINING:.0%}, ideally near 0)")
        else:
            what = f"made its loss {_fmt(after)} (it started at {_fmt(before)})"
        acc = f"; accuracy on the batch is {p.overfit_accuracy:.2f}" if p.overfit_accuracy is not None else ""
        yield self.diag(
            ctx, ("compile", "optimizer", "learning_rate"),
            f"training {p.steps} steps on one batch of {p.overfit_samples} samples{_learning_rate(ctx)} {what}{acc}: "
            "the model cannot memorise 16 samples, so it will not learn the data set",
            hint="try a learning rate 10x larger (or smaller when the loss grew), check that every layer is "
                 "trainable and the last layer's activation fits the loss",
            related=((("compile", "loss"), "the loss"), (_last_layer_path(ctx), "the output layer")),
            before=before, after=after, steps=p.steps, samples=p.overfit_samples, accuracy=p.overfit_accuracy)


PROBE_CHECKS: tuple[type[RunCheck], ...] = (ProbeInitialLoss, ProbeSingleBatch)
"""The checks of ``kspec lint --probe``; they read ``RunContext.probe`` and say nothing in a run."""

RUN_CHECKS: tuple[type[RunCheck], ...] = (NanLoss, LossNotDecreasing, Overfitting, AccuracyAtChance, InitialLossOff,
                                          DivergingLoss, OscillatingLoss) + PROBE_CHECKS + MONITOR_CHECKS
BY_CODE = {c.code: c for c in RUN_CHECKS}
BY_NAME = {c.name: c for c in RUN_CHECKS}


def find(key: str) -> type[RunCheck] | None:
    return BY_CODE.get(key.upper()) or BY_NAME.get(key)


def run_checks(ctx: RunContext, ignore: list[str] | tuple[str, ...] = ()) -> list[Diagnostic]:
    """Every check's findings, minus those the spec ignores. A check that crashes becomes KS000."""
    ignored = set(ignore)
    out: list[Diagnostic] = []
    for cls in RUN_CHECKS:
        if cls.code in ignored or cls.name in ignored:
            continue
        try:
            out.extend(cls().check(ctx))
        except Exception as exc:  # one broken check must not hide the others
            out.append(Diagnostic("KS000", "internal-error", Severity.ERROR,
                                  f"run check {cls.code} ({cls.name}) crashed: {type(exc).__name__}: {exc}",
                                  hint="this is a bug in kspec; please report it with the spec"))
    return out
