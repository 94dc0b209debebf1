"""What the layers do during training, sampled cheaply: the run's layer monitor and the probes.

The monitor takes one fixed batch of training samples (at most :data:`SAMPLES`) before training
and looks at it before the first epoch and after every epoch: one forward pass layer by layer
(the share of dead ReLU units and of saturated sigmoid/tanh outputs of each hidden layer) and one
gradient of the loss (the norm of each weighted layer's kernel gradient). That is two passes over
64 samples per epoch, next to the thousands of samples an epoch trains on. The samples are kept
in :class:`kspec.run.checks.MonitorFacts` (``layers``) and judged by KS910-KS913 after training.

Only runs whose training data are arrays are monitored (see ``kspec.run.runner``): reading a
batch from a tf.data pipeline before training would shift its reshuffling.

Thresholds come from the published tools (DeepDiagnosis, AUTOTRAINER, SageMaker Debugger); see
each check's documentation in :mod:`kspec.run.checks`.
"""

from __future__ import annotations

import math
from typing import Any, Callable

SAMPLES = 64
RELU = ("relu", "relu6")
SATURATED_AT = {"sigmoid": 1 / (1 + math.exp(5)), "tanh": math.tanh(5)}
"""Outputs past these mean a pre-activation beyond +-5 (DeepDiagnosis's saturation bound):
sigmoid below 0.0067 or above 0.9933, tanh beyond +-0.99991."""


def one_batch(inputs, n: int):
    """The first ``n`` samples of the training data, as (x, y) (arrays or tensors)."""
    import tensorflow as tf

    if inputs.in_memory:
        x, y = inputs.train
        return tf.nest.map_structure(lambda a: a[:n], x), tf.nest.map_structure(lambda a: a[:n], y)
    got_x, got_y, have = [], [], 0
    for batch in inputs.train:
        got_x.append(batch[0])
        got_y.append(batch[1])
        have += int(tf.nest.flatten(batch[0])[0].shape[0])
        if have >= n:
            break
    if not got_x:
        from ..diagnostics import KspecError

        raise KspecError("the training data yields no batch", hint="check the data section")
    cat = lambda parts: tf.nest.map_structure(lambda *t: tf.concat(t, axis=0)[:n], *parts)  # noqa: E731
    return cat(got_x), cat(got_y)


def loss_function(resolved) -> Callable:
    """The spec's loss as a ``keras.losses.Loss`` (y_true, y_pred) -> mean, which, as in training,
    brings labels of shape (n,) and outputs of shape (n, 1) to the same rank first."""
    import keras

    from ..emit.model import build_loss

    loss = build_loss(resolved.compile.loss)
    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    if isinstance(fn, keras.losses.Loss):
        return fn

    def aligned(y_true, y_pred):  # what a Loss object does before calling its function
        ops = keras.ops
        y_true = ops.convert_to_tensor(y_true)
        if len(y_true.shape) == len(y_pred.shape) - 1 and y_pred.shape[-1] == 1:
            y_true = ops.expand_dims(y_true, -1)
        elif len(y_true.shape) == len(y_pred.shape) + 1 and y_true.shape[-1] == 1:
            y_true = ops.squeeze(y_true, -1)
        return ops.mean(fn(y_true, y_pred))

    return aligned


def mean(values) -> float:
    import numpy as np

    return float(np.mean(np.asarray(values, dtype=np.float64)))


def mean_loss(loss_fn, model, x, y) -> float:
    """The mean loss of the batch (a loss function gives one value per sample, a loss object the mean)."""
    return mean(loss_fn(y, model(x, training=False)))


def watched(view) -> dict[int, str]:
    """Hidden layers whose outputs are watched, by index: ``relu`` or ``sigmoid``/``tanh``. The
    last layer is left out: confident outputs are saturated by design."""
    out = {}
    last = len(view.layers) - 1
    for v in view.layers:
        if v.index >= last or v.activation is None:
            continue
        if v.activation in RELU:
            out[v.index] = "relu"
        elif v.activation in SATURATED_AT:
            out[v.index] = v.activation
    return out


def sample(model, x, y, loss_fn, kinds: dict[int, str]) -> dict[str, Any]:
    """One look at the layers on the fixed batch: ``dead`` / ``saturated`` share per watched layer
    and the kernel gradient norm per weighted layer (keys are spec layer indices, as strings)."""
    import numpy as np
    import tensorflow as tf

    out: dict[str, Any] = {"dead": {}, "saturated": {}, "grad": {}}
    h = x
    for i, layer in enumerate(model.layers):
        h = layer(h, training=False)
        kind = kinds.get(i)
        if kind is None:
            continue
        a = np.asarray(h)
        if a.ndim < 2 or a.size == 0:
            continue
        if kind == "relu":
            alive = (a.reshape(-1, a.shape[-1]) > 0).any(axis=0)  # a unit that is never positive is dead
            out["dead"][str(i)] = round(float(1 - alive.mean()), 4)
        else:
            bound = SATURATED_AT[kind]
            sat = (a <= bound) | (a >= 1 - bound) if kind == "sigmoid" else np.abs(a) >= bound
            out["saturated"][str(i)] = round(float(sat.mean()), 4)
    kernels = [(i, w) for i, layer in enumerate(model.layers) if layer.trainable
               for w in layer.trainable_weights if w.path.rsplit("/", 1)[-1] == "kernel"]
    if kernels:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.cast(loss_fn(y, model(x, training=False)), tf.float32))
        grads = tape.gradient(loss, [w for _, w in kernels])
        for (i, _), g in zip(kernels, grads):
            if g is not None:
                norm = float(tf.norm(tf.cast(g, tf.float32)))
                out["grad"].setdefault(str(i), norm if math.isfinite(norm) else str(norm))
    return out


def make_layer_monitor(facts, model, batch, loss_fn, kinds: dict[int, str], *, initial_epoch: int):
    """A Keras callback that calls :func:`sample` before training and after every epoch and
    appends the result (with its epoch; 0 is before training) to ``facts.layers``."""
    import keras

    x, y = batch

    class LayerMonitor(keras.callbacks.Callback):
        def _look(self, epoch: int) -> None:
            try:
                got = sample(self.model, x, y, loss_fn, kinds)
            except Exception as e:  # a layer kspec cannot replay one by one: stop looking, say why
                facts.layers_error = f"{type(e).__name__}: {e}"[:300]
                self.model_failed = True
                return
            got["epoch"] = epoch
            facts.layers.append(got)

        def on_train_begin(self, logs=None):
            self.model_failed = False
            if initial_epoch == 0 and not facts.layers:
                self._look(0)

        def on_epoch_end(self, epoch, logs=None):
            if not self.model_failed:
                self._look(epoch + 1)

    return LayerMonitor()
