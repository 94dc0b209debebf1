"""The runner: everything between a resolved spec and a finished run directory.

    start (run_pipeline / resume_run / repeat_run)
      -> Session: spec, run directory, manifest, history rows, starting epoch, model
      -> train: data, model, callbacks (history + resume checkpoint, monitor, the spec's), fit
      -> finish: model.keras, evaluation, confusion matrix, predictions, plots, feature maps,
         run diagnostics, manifest, summary

Every file is written atomically (kspec.atomic). The resume checkpoint (kspec.run.checkpoint) is
crash-consistent, so a run killed at any moment continues with ``kspec run --resume RUN_DIR``.
"""

from __future__ import annotations

import contextlib
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..atomic import save_with, write_json, write_text
from ..diagnostics import KspecError, Severity
from ..pipeline import Pipeline
from ..resolve import Resolved
from . import checkpoint, findings, rundir
from .common import (RunResult, collect, data_sample, describe_predictions, inference_batch_size,
                     is_classifier, label_ids, predicted_classes, prepare_keras)
from .checks import MonitorFacts, RunContext, kept_epoch, make_monitor, run_checks
from .history import gaps, load_rows, make_history_writer, rows_to_history, write_rows


@dataclass
class Session:
    """One training session in one run directory (a fresh run, or a resumed one)."""

    r: Resolved
    run_dir: Path
    manifest: dict[str, Any]
    sources: dict[str, str]
    """Spec file -> text, for code frames under run diagnostics."""
    span_of: Callable[[tuple], Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    initial_epoch: int = 0
    model: Any = None
    quiet: bool = False
    report_format: str = "full"
    monitor: MonitorFacts = field(default_factory=MonitorFacts)
    dist: Any = None
    """The tf.distribute setup (:class:`kspec.run.distribute.Distribution`); None: one device."""
    fitting: bool = False
    """``model.fit`` has started (a failure before it is a failed start)."""
    drawer: Any = None
    """The figures' child process (:class:`kspec.report.drawer.Drawer`), started when training ends."""

    def say(self, msg: str) -> None:
        """Progress lines; ``--quiet`` leaves them out."""
        if not self.quiet:
            print(msg, flush=True)

    def announce(self, msg: str) -> None:
        """The final summary and findings: always shown."""
        print(msg, flush=True)


def _verbose(setting: Any, quiet: bool) -> int:
    if quiet:
        return 0
    if setting == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(setting)


SUMMARY_WIDTH = 120
"""Characters per line of ``summary.txt``: wide enough for every column of Keras's table."""


def model_summary(model, width: int = SUMMARY_WIDTH) -> str:
    """Keras's model summary as plain text, every column kept.

    Keras 3 draws the table with rich, whose console is as wide as the terminal, or 80 columns
    when there is none (a file, a pipe): a wider table is squeezed and loses its last columns
    ("Param #"). The console reads ``COLUMNS`` when it is made, so it is set for the call.
    """
    import os

    lines: list[str] = []
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        model.summary(line_length=width, print_fn=lambda text, *a, **k: lines.append(text))
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved
    text = "\n".join(lines)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


# ------------------------------------------------------------------------------------ starting


def run_pipeline(p: Pipeline, out_root: Path, *, epochs: int | None = None, quiet: bool = False,
                 report_format: str = "full", repeat_of: Path | None = None) -> RunResult:
    """Train the pipeline's spec in a new run directory under ``out_root``."""
    r = p.resolved
    if epochs is not None:
        r.train.epochs = epochs
    _check_before_training(r)
    from ..emit.model import keras
    from .distribute import run_worker, start

    keras()  # TensorFlow missing or broken: say so before a run directory exists

    dist = start(r)  # a strategy must exist before any other TensorFlow op
    if not dist.is_chief:  # another worker of a cluster: trains along, writes nothing
        return run_worker(r, dist, quiet=quiet)
    name = r.spec.name or (p.path.stem if p.path else "run")
    run_dir = rundir.new_run_dir(Path(out_root), name)
    rundir.copy_sources(run_dir, p.document.sources)
    write_text(run_dir / "lint.json", findings.render_json(p.lint_diagnostics, p.document.sources))
    resolved_text = write_json(run_dir / "spec.resolved.json", r.to_json()).read_text(encoding="utf-8")
    spec_file = str(p.path.resolve()) if p.path else None
    repeat = ["kspec", "run", spec_file or str(run_dir), "--seed", str(r.seed)]
    if epochs is not None:
        repeat += ["--epochs", str(epochs)]
    import shlex

    set_args = [o.argument for o in p.document.overrides]
    for arg in set_args:
        repeat += ["--set", shlex.quote(arg)]
    manifest: dict[str, Any] = {
        "version": 1,
        "name": name,
        "spec_file": spec_file,
        "base_dir": str(r.base_dir.resolve()),
        "seal": rundir.seal(resolved_text, str(r.base_dir.resolve())),  # made here: its data paths are trusted
        "spec_hash": r.spec_hash(),
        "seed": r.seed,
        "seed_drawn": r.seed_was_drawn,
        "overrides": {k: v for k, v in (("epochs", epochs), ("set", set_args)) if v},
        "repeat": " ".join(repeat),
        "started": rundir.now(),
        "status": "running",
        "versions": rundir.versions(),
    }
    if repeat_of is not None:
        manifest["repeat_of"] = str(repeat_of)
    rundir.write_manifest(run_dir, manifest)
    s = Session(r, run_dir, manifest, dict(p.document.sources), p.document.span, quiet=quiet,
                report_format=report_format, dist=dist)
    s.say(f"kspec: run directory {run_dir}")
    with rundir.RunLock(run_dir):
        result = _train_or_mark(s)
    dist.barrier()  # the other workers wait until the chief has written the run directory
    return result


def repeat_run(run_dir: Path, out_root: Path, *, quiet: bool = False, report_format: str = "full") -> RunResult:
    """Train a finished run's resolved spec again (same seed, same data) in a new run directory."""
    from .saved import SavedRun

    saved = SavedRun(run_dir)
    p = saved.pipeline
    return run_pipeline(p, out_root, quiet=quiet, report_format=report_format, repeat_of=Path(run_dir))


def resume_run(run_dir: Path, *, quiet: bool = False, report_format: str = "full") -> RunResult:
    """Continue an interrupted or killed run from its last checkpointed epoch."""
    run_dir = Path(run_dir)
    manifest = rundir.read_manifest(run_dir)
    status = manifest.get("status")
    if status == "completed":
        raise KspecError(f"{run_dir} finished already ({manifest.get('epochs_completed')} epochs)",
                         hint="start a new run with `kspec run SPEC` (or `kspec run RUN_DIR` to repeat it)")
    if status == "diverged":
        raise KspecError(f"{run_dir} stopped because the loss became NaN; resuming would diverge again",
                         hint="fix the spec (learning rate, input scale) and start a new run")
    from .distribute import resume_worker

    dist, worker_result = resume_worker(run_dir, manifest, quiet=quiet)  # before any other TensorFlow op
    if worker_result is not None:  # another worker of a cluster: resumed along, wrote nothing
        return worker_result
    with rundir.RunLock(run_dir):
        checkpoint.clean_temporaries(run_dir)
        p = rundir.load_pipeline(run_dir, manifest)
        r = p.resolved
        s = Session(r, run_dir, manifest, dict(p.document.sources), p.document.span, quiet=quiet,
                    report_format=report_format, monitor=MonitorFacts.from_json(manifest.get("monitor")), dist=dist)
        keras = prepare_keras(r.seed)
        rows = load_rows(run_dir)
        state = checkpoint.read_state(run_dir)
        done = 0
        if state is not None:
            done = state.epochs_completed
            try:
                with dist.scope():
                    s.model = keras.models.load_model(state.checkpoint, safe_mode=True)
            except Exception as e:
                raise KspecError(f"cannot load the checkpoint {state.checkpoint}: {e}",
                                 hint="start the run again with `kspec run SPEC`") from None
        recorded = max((int(row["epoch"]) for row in rows), default=0)
        s.rows = [row for row in rows if row["epoch"] <= done]
        write_rows(run_dir, s.rows)
        if state is not None and state.stopped:
            s.initial_epoch = r.train.epochs
            s.announce(f"kspec: resuming {run_dir}: training had stopped early after epoch {done}; finishing the run")
        else:
            s.initial_epoch = done
            what = f"after epoch {done} of {r.train.epochs}" if done else "from the start (no epoch was checkpointed)"
            s.announce(f"kspec: resuming {run_dir} {what}")
        if recorded > done:
            epochs = f"epoch {done + 1}" if recorded == done + 1 else f"epochs {done + 1}-{recorded}"
            s.announce(f"kspec: history.json had {epochs} after the last checkpoint; "
                  f"{'it is' if recorded == done + 1 else 'they are'} dropped and trained again")
        if done == 0:
            s.monitor = MonitorFacts()
        manifest["status"] = "running"
        manifest.setdefault("resumed", []).append({"at": rundir.now(), "after_epoch": done,
                                                   "dropped_epochs": max(0, recorded - done)})
        rundir.write_manifest(run_dir, manifest)
        result = _train_or_mark(s)
    dist.barrier()
    return result


def _check_before_training(r: Resolved) -> None:
    """Mistakes that would only show later: fail before spending the time."""
    from ..spec import TensorBoard

    if any(isinstance(cb, TensorBoard) for cb in r.train.callbacks):
        import importlib.util

        if importlib.util.find_spec("tensorboard") is None:
            raise KspecError("the tensorboard callback needs the `tensorboard` package, which is not installed",
                             hint="pip install tensorboard, or remove the tensorboard callback from train.callbacks")
    vis = getattr(r.spec, "visualize", None)
    if vis is not None:
        _check_visualize(r, vis)


def _check_visualize(r: Resolved, vis) -> None:
    """The spec's visualize section, against the static plan: an image that exists, layers that
    have feature maps (by index; names are Keras's and known only once the model is built)."""
    from ..analyse.shapes import infer

    if vis.image:
        path = r.path(vis.image)
        if not path.is_file():
            raise KspecError(f"visualize.image {vis.image!r} does not exist (looked at {path})",
                             hint="give an image file relative to the spec, or leave `image` out to use a test sample")
    plan = infer(r.model.layers, r.input_shape)
    if not plan.complete:
        return
    maps = [lp for lp in plan.layers if len(lp.output_shape) == 3]
    if vis.layers is None and not any("Conv" in lp.type or "Pool" in lp.type for lp in maps):
        raise KspecError("the visualize section draws feature maps of convolution and pooling layers, and this "
                         "model has none", hint="remove the visualize section")
    n = len(plan.layers)
    for chosen in vis.layers or []:
        if isinstance(chosen, int):
            if not -n <= chosen < n:
                raise KspecError(f"visualize.layers: there is no layer {chosen}: the model has {n} layers (0..{n - 1})")
            lp = plan.layers[chosen]
            if len(lp.output_shape) != 3:
                raise KspecError(f"visualize.layers: layer {chosen} ({lp.type}) outputs {list(lp.output_shape)} per "
                                 "sample, which has no feature maps",
                                 hint="pick layers whose output is (height, width, channels)")


# ------------------------------------------------------------------------------------ training


def _train_or_mark(s: Session) -> RunResult:
    """:func:`_train`, and a manifest that never stays ``running`` when it stops: a failure before
    or after fitting (data that cannot be read, a model Keras cannot build, an evaluation error)
    is recorded as ``failed`` with the reason and an ``error.log``, like one during fitting."""
    try:
        return _train_marked(s)
    finally:
        if s.drawer is not None:  # figures not asked for by now will not be
            s.drawer.close()


def _train_marked(s: Session) -> RunResult:
    try:
        return _train(s)
    except KeyboardInterrupt:
        if s.manifest.get("status") == "running":
            s.manifest.update(status="interrupted", ended=rundir.now())
            rundir.write_manifest(s.run_dir, s.manifest)
        raise
    except Exception as e:
        if s.manifest.get("status") != "running":  # recorded already (a failure during fit)
            raise
        _failed(s, None, e)


def _train(s: Session) -> RunResult:
    from ..emit.callbacks import build_callbacks
    from ..emit.data import build_inputs
    from ..emit.model import adapt_layers, build_model, compile_model

    r, run_dir, manifest = s.r, s.run_dir, s.manifest
    dist = s.dist
    prepare_keras(r.seed)
    before = {"versions": manifest.get("versions") or {}, "data": manifest.get("data") or {}}
    manifest["versions"] = rundir.versions()
    manifest["environment"] = rundir.environment()
    t0 = time.perf_counter()
    inputs = dist.build_inputs(r) if dist is not None else build_inputs(r)
    if s.initial_epoch > 0:
        _same_as_before(s, before, inputs)
    manifest["data"] = {"fingerprint": inputs.fingerprint, "source": r.data.type,
                        "class_names": inputs.class_names, "counts": inputs.counts or r.facts.class_counts,
                        "skipped_files": inputs.skipped_files}
    manifest.setdefault("timing", {})["data_s"] = round(time.perf_counter() - t0, 3)
    for note in getattr(inputs, "notes", None) or []:
        s.say(f"kspec: note: {note}")
    if inputs.class_names:
        write_json(run_dir / "classes.json", {"class_names": inputs.class_names})
    _save_data_state(run_dir, getattr(inputs, "state", None))
    if dist is not None:
        dist.announce(inputs.batch_size)
        manifest["distribute"] = dist.describe(inputs.batch_size)
    if s.model is None:
        with dist.scope() if dist is not None else contextlib.nullcontext():
            s.model = build_model(r)
            compile_model(s.model, r)
        for name in adapt_layers(s.model, r, inputs):
            s.say(f"kspec: adapted {name} on the training split")
    model = s.model
    write_text(run_dir / "summary.txt", model_summary(model))

    saver = checkpoint.Checkpointer(run_dir)
    callbacks = [make_monitor(s.monitor, initial_epoch=s.initial_epoch, say=s.announce)]
    layer_monitor = _layer_monitor(s, inputs)
    if layer_monitor is not None:
        callbacks.append(layer_monitor)
    callbacks += build_callbacks(r.train.callbacks, run_dir, s.announce)
    callbacks.append(make_history_writer(run_dir, s.rows, checkpointer=saver,
                                         may_checkpoint=lambda: s.monitor.nan_at is None))  # never NaN weights
    rundir.write_manifest(run_dir, manifest)
    status = "completed"
    t1, c1 = time.perf_counter(), time.process_time()
    s.fitting = True
    try:
        if s.initial_epoch < r.train.epochs:
            if dist is not None:
                dist.fit(model, inputs, r, callbacks=callbacks, epochs=r.train.epochs, initial_epoch=s.initial_epoch,
                         verbose=_verbose(r.train.verbose, s.quiet))
            else:
                model.fit(**inputs.fit_kwargs(), epochs=r.train.epochs, initial_epoch=s.initial_epoch,
                          callbacks=callbacks, verbose=_verbose(r.train.verbose, s.quiet))
        if dist is not None and dist.custom_loop:
            dist.check_identical(model)  # every worker's weights digest, gathered
            manifest["distribute"] = dist.describe(inputs.batch_size)
    except KeyboardInterrupt:
        status = "interrupted"
    except Exception as e:
        _failed(s, inputs, e)
    kept_epoch(callbacks, s.monitor)
    timing = manifest["timing"]
    for key, spent in (("fit_s", time.perf_counter() - t1), ("fit_cpu_s", time.process_time() - c1)):
        timing[key] = round((timing.get(key, 0) if s.initial_epoch else 0) + spent, 3)
    manifest["timing"]["checkpoint_s"] = round(saver.total_cost, 3)
    manifest["epochs_completed"] = len(s.rows)
    manifest["monitor"] = s.monitor.to_json()
    if status == "interrupted":
        _interrupted(s, saver)
    if s.monitor.nan_at is not None:
        status = "diverged"
    return _finish(s, inputs, status, t0)


def _layer_monitor(s: Session, inputs):
    """The layer monitor (:mod:`kspec.run.dynamics`) on one fixed training batch, unless the spec
    ignores every check that reads it or training is distributed (the model is then replicated).
    From a tf.data pipeline the batch is the source's own separate read
    (:attr:`~kspec.emit.inputs.Inputs.fixed_batch`), never a batch of the training iterator."""
    from .checks import MONITOR_CHECKS

    r = s.r
    ignored = set(r.spec.lint.ignore)
    if all(c.code in ignored or c.name in ignored for c in MONITOR_CHECKS):
        return None
    if s.dist is not None and s.dist.strategy is not None:
        return None
    if not inputs.in_memory and getattr(inputs, "fixed_batch", None) is None:
        # reading a batch of the pipeline itself before fit would change the order training sees
        # (it reshuffles per iterator) and could leave a file cache half written
        s.monitor.layers_error = "not monitored: the training data is a tf.data pipeline with no separate read"
        return None
    from ..analyse.shapes import infer
    from ..analyse.view import build
    from .dynamics import SAMPLES, loss_function, make_layer_monitor, one_batch, watched

    try:
        view = build(r.model.layers, infer(r.model.layers, r.input_shape), r.compile.loss, r.facts)
        batch = one_batch(inputs, SAMPLES)
        if batch is None:
            s.monitor.layers_error = "not monitored: the training data has no labelled samples to look at"
            return None
        loss_fn = loss_function(r)
    except Exception as e:  # the monitor is an extra: never a reason for a run to fail
        s.monitor.layers_error = f"{type(e).__name__}: {e}"[:300]
        return None
    return make_layer_monitor(s.monitor, s.model, batch, loss_fn, watched(view), initial_epoch=s.initial_epoch)


def _same_as_before(s: Session, before: dict[str, Any], inputs) -> None:
    """A resumed run must train on the data it started with; other versions are only noted."""
    old = before["data"].get("fingerprint")
    if old and inputs.fingerprint and old != inputs.fingerprint:
        raise KspecError(f"the data changed since {s.run_dir} started (fingerprint {old[:12]}... is now "
                         f"{inputs.fingerprint[:12]}...); resuming would train on other data",
                         hint="put the original data back, or start a new run with `kspec run SPEC`")
    changed = [f"{k} {v} -> {s.manifest['versions'].get(k)}" for k, v in before["versions"].items()
               if k in s.manifest["versions"] and s.manifest["versions"][k] != v]
    if changed:
        s.announce("kspec: note: versions changed since the run started: " + ", ".join(changed))
        s.manifest.setdefault("resumed", [{}])[-1]["versions_changed"] = changed


def _failed(s: Session, inputs, error: Exception):
    """The run raised: record it, keep the traceback in error.log (plain text), and say what
    happened without one: the lines of Keras's message that say what is wrong, and the spec
    place they concern (the layer, or the loss) when kspec can tell."""
    from .failure import locate, strip_ansi, useful_lines

    write_rows(s.run_dir, s.rows)
    log = write_text(s.run_dir / "error.log", strip_ansi("".join(traceback.format_exception(error))))
    when = f"training failed after {len(s.rows)} epoch(s)" if s.fitting else "the run failed before training started"
    lines = useful_lines(error)
    s.manifest.update(status="failed", ended=rundir.now(), epochs_completed=len(s.rows),
                      error=f"{type(error).__name__}: " + strip_ansi(str(error) if isinstance(error, KspecError)
                                                                    else " ".join(lines))[:2000],
                      failed=("fit" if s.fitting else "start"))
    rundir.write_manifest(s.run_dir, s.manifest)
    if isinstance(error, KspecError):  # already says what happened and what to do
        raise error from None
    images = getattr(inputs, "images", None)
    if images is not None:
        from ..emit.images import explain_decode_error

        explained = explain_decode_error(error, images)
        if explained is not None:
            raise explained from None
    place = locate(error, s.r, s.span_of)
    message = f"{when}: {type(error).__name__}: " + "\n  ".join(lines)
    if place is not None:
        message += f"\n  in {place[1]}"
    raise KspecError(message, hint=f"the full traceback is in {log}",
                     span=place[0] if place is not None else None) from None


def _interrupted(s: Session, saver: checkpoint.Checkpointer) -> None:
    write_rows(s.run_dir, s.rows)
    s.manifest.update(status="interrupted", ended=rundir.now())
    rundir.write_manifest(s.run_dir, s.manifest)
    state = checkpoint.read_state(s.run_dir)
    done = state.epochs_completed if state else 0
    lost = len(s.rows) - done
    extra = f" (epochs {done + 1}-{len(s.rows)} come after the last checkpoint and will be trained again)" if lost > 0 else ""
    s.announce(f"\nkspec: interrupted after epoch {len(s.rows)}; checkpoint at epoch {done}{extra}. "
               f"Continue with: kspec run --resume {s.run_dir}")
    raise KeyboardInterrupt


# ------------------------------------------------------------------------------------ finishing


def _finish(s: Session, inputs, status: str, t0: float) -> RunResult:
    r, run_dir, manifest = s.r, s.run_dir, s.manifest
    missing, dup = gaps(s.rows)
    if missing or dup:  # pragma: no cover - a bug in kspec, not in the spec
        raise KspecError(f"history of {run_dir} has missing epochs {missing} or duplicates {dup}",
                         hint="this is a bug in kspec; please report it")
    write_rows(run_dir, s.rows)
    result = RunResult(run_dir=run_dir, history=rows_to_history(s.rows), status=status)
    from ..report.drawer import Drawer

    # the figures' process imports matplotlib and draws while this one saves, evaluates and predicts
    drawer = s.drawer = Drawer().start()
    drawer.submit("history", history=result.history, out_dir=str(run_dir))
    sweep = any(getattr(cb, "type", "") == "learning_rate_scheduler" for cb in r.train.callbacks)
    if sweep:
        drawer.submit("lr_sweep", history=result.history, path=str(run_dir / "lr_sweep.png"))
    if status == "completed":
        save_with(run_dir / "model.keras", s.model.save)
        local = s.dist.local_model(run_dir / "model.keras") if s.dist is not None else None
        if local is not None:  # multi_worker: the chief evaluates and predicts alone, on all the data
            s.model, inputs = local, s.dist.evaluation_inputs(r, inputs)
        result.metrics = _evaluate(s, inputs)
        _confusion(s, inputs)
        result.predictions = _predict(s, inputs)
        if getattr(r.data, "type", None) == "series" and inputs.state is not None:
            from .forecast import report_forecast

            result.forecast = report_forecast(s.model, r, inputs.state, run_dir, s.announce)
            manifest["forecast"] = {"model": result.forecast.get("model"), "baselines": result.forecast.get("baselines")}
    if status == "completed" and getattr(r.spec, "visualize", None) is not None:
        try:
            result.visualized = _visualize(s, inputs)
        except KspecError as e:  # the model is trained and saved: say it, finish the run
            manifest["visualize_error"] = str(e)
            s.announce(f"kspec: visualize: error: {e}")
    drawn = drawer.finish()  # every figure is on disk before the artifacts are listed
    result.plots = [Path(p) for p in drawn[0]] + ([Path(p) for p in drawn[1]] if sweep else [])
    ctx = RunContext(r, s.rows, s.monitor, span_of=s.span_of, evaluation=dict(result.metrics or {}))
    result.diagnostics = sorted(run_checks(ctx, r.spec.lint.ignore), key=lambda d: (-d.severity.rank, d.code))
    findings.write(run_dir, result.diagnostics, s.sources)
    manifest["diagnostics"] = {sev.value: sum(1 for d in result.diagnostics if d.severity is sev) for sev in Severity}
    manifest["final"] = {k: v[-1] for k, v in result.history.items() if v}
    if result.metrics:
        manifest["final"].update({f"test_{k}" if not k.startswith("test_") else k: v for k, v in result.metrics.items()})
    manifest["timing"]["total_s"] = round(manifest["timing"].get("total_s", 0) + time.perf_counter() - t0, 3)
    manifest.update(status=status, ended=rundir.now())
    manifest["artifacts"] = _artifacts(run_dir)
    rundir.write_manifest(run_dir, manifest)
    if status == "completed":
        checkpoint.remove(run_dir)
        manifest["artifacts"] = _artifacts(run_dir)
        rundir.write_manifest(run_dir, manifest)
    try:
        from ..report.html import write_report

        write_report(run_dir)
    except Exception as e:  # the run itself is complete; `kspec report RUN_DIR` can try again
        s.announce(f"kspec: report.html not written: {type(e).__name__}: {e}")
    _final_summary(s, result)
    return result


STATE_FILES = {"SeriesInputs": "series.json", "TableLayout": "table.json", "TextState": "vocabulary.json"}
"""What a series, table or text run keeps for ``kspec predict``: statistics fitted on the training data."""


def _save_data_state(run_dir: Path, state) -> None:
    name = STATE_FILES.get(type(state).__name__)
    if name is not None:
        write_json(run_dir / name, state.to_json())


def _artifacts(run_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(run_dir).parts))


