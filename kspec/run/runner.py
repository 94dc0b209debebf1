"""The runner: everything between a resolved spec and a finished run directory."""

from __future__ import annotations

import io
import json
import sys
import time
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..atomic import save_with, write_json, write_text
from ..diagnostics import Diagnostic, KspecError
from ..pipeline import Pipeline
from ..resolve import Resolved
from . import rundir
from .history import LAST, STATE, load_rows, make_history_writer, rows_to_history


@dataclass
class RunResult:
    run_dir: Path
    history: dict[str, list[Any]]
    metrics: dict[str, float] = field(default_factory=dict)
    predictions: list[dict[str, Any]] | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    status: str = "completed"


def _say(quiet: bool) -> Callable[[str], None]:
    def say(msg: str) -> None:
        print(msg, flush=True)

    return say


def _verbose(setting: Any, quiet: bool) -> int:
    if quiet:
        return 0
    if setting == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(setting)


def prepare_keras(seed: int) -> Any:
    """Import Keras quietly and seed Python, NumPy and the backend."""
    from ..emit.model import keras as import_keras

    keras = import_keras()
    keras.utils.set_random_seed(seed)
    return keras


def model_summary(model) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        model.summary(line_length=100)
    return buf.getvalue()


def run_pipeline(p: Pipeline, out_root: Path, *, epochs: int | None = None, quiet: bool = False) -> RunResult:
    """Train the pipeline's spec in a new run directory under ``out_root``."""
    r = p.resolved
    if epochs is not None:
        r.train.epochs = epochs
    name = r.spec.name or (p.path.stem if p.path else "run")
    run_dir = rundir.new_run_dir(Path(out_root), name)
    say = _say(quiet)
    rundir.copy_sources(run_dir, p.document.sources)
    write_json(run_dir / "spec.resolved.json", r.to_json())
    manifest: dict[str, Any] = {
        "version": 1,
        "name": name,
        "spec_file": str(p.path.resolve()) if p.path else None,
        "base_dir": str(r.base_dir.resolve()),
        "spec_hash": r.spec_hash(),
        "seed": r.seed,
        "seed_drawn": r.seed_was_drawn,
        "started": rundir.now(),
        "status": "running",
        "versions": rundir.versions(),
    }
    rundir.write_manifest(run_dir, manifest)
    say(f"kspec: run directory {run_dir}")
    return _train(r, run_dir, manifest, rows=[], initial_epoch=0, model=None, say=say, quiet=quiet)


def resume_run(run_dir: Path, *, quiet: bool = False) -> RunResult:
    """Continue an interrupted run from its last completed epoch."""
    run_dir = Path(run_dir)
    manifest = rundir.read_manifest(run_dir)
    if manifest.get("status") == "completed":
        raise KspecError(f"{run_dir} finished already ({manifest.get('epochs_completed')} epochs)",
                         hint="start a new run with `kspec run SPEC`")
    state_path = run_dir / STATE
    resolved_text = (run_dir / "spec.resolved.json").read_text(encoding="utf-8")
    p = Pipeline(text=resolved_text, file=str(run_dir / "spec.resolved.json"),
                 base_dir=Path(manifest["base_dir"]), seed=manifest["seed"])
    p.require_valid()
    r = p.resolved
    rows = load_rows(run_dir)
    say = _say(quiet)
    keras = prepare_keras(r.seed)
    model = None
    done = 0
    if state_path.is_file() and (run_dir / LAST).is_file():
        state = json.loads(state_path.read_text(encoding="utf-8"))
        done = int(state["epochs_completed"])
        if state.get("stopped"):
            done = r.train.epochs
        try:
            model = keras.models.load_model(run_dir / LAST)
        except Exception as e:
            raise KspecError(f"cannot load the checkpoint {run_dir / LAST}: {e}",
                             hint="start the run again with `kspec run SPEC`") from None
    rows = [row for row in rows if row["epoch"] <= done]
    say(f"kspec: resuming {run_dir} after epoch {done} of {r.train.epochs}")
    manifest["status"] = "running"
    manifest.setdefault("resumed", []).append({"at": rundir.now(), "after_epoch": done})
    rundir.write_manifest(run_dir, manifest)
    return _train(r, run_dir, manifest, rows=rows, initial_epoch=done, model=model, say=say, quiet=quiet)


