"""What every run command shares, one floor below them: Keras set-up, the result of a run, and
the helpers that turn model outputs into predictions (the runner, distributed training, saved
runs, predict and visualize all use them; this module imports none of those).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..diagnostics import Diagnostic, KspecError
from ..resolve import Resolved


@dataclass
class RunResult:
    run_dir: Path
    history: dict[str, list[Any]]
    metrics: dict[str, float] = field(default_factory=dict)
    predictions: list[dict[str, Any]] | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    status: str = "completed"
    """``completed``, ``diverged`` (the loss became NaN) or ``interrupted``."""
    plots: list[Path] = field(default_factory=list)
    visualized: Any = None
    forecast: dict[str, Any] | None = None
    """A series run: MAE and MSE of the model and the baselines on the validation period."""


def prepare_keras(seed: int) -> Any:
    """Import Keras quietly and seed Python, NumPy and the backend."""
    from ..emit.model import keras as import_keras

    keras = import_keras()
    keras.utils.set_random_seed(seed)
    return keras


def is_classifier(r: Resolved) -> bool:
    last = r.model.layers[-1]
    act = getattr(last, "activation", None)
    if act not in ("softmax", "sigmoid"):
        return False
    if act == "sigmoid" and getattr(last, "units", None) != 1:
        return False  # multi-label: one matrix per label would be needed
    return r.facts.classification is not False


def predicted_classes(out: np.ndarray) -> np.ndarray:
    out = np.asarray(out)
    if out.ndim == 1 or out.shape[-1] == 1:
        return (out.reshape(len(out)) >= 0.5).astype(np.int64)
    return np.argmax(out, axis=-1)


def label_ids(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] > 1:
        return np.argmax(y, axis=-1)
    return np.rint(y.reshape(len(y))).astype(np.int64)


INFERENCE_BUDGET_BYTES = 256 * 2**20
"""Activation memory one inference batch may take: predict-only passes use larger batches than
training (fewer steps, far less per-step overhead), within this budget."""


def inference_batch_size(r: Resolved, at_least: int, at_most: int = 1024) -> int:
    """A batch size for predict-only passes: as large as the activation budget allows (from the
    static plan, no TensorFlow), between ``at_least`` and ``at_most``."""
    from ..analyse.shapes import infer

    try:
        plan = infer(r.model.layers, r.input_shape)
        per_sample = plan.activation_bytes if plan.complete else 0
    except Exception:  # an odd layer the plan cannot size: stay with the training batch size
        per_sample = 0
    if per_sample <= 0:
        return at_least
    return max(at_least, min(at_most, INFERENCE_BUDGET_BYTES // per_sample))


def collect(model, data, steps: int | None, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(true labels, model outputs) over arrays or a dataset of (x, y) batches."""
    if isinstance(data, tuple):
        return np.asarray(data[1]), np.asarray(model.predict(data[0], batch_size=batch_size, verbose=0))
    ys, outs = [], []
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        xb, yb = batch[0], batch[1]
        ys.append(np.asarray(yb))
        outs.append(np.asarray(model(xb, training=False)))
    if not ys:
        return np.zeros((0,)), np.zeros((0,))
    return np.concatenate(ys), np.concatenate(outs)


def describe_predictions(out: np.ndarray, class_names: list[str] | None, r: Resolved) -> list[dict[str, Any]]:
    """One dict per sample: class and probability for classifiers, the value(s) for regression."""
    last = r.model.layers[-1]
    act = getattr(last, "activation", None)
    rows = []
    for i, o in enumerate(out):
        o = np.atleast_1d(o)
        row: dict[str, Any] = {"index": i}
        if act == "softmax" and o.size > 1:
            k = int(np.argmax(o))
            row.update(class_id=k, probability=float(o[k]))
            if class_names and k < len(class_names):
                row["class_name"] = class_names[k]
        elif act == "sigmoid" and o.size == 1:
            k = int(o[0] >= 0.5)
            row.update(class_id=k, probability=float(o[0] if k else 1 - o[0]), output=float(o[0]))
            if class_names and len(class_names) == 2:
                row["class_name"] = class_names[k]
        else:
            row["output"] = [float(v) for v in o] if o.size > 1 else float(o[0])
        rows.append(row)
    return rows


def data_sample(r: Resolved, inputs, source: str, index: int) -> np.ndarray:
    """Sample ``index`` of the run's ``source`` data (train, validation or test), as a batch of one."""
    from ..emit.data import sample_inputs

    if source == "train":
        train = inputs.train
        if isinstance(train, tuple):
            if index >= len(train[0]):
                raise KspecError(f"visualize.index {index} is out of range: the training data has {len(train[0])} samples")
            return train[0][index: index + 1]
        for xb, _ in train.take(1 + index // max(1, inputs.batch_size)):
            pass
        return np.asarray(xb)[index % inputs.batch_size: index % inputs.batch_size + 1]
    x = sample_inputs(r, inputs, source, index + 1)
    if x is None or len(x) <= index:
        have = 0 if x is None else len(x)
        raise KspecError(f"there is no {source} sample {index} to visualize ({have} available)",
                         hint="set visualize.from_data / visualize.index, or give visualize.image")
    return x[index: index + 1]
