"""``kspec predict`` and ``kspec evaluate``: use a saved run's model on new inputs or other data.

Nothing is retrained; the model is loaded from the run directory (``model.keras``, or the last
checkpoint of a run that did not finish).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..diagnostics import KspecError


@dataclass
class Predictions:
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    @property
    def classifier(self) -> bool:
        return any("class_id" in r for r in self.rows)

    def to_json(self) -> str:
        return json.dumps({"predictions": self.rows}, indent=2) + "\n"

    def to_csv(self) -> str:
        keys: list[str] = []
        for r in self.rows:
            keys.extend(k for k in r if k not in keys)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
        w.writeheader()
        for r in self.rows:
            w.writerow({k: (json.dumps(v) if isinstance(v, list) else v) for k, v in r.items()})
        return buf.getvalue()

    def to_table(self) -> str:
        if not self.rows:
            return ""
        if "forecast" in self.rows[0]:
            return "\n".join(f"t={r['time']:<8} {r['forecast']:.6g}" for r in self.rows)
        if "generated" in self.rows[0]:
            return "\n".join(r["text"] for r in self.rows)
        width = max(len(r["input"]) for r in self.rows) + 2
        lines = []
        for r in self.rows:
            if "class_id" in r:
                label = r.get("class_name", str(r["class_id"]))
                lines.append(f"{r['input'].ljust(width)}{label}  (p={r['probability']:.3f})")
            else:
                out = r["output"]
                shown = ", ".join(f"{v:.6g}" for v in out) if isinstance(out, list) else f"{out:.6g}"
                lines.append(f"{r['input'].ljust(width)}{shown}")
        return "\n".join(lines)


def predict_run(run_dir: Path, inputs: list[str], *, batch_size: int | None = None,
                rows: list[str] | None = None) -> Predictions:
    """The predicted class and probability (or the value, for regression) of every input; for a
    table run, of every raw row (files of rows in ``inputs``, ``col=value,...`` rows in ``rows``)."""
    from .inputs import read_inputs
    from .common import describe_predictions
    from .saved import SavedRun

    saved = SavedRun(run_dir)
    r = saved.resolved
    kind = getattr(r.data, "type", None)
    if kind == "table":
        return _predict_rows(saved, inputs, rows or [], batch_size)
    if rows:
        raise KspecError(f"--row gives a table's columns, and {run_dir} was trained on {kind} data",
                         hint="give the inputs to predict as arguments")
    if kind in ("text", "keras_text"):
        return _predict_texts(saved, inputs)
    batch = read_inputs(inputs, r)
    from .common import inference_batch_size

    size = batch_size or inference_batch_size(r, r.train.batch_size)
    out = np.asarray(saved.model.predict(batch.x, batch_size=size, verbose=0))
    rows = describe_predictions(out, saved.class_names, r)
    for name, row in zip(batch.names, rows):
        row.pop("index", None)
        row["input"] = name
        row.update({k: row.pop(k) for k in list(row) if k != "input"})  # input first
    return Predictions(rows, notes=list(saved.notes))


def _predict_rows(saved, inputs: list[str], rows: list[str], batch_size: int | None) -> Predictions:
    """A table model's prediction for every raw row, encoded with the run's fitted layout."""
    from .common import describe_predictions, inference_batch_size
    from .tablerows import encode_table_rows

    x, names = encode_table_rows(saved, inputs, rows)
    r = saved.resolved
    out = np.asarray(saved.model.predict(x, batch_size=batch_size or inference_batch_size(r, r.train.batch_size),
                                         verbose=0))
    described = describe_predictions(out, saved.class_names, r)
    for name, row in zip(names, described):
        row.pop("index", None)
        row["input"] = name
        row.update({k: row.pop(k) for k in list(row) if k != "input"})
    return Predictions(described, notes=list(saved.notes))


def _predict_texts(saved, texts: list[str]) -> Predictions:
    """A text classifier's class and probability for every raw sentence."""
    from .runner import describe_predictions
    from .textgen import encode_texts

    if getattr(saved.resolved.data, "task", None) == "next_word":
        raise KspecError("this run predicts the next word", hint="use --generate N --seed-text TEXT")
    x = encode_texts(saved, texts)
    out = np.asarray(saved.model.predict(x, verbose=0))
    rows = describe_predictions(out, saved.class_names, saved.resolved)
    for text, row in zip(texts, rows):
        row.pop("index", None)
        row["input"] = text
        row.update({k: row.pop(k) for k in list(row) if k != "input"})
    return Predictions(rows, notes=list(saved.notes))


def predict_sequence(run_dir: Path, inputs: list[str], *, steps: int | None, generate: int | None,
                     seed_text: str | None) -> Predictions:
    """``--steps N`` for a series run, ``--generate N --seed-text TEXT`` for a next-word run."""
    from .saved import SavedRun

    saved = SavedRun(run_dir)
    kind = getattr(saved.resolved.data, "type", None)
    if steps is not None:
        if kind != "series":
            raise KspecError(f"--steps forecasts a series, and {run_dir} was trained on {kind} data",
                             hint="give inputs to predict instead")
        if inputs or generate is not None or seed_text is not None:
            raise KspecError("--steps takes no inputs, --generate or --seed-text")
        from .forecast import forecast_ahead

        ahead = forecast_ahead(saved, steps)
        return Predictions(ahead.rows(), notes=ahead.notes)
    if generate is None or seed_text is None:
        raise KspecError("next-word generation needs both --generate N and --seed-text TEXT")
    if getattr(saved.resolved.data, "task", None) != "next_word":
        raise KspecError(f"--generate continues a text with a next-word model, and {run_dir} was trained on "
                         f"{kind} data" + (" for classification" if kind == "text" else ""),
                         hint="train a spec with `data: {type: text, task: next_word}`")
    from .textgen import generate_text

    text = generate_text(saved, seed_text, generate)
    return Predictions([{"seed_text": seed_text, "generated": generate, "text": text}], notes=list(saved.notes))


