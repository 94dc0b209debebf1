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

from ..atomic import write_text

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


def _replace(path: Path, text: str) -> None:
    """Write-then-rename without fsync: a killed process never leaves half a file (the rename is
    atomic and the page cache outlives the process); only a machine crash could lose the last
    epochs, and :func:`sync` after each checkpoint bounds that. An fsync costs ~7 ms here, more
    than a whole epoch of a small model."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def history_json(rows: list[dict[str, Any]]) -> str:
    """history.json's text: ``{"version": 1, "epochs": [...]}`` with one epoch a line (json's C
    encoder per row: an indented dump runs json's Python encoder, several times slower, and the
    file is rewritten as training goes)."""
    body = ",\n".join("    " + json.dumps(r) for r in rows)
    return '{\n  "version": 1,\n  "epochs": [' + (f"\n{body}\n  " if rows else "") + "]\n}\n"


def write_rows(run_dir: Path, rows: list[dict[str, Any]], *, durable: bool = True) -> None:
    """history.json and history.csv; ``durable=False`` skips the fsync (every epoch)."""
    run_dir = Path(run_dir)
    write = write_text if durable else _replace
    write(run_dir / HISTORY, history_json(rows))
    write(run_dir / "history.csv", history_to_csv(rows))


def sync(run_dir: Path) -> None:
    """fsync the history files (after a checkpoint, so what it claims is on disk)."""
    import os

    for name in (HISTORY, "history.csv"):
        try:
            fd = os.open(Path(run_dir) / name, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


WRITE_EVERY_S = 0.2
"""Least time between two history writes. Epochs slower than this are written as each ends;
hundreds of two-millisecond epochs (the course's hello) are not each followed by a rewrite."""


def make_history_writer(run_dir: Path, rows: list[dict[str, Any]], *, checkpointer: Any = None,
                        may_checkpoint: Callable[[], bool] = lambda: True, every_s: float = WRITE_EVERY_S,
                        clock: Callable[[], float] | None = None):
    """A Keras callback that appends each finished epoch to ``rows`` and to history.json/csv,
    then saves the resume checkpoint when ``checkpointer`` says it is due (and ``may_checkpoint()``).

    Ordering keeps resume exact: whenever a checkpoint is saved the history is written first, so
    the history on disk is never behind the checkpoint (a kill between the two leaves extra rows,
    which resume drops and retrains). History writes are at least ``every_s`` apart except at a
    checkpoint and at the last epoch; ``rows`` always holds every epoch, and the runner writes it
    when training ends for any reason. ``rows`` holds earlier epochs when resuming."""
    import time

    import keras

    now = clock or time.monotonic

    class HistoryWriter(keras.callbacks.Callback):
        last_write: float | None = None

        def on_epoch_end(self, epoch, logs=None):
            row: dict[str, Any] = {"epoch": epoch + 1}
            for k, v in (logs or {}).items():
                row[k] = _clean(v)
            lr = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
            if lr is not None and "learning_rate" not in row:
                row["learning_rate"] = _learning_rate(keras, lr)
                if row["learning_rate"] is None:  # a schedule object: leave it out
                    del row["learning_rate"]
            if rows and rows[-1]["epoch"] >= row["epoch"]:  # a resumed run's rows from this epoch on are replaced
                rows[:] = [r for r in rows if r["epoch"] < row["epoch"]]
            rows.append(row)
            final = epoch + 1 >= self.params.get("epochs", 0) or bool(self.model.stop_training)
            save = checkpointer is not None and may_checkpoint() and checkpointer.due(final=final)
            if save or final or self.last_write is None or now() - self.last_write >= every_s:
                write_rows(run_dir, rows, durable=False)
                self.last_write = now()
            if save:
                checkpointer.save(self.model, epoch + 1, stopped=bool(self.model.stop_training))
                sync(run_dir)

    return HistoryWriter()


def _learning_rate(keras, lr: Any) -> float | None:
    """The optimizer's learning rate now: ``float`` of its variable (a fifth of the time
    ``convert_to_numpy`` takes, read every epoch), else through NumPy, else None."""
    try:
        return float(lr)
    except Exception:
        pass
    try:
        return float(keras.ops.convert_to_numpy(lr))
    except Exception:
        return None


def gaps(rows: list[dict[str, Any]]) -> tuple[list[int], list[int]]:
    """(missing epochs, duplicated epochs) of a history: both empty for 1, 2, ..., n."""
    seen = [int(r["epoch"]) for r in rows]
    dup = sorted({e for e in seen if seen.count(e) > 1})
    top = max(seen, default=0)
    missing = [e for e in range(1, top + 1) if e not in set(seen)]
    return missing, dup
