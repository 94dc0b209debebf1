"""The Keras model of an ``Application`` layer: the ``keras.applications`` backbone with its
``preprocess_input`` in front, its weights from the Keras cache or a file, frozen as the spec says.

The layer is a small functional model ``input -> preprocessing -> backbone`` named after the
application. The backbone is called with ``training=False`` (BatchNormalization in inference mode,
as in Keras's transfer-learning guide) unless it trains from scratch (``weights: null``, every
layer trainable). With ``fine_tune_from`` every BatchNormalization layer stays frozen, those after
the named layer too: Keras 3 runs a frozen BatchNormalization in inference mode.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from ..diagnostics import KspecError

CAFFE_MEANS = (103.939, 116.779, 123.68)  # BGR, as keras.applications.imagenet_utils subtracts them
TORCH_MEAN = (0.485, 0.456, 0.406)
TORCH_STD = (0.229, 0.224, 0.225)


class _NotCached(Exception):
    def __init__(self, fname: str, folder: str, origin: str | None):
        super().__init__(fname)
        self.fname, self.folder, self.origin = fname, folder, origin


def cache_folder(cache_subdir: str = "models") -> Path:
    """Where Keras's ``get_file`` keeps (and looks for) its files: ``$KERAS_HOME/<subdir>`` (default
    ``~/.keras``; ``/tmp/.keras`` when that is not writable, as Keras does)."""
    from ..datasets import keras_home

    base = str(keras_home().expanduser())
    if os.path.isdir(base) and not os.access(base, os.W_OK):
        base = os.path.join("/tmp", ".keras")
    return Path(base) / cache_subdir


def _offline_get_file(real: Callable) -> Callable:
    """``get_file`` that uses a cached file and never downloads: a missing file raises _NotCached."""

    def get_file(fname=None, origin=None, *args, cache_subdir="datasets", cache_dir=None, **kwargs):
        folder = Path(os.path.expanduser(cache_dir)) / cache_subdir if cache_dir else cache_folder(cache_subdir)
        name = fname or (origin or "").rsplit("/", 1)[-1]
        if not (folder / name).is_file():
            raise _NotCached(name, str(folder), origin)
        return real(fname, origin, *args, cache_subdir=cache_subdir, cache_dir=cache_dir, **kwargs)

    return get_file


def _preprocessing(layer, shape, k, dtype: str | None = None) -> list:
    """Keras layers that do what ``preprocess_input`` does for the application's mode."""
    if not layer.preprocess_input or layer.mode == "internal":
        return []
    stem = layer.name.lower()
    d = {"dtype": dtype} if dtype else {}
    if layer.mode == "tf":
        return [k.layers.Rescaling(1 / 127.5, offset=-1.0, name=f"{stem}_preprocess", **d)]
    if layer.mode == "torch":
        return [k.layers.Rescaling(1 / 255.0, name=f"{stem}_rescale", **d),
                k.layers.Normalization(mean=list(TORCH_MEAN), variance=[s * s for s in TORCH_STD],
                                       name=f"{stem}_normalize", **d)]
    import numpy as np

    swap = k.layers.Conv2D(3, 1, name=f"{stem}_preprocess", trainable=False, **d)  # RGB -> BGR, minus the means
    swap.build((None, *shape))
    kernel = np.zeros((1, 1, 3, 3), dtype="float32")
    for c in range(3):
        kernel[0, 0, 2 - c, c] = 1.0
    swap.set_weights([kernel, -np.array(CAFFE_MEANS, dtype="float32")])
    return [swap]


def _weights(layer, base_path: Callable[[str], Path], where: str):
    if layer.weights in (None, "imagenet"):
        return layer.weights
    path = base_path(layer.weights)
    if not path.is_file():
        raise KspecError(f"{where}: the weights file {path} does not exist",
                         hint="give the path of a .weights.h5 file relative to the spec (saved with "
                         "model.save_weights), or use weights: imagenet / null")
    return str(path)


def batch_norm_layers(model) -> list:
    """Every BatchNormalization layer of a Keras model, those of nested models included, in order."""
    out = []
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            out.append(layer)
        elif hasattr(layer, "layers"):
            out += batch_norm_layers(layer)
    return out


def build_application(k, layer, name: str, shape, base_path: Callable[[str], Path], *, index: int = 0,
                      dtype: str | None = None) -> Any:
    """The Keras model of one Application layer for per-sample input ``shape`` (``k``: the keras module).
    ``dtype``: the model's dtype policy; ``keras.applications`` models take no ``dtype`` argument, so
    the backbone is built under it as Keras's global policy (restored afterwards), and its
    preprocessing layers get it as their ``dtype``."""
    where = f"model.layers[{index}].weights"
    kwargs: dict[str, Any] = {"include_top": layer.include_top, "weights": _weights(layer, base_path, where),
                              "input_shape": tuple(shape)}
    if layer.include_top:
        kwargs.update(classes=layer.classes, classifier_activation=layer.classifier_activation)
    else:
        kwargs["pooling"] = layer.pooling
    for key in ("alpha", "minimalistic", "include_preprocessing", "depth_multiplier", "dropout", "dropout_rate"):
        if getattr(layer, key) is not None:
            kwargs[key] = getattr(layer, key)
    from keras.src.utils import file_utils

    real = file_utils.get_file
    file_utils.get_file = _offline_get_file(real)
    global_policy = k.config.dtype_policy()
    try:
        if dtype:
            k.config.set_dtype_policy(dtype)
        base = getattr(k.applications, layer.name)(**kwargs)
    except _NotCached as e:
        raise KspecError(
            f"{where}: the imagenet weights of {layer.name} are not in the Keras cache: {e.fname} is not in {e.folder}",
            hint=f"copy {e.fname} into {e.folder} (it is downloaded from {e.origin}; KERAS_HOME sets the cache "
            "folder), or use weights: null, or a .weights.h5 file") from None
    finally:
        file_utils.get_file = real
        k.config.set_dtype_policy(global_policy)
    if layer.batch_norm_momentum is not None:
        for bn in batch_norm_layers(base):
            bn.momentum = layer.batch_norm_momentum
    if layer.fine_tune_from is not None:
        base.trainable = True
        names = [l.name for l in base.layers]
        start = names.index(layer.fine_tune_from)
        for inner in base.layers[:start]:
            inner.trainable = False
        for bn in batch_norm_layers(base):  # in inference mode, as Keras's fine-tuning guide keeps them
            bn.trainable = False
    elif not layer.trainable:
        base.trainable = False
    from_scratch = layer.weights is None and layer.trainable and layer.fine_tune_from is None
    inputs = k.Input(shape=tuple(shape), name=f"{layer.name.lower()}_input")
    x = inputs
    for pre in _preprocessing(layer, shape, k, dtype):
        x = pre(x)
    x = base(x, training=None if from_scratch else False)
    return k.Model(inputs, x, name=name)
