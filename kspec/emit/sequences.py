"""Input pipelines of the series and table data kinds.

Series: the series (normalised with statistics of the training period) is one tensor; a batch of
windows is gathered from it by start index, so no window is ever materialised and memory stays
flat in the number of windows. Tables: rows encoded to float arrays with the layout fitted on the
training rows (kspec.tables), handed to ``model.fit`` as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import datasets
from ..resolve import Resolved
from ..series import WindowPlan, normalisation, read_series, window_plan
from .inputs import Inputs


@dataclass
class SeriesInputs:
    """What a series run needs after training: the raw series, its windows, the normalisation."""

    series: np.ndarray
    plan: WindowPlan
    offset: float
    scale: float

    def normalised(self) -> np.ndarray:
        return ((self.series - self.offset) / self.scale).astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        p = self.plan
        return {"length": p.length, "split_time": p.split, "window_size": p.window_size, "horizon": p.horizon,
                "shift": p.shift, "offset": self.offset, "scale": self.scale,
                "train_windows": p.n_train, "validation_windows": p.n_validation}


def series_state(r: Resolved) -> SeriesInputs:
    data = r.data
    series = read_series(data, r.base_dir)
    if data.rescale is not None:
        series = series * data.rescale
    plan = window_plan(data, len(series))
    offset, scale = normalisation(series, data.normalize, data.normalize_fit, plan.split)
    return SeriesInputs(series, plan, offset, scale)


def _window_dataset(series, starts: range | list[int], plan: WindowPlan, batch_size: int, *, shuffle: bool,
                    buffer: int | None, seed: int, sample_shape: tuple[int, ...]):
    """Batches of windows gathered from ``series`` (one tensor, shared by the splits). The start
    indices are a ``Dataset.range``, never an array: nothing here grows with the number of windows
    but a shuffle buffer as large as the declared ``shuffle_buffer`` (all windows when undeclared)."""
    import tensorflow as tf

    w, h = plan.window_size, plan.horizon
    if isinstance(starts, range):
        ds = tf.data.Dataset.range(starts.start, starts.stop, starts.step)
    else:  # a few chosen starts (the layer monitor's fixed batch)
        ds = tf.data.Dataset.from_tensor_slices(np.asarray(starts, dtype=np.int64))
    if shuffle:
        ds = ds.shuffle(buffer or max(1, len(starts)), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    offsets_x = tf.range(w, dtype=tf.int64)
    offsets_y = tf.range(w, w + h, dtype=tf.int64)

    def gather(idx):
        x = tf.gather(series, idx[:, None] + offsets_x[None, :])
        y = tf.gather(series, idx[:, None] + offsets_y[None, :])
        x = tf.reshape(x, (-1,) + tuple(sample_shape))
        return x, (y[:, 0] if h == 1 else y)

    return ds.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def series_inputs(r: Resolved, *, batch_size: int, seed: int) -> Inputs:
    import tensorflow as tf

    state = series_state(r)
    values = tf.constant(state.normalised())
    shape = tuple(r.data.reshape) if r.data.reshape else (state.plan.window_size,)
    data = r.data
    train = _window_dataset(values, state.plan.train_starts, state.plan, batch_size, shuffle=data.shuffle,
                            buffer=data.shuffle_buffer, seed=seed, sample_shape=shape)
    validation = None
    if state.plan.n_validation:
        validation = _window_dataset(values, state.plan.validation_starts, state.plan, batch_size, shuffle=False,
                                     buffer=None, seed=seed, sample_shape=shape)
    inputs = Inputs(train=train, validation=validation, batch_size=batch_size, shuffle=data.shuffle,
                    fingerprint=datasets.array_fingerprint(np.asarray(state.series, dtype=np.float64)),
                    counts={"train_windows": state.plan.n_train, "validation_windows": state.plan.n_validation})
    if r.train.steps_per_epoch:
        inputs.train = train.repeat()
        inputs.steps_per_epoch = r.train.steps_per_epoch
    inputs.state = state

    def fixed_batch(n: int):  # n training windows spread evenly over the period, through the same gather
        every = state.plan.train_starts
        if not len(every):
            return None
        starts = [every[int(i * len(every) / n)] for i in range(min(n, len(every)))]
        ds = _window_dataset(values, starts, state.plan, len(starts), shuffle=False, buffer=None, seed=seed,
                             sample_shape=shape)
        return next(iter(ds))

    inputs.fixed_batch = fixed_batch
    return inputs


def table_inputs(r: Resolved, *, batch_size: int, seed: int) -> Inputs:
    from ..tables import encode_rows, load_table

    table = load_table(r.data, r.base_dir)
    rec, lay = table.records, table.layout
    x, y = encode_rows(rec, table.train_rows, lay)
    validation = encode_rows(rec, table.validation_rows, lay) if table.validation_rows else None
    test = encode_rows(table.test, list(range(len(table.test.rows))), lay) if table.test is not None else None
    if r.data.validation == "test":
        validation = test
    if r.data.label_encoding == "one_hot" and lay.task == "classification":
        eye = np.eye(len(lay.classes), dtype=np.float32)
        x, y = x, eye[y]
        validation = (validation[0], eye[validation[1]]) if validation is not None else None
        test = (test[0], eye[test[1]]) if test is not None else None
    inputs = Inputs(train=(x, y), validation=validation, test=test,
                    class_names=list(lay.classes) if lay.task == "classification" else None,
                    batch_size=batch_size, shuffle=r.data.shuffle,
                    fingerprint=datasets.array_fingerprint(x, y))
    inputs.state = lay
    return inputs


def text_inputs(r: Resolved, *, batch_size: int, seed: int) -> Inputs:
    from ..textdata import load_text

    loaded = load_text(r.data, r.base_dir)
    st = loaded.state
    y_train, y_val, y_test = loaded.y_train, loaded.y_val, loaded.y_test
    n_classes = st.tokenizer.vocab_size if st.task == "next_word" else len(st.classes)
    if r.data.label_encoding == "one_hot":
        eye = np.eye(n_classes, dtype=np.float32)
        y_train, y_val, y_test = (None if y is None else eye[y] for y in (y_train, y_val, y_test))
    validation = (loaded.x_val, y_val) if loaded.x_val is not None else None
    test = (loaded.x_test, y_test) if loaded.x_test is not None else None
    if r.data.validation == "test":
        validation = test
    inputs = Inputs(train=(loaded.x_train, y_train), validation=validation, test=test,
                    class_names=list(st.classes) if st.task == "classify" else None, batch_size=batch_size,
                    shuffle=r.data.shuffle, fingerprint=datasets.array_fingerprint(loaded.x_train, loaded.y_train),
                    state=st)
    inputs.notes.append(f"vocabulary of {st.tokenizer.vocab_size} token ids fitted on {len(loaded.x_train)} "
                        f"training {'n-grams' if st.task == 'next_word' else 'texts'}; sequences of {st.maxlen}")
    return inputs


def keras_text_inputs(r: Resolved, *, batch_size: int, seed: int) -> Inputs:
    from ..diagnostics import KspecError
    from ..textdata import KERAS_TEXT, pad_sequences
    from .model import keras

    data = r.data
    info = KERAS_TEXT[data.name]
    cached = datasets.keras_home() / "datasets" / info.files[0]
    loader = getattr(keras().datasets, data.name)
    try:
        (x, y), (xt, yt) = loader.load_data(num_words=data.num_words)
    except Exception as e:  # offline: the download fails in many ways
        raise KspecError(
            f"cannot load the Keras data set {data.name!r}: {cached} is not in the Keras cache and the download "
            f"failed ({type(e).__name__}: {(str(e).splitlines() or [''])[0][:200]})",
            hint=f"looked in: {cached}. Copy {info.files[0]} there (KERAS_HOME sets the cache folder), "
                 "or use `type: text` with local files") from None

    def pad(seqs):
        return pad_sequences([list(s) for s in seqs], data.maxlen, data.padding, data.truncating)

    x, xt = pad(x), pad(xt)
    y, yt = np.asarray(y, dtype=np.int64), np.asarray(yt, dtype=np.int64)
    if data.label_encoding == "one_hot":
        eye = np.eye(info.num_classes, dtype=np.float32)
        y, yt = eye[y], eye[yt]
    if data.limit:
        x, y = x[: data.limit], y[: data.limit]
    validation = None
    if isinstance(data.validation, float):
        n_val = max(1, int(round(len(x) * data.validation)))
        validation, x, y = (x[-n_val:], y[-n_val:]), x[:-n_val], y[:-n_val]
    elif data.validation == "test":
        validation = (xt, yt)
    return Inputs(train=(x, y), validation=validation, test=(xt, yt), class_names=r.facts.class_names,
                  batch_size=batch_size, shuffle=data.shuffle, fingerprint=datasets.array_fingerprint(x, y))
