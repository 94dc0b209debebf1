"""KS45x: the optimizer, its learning-rate schedule and the callbacks that depend on them."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..base import LintContext, Rule

_SETS_RATE = {"learning_rate_scheduler": "sets the learning rate every epoch",
              "reduce_lr_on_plateau": "lowers the learning rate when the metric stalls"}


class ScheduleAndRateCallback(Rule):
    """What it does: finds a learning-rate schedule in the optimizer's ``learning_rate``
    together with a callback that sets the learning rate (``learning_rate_scheduler``,
    ``reduce_lr_on_plateau``).

    Why is this bad: an optimizer built with a schedule has no rate to set; Keras stops the run
    at the end of the first epoch with "its learning rate is not settable", after the epoch's
    time is spent. Two mechanisms for one rate also make the run hard to reason about.

    Example:
        compile:
          optimizer:
            type: adam
            learning_rate: {type: ExponentialDecay, initial_learning_rate: 0.001, decay_steps: 100, decay_rate: 0.9}
          loss: sparse_categorical_crossentropy
          metrics: [accuracy]
        train:
          epochs: 20
          callbacks: [{type: reduce_lr_on_plateau, monitor: loss, patience: 3}]

    Use instead:
        compile:
          optimizer: {type: adam, learning_rate: 0.001}
          loss: sparse_categorical_crossentropy
          metrics: [accuracy]
        train:
          epochs: 20
          callbacks: [{type: reduce_lr_on_plateau, monitor: loss, patience: 3}]
    """

    code = "KS450"
    name = "schedule-and-rate-callback"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        lr = ctx.resolved.compile.optimizer.learning_rate
        if isinstance(lr, (int, float)):
            return
        for i, cb in enumerate(ctx.train.callbacks):
            if cb.type in _SETS_RATE:
                yield self.diag(
                    ctx, ("train", "callbacks", i),
                    f"{cb.type} {_SETS_RATE[cb.type]}, but the optimizer's learning_rate is the schedule {lr.type}: "
                    "Keras cannot set the rate of a scheduled optimizer and fails after the first epoch",
                    hint=f"keep one: a number for learning_rate with {cb.type}, or the {lr.type} without {cb.type}",
                    related=[ctx.related(f"the {lr.type} is declared here", ("compile", "optimizer", "learning_rate"))],
                    received=cb.type,
                )


class SwapEmaWithoutEma(Rule):
    """What it does: finds the ``swap_ema_weights`` callback with an optimizer that keeps no
    moving average of the weights (``use_ema`` is false).

    Why is this bad: there are no averaged weights to swap in; Keras refuses the callback when
    training starts.

    Example:
        compile:
          optimizer: adam
          loss: sparse_categorical_crossentropy
          metrics: [accuracy]
        train:
          callbacks: [swap_ema_weights]

    Use instead:
        compile:
          optimizer: {type: adam, use_ema: true}
          loss: sparse_categorical_crossentropy
          metrics: [accuracy]
        train:
          callbacks: [swap_ema_weights]
    """

    code = "KS451"
    name = "swap-ema-without-ema"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        if ctx.resolved.compile.optimizer.use_ema:
            return
        for i, cb in enumerate(ctx.train.callbacks):
            if cb.type == "swap_ema_weights":
                yield self.diag(ctx, ("train", "callbacks", i),
                                "swap_ema_weights swaps in the optimizer's moving average of the weights, but the "
                                "optimizer keeps none (use_ema is false)",
                                hint="set use_ema: true on the optimizer, or remove the callback")
