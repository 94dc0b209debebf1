"""Input data from a resolved spec: arrays for in-memory sources, tf.data for image folders.

In-memory arrays are handed to ``model.fit`` as NumPy arrays, exactly as a notebook does, so a
kspec run costs nothing over the hand-written script. When ``steps_per_epoch`` is set they go
through a repeating tf.data pipeline instead, so no epoch runs short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import datasets
from ..diagnostics import KspecError
from ..resolve import Resolved
from .inputs import Inputs
from ..spec import ArraysData, IdxData, ImageFolderData, KerasData, NpyData, NpzData, SyntheticData

Arrays = tuple[np.ndarray, np.ndarray]


# ------------------------------------------------------------------------------------ loading


def _load_keras(name: str) -> tuple[Arrays, Arrays]:
    """Load a Keras data set the normal Keras way; offline, use files already in place."""
    info = datasets.KERAS_DATASETS[name]
    home = datasets.keras_home()
    cache = home / info.cache_subdir
    if name == "fashion_mnist" and not all((cache / f).exists() for f in info.files):
        deb = datasets.DEBIAN_FASHION_MNIST
        if all((deb / f).exists() for f in info.files):
            tr_x, tr_y, te_x, te_y = (datasets.read_idx(deb / f) for f in info.files)
            return (tr_x, tr_y), (te_x, te_y)
    from .model import keras

    loader = getattr(keras().datasets, name)
    try:
        return loader.load_data()
    except Exception as e:  # network errors come in many types
        looked = [str(cache / f) for f in info.files]
        if name == "fashion_mnist":
            looked.append(str(datasets.DEBIAN_FASHION_MNIST))
        raise KspecError(
            f"cannot load the Keras data set {name!r}: the files are not in the Keras cache and the "
            f"download failed ({type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''})",
            hint=f"looked in: {', '.join(looked)}. Copy the files there (KERAS_HOME sets the cache folder)"
            + (", install Debian's dataset-fashion-mnist" if name == "fashion_mnist" else "")
            + ", or use `type: idx` / `type: npz` with local files",
        ) from None


def load_arrays(resolved: Resolved) -> tuple[Arrays, Arrays | None]:
    """(train, test) arrays as stored, before rescale."""
    data = resolved.data
    if isinstance(data, ArraysData):
        x = np.asarray(data.x, dtype=np.float32)
        y = np.asarray(data.y, dtype=np.float32)
        test = None
        if data.x_test is not None and data.y_test is not None:
            test = (np.asarray(data.x_test, dtype=np.float32), np.asarray(data.y_test, dtype=np.float32))
        if x.ndim == 1:
            x = x[:, None]
            if test is not None and test[0].ndim == 1:
                test = (test[0][:, None], test[1])
        return (x, y), test
    if isinstance(data, SyntheticData):
        x, y = datasets.make_shapes(data.samples + data.test_samples, data.image_size, data.noise, data.data_seed)
        n = data.samples
        return (x[:n], y[:n]), ((x[n:], y[n:]) if data.test_samples else None)
    if isinstance(data, KerasData):
        train, test = _load_keras(data.name)
        return train, test
    if isinstance(data, IdxData):
        train = (datasets.read_idx(resolved.path(data.train_images)), datasets.read_idx(resolved.path(data.train_labels)))
        test = None
        if data.test_images and data.test_labels:
            test = (datasets.read_idx(resolved.path(data.test_images)), datasets.read_idx(resolved.path(data.test_labels)))
        return train, test
    if isinstance(data, NpzData):
        arrays = datasets.read_array_file(resolved.path(data.path))
        for key in (data.x_key, data.y_key):
            if key not in arrays:
                raise KspecError(f"{data.path} has no array {key!r} (it has {sorted(arrays)})",
                                 hint="set x_key / y_key to the names in the file")
        test = None
        if data.x_test_key in arrays and data.y_test_key in arrays:
            test = (arrays[data.x_test_key], arrays[data.y_test_key])
        return (arrays[data.x_key], arrays[data.y_key]), test
    if isinstance(data, NpyData):
        def one(p):
            return datasets.read_array_file(resolved.path(p))[""]

        test = (one(data.x_test), one(data.y_test)) if data.x_test and data.y_test else None
        return (one(data.x), one(data.y)), test
    raise KspecError(f"data type {data.type!r} has no array loader")  # pragma: no cover


def rescale_array(x: np.ndarray, rescale: float) -> np.ndarray:
    """``x * rescale`` as float32. A rescale of 1/N (``1/255``) divides by N instead, which is what
    the course's ``x / 255.0`` computes: multiplying by the rounded 1/255 differs from it in the last
    bit for half of the 256 pixel values, and then training no longer matches the notebook's."""
    inv = 1.0 / rescale
    n = round(inv)
    if n > 1 and abs(inv - n) <= 1e-9 * n:
        return x.astype(np.float32) / np.float32(n)
    return x.astype(np.float32) * np.float32(rescale)


