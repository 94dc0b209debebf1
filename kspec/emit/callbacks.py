"""Callbacks from the spec, including the course's threshold stop as data."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..spec import (CSVLogger, EarlyStopping, LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau, SwapEMAWeights,
                    TensorBoard, TerminateOnNaN, ThresholdStop)
from .model import keras


def threshold_mode(cb: ThresholdStop) -> str:
    return cb.direction


def make_threshold_stop(cb: ThresholdStop, say: Callable[[str], None] = print):
    k = keras()
    mode = threshold_mode(cb)

    class ThresholdStopCallback(k.callbacks.Callback):
        """Stops at the end of the first epoch where ``monitor`` crosses ``threshold``."""

        def __init__(self):
            super().__init__()
            self.stopped_epoch: int | None = None
            self.message: str | None = None

        def on_train_end(self, logs=None):
            if self.message:  # after Keras's own line for the last epoch
                say(self.message)

        def on_epoch_end(self, epoch, logs=None):
            value = (logs or {}).get(cb.monitor)
            if value is None:
                return
            hit = value >= cb.threshold if mode == "max" else value <= cb.threshold
            if hit:
                self.stopped_epoch = epoch + 1
                self.message = (f"kspec: threshold_stop: {cb.monitor} = {value:.4f} reached {cb.threshold} "
                                f"({'>=' if mode == 'max' else '<='}) at epoch {epoch + 1}; training stopped")
                self.model.stop_training = True

    return ThresholdStopCallback()


def inside(run_dir: Path, relative: str) -> Path:
    """``run_dir / relative``, refused unless it stays inside the run directory once links are
    resolved (the schema already refuses absolute and ``..`` paths; this also covers links)."""
    from ..diagnostics import KspecError

    root = Path(run_dir).resolve()
    path = (root / relative).resolve()
    if path != root and root not in path.parents:
        raise KspecError(f"{relative!r} leads outside the run directory {run_dir} (to {path})",
                         hint="callback outputs stay inside the run directory")
    return path


class EpochRate:
    """The declared per-epoch schedule as the callable keras.callbacks.LearningRateScheduler calls."""

    def __init__(self, schedule):
        self.schedule = schedule

    def __call__(self, epoch: int, lr: float | None = None) -> float:
        return float(self.schedule.rate(epoch))


def build_callbacks(specs: list, run_dir: Path, say: Callable[[str], None] = print) -> list[Any]:
    k = keras()
    out = []
    for cb in specs:
        if isinstance(cb, ThresholdStop):
            out.append(make_threshold_stop(cb, say))
        elif isinstance(cb, EarlyStopping):
            out.append(k.callbacks.EarlyStopping(**cb.model_dump(exclude={"type"})))
        elif isinstance(cb, ModelCheckpoint):
            args = cb.model_dump(exclude={"type"})
            path = inside(run_dir, args.pop("filepath"))
            path.parent.mkdir(parents=True, exist_ok=True)
            out.append(k.callbacks.ModelCheckpoint(str(path), **args))
        elif isinstance(cb, CSVLogger):
            out.append(k.callbacks.CSVLogger(str(inside(run_dir, cb.filename)), separator=cb.separator,
                                             append=cb.append))
        elif isinstance(cb, ReduceLROnPlateau):
            out.append(k.callbacks.ReduceLROnPlateau(**cb.model_dump(exclude={"type"})))
        elif isinstance(cb, TensorBoard):
            out.append(k.callbacks.TensorBoard(log_dir=str(inside(run_dir, cb.log_dir)),
                                                 histogram_freq=cb.histogram_freq))
        elif isinstance(cb, TerminateOnNaN):
            out.append(k.callbacks.TerminateOnNaN(raise_error=cb.raise_error))
        elif isinstance(cb, SwapEMAWeights):
            out.append(k.callbacks.SwapEMAWeights(swap_on_epoch=cb.swap_on_epoch))
        elif isinstance(cb, LearningRateScheduler):
            out.append(k.callbacks.LearningRateScheduler(EpochRate(cb.schedule), verbose=cb.verbose))
        else:  # pragma: no cover - the schema admits no other type
            raise TypeError(f"unknown callback {cb!r}")
    return out