def _eval_data(s: Session, inputs) -> tuple[str, Any, int | None]:
    """(name, data, steps) of the evaluation data, or (name, None, None) when there is none."""
    ev = s.r.spec.evaluate
    source = "test" if ev is True else getattr(ev, "data", "test")
    data = inputs.test if source == "test" else inputs.validation
    steps = inputs.validation_steps if source == "validation" and not isinstance(data, tuple) else None
    return source, data, steps


def _evaluate(s: Session, inputs) -> dict[str, float]:
    ev = s.r.spec.evaluate
    if ev is False:
        return {}
    source, data, steps = _eval_data(s, inputs)
    if data is None:
        return {}
    kw: dict[str, Any] = {"verbose": 0, "return_dict": True}
    if isinstance(data, tuple):
        kw.update(x=data[0], y=data[1],
                  batch_size=(ev.batch_size if ev is not True and ev.batch_size else s.r.train.batch_size))
    else:
        kw.update(x=data)
        if steps:
            kw["steps"] = steps
    metrics = _last_validation(s, inputs, data, kw.get("batch_size"))
    if metrics is None:
        metrics = {k: float(v) for k, v in s.model.evaluate(**kw).items()}
    write_json(s.run_dir / "metrics.json", {"data": source, **metrics})
    return metrics


