"""What the layers do during training, sampled cheaply: the run's layer monitor and the probes.

The monitor takes one fixed batch of training samples (at most :data:`SAMPLES`) before training
and looks at it before the first epoch and after every epoch (see :func:`make_layer_monitor` for
when one is skipped): one forward pass layer by layer under a gradient tape (the share of dead
ReLU units and of saturated sigmoid/tanh outputs of each hidden layer, the norm of each weighted
layer's kernel gradient), compiled once. That is a forward and a backward pass over 64 samples
per epoch, next to the thousands of samples an epoch trains on. The looks are kept
in :class:`kspec.run.checks.MonitorFacts` (``layers``) and judged by KS910-KS913 after training.

The batch is the first training samples of array data. A tf.data pipeline (image folders,
series, arrays with ``steps_per_epoch``) is never read for it: reading a batch of it before
training would shift its reshuffling. Its source is read a second time instead, apart from the
pipeline and in a fixed order (:attr:`kspec.emit.inputs.Inputs.fixed_batch`: training images
spread evenly over the class folders, the first training windows of a series), decoded and scaled
as training sees them but without augmentation.

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
    """The first ``n`` training samples of array data, or ``n`` samples of the source read apart
    from its tf.data pipeline (:attr:`kspec.emit.inputs.Inputs.fixed_batch`), as (x, y); for a
    pipeline without one, the first batches of the pipeline itself (the probe trains on no
    pipeline afterwards, so it may read one). None when the source has no labelled samples."""
    import tensorflow as tf

    if inputs.in_memory:
        x, y = inputs.train
        return tf.nest.map_structure(lambda a: a[:n], x), tf.nest.map_structure(lambda a: a[:n], y)
    if getattr(inputs, "fixed_batch", None) is not None:
        return inputs.fixed_batch(n)
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


def _kernels(model) -> list[tuple[int, Any]]:
    """(layer index, kernel variable) of every trainable weighted layer (a nested model: its first)."""
    found: dict[int, Any] = {}
    for i, layer in enumerate(model.layers):
        if layer.trainable:
            for w in layer.trainable_weights:
                if w.path.rsplit("/", 1)[-1] == "kernel":
                    found.setdefault(i, w)
    return sorted(found.items())


def sampler(model, x, y, loss_fn, kinds: dict[int, str]) -> Callable[[], dict[str, Any]]:
    """A function of no arguments that takes one look at the layers on the fixed batch ``(x, y)``:
    the ``dead`` / ``saturated`` share of each watched layer's outputs and the kernel gradient norm
    of each weighted layer (keys are spec layer indices, as strings).

    One pass layer by layer under a gradient tape gives both, compiled once with ``tf.function``
    (the batch has a fixed shape, so it is traced once): a look then costs a forward and a
    backward pass over 64 samples and no Python per operation, where running it eagerly costs
    tens of milliseconds of CPU for even a tiny model."""
    import tensorflow as tf

    kernels = _kernels(model)
    variables = [w for _, w in kernels]
    relu = [i for i, k in sorted(kinds.items()) if k == "relu"]

    def shares(i: int, h):
        kind = kinds[i]
        h = tf.cast(h, tf.float32)
        if kind == "relu":  # a unit that is never positive on the batch is dead
            alive = tf.reduce_any(tf.reshape(h, (-1, tf.shape(h)[-1])) > 0, axis=0)
            return 1.0 - tf.reduce_mean(tf.cast(alive, tf.float32))
        bound = SATURATED_AT[kind]
        sat = (h <= bound) | (h >= 1 - bound) if kind == "sigmoid" else tf.abs(h) >= bound
        return tf.reduce_mean(tf.cast(sat, tf.float32))

    @tf.autograph.experimental.do_not_convert
    def look(x, y):
        got = {}
        with tf.GradientTape() as tape:
            h = x
            for i, layer in enumerate(model.layers):
                h = layer(h, training=False)
                if i in kinds and len(h.shape) >= 2 and h.shape[-1]:
                    got[i] = shares(i, h)
            loss = tf.reduce_mean(tf.cast(loss_fn(y, h), tf.float32))
        grads = tape.gradient(loss, variables) if variables else []
        norms = {i: tf.norm(tf.cast(g, tf.float32)) for (i, _), g in zip(kernels, grads) if g is not None}
        return got, norms

    compiled = tf.function(look)

    def sample() -> dict[str, Any]:
        got, norms = compiled(x, y)
        out: dict[str, Any] = {"dead": {}, "saturated": {}, "grad": {}}
        for i, v in sorted(got.items()):
            out["dead" if i in relu else "saturated"][str(i)] = round(float(v), 4)
        for i, g in sorted(norms.items()):
            norm = float(g)
            out["grad"][str(i)] = norm if math.isfinite(norm) else str(norm)
        return out

    return sample


def sample(model, x, y, loss_fn, kinds: dict[int, str]) -> dict[str, Any]:
    """One look (see :func:`sampler`)."""
    return sampler(model, x, y, loss_fn, kinds)()


BUDGET = 0.02
"""Share of the fit's CPU time the looks after the first may take: a look after an epoch is skipped
while the looks so far cost more than this, except the one after the last epoch."""


def make_layer_monitor(facts, model, batch, loss_fn, kinds: dict[int, str], *, initial_epoch: int,
                       budget: float = BUDGET):
    """A Keras callback that looks at the layers (:func:`sampler`) before training and after
    epochs, and appends each look (with its epoch; 0 is before training) to ``facts.layers``.

    It looks after every epoch while the looks cost at most ``budget`` of the CPU time training
    has taken so far (the first look, which compiles the function, is not counted), and always
    after the last epoch training ran, whether it ended there or stopped early: the checks judge
    the end of training and at least half of the looks, whatever their number."""
    import time

    import keras

    x, y = batch

    class LayerMonitor(keras.callbacks.Callback):
        def _look(self, epoch: int) -> None:
            t = time.process_time()
            try:
                if self.sample is None:
                    self.sample = sampler(self.model, x, y, loss_fn, kinds)
                got = self.sample()
            except Exception as e:  # a layer kspec cannot replay one by one: stop looking, say why
                facts.layers_error = f"{type(e).__name__}: {e}"[:300]
                self.model_failed = True
                return
            if self.compiled:
                self.spent += time.process_time() - t
            self.compiled = True
            got["epoch"] = epoch
            facts.layers.append(got)
            self.looked = epoch

        def on_train_begin(self, logs=None):
            self.model_failed, self.sample, self.compiled, self.spent = False, None, False, 0.0
            self.looked, self.done = None, None
            if initial_epoch == 0 and not facts.layers:
                self._look(0)
            self.started = time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.done = epoch + 1
            if self.model_failed:
                return
            last = self.done >= (self.params or {}).get("epochs", 0)
            if last or self.spent <= budget * (time.process_time() - self.started - self.spent):
                self._look(self.done)

        def on_train_end(self, logs=None):
            if not self.model_failed and self.done is not None and self.looked != self.done:
                self._look(self.done)  # stopped early (or by a NaN): the end of training is judged

    return LayerMonitor()
