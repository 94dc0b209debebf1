"""Stage 6, run: fit, evaluate, predict and write every artifact in a run directory.

    runs/<name>-<time>/
      spec/                  the spec files as written
      spec.resolved.json     every default explicit, parts inlined
      manifest.json          versions, environment, seed, spec hash, data fingerprint, timing,
                             status, final metrics, the command that repeats the run
      summary.txt            the Keras model summary
      classes.json           class names, in label order
      history.json/.csv      per-epoch metrics, written as each epoch ends
      metrics.json           evaluation
      confusion_matrix.png/.json   classifiers, on the evaluation data
      predictions.json       when the spec asks for predictions
      model.keras            loadable with keras.models.load_model
      loss.png, accuracy.png the course's two figures
      diagnostics.json       run diagnostics (KS9xx), in lint's JSON shape
      visualize/<input>/     feature maps, when the spec has a visualize section
      lint.json              the spec's lint findings when the run started
      predictions/           the predicted samples as PNGs, when they are images
      report.html            everything above on one self-contained page (kspec report)
      resume/                the last checkpoint while the run is unfinished (kspec run --resume)
      error.log              the traceback, when training failed

Modules: ``runner`` (the run itself), ``common`` (what every run command shares: Keras set-up,
the run result, predictions), ``history`` (per-epoch rows), ``checkpoint`` (resume),
``checks`` (run diagnostics), ``findings`` (diagnostics.json), ``rundir`` (directory, manifest,
lock), ``saved`` (open a run again), ``inputs`` (user images / .npy), ``predict`` (predict and
evaluate), ``visualize`` (feature maps), ``diff`` (compare runs).
"""

from __future__ import annotations

__all__ = ["RunResult", "repeat_run", "resume_run", "run_pipeline"]


def __getattr__(name: str):
    """The runner loads on first use: importing one module of this package (``rundir``, ``history``)
    does not load the runner and everything above it."""
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'kspec.run' has no attribute {name!r}")