def _last_validation(s: Session, inputs, data, batch_size: int | None) -> dict[str, float] | None:
    """The metrics of the last epoch's validation pass when evaluating ``data`` would repeat it
    exactly, else None.

    Keras's ``fit`` validates by calling ``evaluate`` on the validation arrays with the fit's batch
    size, through the model's one test function; after the last epoch nothing else runs on the
    weights unless an optimizer's moving average is swapped in or written over them (``use_ema``,
    swap_ema_weights) or early stopping restores its best epoch. So when the evaluation data are
    those same in-memory arrays, in the same batches, and the pass ran in this process on these
    weights, ``evaluate`` would return the logged ``val_`` values bit for bit: the test pass is not
    run twice (on Fashion-MNIST, 10,000 images, about a second)."""
    r = s.r
    if s.dist is not None and (s.dist.custom_loop or getattr(s.dist, "strategy", None) is not None):
        return None  # a tf.distribute strategy, or kspec's own multi-worker loop, validated otherwise
    if not inputs.in_memory or not isinstance(data, tuple) or data is not inputs.validation or batch_size != inputs.batch_size:
        return None
    if not s.rows or s.rows[-1]["epoch"] <= s.initial_epoch or s.monitor.nan_at is not None:
        return None
    if getattr(r.compile.optimizer, "use_ema", False) or any(
            cb.type == "swap_ema_weights" or getattr(cb, "restore_best_weights", False) for cb in r.train.callbacks):
        return None
    metrics = {k.removeprefix("val_"): v for k, v in s.rows[-1].items() if k.startswith("val_")}
    if not metrics or not all(type(v) is float for v in metrics.values()):
        return None
    return metrics