def _prepare(x: np.ndarray, y: np.ndarray, resolved: Resolved, num_classes: int | None) -> Arrays:
    data = resolved.data
    if data.rescale is not None:
        x = rescale_array(x, data.rescale)
    elif x.dtype != np.float32 and np.issubdtype(x.dtype, np.number):
        x = x.astype(np.float32)
    if data.reshape:
        want = tuple(data.reshape)
        if math.prod(want) != math.prod(x.shape[1:]):
            raise KspecError(f"data.reshape {list(want)} does not fit samples of shape {list(x.shape[1:])}",
                             hint="the number of values per sample must stay the same")
        x = x.reshape((len(x),) + want)
    if data.label_encoding == "one_hot":
        ids = y.reshape(len(y), -1)[:, 0].astype(np.int64) if y.ndim > 1 and y.shape[-1] == 1 else y.astype(np.int64)
        n = num_classes or int(ids.max()) + 1
        y = np.eye(n, dtype=np.float32)[ids]
    return x, y


def array_inputs(resolved: Resolved, *, batch_size: int, seed: int) -> Inputs:
    data = resolved.data
    (x, y), test = load_arrays(resolved)
    if len(x) != len(y):
        raise KspecError(f"the data has {len(x)} inputs but {len(y)} labels", hint="every sample needs one label")
    fingerprint = datasets.array_fingerprint(x, y, *(test or ()))
    if data.limit:
        x, y = x[: data.limit], y[: data.limit]
    n_classes = resolved.facts.num_classes
    x, y = _prepare(x, y, resolved, n_classes)
    if test is not None:
        test = _prepare(test[0], test[1], resolved, n_classes)
    validation = None
    if isinstance(data.validation, float):
        # like Keras's validation_split: the last fraction of the samples, before shuffling
        n_val = max(1, int(round(len(x) * data.validation)))
        validation = (x[-n_val:], y[-n_val:])
        x, y = x[:-n_val], y[:-n_val]
    elif data.validation == "test":
        if test is None:
            raise KspecError("data.validation is 'test' but the data has no test set",
                             hint="use a fraction such as `validation: 0.1`, or provide test data")
        validation = test
    inputs = Inputs(train=(x, y), validation=validation, test=test, class_names=resolved.facts.class_names,
                    batch_size=batch_size, shuffle=data.shuffle, fingerprint=fingerprint)
    t = resolved.train
    if t.steps_per_epoch:
        inputs.train = _repeating(x, y, batch_size, data.shuffle, seed)
        inputs.steps_per_epoch = t.steps_per_epoch
        inputs.fixed_batch = lambda n: (x[:n], y[:n])
    if validation is not None and t.validation_steps:
        inputs.validation = _repeating(validation[0], validation[1], batch_size, False, seed)
        inputs.validation_steps = t.validation_steps
    return inputs


def _repeating(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, seed: int):
    from . import tf_environment

    tf_environment()
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.repeat().batch(batch_size).prefetch(2)


def build_inputs(resolved: Resolved) -> Inputs:
    batch = resolved.train.batch_size
    kind = getattr(resolved.data, "type", None)
    if kind in ("series", "table", "text", "keras_text"):
        from . import sequences

        build = {"series": sequences.series_inputs, "table": sequences.table_inputs,
                 "text": sequences.text_inputs, "keras_text": sequences.keras_text_inputs}[kind]
        return build(resolved, batch_size=batch, seed=resolved.seed)
    if isinstance(resolved.data, ImageFolderData):
        from . import images
        from .images import image_folder_inputs

        res = image_folder_inputs(resolved, batch_size=resolved.data.batch_size or batch, seed=resolved.seed)
        return Inputs(train=res.train, validation=res.validation, test=getattr(res, "test", None),
                      class_names=res.class_names, steps_per_epoch=res.steps_per_epoch,
                      validation_steps=res.validation_steps, batch_size=resolved.data.batch_size or batch,
                      fingerprint=res.fingerprint, counts=dict(res.counts),
                      skipped_files=[str(f) for f in res.skipped_files], notes=list(getattr(res, "notes", [])),
                      images=res, fixed_batch=lambda n: images.fixed_batch(resolved, res, n))
    return array_inputs(resolved, batch_size=batch, seed=resolved.seed)


def sample_inputs(resolved: Resolved, inputs: Inputs, source: str, count: int) -> np.ndarray | None:
    """The first ``count`` inputs of the test or validation data, as the model sees them."""
    data = inputs.test if source == "test" else inputs.validation
    if data is None:
        return None
    if isinstance(data, tuple):
        return data[0][:count]
    xs = []
    for xb, _ in data:
        xs.append(np.asarray(xb))
        if sum(len(b) for b in xs) >= count:
            break
    return np.concatenate(xs)[:count] if xs else None


def as_float_inputs(values: list, resolved: Resolved) -> np.ndarray:
    """Inline predict inputs, rescaled and reshaped like the training data."""
    x = np.asarray(values, dtype=np.float32)
    if x.ndim == 1 and resolved.input_shape == (1,):
        x = x[:, None]
    data = resolved.data
    if data.rescale is not None:
        x = rescale_array(x, data.rescale)
    if data.reshape:
        x = x.reshape((len(x),) + tuple(data.reshape))
    return x

