"""The course's learning-rate sweep declared as data: the rates of every epoch, the callback Keras
gets, and the loss-against-learning-rate figure of the run; TerminateOnNaN and class names."""

from __future__ import annotations

import pytest

from kspec.pipeline import Pipeline
from kspec.spec import ExponentialEpochSchedule, LearningRateScheduler, PiecewiseEpochSchedule

from .helpers import ROOT, history

SWEEP = "{type: learning_rate_scheduler, schedule: {type: exponential, initial_learning_rate: 1.0e-8, factor: 10, epochs_per_factor: 20}}"


def _train(callbacks: str) -> Pipeline:
    return Pipeline(text="kspec: 1\ndata: {type: arrays, x: [0.0, 1.0, 2.0], y: [1.0, 3.0, 5.0]}\n"
                    "model: {input_shape: [1], layers: [{type: Dense, units: 1}]}\n"
                    "compile: {optimizer: sgd, loss: mse}\n"
                    f"train: {{epochs: 3, callbacks: {callbacks}}}\n")


def test_the_course_sweep_as_data_gives_the_course_rates():
    p = _train(f"[{SWEEP}]")
    assert p.valid, p.diagnostics
    (cb,) = p.resolved.train.callbacks
    assert isinstance(cb.schedule, ExponentialEpochSchedule)
    course = [1e-8 * 10 ** (epoch / 20) for epoch in range(100)]
    assert cb.rates(100) == pytest.approx(course, rel=1e-12)


def test_piecewise_and_staircase_schedules():
    pw = PiecewiseEpochSchedule(type="piecewise", boundaries=[2, 4], values=[0.1, 0.01, 0.001])
    assert [pw.rate(e) for e in range(6)] == [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]
    st = ExponentialEpochSchedule(type="exponential", initial_learning_rate=0.1, factor=0.5, epochs_per_factor=2,
                                  staircase=True)
    assert [st.rate(e) for e in range(5)] == [0.1, 0.1, 0.05, 0.05, 0.025]
    bad = _train("[{type: learning_rate_scheduler, schedule: {type: piecewise, boundaries: [2], values: [0.1]}}]")
    assert not bad.valid


def test_keras_class_names_and_refusals_for_callbacks():
    p = _train("[EarlyStopping, TerminateOnNaN, {type: LearningRateScheduler, schedule: "
               "{type: piecewise, boundaries: [1], values: [0.1, 0.01]}}]")
    assert [cb.type for cb in p.resolved.train.callbacks] == ["early_stopping", "terminate_on_nan",
                                                              "learning_rate_scheduler"]
    bad = _train("[{type: LambdaCallback}]")
    (d,) = [d for d in bad.diagnostics if d.code < "KS100"]
    assert "Python code" in d.message
    typo = _train("[EarlyStoping]")
    assert any("did you mean 'EarlyStopping'" in d.message or "did you mean 'early_stopping'" in d.message
               for d in typo.diagnostics), typo.diagnostics


def test_emitted_callbacks_are_keras_own(tmp_path):
    keras = pytest.importorskip("keras")
    from kspec.emit.callbacks import build_callbacks

    p = _train(f"[{SWEEP}, {{type: terminate_on_nan, raise_error: true}}, {{type: swap_ema_weights}}]")
    sweep, nan, ema = build_callbacks(p.resolved.train.callbacks, tmp_path)
    assert isinstance(sweep, keras.callbacks.LearningRateScheduler)
    assert [sweep.schedule(e, 0.1) for e in (0, 20, 40)] == pytest.approx([1e-8, 1e-7, 1e-6])
    assert isinstance(nan, keras.callbacks.TerminateOnNaN) and nan.raise_error is True
    assert isinstance(ema, keras.callbacks.SwapEMAWeights)


@pytest.mark.slow
def test_the_sweep_example_logs_each_declared_rate_and_draws_loss_against_learning_rate(tmp_path):
    """specs/series_lr_sweep.yaml for 3 of its 100 epochs: the rate of epoch e is 1e-8 * 10**(e / 20)."""
    from kspec.run import run_pipeline

    p = Pipeline(ROOT / "specs" / "series_lr_sweep.yaml")
    assert p.valid and not p.lint_diagnostics, p.diagnostics
    result = run_pipeline(p, tmp_path, epochs=3, quiet=True)
    rows = history(result.run_dir)
    rates = [row["learning_rate"] for row in rows]
    assert rates == pytest.approx([1e-8 * 10 ** (e / 20) for e in range(3)], rel=1e-5)
    assert rates[0] < rates[1] < rates[2]
    png = result.run_dir / "lr_sweep.png"
    assert png.exists() and png in result.plots
    from PIL import Image

    assert Image.open(png).size[0] > 100
