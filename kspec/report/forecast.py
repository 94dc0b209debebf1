"""The course's forecast figure: the series, and the model's forecast over the validation period
beside the naive and moving-average baselines (``forecast.png``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .plots import plt, save_figure


def plot_forecast(series: np.ndarray, split: int, times: np.ndarray, forecasts: dict[str, np.ndarray],
                  path: Path, *, title: str = "Forecast over the validation period") -> Path:
    """Two panels: the whole series with the split marked, and the validation period with each
    forecast (first step of each window) drawn over the true values."""
    pyplot = plt()
    fig, (top, bottom) = pyplot.subplots(2, 1, figsize=(10, 7))
    t = np.arange(len(series))
    top.plot(t, series, "-", lw=0.8, color="0.3", label="series")
    top.axvline(split, color="tab:red", lw=1, ls="--", label="split_time")
    top.set_title("Series (training period | validation period)")
    top.set_xlabel("time step")
    top.legend(loc="upper left")
    bottom.plot(t[split:], series[split:], "-", lw=1.0, color="0.3", label="series")
    colours = {"model": "tab:blue", "naive": "tab:orange", "moving average": "tab:green"}
    for name, values in forecasts.items():
        bottom.plot(times, values, "-", lw=1.0, color=colours.get(name.split(" (")[0]), label=name)
    bottom.set_title(title)
    bottom.set_xlabel("time step")
    bottom.legend(loc="upper left")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_steps_ahead(series: np.ndarray, future: np.ndarray, path: Path) -> Path:
    """The end of the series and ``future``, the forecast of the steps after it."""
    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(9, 4))
    tail = min(len(series), max(4 * len(future), 200))
    t = np.arange(len(series) - tail, len(series))
    ax.plot(t, series[-tail:], "-", color="0.3", lw=1, label="series")
    ax.plot(np.arange(len(series), len(series) + len(future)), future, "-", color="tab:blue", lw=1.2,
            label=f"forecast ({len(future)} steps)")
    ax.set_xlabel("time step")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return save_figure(fig, path)
