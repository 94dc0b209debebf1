"""Time series without TensorFlow: the course's synthetic generator, series read from a CSV column
or a ``.npy`` file, the window arithmetic of ``timeseries_dataset_from_array``, the split by time,
the normalisation statistics and the naive and moving-average baselines.

Windows. A window starting at index ``i`` has the inputs ``series[i : i + window_size]`` and the
targets ``series[i + window_size : i + window_size + horizon]``; consecutive windows start
``shift`` steps apart. A training window lies wholly before ``split_time``. A validation window's
targets lie wholly at or after ``split_time``; its inputs may reach back into the training period
(at forecast time those values are known), so the whole validation period is forecast, as the
course does with ``series[split_time - window_size:]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diagnostics import KspecError
from .tables import DataFileError, read_records

if TYPE_CHECKING:
    import numpy as np


# ------------------------------------------------------------------------------------ generator


def make_series(length: int = 4 * 365 + 1, *, baseline: float = 10.0, slope: float = 0.05, amplitude: float = 40.0,
                period: float = 365.0, phase: float = 0.0, noise_level: float = 5.0,
                noise_seed: int | None = 42) -> tuple[np.ndarray, np.ndarray]:
    """``(time, series)``: the course's trend + seasonality + noise, computed as its notebook does.

    ``time = np.arange(length, dtype="float32")``; the seasonal pattern is ``cos(2*pi*t)`` for the
    first 40 % of each period and ``1/exp(3*t)`` after; the noise is
    ``np.random.RandomState(noise_seed).randn(length) * noise_level``.
    """
    import numpy as np

    time = np.arange(length, dtype="float32")
    season_time = ((time + phase) % period) / period
    pattern = np.where(season_time < 0.4, np.cos(season_time * 2 * np.pi), 1 / np.exp(3 * season_time))
    series = baseline + slope * time + amplitude * pattern
    series = series + np.random.RandomState(noise_seed).randn(len(time)) * noise_level
    return time, series


# ------------------------------------------------------------------------------------ reading


def read_series(data: Any, base_dir: Path) -> np.ndarray:
    """The series of a ``type: series`` data section, float64, checked for gaps and NaN."""
    import numpy as np

    if data.path is None:
        g = data.generator
        return make_series(g.length, baseline=g.baseline, slope=g.slope, amplitude=g.amplitude, period=g.period,
                           phase=g.phase, noise_level=g.noise_level, noise_seed=g.noise_seed)[1]
    path = Path(data.path).expanduser()
    path = path if path.is_absolute() else base_dir / path
    if path.suffix.lower() in (".npy", ".npz"):
        from .datasets import read_array_file

        arrays = read_array_file(path)
        if not arrays:
            raise DataFileError(f"{path} holds no arrays", hint="save the series with numpy.save",
                                spec_path=("data", "path"))
        key = "" if "" in arrays else (data.column if isinstance(data.column, str) else None)
        if key is None or key not in arrays:
            raise DataFileError(f"{path} holds arrays {sorted(arrays)}; say which with `column`",
                                spec_path=("data", "column"))
        arr = arrays[key]
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.number):
            raise DataFileError(f"{path} holds an array of shape {list(arr.shape)} ({arr.dtype}); a series is "
                                "one number per time step", hint="save a 1-D numeric array", spec_path=("data", "path"))
        if arr.size == 0:
            raise DataFileError(f"{path} holds an empty array: the series has no time steps",
                                hint="save the series (one number per time step) with numpy.save",
                                spec_path=("data", "path"))
        values = arr.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise DataFileError(f"{path}: the series has {bad.size} value(s) that are NaN or infinite, the first at "
                                f"index {int(bad[0])}", hint="fill the gaps (e.g. interpolate) before training",
                                spec_path=("data", "path"))
        return values
    rec = read_records(path, data.format)
    if data.column is None:
        raise DataFileError(f"{path} is a table: say which column holds the series with `column` "
                            f"(its header: {', '.join(rec.columns[:20])})", spec_path=("data", "column"))
    col = rec.column(data.column, ("data", "column"))
    name = rec.columns[rec.index(data.column, ("data", "column"))]
    values = np.empty(len(col), dtype=np.float64)
    for i, v in enumerate(col):
        if v is None:
            raise DataFileError(f"{rec.where(i)}: the series {name!r} has a gap (an empty value at time step {i})",
                                hint="fill the gap (e.g. interpolate) or remove the rows", spec_path=("data", "column"))
        try:
            x = float(v)
        except ValueError:
            raise DataFileError(f"{rec.where(i)}: the series {name!r} holds {v!r} at time step {i}, not a number",
                                spec_path=("data", "column")) from None
        if not math.isfinite(x):
            raise DataFileError(f"{rec.where(i)}: the series {name!r} is {v} at time step {i}",
                                hint="fill the gap (e.g. interpolate) before training", spec_path=("data", "column"))
        values[i] = x
    return values


# ------------------------------------------------------------------------------------ windows


@dataclass(frozen=True)
class WindowPlan:
    length: int
    window_size: int
    horizon: int
    shift: int
    split: int
    """First time step of the validation period (== length when there is none)."""
    limit: int | None = None
    """``data.limit``: the first N training windows only."""

    @property
    def span(self) -> int:
        return self.window_size + self.horizon

    def _count(self, first: int, last: int) -> int:
        return 0 if last < first else (last - first) // self.shift + 1

    @property
    def train_starts(self) -> range:
        """Start indices of training windows: inputs and targets before ``split``."""
        return range(0, self.split - self.span + 1, self.shift)[:self.limit]

    @property
    def validation_starts(self) -> range:
        """Start indices of validation windows: targets at or after ``split``."""
        first = max(0, self.split - self.window_size)
        return range(first, self.length - self.span + 1, self.shift) if self.split < self.length else range(0)

    @property
    def n_train(self) -> int:
        return len(self.train_starts)

    @property
    def n_validation(self) -> int:
        return len(self.validation_starts)


def split_time(data: Any, length: int) -> int:
    if data.split_time is not None:
        return data.split_time
    if isinstance(data.validation, float):
        return length - max(1, int(round(length * data.validation)))
    return length


def window_plan(data: Any, length: int) -> WindowPlan:
    """The windows of a series of ``length`` steps; an error when none fits the training period."""
    split = split_time(data, length)
    plan = WindowPlan(length, data.window_size, data.horizon, data.shift, split, data.limit)
    if split > length:
        raise DataFileError(f"data.split_time is {split} but the series has {length} time steps",
                            hint=f"choose a split_time below {length}", spec_path=("data", "split_time"))
    if plan.span > length:
        raise DataFileError(f"a window of {data.window_size} inputs + {data.horizon} target(s) is longer than the "
                            f"series ({length} time steps)", hint=f"use a window_size below {length - data.horizon}",
                            spec_path=("data", "window_size"))
    if plan.n_train == 0:
        raise DataFileError(f"a window of {data.window_size} inputs + {data.horizon} target(s) does not fit the "
                            f"training period ({split} time steps before split_time)",
                            hint="use a smaller window_size or a later split_time", spec_path=("data", "window_size"))
    if split < length and plan.n_validation == 0:
        raise DataFileError(f"the validation period ({length - split} time steps from split_time {split}) is "
                            f"shorter than the horizon ({data.horizon}): no window can be validated",
                            hint=f"use a split_time of at most {length - data.horizon}, or a shorter horizon",
                            spec_path=("data", "split_time" if data.split_time is not None else "validation"))
    return plan


def normalisation(series: np.ndarray, method: str, fit_on: str, split: int) -> tuple[float, float]:
    """(offset, scale) so that ``(series - offset) / scale`` is normalised; fitted on the training
    period unless ``fit_on`` is ``all``."""
    import numpy as np

    part = series if fit_on == "all" else series[:split]
    if method == "standard":
        return float(np.mean(part)), float(np.std(part)) or 1.0
    if method == "minmax":
        lo, hi = float(np.min(part)), float(np.max(part))
        return lo, (hi - lo) or 1.0
    return 0.0, 1.0


def windows(series: np.ndarray, starts: range, window_size: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets) of the windows at ``starts``, as zero-copy views where NumPy allows."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    view = sliding_window_view(series, window_size + horizon)
    idx = np.asarray(starts, dtype=np.int64)
    chosen = view[idx] if len(idx) else np.zeros((0, window_size + horizon), series.dtype)
    x, y = chosen[:, :window_size], chosen[:, window_size:]
    return x, (y[:, 0] if horizon == 1 else y)


# ------------------------------------------------------------------------------------ baselines


def naive_forecast(series: np.ndarray, plan: WindowPlan) -> np.ndarray:
    """For every validation window, every target step forecast as the last known value."""
    import numpy as np

    starts = np.asarray(plan.validation_starts)
    last = series[starts + plan.window_size - 1]
    return last if plan.horizon == 1 else np.repeat(last[:, None], plan.horizon, axis=1)


def moving_average_forecast(series: np.ndarray, plan: WindowPlan, window: int) -> np.ndarray:
    """For every validation window, the mean of the last ``window`` known values (the course's
    ``moving_average_forecast``)."""
    import numpy as np

    starts = np.asarray(plan.validation_starts)
    ends = starts + plan.window_size
    csum = np.concatenate([[0.0], np.cumsum(series, dtype=np.float64)])
    lo = np.maximum(ends - window, 0)
    mean = (csum[ends] - csum[lo]) / (ends - lo)
    return mean if plan.horizon == 1 else np.repeat(mean[:, None], plan.horizon, axis=1)


def errors(truth: np.ndarray, forecast: np.ndarray) -> dict[str, float]:
    import numpy as np

    d = np.asarray(forecast, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
    return {"mae": float(np.mean(np.abs(d))), "mse": float(np.mean(d * d))}


# ------------------------------------------------------------------------------------ facts


def series_facts(data: Any, base_dir: Path, facts: Any) -> None:
    import numpy as np

    facts.extra["window_size"] = data.window_size
    facts.extra["horizon"] = data.horizon
    facts.extra["normalize"] = data.normalize
    facts.extra["normalize_fit"] = data.normalize_fit
    facts.extra["series"] = True
    facts.sample_shape = (data.window_size,)
    facts.dtype = "float32"
    facts.classification = False
    facts.label_kind = "continuous"
    facts.label_shape = () if data.horizon == 1 else (data.horizon,)
    facts.origin.update(sample_shape=("data", "window_size"), horizon=("data", "horizon"))
    series = read_series(data, base_dir)
    plan = window_plan(data, len(series))
    facts.extra["series_length"] = len(series)
    facts.extra["split_time"] = plan.split
    facts.raw_range = (float(np.min(series)), float(np.max(series)))
    facts.target_range = facts.raw_range
    facts.n_train = plan.n_train
    facts.n_validation = plan.n_validation or None
    facts.extra["split_applied"] = True


def check_series_section(data: Any) -> None:
    """Mistakes in the section itself (no data read)."""
    if data.validation == "test":
        raise KspecError("a series has no test set: use `split_time` (or a validation fraction)",
                         hint="e.g. split_time: 1000")
