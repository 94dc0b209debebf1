"""A finished (or interrupted) run directory, opened again: its resolved spec, its model, its classes.

``kspec predict``, ``evaluate``, ``visualize`` and ``diff`` start here; nothing is retrained.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from ..diagnostics import KspecError
from . import checkpoint, rundir


class SavedRun:
    def __init__(self, run_dir: str | Path):
        self.dir = Path(run_dir)
        self.manifest: dict[str, Any] = rundir.read_manifest(self.dir)
        self.notes: list[str] = []
        """Things the user should know about what was loaded (e.g. a checkpoint, not a final model)."""

    @cached_property
    def pipeline(self):
        return rundir.load_pipeline(self.dir, self.manifest)

    @property
    def resolved(self):
        return self.pipeline.resolved

    @cached_property
    def class_names(self) -> list[str] | None:
        p = self.dir / "classes.json"
        if p.is_file():
            return json.loads(p.read_text(encoding="utf-8")).get("class_names")
        return (self.manifest.get("data") or {}).get("class_names") or self.resolved.facts.class_names

    def model_path(self) -> Path:
        final = self.dir / "model.keras"
        if final.is_file():
            return final
        state = checkpoint.read_state(self.dir)
        if state is not None:
            self.notes.append(f"the run has no final model ({self.manifest.get('status', '?')}); using the checkpoint "
                              f"after epoch {state.epochs_completed}")
            return state.checkpoint
        raise KspecError(f"{self.dir} has no model: the run {self.manifest.get('status', 'did not finish')} "
                         "before the first checkpoint", hint=f"resume it with `kspec run --resume {self.dir}`")

    @cached_property
    def model(self):
        from .common import prepare_keras

        keras = prepare_keras(int(self.manifest.get("seed") or 0))
        path = self.model_path()
        try:
            return keras.models.load_model(path, safe_mode=True)
        except Exception as e:
            text = str(e)
            code = "safe_mode" in text or "arbitrary code" in text
            hint = ("the model holds Python code (such as a Lambda layer); kspec loads models with Keras's "
                    "safe_mode=True and never runs code from a run directory" if code else None)
            first = text.splitlines()[0][:300] if text else ""
            raise KspecError(f"cannot load the model {path}: {type(e).__name__}: {first}", hint=hint) from None
