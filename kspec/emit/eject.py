"""``kspec eject``: the resolved spec as a plain Keras script that trains exactly as ``kspec run``.

The script imports NumPy and Keras (TensorFlow for a repeating pipeline), never kspec. It seeds
Python, NumPy and the backend with the spec's seed, prepares the data as kspec does (rescale by
division for ``1/N``, the last fraction held out for validation, reshape, one-hot), builds the same
``Sequential`` with the same initialisation order, compiles it with the same optimizer, loss and
metrics, and fits with the same batch size, shuffling, epochs and callbacks. Same seed, same
machine: the same loss history.

Data: inline ``arrays`` are written into the script; a Keras data set is loaded with
``keras.datasets.<name>.load_data()``; every other in-memory source (the generated shapes set,
IDX, npz, npy files) is written, as stored before any preprocessing, to ``<script>_data.npz``
next to the script, so the script does not need kspec to regenerate or decode it. An image folder
becomes kspec's tf.data pipeline written out (:mod:`kspec.emit.eject_images`); ``mirrored`` and
``multi_worker`` training their strategy and, for the latter, kspec's loop (:mod:`kspec.emit.eject_strategy`).
Series and tables are written by :mod:`kspec.emit.eject_sequences`, text by :mod:`kspec.emit.eject_text`.
"""

from __future__ import annotations

import pprint
from pathlib import Path
from typing import Any

from ..diagnostics import KspecError
from ..resolve import Resolved
from ..compiling import LOSS_KERAS, METRIC_KERAS, OPTIMIZER_KERAS
from .eject_sequences import held_out_code
from .eject_strategy import kind as strategy_kind, loop_code, multi_worker_fit_code, strategy_code
from ..spec import (ArraysData, CSVLogger, EarlyStopping, ImageFolderData, KerasData, LearningRateScheduler,
                    ModelCheckpoint, ReduceLROnPlateau, SimpleLoss, SwapEMAWeights, TensorBoard, TerminateOnNaN,
                    ThresholdStop)

INLINE_LIMIT = 2000
"""Inline arrays with more values than this go to the data file instead of the script."""


def _kw(d: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in d.items())


def _keras_defaults(cls) -> dict[str, Any]:
    """The keyword defaults of a Keras class's constructor (empty when Keras is not installed)."""
    import inspect

    try:
        params = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover
        return {}
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def _keras_class(module: str, name: str):
    try:
        from .model import keras

        obj = keras()
        for part in module.split("."):  # optimizers.schedules
            obj = getattr(obj, part)
        return getattr(obj, name)
    except Exception:  # no Keras here: every argument is written out
        return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return tuple(a) == tuple(b)
    if isinstance(a, (tuple, list)) and isinstance(b, int) and not isinstance(b, bool):
        return all(v == b for v in a)
    if isinstance(b, (tuple, list)) and isinstance(a, int) and not isinstance(a, bool):
        return all(v == a for v in b)
    return type(a) is type(b) and a == b or (isinstance(a, float) and isinstance(b, float) and a == b)