def _confusion(s: Session, inputs) -> Path | None:
    r = s.r
    if s.r.spec.evaluate is False or not is_classifier(r):
        return None
    source, data, steps = _eval_data(s, inputs)
    if data is None:
        return None
    y, out = collect(s.model, data, steps, inference_batch_size(r, r.train.batch_size))
    if len(y) == 0:
        return None
    true, pred = label_ids(y), predicted_classes(out)
    k = max(2, out.shape[-1] if out.ndim > 1 else 1, int(true.max()) + 1, int(pred.max()) + 1)
    names = list(inputs.class_names or [])
    names = names[:k] + [str(i) for i in range(len(names), k)]
    from ..report.plots import confusion_matrix

    m = confusion_matrix(true, pred, k)
    write_json(s.run_dir / "confusion_matrix.json", {"data": source, "class_names": names, "matrix": m.tolist()})
    path = s.run_dir / "confusion_matrix.png"
    _drawer(s).submit("confusion", matrix=m.tolist(), class_names=names, path=str(path),
                      title=f"Confusion matrix ({source} data)")
    return path


def _drawer(s: Session):
    """The session's figure drawer (one that draws in this process when training did not start one)."""
    if s.drawer is None:
        from ..report.drawer import Drawer

        s.drawer = Drawer()
    return s.drawer


