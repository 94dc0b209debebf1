"""Stage 6, run: fit, evaluate, predict and write every artifact in a run directory.

    runs/<name>-<time>/
      spec/                 the spec files as written
      spec.resolved.json    every default explicit, parts inlined
      manifest.json         versions, seed, spec hash, data fingerprint, times, status
      summary.txt           the Keras model summary
      history.json/.csv     per-epoch metrics, written as each epoch ends
      metrics.json          evaluation
      predictions.json      when the spec asks for predictions
      model.keras           loadable with keras.models.load_model
      loss.png, accuracy.png
      checkpoints/last.keras + state.json   for --resume
"""

from __future__ import annotations

from .runner import RunResult, resume_run, run_pipeline

__all__ = ["RunResult", "resume_run", "run_pipeline"]