def _without_defaults(module: str, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` less the arguments equal to Keras's own defaults: the script reads as one writes it."""
    cls = _keras_class(module, name)
    if cls is None:
        return kwargs
    defaults = _keras_defaults(cls)
    return {k: v for k, v in kwargs.items() if not (k in defaults and _same(v, defaults[k]))}


def _py(value: Any, indent: int) -> str:
    text = pprint.pformat(value, width=100 - indent, compact=True, sort_dicts=False)
    return text.replace("\n", "\n" + " " * indent)


def _check(r: Resolved) -> None:
    kind = getattr(r.train.distribute, "type", "default")
    if kind not in ("default", "mirrored", "multi_worker"):
        raise KspecError(f"kspec eject cannot write train.distribute {kind!r} as a script",
                         hint="eject with `--set train.distribute=default` (or mirrored / multi_worker)")
    if r.input_shape is None:
        raise KspecError("the model's input shape is unknown", hint="add `input_shape: [...]` to the model section")


def _data_code(r: Resolved, data_file: str | None) -> list[str]:
    d = r.data
    lines = []
    if isinstance(d, ArraysData) and data_file is None:
        lines.append(f"x = np.asarray({_py(d.x, 15)}, dtype=np.float32)")
        lines.append(f"y = np.asarray({_py(d.y, 15)}, dtype=np.float32)")
        if d.x_test is not None and d.y_test is not None:
            lines.append(f"x_test = np.asarray({_py(d.x_test, 20)}, dtype=np.float32)")
            lines.append(f"y_test = np.asarray({_py(d.y_test, 20)}, dtype=np.float32)")
        else:
            lines.append("x_test = y_test = None")
        lines += ["if x.ndim == 1:  # one number per sample -> shape (n, 1)", "    x = x[:, None]",
                  "    if x_test is not None and x_test.ndim == 1:", "        x_test = x_test[:, None]"]
    elif isinstance(d, KerasData):
        lines.append(f"(x, y), (x_test, y_test) = keras.datasets.{d.name}.load_data()")
    else:
        lines += [f"with np.load(HERE / {data_file!r}) as stored:  # written by kspec eject, as stored",
                  "    x, y = stored['x'], stored['y']",
                  "    x_test, y_test = (stored['x_test'], stored['y_test']) if 'x_test' in stored else (None, None)"]
    if d.limit:
        lines.append(f"x, y = x[:{d.limit}], y[:{d.limit}]")
    lines += ["", "", "def prepare(x, y):"]
    body = []
    if d.rescale is not None:
        inv = 1.0 / d.rescale
        n = round(inv)
        if n > 1 and abs(inv - n) <= 1e-9 * n:
            body.append(f"x = x.astype(np.float32) / np.float32({n})  # rescale 1/{n}")
        else:
            body.append(f"x = x.astype(np.float32) * np.float32({d.rescale!r})  # rescale")
    else:
        body.append("x = x.astype(np.float32) if x.dtype != np.float32 and np.issubdtype(x.dtype, np.number) else x")
    if d.reshape:
        body.append(f"x = x.reshape((len(x),) + {tuple(d.reshape)!r})")
    if d.label_encoding == "one_hot":
        n_classes = r.facts.num_classes
        body.append("ids = y.reshape(len(y), -1)[:, 0].astype(np.int64) if y.ndim > 1 and y.shape[-1] == 1 "
                    "else y.astype(np.int64)")
        body.append(f"y = np.eye({n_classes!r} or int(ids.max()) + 1, dtype=np.float32)[ids]  # one-hot")
    body.append("return x, y")
    lines += ["    " + b for b in body]
    lines += ["", "", "x, y = prepare(x, y)", "if x_test is not None:", "    x_test, y_test = prepare(x_test, y_test)"]
    lines += held_out_code(d)
    return lines


def _model_code(r: Resolved) -> list[str]:
    name = _model_name(r)
    before: list[str] = []
    shapes = None
    lines = ["model = keras.Sequential(", "    [", f"        keras.Input(shape={tuple(r.input_shape)!r}),"]
    for i, layer in enumerate(r.model.layers):
        if layer.type == "Application":
            if shapes is None:
                from ..analyse.shapes import infer

                shapes = [p.input_shape for p in infer(r.model.layers, r.input_shape).layers]
            fn, code = _application_code(r, layer, tuple(shapes[i]), i)
            before += code
            lines.append(f"        {fn}(),")
            continue
        lines.append(f"        {_layer_code(layer)},")
    lines += ["    ],", f"    name={name!r},", ")"]
    return before + lines


def _adapt_code(r: Resolved) -> list[str]:
    """Layers whose state comes from the training data (Normalization without mean and variance,
    a lookup without vocabulary, Discretization without boundaries), adapted on the training
    inputs through the layers before them, as ``emit.model.adapt_layers`` does: the arrays ``x``,
    or one pass of the ``train`` dataset (image folders and series)."""
    todo = [i for i, layer in enumerate(r.model.layers) if getattr(layer, "adapts", False)]
    if not todo:
        return []
    d = r.data
    dataset = isinstance(d, ImageFolderData) or getattr(d, "type", None) == "series"
    steps = "STEPS_PER_EPOCH" if isinstance(d, ImageFolderData) else r.train.steps_per_epoch
    lines = ["# layers whose state comes from the training data: adapted on it (through the layers before them)"]
    for i in todo:
        if dataset:
            lines.append("data = train.map(lambda x, *_: x)")
            if i:
                lines += [f"pre = keras.Sequential(model.layers[:{i}])", "data = data.map(lambda x: pre(x, training=False))"]
            if steps:
                lines.append(f"data = data.take({steps})  # one pass of the repeating training pipeline")
        else:
            lines.append("data = x" if i == 0 else f"data = keras.Sequential(model.layers[:{i}]).predict(x, verbose=0)")
        lines.append(f"model.layers[{i}].adapt(data)")
    return lines + [""]


def _layer_code(layer, name: str | None = None) -> str:
    """``keras.layers.X(...)`` for a spec layer, less Keras's defaults. A wrapper's nested layer
    (Bidirectional, TimeDistributed) is written the same way, named as ``emit.model`` names it."""
    from ..layers import LayerBase
    from .model import snake_case

    kwargs = layer.keras_kwargs()
    if name and "name" not in kwargs:
        kwargs = {"name": name, **kwargs}
    args = []
    for key, value in _without_defaults("layers", layer.type, kwargs).items():
        if isinstance(value, LayerBase):
            args.append(f"{key}={_layer_code(value, value.name or snake_case(value.type))}")
        else:
            args.append(f"{key}={value!r}")
    return f"keras.layers.{layer.type}({', '.join(args)})"


def _application_code(r: Resolved, layer, shape: tuple, index: int) -> tuple[str, list[str]]:
    """A function that builds an Application layer as kspec does (``emit.applications``): the
    backbone, then ``Input -> preprocess_input as layers -> backbone`` as one small model."""
    from .applications import CAFFE_MEANS, TORCH_MEAN, TORCH_STD

    stem = layer.name.lower()
    fn = f"{stem}_layer" if index == 0 else f"{stem}_layer_{index}"
    weights = layer.weights
    if weights not in (None, "imagenet"):
        weights = str(r.path(weights).resolve())
    kwargs: dict[str, Any] = {"include_top": layer.include_top, "weights": weights, "input_shape": shape}
    if layer.include_top:
        kwargs.update(classes=layer.classes, classifier_activation=layer.classifier_activation)
    else:
        kwargs["pooling"] = layer.pooling
    for key in ("alpha", "minimalistic", "include_preprocessing", "depth_multiplier", "dropout", "dropout_rate"):
        if getattr(layer, key) is not None:
            kwargs[key] = getattr(layer, key)
    code = ["", "", f"def {fn}():",
            f'    """{layer.name} as one layer: its preprocess_input, then the backbone."""',
            f"    base = keras.applications.{layer.name}({_kw(kwargs)})"]
    if layer.batch_norm_momentum is not None:
        code += ["    for inner in base.layers:",
                 "        if isinstance(inner, keras.layers.BatchNormalization):",
                 f"            inner.momentum = {layer.batch_norm_momentum!r}  # the spec's batch_norm_momentum"]
    if layer.fine_tune_from is not None:
        code += [f"    start = [l.name for l in base.layers].index({layer.fine_tune_from!r})",
                 "    for inner in base.layers[:start]:  # frozen below fine_tune_from",
                 "        inner.trainable = False",
                 "    for inner in base.layers:  # BatchNormalization frozen (inference mode) above it too",
                 "        if isinstance(inner, keras.layers.BatchNormalization):",
                 "            inner.trainable = False"]
    elif not layer.trainable:
        code.append("    base.trainable = False")
    code.append(f"    inputs = keras.Input(shape={shape!r}, name={stem + '_input'!r})")
    mode = layer.mode if layer.preprocess_input else "internal"
    if mode == "tf":
        code.append(f"    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name={stem + '_preprocess'!r})(inputs)")
    elif mode == "torch":
        code += [f"    x = keras.layers.Rescaling(1 / 255.0, name={stem + '_rescale'!r})(inputs)",
                 f"    x = keras.layers.Normalization(mean={list(TORCH_MEAN)!r}, "
                 f"variance={[s * s for s in TORCH_STD]!r}, name={stem + '_normalize'!r})(x)"]
    elif mode == "caffe":
        code += [f"    swap = keras.layers.Conv2D(3, 1, name={stem + '_preprocess'!r}, trainable=False)  # RGB -> BGR, minus the means",
                 f"    swap.build((None, *{shape!r}))",
                 "    kernel = np.zeros((1, 1, 3, 3), dtype='float32')",
                 "    for c in range(3):",
                 "        kernel[0, 0, 2 - c, c] = 1.0",
                 f"    swap.set_weights([kernel, -np.array({list(CAFFE_MEANS)!r}, dtype='float32')])",
                 "    x = swap(inputs)"]
    else:
        code.append("    x = inputs")
    from_scratch = layer.weights is None and layer.trainable and layer.fine_tune_from is None
    code += [f"    x = base(x, training={None if from_scratch else False!r})"
             + ("" if from_scratch else "  # BatchNormalization in inference mode"),
             f"    return keras.Model(inputs, x, name={layer.name!r})", "", ""]
    return fn, code


def _model_name(r: Resolved) -> str:
    import re

    return r.model.name or re.sub(r"[^A-Za-z0-9_]", "_", r.spec.name or "sequential")


class _Code(str):
    """Python source written as is by ``_kw`` (a nested Keras object)."""

    def __repr__(self) -> str:
        return str(self)


def _object_code(module: str, cls: str, obj, drop: set[str] = frozenset()) -> str:
    kwargs = {k: v for k, v in obj.model_dump(exclude={"type", *drop}).items() if v is not None}
    return f"keras.{module}.{cls}({_kw(_without_defaults(module, cls, kwargs))})"


def _compile_code(r: Resolved) -> list[str]:
    c = r.compile
    opt = c.optimizer
    okw = _without_defaults("optimizers", OPTIMIZER_KERAS[opt.type],
                            {k: v for k, v in opt.model_dump(exclude={"type", "learning_rate"}).items() if v is not None})
    lr = opt.learning_rate
    lr_code = lr if isinstance(lr, (int, float)) else _Code(_object_code("optimizers.schedules", lr.type, lr))
    if lr_code != type(opt).model_fields["learning_rate"].default:
        okw = {"learning_rate": lr_code, **okw}
    loss = c.loss
    if isinstance(loss, SimpleLoss):
        loss_code = repr(loss.type)
    else:
        args = loss.model_dump(exclude={"type"})
        defaults = type(loss)(type=loss.type).model_dump(exclude={"type"})
        loss_code = repr(loss.type) if args == defaults else _object_code("losses", LOSS_KERAS[loss.type], loss)
    metrics = [_Code(repr(m)) if isinstance(m, str) else _Code(_object_code("metrics", METRIC_KERAS[m.type], m))
               if m.type in METRIC_KERAS else _Code(repr(m.type)) for m in c.metrics]
    return ["model.compile(", f"    optimizer=keras.optimizers.{OPTIMIZER_KERAS[opt.type]}({_kw(okw)}),",
            f"    loss={loss_code},", f"    metrics=[{', '.join(metrics)}],", ")"]


THRESHOLD_STOP = '''

class ThresholdStop(keras.callbacks.Callback):
    """Stop at the end of the first epoch where `monitor` crosses `threshold`."""

    def __init__(self, monitor, threshold, mode):
        super().__init__()
        self.monitor, self.threshold, self.mode = monitor, threshold, mode

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        if (value >= self.threshold) if self.mode == "max" else (value <= self.threshold):
            print(f"{self.monitor} = {value:.4f} reached {self.threshold} at epoch {epoch + 1}; training stopped")
            self.model.stop_training = True
'''


def _callbacks_code(r: Resolved) -> tuple[list[str], bool]:
    lines = ["callbacks = ["]
    threshold = False
    for cb in r.train.callbacks:
        if isinstance(cb, ThresholdStop):
            threshold = True
            lines.append(f"    ThresholdStop({cb.monitor!r}, {cb.threshold!r}, {cb.direction!r}),")
        elif isinstance(cb, EarlyStopping):
            lines.append(f"    keras.callbacks.EarlyStopping({_kw(cb.model_dump(exclude={'type'}))}),")
        elif isinstance(cb, ModelCheckpoint):
            args = cb.model_dump(exclude={"type"})
            path = args.pop("filepath")
            lines.append(f"    keras.callbacks.ModelCheckpoint(str(OUT / {path!r}), {_kw(args)}),")
        elif isinstance(cb, CSVLogger):
            sep = "" if cb.separator == "," else f"separator={cb.separator!r}, "
            lines.append(f"    keras.callbacks.CSVLogger(str(OUT / {cb.filename!r}), {sep}append={cb.append!r}),")
        elif isinstance(cb, TerminateOnNaN):
            lines.append(f"    keras.callbacks.TerminateOnNaN({'raise_error=True' if cb.raise_error else ''}),")
        elif isinstance(cb, SwapEMAWeights):
            lines.append(f"    keras.callbacks.SwapEMAWeights(swap_on_epoch={cb.swap_on_epoch!r}),")
        elif isinstance(cb, LearningRateScheduler):
            lines.append(f"    keras.callbacks.LearningRateScheduler({_epoch_rate(cb.schedule)}, verbose={cb.verbose!r}),")
        elif isinstance(cb, ReduceLROnPlateau):
            lines.append(f"    keras.callbacks.ReduceLROnPlateau({_kw(cb.model_dump(exclude={'type'}))}),")
        elif isinstance(cb, TensorBoard):
            lines.append(f"    keras.callbacks.TensorBoard(log_dir=str(OUT / {cb.log_dir!r}), "
                         f"histogram_freq={cb.histogram_freq!r}),")
    lines.append("]")
    return lines, threshold


def _epoch_rate(schedule) -> str:
    """The declared per-epoch schedule as the lambda the course writes."""
    if schedule.type == "exponential":
        e = f"epoch / {schedule.epochs_per_factor!r}"
        e = f"int({e})" if schedule.staircase else f"({e})"
        return f"lambda epoch, lr: float({schedule.initial_learning_rate!r} * {schedule.factor!r} ** {e})"
    steps = " ".join(f"{v!r} if epoch < {b!r} else" for b, v in zip(schedule.boundaries, schedule.values))
    return f"lambda epoch, lr: {steps} {schedule.values[-1]!r}"


def _fit_code(r: Resolved) -> list[str]:
    t = r.train
    d = r.data
    verbose = t.verbose if t.verbose != "auto" else "auto"
    lines = []
    if strategy_kind(r) == "multi_worker":
        lines += multi_worker_fit_code(r, isinstance(d, ImageFolderData), 1 if verbose == "auto" else verbose)
        lines += ["if IS_CHIEF:  # the chief writes; the other workers keep nothing",
                  "    (OUT / 'history.json').write_text(json.dumps(history.history, indent=2))",
                  "    model.save(OUT / 'model.keras')",
                  "    # Keras 3 cannot evaluate under this strategy either: a local copy of the model does it",
                  "    model = keras.models.load_model(OUT / 'model.keras')"]
        return lines
    if isinstance(d, ImageFolderData):
        lines += ["history = model.fit(train, steps_per_epoch=STEPS_PER_EPOCH, validation_data=validation, shuffle=False,",
                  f"                    validation_steps=VALIDATION_STEPS, epochs=EPOCHS, callbacks=callbacks, verbose={verbose!r})",
                  "(OUT / 'history.json').write_text(json.dumps(history.history, indent=2))",
                  "model.save(OUT / 'model.keras')"]
        return lines
    if getattr(d, "type", None) == "series":  # a dataset of window batches: it shuffles itself
        steps = f"steps_per_epoch={t.steps_per_epoch}, " if t.steps_per_epoch else ""
        lines += [f"history = model.fit(train, {steps}validation_data=validation, shuffle=False, epochs=EPOCHS,",
                  f"                    callbacks=callbacks, verbose={verbose!r})",
                  "(OUT / 'history.json').write_text(json.dumps(history.history, indent=2))",
                  "model.save(OUT / 'model.keras')"]
        return lines
    if t.steps_per_epoch and getattr(d, "type", None) not in SEQUENCE_KINDS:  # kspec fits table and text arrays whole
        lines += ["import tensorflow as tf", "", "",
                  "def repeating(x, y, shuffle):",
                  "    ds = tf.data.Dataset.from_tensor_slices((x, y))",
                  "    if shuffle:",
                  "        ds = ds.shuffle(len(x), seed=SEED, reshuffle_each_iteration=True)",
                  "    return ds.repeat().batch(BATCH_SIZE).prefetch(2)", "", "",
                  "fit_data = dict(x=repeating(x, y, %r), steps_per_epoch=%d)" % (d.shuffle, t.steps_per_epoch)]
    else:
        lines.append(f"fit_data = dict(x=x, y=y, batch_size=BATCH_SIZE, shuffle={d.shuffle!r})")
    lines.append("if validation is not None:")
    if t.validation_steps and getattr(d, "type", None) not in SEQUENCE_KINDS:  # kspec validates their arrays whole
        lines.append(f"    fit_data.update(validation_data=repeating(*validation, False), validation_steps={t.validation_steps})")
    else:
        lines.append("    fit_data.update(validation_data=validation)")
    lines += [f"history = model.fit(**fit_data, epochs=EPOCHS, callbacks=callbacks, verbose={verbose!r})",
              "(OUT / 'history.json').write_text(json.dumps(history.history, indent=2))",
              "model.save(OUT / 'model.keras')"]
    return lines


def _after_code(r: Resolved) -> list[str]:
    spec = r.spec
    if isinstance(r.data, ImageFolderData):
        return _after_images_code(r)
    if getattr(r.data, "type", None) == "series":
        return _after_series_code(r)
    lines = []
    ev = spec.evaluate
    if ev is not False:
        source = "test" if ev is True else getattr(ev, "data", "test")
        data = "(x_test, y_test)" if source == "test" else "validation"
        bs = ev.batch_size if ev is not True and getattr(ev, "batch_size", None) else None
        lines += ["", f"evaluation = {data}", "if evaluation is not None and evaluation[0] is not None:",
                  f"    metrics = model.evaluate(*evaluation, batch_size={bs or 'BATCH_SIZE'}, verbose=0, return_dict=True)",
                  f"    print('evaluation ({source}):', {{k: round(float(v), 4) for k, v in metrics.items()}})"]
    p = spec.predict
    if p is not None and getattr(r.data, "type", None) in SEQUENCE_KINDS and p.x is not None:
        lines += ["", "# kspec run also predicts the spec's predict.x rows; not written here"]
    elif p is not None:
        if p.x is not None:
            lines += ["", f"inputs = np.asarray({_py(p.x, 20)}, dtype=np.float32)"]
            if r.input_shape == (1,):
                lines += ["if inputs.ndim == 1:", "    inputs = inputs[:, None]"]
            if r.data.rescale is not None or r.data.reshape:
                lines.append("inputs = prepare(inputs, np.zeros(len(inputs)))[0]")
        else:
            source = p.from_data or "test"
            lines += ["", f"inputs = {'x_test' if source == 'test' else 'validation[0]'}[:{p.count}]"]
        lines += ["print('predictions:')", "for i, out in enumerate(model.predict(inputs, verbose=0)):",
                  "    print(i, np.round(out, 4).tolist())"]
    return lines


def _after_series_code(r: Resolved) -> list[str]:
    """Evaluation on the validation windows (a series has no test set)."""
    if r.spec.evaluate is False:
        return []
    return ["", "if validation is not None:",
            "    metrics = model.evaluate(validation, verbose=0, return_dict=True)",
            "    print('evaluation (validation):', {k: round(float(v), 4) for k, v in metrics.items()})"]


def _after_images_code(r: Resolved) -> list[str]:
    """Evaluation and predictions on the validation images (an image folder has no test set)."""
    spec = r.spec
    lines = []
    if spec.evaluate is not False:
        lines += ["", "if validation is not None:",
                  "    metrics = model.evaluate(validation, steps=VALIDATION_STEPS, verbose=0, return_dict=True)",
                  "    print('evaluation (validation):', {k: round(float(v), 4) for k, v in metrics.items()})"]
    p = spec.predict
    if p is not None:
        if p.x is not None:
            lines += ["", f"inputs = np.asarray({_py(p.x, 20)}, dtype=np.float32) * np.float32(SCALE)"]
        else:
            lines += ["", "inputs = None", "if validation is not None:",
                      f"    inputs = np.concatenate([np.asarray(b[0]) for b in validation])[:{p.count}]"]
        lines += ["if inputs is not None:", "    print('predictions:')",
                  "    for i, out in enumerate(model.predict(inputs, verbose=0)):",
                  "        print(i, np.round(out, 4).tolist())"]
    return lines


def eject(r: Resolved, script: Path, *, spec_name: str = "spec") -> list[Path]:
    """Write ``script`` (and its data file when one is needed); returns the paths written."""
    from ..atomic import write_text

    _check(r)
    script = Path(script)
    data_file = None
    written = []
    d = r.data
    images = isinstance(d, ImageFolderData)
    big_inline = isinstance(d, ArraysData) and _count(d.x) + _count(d.y) > INLINE_LIMIT
    sequence = getattr(d, "type", None) in SEQUENCE_KINDS
    sequence_code, std = _sequence_code(r, script) if sequence else ([], set())
    if not (isinstance(d, (ArraysData, KerasData, ImageFolderData)) or sequence) or big_inline:
        data_file = script.stem + "_data.npz"
        written.append(_write_data(r, script.with_name(data_file)))
    callbacks, threshold = _callbacks_code(r)
    distributed = strategy_kind(r)
    distributed = None if distributed == "default" else distributed
    head = [f'"""Train {r.spec.name or spec_name} with Keras: written by `kspec eject` from {spec_name}.',
            "", "Plain Keras, no kspec: the same model, data preparation, callbacks and training settings as",
            f"`kspec run` (seed {r.seed}). Artifacts go to OUT: history.json, model.keras.", '"""', "",
            *_imports(images or getattr(d, "type", None) == "series", distributed, isinstance(getattr(r.train.distribute, "workers", None), list),
                      std, images),
            f"SEED = {r.seed}", f"EPOCHS = {r.train.epochs}", f"BATCH_SIZE = {(d.batch_size if images else None) or r.train.batch_size}",
            "HERE = Path(__file__).resolve().parent",
            f"OUT = HERE / {script.stem + '_out'!r}", "OUT.mkdir(exist_ok=True)", ""]
    if distributed:
        head += strategy_code(r)
    head += ["keras.utils.set_random_seed(SEED)  # Python, NumPy and the backend"]
    if threshold:
        head += THRESHOLD_STOP.rstrip().splitlines() + [""]
    if images:
        from .eject_images import image_data_code

        data_code = image_data_code(r, script, by_file=distributed == "multi_worker")
    elif sequence:
        data_code = sequence_code
    else:
        data_code = _data_code(r, data_file)
    model_code = _model_code(r) + _compile_code(r)
    if distributed:  # variables are created in the strategy's scope
        model_code = ["with strategy.scope():"] + ["    " + ln if ln else ln for ln in model_code]
    body = head + ["", "# data"] + data_code + ["", "# model"] + model_code
    body += _adapt_code(r) + ["model.summary()", ""]
    if distributed == "multi_worker":
        body += loop_code()
        callbacks += ["if not IS_CHIEF:  # callbacks that write files run on the chief only",
                      "    callbacks = [c for c in callbacks if not isinstance(c, (keras.callbacks.ModelCheckpoint, "
                      "keras.callbacks.CSVLogger, keras.callbacks.TensorBoard))]"]
    after = _after_code(r)
    if distributed == "multi_worker":
        after = ["", "if IS_CHIEF:"] + ["    " + ln if ln else ln for ln in after] + [
            "all_reduce(tf.constant(1.0, tf.float64))  # a barrier: the other workers wait until the chief is done"]
    body += ["# training"] + callbacks + _fit_code(r) + after
    written.insert(0, write_text(script, "\n".join(body) + "\n"))
    return written


def _imports(tf: bool, distributed: str | None, listed_workers: bool = False, more: set[str] = frozenset(),
             images: bool = False) -> list[str]:
    std = ["json", *more] + (["math", "os", "random"] if images else ["math", "os"] if distributed == "multi_worker" else [])
    if listed_workers:
        std.append("sys")  # WORKER_INDEX from the command line
    lines = [f"import {m}" for m in sorted(set(std))] + ["from pathlib import Path", "", "import numpy as np"]
    if tf or distributed:
        lines.append("import tensorflow as tf")
    return lines + ["import keras", ""]


SEQUENCE_KINDS = ("series", "table", "text", "keras_text")
"""Data kinds whose pipeline :mod:`kspec.emit.eject_sequences` or :mod:`kspec.emit.eject_text` writes."""


def _sequence_code(r: Resolved, script: Path) -> tuple[list[str], set[str]]:
    from .eject_sequences import series_code, table_code
    from .eject_text import keras_text_code, text_code

    return {"series": series_code, "table": table_code, "text": text_code,
            "keras_text": keras_text_code}[r.data.type](r, script)


def _count(values: Any) -> int:
    if isinstance(values, list):
        return sum(_count(v) for v in values)
    return 1


def _write_data(r: Resolved, path: Path) -> Path:
    import numpy as np

    from ..atomic import save_with
    from .data import load_arrays

    (x, y), test = load_arrays(r)
    arrays = {"x": x, "y": y}
    if test is not None:
        arrays.update(x_test=test[0], y_test=test[1])
    return save_with(path, lambda p: np.savez_compressed(open(p, "wb"), **arrays))


__all__ = ["eject"]