def _predict(s: Session, inputs) -> list[dict[str, Any]] | None:
    from ..emit.data import as_float_inputs, sample_inputs

    r = s.r
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
    out = np.asarray(s.model.predict(x, verbose=0))
    if shown is None:
        from ..report.html import save_sample_images

        save_sample_images(s.run_dir, x)
    preds = describe_predictions(out, inputs.class_names, r)
    for i, row in enumerate(preds):
        if shown is not None:
            row["input"] = shown[i]
    write_json(s.run_dir / "predictions.json", {"predictions": preds})
    return preds


def _visualize(s: Session, inputs):
    from .visualize import visualize_model

    vis = s.r.spec.visualize
    if vis.image:
        from .inputs import read_inputs

        batch = read_inputs([s.r.path(vis.image)], s.r)
        x, name = batch.x[:1], Path(vis.image).stem
    else:
        x = data_sample(s.r, inputs, vis.from_data, vis.index)
        name = f"{vis.from_data}-{vis.index}"
    result = visualize_model(s.model, x, out_dir=s.run_dir / "visualize" / name, layers=vis.layers,
                             channel=vis.channel, class_names=inputs.class_names, resolved=s.r, input_name=name)
    s.say(f"kspec: feature maps of {name} in {result.out_dir}")
    return result