def _train(r: Resolved, run_dir: Path, manifest: dict[str, Any], *, rows: list, initial_epoch: int,
           model: Any, say: Callable[[str], None], quiet: bool) -> RunResult:
    from ..emit.callbacks import build_callbacks
    from ..emit.data import build_inputs
    from ..emit.model import build_model, compile_model

    prepare_keras(r.seed)
    manifest["versions"] = rundir.versions()
    t0 = time.perf_counter()
    inputs = build_inputs(r)
    manifest["data"] = {"fingerprint": inputs.fingerprint, "source": r.data.type,
                        "class_names": inputs.class_names, "counts": inputs.counts or r.facts.class_counts,
                        "skipped_files": inputs.skipped_files}
    manifest["timing"] = {"data_s": round(time.perf_counter() - t0, 3)}
    if inputs.class_names:
        write_json(run_dir / "classes.json", {"class_names": inputs.class_names})
    if model is None:
        model = build_model(r)
        compile_model(model, r)
    write_text(run_dir / "summary.txt", model_summary(model))
    callbacks = build_callbacks(r.train.callbacks, run_dir, say)
    callbacks.append(make_history_writer(run_dir, rows))
    rundir.write_manifest(run_dir, manifest)
    status = "completed"
    t1 = time.perf_counter()
    try:
        if initial_epoch < r.train.epochs:
            model.fit(**inputs.fit_kwargs(), epochs=r.train.epochs, initial_epoch=initial_epoch,
                      callbacks=callbacks, verbose=_verbose(r.train.verbose, quiet))
    except KeyboardInterrupt:
        status = "interrupted"
    except Exception as e:
        manifest.update(status="failed", ended=rundir.now(), error=f"{type(e).__name__}: {e}")
        rundir.write_manifest(run_dir, manifest)
        raise
    manifest["timing"]["fit_s"] = round(time.perf_counter() - t1, 3)
    manifest["epochs_completed"] = len(rows)
    history = rows_to_history(rows)
    if status == "interrupted":
        manifest.update(status="interrupted", ended=rundir.now())
        rundir.write_manifest(run_dir, manifest)
        say(f"\nkspec: interrupted after epoch {len(rows)}; continue with: kspec run --resume {run_dir}")
        raise KeyboardInterrupt
    result = RunResult(run_dir=run_dir, history=history)
    save_with(run_dir / "model.keras", model.save)
    result.metrics = _evaluate(model, r, inputs, run_dir, quiet)
    result.predictions = _predict(model, r, inputs, run_dir)
    from ..report.plots import plot_history

    plots = plot_history(history, run_dir)
    manifest.update(status=status, ended=rundir.now(), artifacts=sorted(
        str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file() and not p.name.startswith(".")))
    manifest["timing"]["total_s"] = round(time.perf_counter() - t0, 3)
    rundir.write_manifest(run_dir, manifest)
    _final_summary(result, plots, say)
    return result


def _evaluate(model, r: Resolved, inputs, run_dir: Path, quiet: bool) -> dict[str, float]:
    ev = r.spec.evaluate
    if ev is False:
        return {}
    source = "test" if ev is True else ev.data
    data = inputs.test if source == "test" else inputs.validation
    if data is None:
        return {}
    kw: dict[str, Any] = {"verbose": 0 if quiet else 2, "return_dict": True}
    if isinstance(data, tuple):
        kw.update(x=data[0], y=data[1], batch_size=(ev.batch_size if ev not in (True,) and ev.batch_size else r.train.batch_size))
    else:
        kw.update(x=data)
    metrics = {k: float(v) for k, v in model.evaluate(**kw).items()}
    write_json(run_dir / "metrics.json", {"data": source, **metrics})
    return metrics


def _predict(model, r: Resolved, inputs, run_dir: Path) -> list[dict[str, Any]] | None:
    from ..emit.data import as_float_inputs, sample_inputs

    spec = r.spec.predict
    if spec is None:
        return None
    if spec.x is not None:
        x = as_float_inputs(spec.x, r)
        shown = spec.x
    else:
        x = sample_inputs(r, inputs, spec.from_data or "test", spec.count)
        if x is None:
            raise KspecError(f"predict.from_data is {spec.from_data!r} but there is no such data")
        shown = None
    out = np.asarray(model.predict(x, verbose=0))
    preds = describe_predictions(out, inputs.class_names, r)
    for i, row in enumerate(preds):
        if shown is not None:
            row["input"] = shown[i]
    write_json(run_dir / "predictions.json", {"predictions": preds})
    return preds


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


def _final_summary(result: RunResult, plots: list[Path], say: Callable[[str], None]) -> None:
    h = result.history
    parts = []
    for k in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if k in h and h[k]:
            v = h[k][-1]
            parts.append(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}")
    say("")
    say(f"kspec: trained {len(h.get('loss', []))} epoch(s): " + ", ".join(parts))
    if result.metrics:
        say("kspec: evaluation: " + ", ".join(f"{k} {v:.4f}" for k, v in result.metrics.items()))
    if result.predictions:
        for row in result.predictions[:5]:
            if "class_id" in row:
                label = row.get("class_name", row["class_id"])
                say(f"kspec: prediction {row['index']}: {label} (p={row['probability']:.3f})")
            else:
                say(f"kspec: prediction {row['index']}: {row.get('input', '')} -> {row['output']}")
    say(f"kspec: artifacts in {result.run_dir}")
