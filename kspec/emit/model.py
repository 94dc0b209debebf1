"""Keras model, optimizer, loss and metrics from a resolved spec."""

from __future__ import annotations

from typing import Any

from ..resolve import Resolved
from ..compiling import LOSS_KERAS, METRIC_KERAS, OPTIMIZER_KERAS


def keras():
    """Import Keras (and TensorFlow) once, keeping TensorFlow's start-up log lines off the console.

    The C++ runtime writes them straight to file descriptor 2; they are captured during the import
    and shown only if the import fails.
    """
    import sys

    if sys.modules.get("keras") is not None:
        return sys.modules["keras"]
    import os
    import tempfile

    from . import tf_environment

    tf_environment()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            import keras as _keras
        except ImportError as e:
            os.dup2(saved, 2)
            from ..diagnostics import KspecError
            from ..extras import missing

            raise (missing(e) or KspecError(f"Keras cannot be imported: {e}",
                                            hint='reinstall it with: pip install "kspec[train]"')) from None
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return _keras


def build_layer(layer, name: str | None = None, dtype: str | None = None, *, input_shape=None,
                base_path=None, index: int = 0) -> Any:
    """The Keras layer of a spec layer; a wrapper's nested layers (Bidirectional, TimeDistributed)
    are built first, named as Keras names them in a fresh process. An Application layer needs its
    per-sample ``input_shape`` (and ``base_path``, which turns a weights path of the spec into a
    file path)."""
    from ..layers import LayerBase

    if layer.type == "Application":
        from pathlib import Path

        from .applications import build_application

        return build_application(keras(), layer, name or layer.name, input_shape, base_path or Path, index=index,
                                 dtype=dtype)
    k = keras()
    cls = getattr(k.layers, layer.type)
    kwargs = layer.keras_kwargs()
    for key, value in kwargs.items():
        if isinstance(value, LayerBase):
            kwargs[key] = build_layer(value, value.name or snake_case(value.type), dtype)
    if name and "name" not in kwargs:
        kwargs["name"] = name
    dtype = layer_dtype(layer, dtype)
    if dtype:
        kwargs["dtype"] = dtype
    frozen = kwargs.pop("trainable", True) is False  # not every constructor takes it (SpatialDropout1D)
    built = cls(**kwargs)
    if frozen:
        built.trainable = False
    return built


def layer_dtype(layer, policy: str | None) -> str | None:
    """The dtype policy a layer is built with under the model's ``policy``. Hashing with
    ``output_mode: int`` outputs integer ids, and its ``dtype`` is their integer type (Keras refuses a
    float policy there), so it keeps its default; its encoded outputs are float32 unless the policy is
    mixed (Keras's hashing kernel has no float16 counts)."""
    if policy and layer.type == "Hashing" and (layer.output_mode == "int" or not policy.startswith("mixed_")):
        return None
    return policy


def output_policy(policy: str | None) -> str | None:
    """The dtype of the model's last layer: float32 under a mixed policy, so that the outputs (softmax,
    sigmoid) and the loss are computed in float32, as Keras's mixed-precision guide advises."""
    return "float32" if policy and policy.startswith("mixed_") else policy


def build_model(resolved: Resolved):
    """``keras.Sequential([keras.Input(shape), *layers])``: the input shape is declared once."""
    k = keras()
    if resolved.input_shape is None:
        from ..diagnostics import KspecError

        raise KspecError("the model's input shape is unknown",
                         hint="add `input_shape: [...]` to the model section")
    layers = [k.Input(shape=tuple(resolved.input_shape))]
    policy = resolved.model.dtype_policy
    shapes = _input_shapes(resolved)
    last = len(resolved.model.layers) - 1
    for i, (l, name) in enumerate(zip(resolved.model.layers, layer_names(resolved.model.layers))):
        dtype = output_policy(policy) if i == last and l.type != "Application" else policy
        layers.append(build_layer(l, name, dtype=dtype, input_shape=shapes[i], base_path=resolved.path, index=i))
    return k.Sequential(layers, name=resolved.model.name or _model_name(resolved))


def _input_shapes(resolved: Resolved) -> list:
    """The input shape of every layer (needed by Application layers only; empty without them)."""
    if not any(l.type == "Application" for l in resolved.model.layers):
        return [None] * len(resolved.model.layers)
    from ..analyse.shapes import infer

    plan = infer(resolved.model.layers, resolved.input_shape)
    shapes = [p.input_shape for p in plan.layers]
    return shapes + [None] * (len(resolved.model.layers) - len(shapes))