SHOWN_PREDICTIONS = 10
"""At most this many predictions on the console; all of them are in ``predictions.json``."""

NOT_METRICS = ("learning_rate", "lr")


def _value(v: Any) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def summary_lines(result: RunResult, evaluated_on: str = "test", predictions: bool = True) -> list[str]:
    """The end-of-run summary without the diagnostics: every logged metric of the last epoch (the
    training ones, then the ``val_`` ones), the evaluation, the predictions (at most
    :data:`SHOWN_PREDICTIONS`, with a note where the rest are) and the run directory."""
    h = result.history
    keys = [k for k in h if h[k] and k not in NOT_METRICS]
    train = [k for k in keys if not k.startswith("val_")]
    train = [k for k in train if k == "loss"] + [k for k in train if k != "loss"]  # loss first, as Keras 2 did
    keys = train + [f"val_{k}" for k in train if f"val_{k}" in keys]
    keys += [k for k in h if k.startswith("val_") and k not in keys and h[k]]
    lines = []
    epochs = len(h.get("loss", []))
    verb = {"completed": "trained", "diverged": "stopped (loss not finite) after"}.get(result.status, result.status)
    lines.append(f"kspec: {verb} {epochs} epoch(s): " + ", ".join(f"{k} {_value(h[k][-1])}" for k in keys))
    if result.metrics:
        lines.append(f"kspec: evaluation ({evaluated_on}): "
                     + ", ".join(f"{k} {_value(v)}" for k, v in result.metrics.items()))
    rows = result.predictions or []
    if rows and predictions:
        for row in rows[:SHOWN_PREDICTIONS]:
            if "class_id" in row:
                label = row.get("class_name", row["class_id"])
                lines.append(f"kspec: prediction {row['index']}: {label} (p={row['probability']:.3f})")
            else:
                lines.append(f"kspec: prediction {row['index']}: {row.get('input', '')} -> {row['output']}")
        if len(rows) > SHOWN_PREDICTIONS:
            lines.append(f"kspec: {SHOWN_PREDICTIONS} of {len(rows)} predictions shown; all {len(rows)} are in "
                         f"{Path(result.run_dir) / 'predictions.json'}")
    n = {sev: sum(1 for d in result.diagnostics if d.severity is sev) for sev in Severity}
    counts = ", ".join(f"{n[sev]} {sev.value}{'s' if n[sev] != 1 else ''}" for sev in
                       (Severity.ERROR, Severity.WARNING, Severity.INFO) if n[sev]) or "none"
    codes = sorted({d.code for d in result.diagnostics})
    lines.append(f"kspec: run diagnostics: {counts}" + (f" ({', '.join(codes)}; see diagnostics.json)" if codes else ""))
    lines.append(f"kspec: artifacts in {result.run_dir}")
    return lines


def _final_summary(s: Session, result: RunResult) -> None:
    say = s.announce
    if result.diagnostics:
        say("")
        say(findings.render_console(result.diagnostics, s.sources, s.report_format).rstrip())
    say("")
    source = "test" if s.r.spec.evaluate is True else getattr(s.r.spec.evaluate, "data", "test")
    for line in summary_lines(result, source, predictions=not s.quiet):
        say(line)


__all__ = ["RunResult", "repeat_run", "resume_run", "run_pipeline", "describe_predictions", "prepare_keras",
           "model_summary", "summary_lines"]
