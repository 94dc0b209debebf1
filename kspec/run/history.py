"""Per-epoch history, written as training goes (history.json and history.csv), plus the resume state."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from ..atomic import save_with, write_json, write_text

STATE = "state.json"
LAST = Path("checkpoints") / "last.keras"


def _clean(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return f if math.isfinite(f) else str(f)


def history_to_csv(rows: list[dict[str, Any]]) -> str:
    keys: list[str] = ["epoch"]
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def rows_to_history(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Rows (one per epoch) -> Keras-style ``history.history`` dict."""
    out: dict[str, list[Any]] = {}
    for r in rows:
        for k, v in r.items():
            if k != "epoch":
                out.setdefault(k, []).append(v)
    return out


def load_rows(run_dir: Path) -> list[dict[str, Any]]:
    p = run_dir / "history.json"
    if not p.is_file():
        return []
    return json.loads(p.read_text(encoding="utf-8"))["epochs"]


CHECKPOINT_EVERY_S = 10.0
"""Least time between two resume checkpoints: many tiny epochs must not pay a model save each."""


def make_history_writer(run_dir: Path, rows: list[dict[str, Any]], *, checkpoint: bool = True,
                        every_s: float = CHECKPOINT_EVERY_S):
    """A Keras callback that appends each finished epoch to history.json/csv and saves the resume
    checkpoint (at most every ``every_s`` seconds, and after the last epoch). ``rows`` holds
    earlier epochs when resuming; it is extended in place."""
    import time

    import keras

    class HistoryWriter(keras.callbacks.Callback):
        last_save = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            row = {"epoch": epoch + 1}
            for k, v in (logs or {}).items():
                row[k] = _clean(v)
            lr = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
            if lr is not None and "learning_rate" not in row:
                try:
                    row["learning_rate"] = float(keras.ops.convert_to_numpy(lr))
                except Exception:  # a schedule: leave it out
                    pass
            rows[:] = [r for r in rows if r["epoch"] < row["epoch"]]
            rows.append(row)
            write_json(run_dir / "history.json", {"version": 1, "epochs": rows})
            write_text(run_dir / "history.csv", history_to_csv(rows))
            last_epoch = epoch + 1 >= self.params.get("epochs", 0) or self.model.stop_training
            if checkpoint and (last_epoch or time.monotonic() - self.last_save >= every_s):
                self.last_save = time.monotonic()
                save_with(run_dir / LAST, self.model.save)
                write_json(run_dir / STATE, {"epochs_completed": epoch + 1,
                                             "stopped": bool(self.model.stop_training)})

    return HistoryWriter()
