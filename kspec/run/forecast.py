"""Forecasts of a series run: the validation period against the naive and moving-average
baselines (``forecast.json``, ``forecast.png``), and ``kspec predict RUN --steps N`` ahead."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_json
from ..diagnostics import KspecError
from ..series import errors, moving_average_forecast, naive_forecast, windows


def _predict_windows(model, state, starts, sample_shape, batch: int = 1024) -> np.ndarray:
    """Model forecasts (on the series' own scale) for the windows starting at ``starts``."""
    values = state.normalised()
    x, _ = windows(values, starts, state.plan.window_size, state.plan.horizon)
    outs = []
    for i in range(0, len(x), batch):
        chunk = np.ascontiguousarray(x[i:i + batch]).reshape((-1,) + tuple(sample_shape))
        outs.append(np.asarray(model.predict(chunk, verbose=0, batch_size=batch)))
    out = np.concatenate(outs) if outs else np.zeros((0, state.plan.horizon))
    out = out.reshape(len(x), -1)
    if out.shape[1] != state.plan.horizon:
        raise KspecError(f"the model forecasts {out.shape[1]} value(s) per window but data.horizon is "
                         f"{state.plan.horizon}", hint="make the last layer's units equal to the horizon")
    out = out[:, 0] if state.plan.horizon == 1 else out
    return out * state.scale + state.offset


def sample_shape(r, state) -> tuple[int, ...]:
    return tuple(r.data.reshape) if r.data.reshape else (state.plan.window_size,)


def report_forecast(model, r, state, run_dir: Path, say) -> dict[str, Any]:
    """MAE and MSE of the model and both baselines on the validation period; writes
    forecast.json and forecast.png; returns what it wrote."""
    plan = state.plan
    if plan.n_validation == 0:
        return {}
    starts = plan.validation_starts
    _, truth = windows(state.series, starts, plan.window_size, plan.horizon)
    model_fc = _predict_windows(model, state, starts, sample_shape(r, state))
    ma_window = r.data.moving_average or plan.window_size
    found = {
        "model": model_fc,
        "naive": naive_forecast(state.series, plan),
        f"moving average ({ma_window})": moving_average_forecast(state.series, plan, ma_window),
    }
    scores = {name: errors(truth, fc) for name, fc in found.items()}
    times = np.asarray(starts) + plan.window_size
    first = {name: (fc if fc.ndim == 1 else fc[:, 0]) for name, fc in found.items()}
    report = {"period": {"start": plan.split, "end": plan.length, "windows": plan.n_validation,
                         "horizon": plan.horizon},
              "model": scores["model"], "baselines": {k: v for k, v in scores.items() if k != "model"},
              "forecast": {"time": times.tolist(), "model": first["model"].tolist()}}
    write_json(run_dir / "forecast.json", report)
    from ..report.forecast import plot_forecast

    plot_forecast(state.series, plan.split, times, first, run_dir / "forecast.png")
    parts = [f"model mae {scores['model']['mae']:.4f} mse {scores['model']['mse']:.4f}"]
    parts += [f"{k} mae {v['mae']:.4f} mse {v['mse']:.4f}" for k, v in scores.items() if k != "model"]
    say(f"kspec: forecast of the validation period (time steps {plan.split}..{plan.length - 1}): " + "; ".join(parts))
    return report


@dataclass
class StepsAhead:
    start: int
    values: list[float]
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        return [{"step": i + 1, "time": self.start + i, "forecast": v} for i, v in enumerate(self.values)]

    def to_table(self) -> str:
        return "\n".join(f"t={r['time']:<8} {r['forecast']:.6g}" for r in self.rows())


def forecast_ahead(saved, steps: int) -> StepsAhead:
    """Forecast ``steps`` values after the end of the series, feeding each forecast back in."""
    from ..emit.sequences import series_state
    from .common import prepare_keras

    r = saved.resolved
    prepare_keras(r.seed)
    state = series_state(r)
    model = saved.model
    w, h = state.plan.window_size, state.plan.horizon
    history = list(state.normalised()[-w:])
    out: list[float] = []
    shape = sample_shape(r, state)
    while len(out) < steps:
        x = np.asarray(history[-w:], dtype=np.float32).reshape((1,) + shape)
        y = np.asarray(model.predict(x, verbose=0)).reshape(-1)[:h]
        history.extend(float(v) for v in y)
        out.extend(float(v) * state.scale + state.offset for v in y)
    return StepsAhead(start=state.plan.length, values=out[:steps], notes=list(saved.notes))
