"""The resume checkpoint: the model (weights and optimizer state) after a completed epoch.

Crash consistency. A checkpoint is two files written in this order, each atomically:

    resume/epoch-0007.keras     the model after epoch 7
    resume/state.json           {"epochs_completed": 7, "checkpoint": "epoch-0007.keras", ...}

and only then is the previous ``epoch-*.keras`` deleted. A kill at any moment leaves a
``state.json`` that names a complete model file of the epoch it claims, so a resumed run never
continues from weights of another epoch than the one it thinks.

When to save. A save costs a few tens of milliseconds; an epoch may take two milliseconds (the
course's 500-epoch ``hello``) or minutes. A checkpoint is written after the first epoch, after the
last one (or when training stops early), and otherwise as soon as the time since the previous
save reaches ``OVERHEAD_FACTOR`` times what the previous save cost: slow epochs are saved every
epoch, fast ones every few hundred milliseconds, and saving never takes more than about
1/``OVERHEAD_FACTOR`` of the training time. ``MAX_INTERVAL_S`` bounds the work a kill can lose
when saves are slow.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import save_with, write_json
from . import rundir

FOLDER = "resume"
STATE = "state.json"
OVERHEAD_FACTOR = 50.0
"""Time between saves >= this many times the cost of one save (at most ~2% spent saving)."""
MAX_INTERVAL_S = 300.0
"""Save at least this often (seconds), whatever a save costs."""


@dataclass
class ResumeState:
    epochs_completed: int
    checkpoint: Path
    stopped: bool = False
    """Training stopped early (a callback); a resumed run does not train further."""
    saved_at: str = ""

    @property
    def ok(self) -> bool:
        return self.checkpoint.is_file()


def folder(run_dir: Path) -> Path:
    return Path(run_dir) / FOLDER


def read_state(run_dir: Path) -> ResumeState | None:
    """The last complete checkpoint of ``run_dir``, or None when no epoch was checkpointed."""
    path = folder(run_dir) / STATE
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        name = d["checkpoint"]
        if not isinstance(name, str):
            return None
        state = ResumeState(int(d["epochs_completed"]),
                            rundir.inside(folder(run_dir), name, f"{FOLDER}/{STATE}: checkpoint"),
                            bool(d.get("stopped", False)), str(d.get("saved_at", "")))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return state if state.ok else None


def clean_temporaries(run_dir: Path) -> list[Path]:
    """Remove the temporary files a killed run may have left (``.name.tmp...``). Returns them."""
    removed = []
    for p in Path(run_dir).rglob(".*.tmp*"):
        if p.is_file():
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


class Checkpointer:
    """Decides when to save and saves crash-consistently (see the module docstring)."""

    def __init__(self, run_dir: Path, *, overhead_factor: float = OVERHEAD_FACTOR,
                 max_interval_s: float = MAX_INTERVAL_S, clock=time.monotonic):
        self.dir = folder(run_dir)
        self.overhead_factor = overhead_factor
        self.max_interval_s = max_interval_s
        self.clock = clock
        self.last_save: float | None = None
        self.last_cost = 0.0
        self.saves = 0
        self.total_cost = 0.0
        self.epochs_saved: int | None = None

    def due(self, *, final: bool) -> bool:
        if final or self.last_save is None:
            return True
        since = self.clock() - self.last_save
        return since >= min(self.max_interval_s, self.overhead_factor * self.last_cost)

    def save(self, model: Any, epochs_completed: int, *, stopped: bool = False) -> Path:
        from .rundir import now

        t = self.clock()
        name = f"epoch-{epochs_completed:04d}.keras"
        save_with(self.dir / name, model.save)
        write_json(self.dir / STATE, {"epochs_completed": epochs_completed, "checkpoint": name,
                                      "stopped": stopped, "saved_at": now()})
        for old in self.dir.glob("epoch-*.keras"):
            if old.name != name:
                old.unlink(missing_ok=True)
        self.last_save = self.clock()
        self.last_cost = self.last_save - t
        self.saves += 1
        self.total_cost += self.last_cost
        self.epochs_saved = epochs_completed
        return self.dir / name

    def maybe_save(self, model: Any, epochs_completed: int, *, final: bool, stopped: bool = False) -> bool:
        if not self.due(final=final):
            return False
        self.save(model, epochs_completed, stopped=stopped)
        return True


def remove(run_dir: Path) -> None:
    """Drop the resume checkpoint once a run has completed (model.keras holds the final model)."""
    d = folder(run_dir)
    if not d.is_dir():
        return
    for p in d.iterdir():
        if p.is_file():
            p.unlink(missing_ok=True)
    try:
        os.rmdir(d)
    except OSError:
        pass