@dataclass
class Evaluation:
    data: str
    """What was evaluated: ``test``, ``validation``, ``train``, or a data file and its part."""
    samples: int | None
    metrics: dict[str, float]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"data": self.data, "samples": self.samples, **self.metrics}, indent=2) + "\n"

    def render(self) -> str:
        head = f"evaluation on {self.data}" + (f" ({self.samples} samples)" if self.samples is not None else "")
        return head + ":\n" + "\n".join(f"  {k:<24}{v:.4f}" for k, v in self.metrics.items())


def _other_data(saved, path: Path):
    """The saved run's resolved spec with its data section replaced by the one in ``path``."""
    from ..parse import load
    from ..pipeline import Pipeline

    doc = load(path)
    if doc.data is None or not doc.ok:
        msgs = "; ".join(d.message for d in doc.diagnostics[:3])
        raise KspecError(f"cannot read the data section {path}: {msgs}")
    section = doc.data.get("data", doc.data) if isinstance(doc.data, dict) else None
    if not isinstance(section, dict) or "type" not in section:
        raise KspecError(f"{path} holds no data section",
                         hint="give a YAML/JSON file with a data section (`type: npz`, `path: ...`), "
                              "or a spec whose `data:` is one")
    spec = json.loads((saved.dir / "spec.resolved.json").read_text(encoding="utf-8"))
    spec["data"] = section
    p = Pipeline(text=json.dumps(spec), file=str(path), base_dir=path.parent, seed=saved.manifest.get("seed"))
    if not p.valid:
        msgs = "; ".join(f"{d.path}: {d.message}" for d in p.spec_diagnostics[:3])
        raise KspecError(f"the data section in {path} is not valid: {msgs}")
    return p.resolved


def evaluate_run(run_dir: Path, data: str = "test", *, batch_size: int | None = None) -> Evaluation:
    """Evaluate a saved model on its test or validation data (``data`` = ``test`` / ``validation``),
    or on another data section (``data`` = a YAML/JSON file): its test split when it has one, else
    all its samples."""
    from ..emit.data import build_inputs
    from .common import prepare_keras
    from .saved import SavedRun

    saved = SavedRun(run_dir)
    model = saved.model
    if data in ("test", "validation"):
        r = saved.resolved
        prepare_keras(r.seed)
        inputs = build_inputs(r)
        chosen, label = (inputs.test if data == "test" else inputs.validation), data
        if chosen is None:
            other = "validation" if data == "test" else "test"
            raise KspecError(f"the run's data has no {data} set",
                             hint=f"use --data {other}, or --data FILE with another data section")
        steps = inputs.validation_steps if data == "validation" and not isinstance(chosen, tuple) else None
    else:
        path = Path(data)
        if not path.is_file():
            raise KspecError(f"--data {data!r} is neither `test`, `validation` nor a file",
                             hint="pass test, validation, or a YAML/JSON file holding a data section")
        r = _other_data(saved, path)
        prepare_keras(r.seed)
        inputs = build_inputs(r)
        if inputs.test is not None:
            chosen, label = inputs.test, f"{path} (test)"
        else:
            chosen, label = inputs.train, f"{path} (all samples)"
            if isinstance(chosen, tuple) and inputs.validation is not None and isinstance(inputs.validation, tuple):
                chosen = (np.concatenate([chosen[0], inputs.validation[0]]),
                          np.concatenate([chosen[1], inputs.validation[1]]))
        steps = inputs.steps_per_epoch if chosen is inputs.train and not isinstance(chosen, tuple) else None
        want = tuple(model.inputs[0].shape[1:])
        have = tuple(r.facts.sample_shape or ())
        if have and want and have != want:
            raise KspecError(f"the data in {path} has samples of shape {list(have)}; the model takes {list(want)}",
                             hint="reshape the data (data.reshape) to the model's input")
    kw: dict[str, Any] = {"verbose": 0, "return_dict": True}
    if isinstance(chosen, tuple):
        kw.update(x=chosen[0], y=chosen[1], batch_size=batch_size or r.train.batch_size)
        samples: int | None = len(chosen[0])
    else:
        kw.update(x=chosen)
        if steps:
            kw["steps"] = steps
        samples = None
    try:
        metrics = {k: float(v) for k, v in model.evaluate(**kw).items()}
    except Exception as e:
        first = (str(e).strip().splitlines() or [""])[0][:300]
        raise KspecError(f"cannot evaluate on {label}: {type(e).__name__}: {first}",
                         hint="the data must have the samples and labels the model was trained on") from None
    return Evaluation(label, samples, metrics, notes=list(saved.notes))