def snake_case(cls_name: str) -> str:
    """Keras's default layer-name stem: ``MaxPooling2D`` -> ``max_pooling2d``."""
    import re

    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", cls_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def layer_names(layers) -> list[str]:
    """The name of every layer: the spec's, or the one Keras gives in a fresh process
    (``conv2d``, ``conv2d_1``, ...), so names never depend on what else the process built."""
    taken = {l.name for l in layers if l.name}
    counts: dict[str, int] = {}
    out = []
    for l in layers:
        if l.name:
            out.append(l.name)
            continue
        stem = snake_case(l.type)
        while True:
            n = counts.get(stem, 0)
            counts[stem] = n + 1
            name = stem if n == 0 else f"{stem}_{n}"
            if name not in taken:
                break
        taken.add(name)
        out.append(name)
    return out


def _model_name(resolved: Resolved) -> str:
    import re

    name = resolved.spec.name or "sequential"
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _missing_class(module: str, cls: str):
    from ..diagnostics import KspecError

    k = keras()
    return KspecError(f"keras.{module}.{cls} is not in the installed Keras {k.__version__}",
                      hint="upgrade Keras (pip install -U keras) or choose another one")


def build_schedule(lr) -> Any:
    """A float stays a float; a schedule mapping becomes its keras.optimizers.schedules object."""
    if isinstance(lr, (int, float)):
        return lr
    k = keras()
    cls = getattr(k.optimizers.schedules, lr.type, None)
    if cls is None:
        raise _missing_class("optimizers.schedules", lr.type)
    return cls(**{key: v for key, v in lr.model_dump(exclude={"type"}).items() if v is not None})


def build_optimizer(opt) -> Any:
    k = keras()
    name = OPTIMIZER_KERAS[opt.type]
    cls = getattr(k.optimizers, name, None)
    if cls is None:
        raise _missing_class("optimizers", name)
    kwargs = {key: v for key, v in opt.model_dump(exclude={"type", "learning_rate"}).items() if v is not None}
    return cls(learning_rate=build_schedule(opt.learning_rate), **kwargs)


def _args(obj) -> dict:
    """Arguments that differ from the spec's defaults (the defaults are Keras's own)."""
    return {key: (tuple(v) if isinstance(v, list) else v)
            for key, v in obj.model_dump(exclude={"type"}).items()
            if key in obj.model_fields_set or v != type(obj).model_fields[key].default}


def build_loss(loss) -> Any:
    """The loss by name when every argument is the default (exactly what a notebook passes), else an object."""
    args = _args(loss)
    if not args:
        return loss.type
    k = keras()
    name = LOSS_KERAS[loss.type]
    cls = getattr(k.losses, name, None)
    if cls is None:
        raise _missing_class("losses", name)
    return cls(**{key: v for key, v in args.items() if v is not None or key in ("axis", "ignore_class")})


def build_metric(metric) -> Any:
    """A name stays a name (Keras logs it under that name); an object becomes its keras.metrics object."""
    if isinstance(metric, str):
        return metric
    args = _args(metric)
    name = METRIC_KERAS.get(metric.type)
    if name is None:  # accuracy, mse, ... exist only as Keras strings
        return metric.logged_name if args else metric.type
    k = keras()
    cls = getattr(k.metrics, name, None)
    if cls is None:
        raise _missing_class("metrics", name)
    if isinstance(args.get("thresholds"), tuple):
        args["thresholds"] = list(args["thresholds"])
    return cls(**args)


def compile_model(model, resolved: Resolved) -> None:
    c = resolved.compile
    model.compile(optimizer=build_optimizer(c.optimizer), loss=build_loss(c.loss),
                  metrics=[build_metric(m) for m in c.metrics])


def adapt_layers(model, resolved: Resolved, inputs) -> list[str]:
    """Adapt the layers whose state comes from the training split (Normalization without a given
    mean and variance) on the training inputs, through the layers before them. Returns their names."""
    todo = [i for i, l in enumerate(resolved.model.layers) if getattr(l, "adapts", False)]
    if not todo:
        return []
    k = keras()
    train = inputs.train
    steps = getattr(inputs, "steps_per_epoch", None)
    done = []
    for i in todo:
        before = model.layers[:i]
        if isinstance(train, tuple):
            data = train[0] if not before else k.Sequential(before).predict(train[0], verbose=0)
        else:
            data = train.map(lambda x, *_: x)
            if before:
                pre = k.Sequential(before)
                data = data.map(lambda x: pre(x, training=False))
        if steps and not isinstance(train, tuple):
            data = data.take(steps)  # one pass of a repeating training pipeline
        model.layers[i].adapt(data)
        done.append(model.layers[i].name)
    return done
