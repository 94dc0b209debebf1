"""``kspec lint --probe``: two cheap checks that train for a moment on the spec's real data.

1. The loss of one batch of freshly initialised weights, against what an untrained classifier
   gives (ln K for K classes, ln 2 for a binary one): KS908.
2. A few hundred steps of the spec's own optimizer on one small batch: a network that cannot
   drive the loss of 16 samples down cannot learn the data set either (KS909).

Both come from TheDeepChecker's pre-training checks (``poor_init_loss``,
``underfitting_single_batch``). They are reported as the same
:class:`~kspec.diagnostics.Diagnostic` as lint findings, by the checks in :mod:`kspec.run.checks`
(whose docstrings document them), located at the loss, the last layer and the optimizer's
learning rate. This module imports TensorFlow; :mod:`kspec.lintcmd` imports it only for
``--probe``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Diagnostic, KspecError

STEPS = 300
"""Optimisation steps of the single-batch probe."""
OVERFIT_SAMPLES = 16
"""Samples of the single batch (TheDeepChecker uses 16)."""
LOSS_SAMPLES = 128
"""At most this many samples for the initial loss (TheDeepChecker uses 128)."""


@dataclass
class ProbeFacts:
    """What the probes measured (read by KS908 and KS909)."""

    initial_loss: float | None = None
    """Loss of one batch (``initial_samples`` samples) before any update."""
    initial_samples: int = 0
    expected: float | None = None
    """ln K for a K-class classifier (ln 2 for a binary one); None when there is no reference."""
    classes: int | None = None
    overfit_before: float | None = None
    """Loss of the small batch before and after ``steps`` updates on it."""
    overfit_after: float | None = None
    overfit_accuracy: float | None = None
    """Accuracy on the small batch after training on it (classifiers only)."""
    overfit_samples: int = 0
    steps: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def expected_initial_loss(view) -> tuple[float, int] | None:
    """(ln K, K) when the model is a classifier whose untrained loss is about ln K: softmax over K
    units with a categorical cross-entropy, sigmoid on one unit with a binary one (or a linear
    output with ``from_logits``)."""
    head = view.head
    act, width = head.activation, head.width
    if view.from_logits:
        if act != "linear":
            return None
    if view.family in ("sparse", "categorical"):
        if (act == "softmax" or (view.from_logits and act == "linear")) and isinstance(width, int) and width >= 2:
            return math.log(width), width
        return None
    if view.family == "binary":
        if width == 1 and (act == "sigmoid" or (view.from_logits and act == "linear")):
            return math.log(2), 2
        if width == 2 and act == "softmax" and not view.from_logits:
            return math.log(2), 2
    return None


def _accuracy(model, x, y) -> float | None:
    import numpy as np

    out = np.asarray(model(x, training=False))
    y = np.asarray(y)
    if out.ndim != 2:
        return None
    if out.shape[1] == 1:
        pred = (out[:, 0] > 0.5).astype(np.int64)
        true = y.reshape(-1).astype(np.int64)
    else:
        pred = out.argmax(axis=1)
        true = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] == out.shape[1] else y.reshape(-1).astype(np.int64)
    if len(true) != len(pred):
        return None
    return float((pred == true).mean())


def measure(pipeline, *, steps: int = STEPS, samples: int = OVERFIT_SAMPLES) -> ProbeFacts:
    """Build the spec's model and data and run both probes. Raises KspecError when the data or
    the model cannot be built."""
    from ..analyse.view import build
    from ..emit.data import build_inputs
    from ..emit.model import adapt_layers, build_model, compile_model
    from .common import prepare_keras
    from .dynamics import loss_function, mean_loss, one_batch

    t0 = time.perf_counter()
    r = pipeline.resolved
    view = build(r.model.layers, pipeline.plan, r.compile.loss, r.facts)
    facts = ProbeFacts(steps=steps)
    prepare_keras(r.seed)  # imports TensorFlow quietly
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # one model per spec: TensorFlow's retracing notes are expected
    inputs = build_inputs(r)
    model = build_model(r)
    compile_model(model, r)
    adapt_layers(model, r, inputs)
    loss_fn = loss_function(r)
    x, y = one_batch(inputs, min(LOSS_SAMPLES, max(r.train.batch_size, samples)))
    facts.initial_samples = int(tf.nest.flatten(x)[0].shape[0])
    facts.initial_loss = mean_loss(loss_fn, model, x, y)
    ref = expected_initial_loss(view)
    if ref is not None:
        facts.expected, facts.classes = ref
    sx = tf.nest.map_structure(lambda a: a[:samples], x)
    sy = tf.nest.map_structure(lambda a: a[:samples], y)
    facts.overfit_samples = int(tf.nest.flatten(sx)[0].shape[0])
    facts.overfit_before = mean_loss(loss_fn, model, sx, sy)
    data = tf.data.Dataset.from_tensors((sx, sy)).repeat()
    model.steps_per_execution = steps  # one call runs every step: no Python between steps
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    facts.overfit_after = mean_loss(loss_fn, model, sx, sy)
    if ref is not None:
        facts.overfit_accuracy = _accuracy(model, sx, sy)
    facts.seconds = time.perf_counter() - t0
    return facts


def probe(pipeline) -> list[Diagnostic]:
    """The probes' findings for one spec (KS908, KS909), minus those the spec ignores."""
    from .checks import PROBE_CHECKS, RunContext

    facts = measure(pipeline)
    r = pipeline.resolved
    ctx = RunContext(r, [], span_of=pipeline.document.span, probe=facts)
    ignored = set(r.spec.lint.ignore)
    out: list[Diagnostic] = []
    for cls in PROBE_CHECKS:
        if cls.code in ignored or cls.name in ignored:
            continue
        out.extend(cls().check(ctx))
    return out


def available() -> bool:
    """Whether TensorFlow and Keras can be imported (the train extra is installed)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("tensorflow", "keras"))


__all__ = ["ProbeFacts", "available", "expected_initial_loss", "measure", "probe"]
