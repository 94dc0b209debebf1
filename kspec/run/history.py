"""Per-epoch history, written as training goes (history.json and history.csv).

Values that JSON cannot hold (NaN, infinities) are stored as the strings ``"nan"``, ``"inf"``
and ``"-inf"``; :func:`as_float` reads them back.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any, Callable

from ..atomic import write_json, write_text

HISTORY = "history.json"


def _clean(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return f if math.isfinite(f) else str(f)


def as_float(v: Any) -> float:
    """A history value as a float (``"nan"`` -> nan); non-numbers become nan."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


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
    p = Path(run_dir) / HISTORY
    if not p.is_file():
        return []
    return json.loads(p.read_text(encoding="utf-8"))["epochs"]


def write_rows(run_dir: Path, rows: list[dict[str, Any]]) -> None:
    write_json(Path(run_dir) / HISTORY, {"version": 1, "epochs": rows})
    write_text(Path(run_dir) / "history.csv", history_to_csv(rows))


def make_history_writer(run_dir: Path, rows: list[dict[str, Any]], *,
                        on_epoch: Callable[[Any, int, bool], None] | None = None):
    """A Keras callback that appends each finished epoch to history.json/csv, then calls
    ``on_epoch(model, epochs_completed, final)`` (the resume checkpoint). ``rows`` holds earlier
    epochs when resuming; it is extended in place."""
    import keras

    class HistoryWriter(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            row: dict[str, Any] = {"epoch": epoch + 1}
            for k, v in (logs or {}).items():
                row[k] = _clean(v)
            lr = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
            if lr is not None and "learning_rate" not in row:
                try:
                    row["learning_rate"] = float(keras.ops.convert_to_numpy(lr))
                except Exception:  # a schedule object: leave it out
                    pass
            rows[:] = [r for r in rows if r["epoch"] < row["epoch"]]
            rows.append(row)
            write_rows(run_dir, rows)
            if on_epoch is not None:
                final = epoch + 1 >= self.params.get("epochs", 0) or bool(self.model.stop_training)
                on_epoch(self.model, epoch + 1, final)

    return HistoryWriter()


def gaps(rows: list[dict[str, Any]]) -> tuple[list[int], list[int]]:
    """(missing epochs, duplicated epochs) of a history: both empty for 1, 2, ..., n."""
    seen = [int(r["epoch"]) for r in rows]
    dup = sorted({e for e in seen if seen.count(e) > 1})
    top = max(seen, default=0)
    missing = [e for e in range(1, top + 1) if e not in set(seen)]
    return missing, dup
