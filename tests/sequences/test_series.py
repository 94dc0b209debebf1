"""Series data: the course's generator and baselines, windows split by time, normalisation on the
training period, bad series found by lint before training (no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest

from kspec.pipeline import Pipeline
from kspec.series import (WindowPlan, errors, make_series, moving_average_forecast, naive_forecast, normalisation,
                          windows)

SPEC = """\
kspec: 1
data: {DATA}
model:
  layers: [{type: Dense, units: 1}]
compile: {optimizer: adam, loss: mse}
"""


def lint(tmp_path, data: str):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.replace("{DATA}", data), encoding="utf-8")
    p = Pipeline(path)
    return p, p.diagnostics


def course_series():
    """The course notebook's code, written out here on its own."""
    time = np.arange(4 * 365 + 1, dtype="float32")
    season_time = (time % 365) / 365
    pattern = np.where(season_time < 0.4, np.cos(season_time * 2 * np.pi), 1 / np.exp(3 * season_time))
    series = 10 + 0.05 * time + 40 * pattern
    return series + np.random.RandomState(42).randn(len(time)) * 5


def test_generator_is_the_course_series():
    _, series = make_series()
    assert series.shape == (1461,)
    np.testing.assert_array_equal(series, course_series())


def test_baselines_reproduce_the_course_figures():
    """The course: naive forecast MAE 5.9379, moving average (30) MAE 7.1424 on time steps 1000..1460."""
    _, series = make_series()
    plan = WindowPlan(len(series), window_size=20, horizon=1, shift=1, split=1000)
    truth = series[1000:]
    assert plan.n_validation == len(truth) == 461
    naive = errors(truth, naive_forecast(series, plan))
    np.testing.assert_array_equal(naive_forecast(series, plan), series[999:-1])
    assert naive["mae"] == pytest.approx(5.9379, abs=1e-4)
    ma = errors(truth, moving_average_forecast(series, plan, 30))
    assert ma["mae"] == pytest.approx(7.1424, abs=1e-4)


def test_windows_never_cross_the_split():
    series = np.arange(100.0)
    plan = WindowPlan(100, window_size=10, horizon=3, shift=2, split=60)
    x, y = windows(series, plan.train_starts, 10, 3)
    assert y.max() < 60 and x.shape == (plan.n_train, 10) and y.shape == (plan.n_train, 3)
    np.testing.assert_array_equal(x[1], np.arange(2, 12))  # shift 2
    vx, vy = windows(series, plan.validation_starts, 10, 3)
    assert vy.min() >= 60 and vy[0, 0] == 60
    assert plan.n_train == (60 - 13) // 2 + 1


def test_normalisation_uses_the_training_period_only():
    series = np.concatenate([np.zeros(50), np.full(50, 100.0)])
    assert normalisation(series, "standard", "train", 50) == (0.0, 1.0)
    offset, scale = normalisation(series, "standard", "all", 50)
    assert offset == 50.0 and scale == 50.0
    assert normalisation(series, "minmax", "train", 100) == (0.0, 100.0)


def test_facts_of_the_generated_series(tmp_path):
    p, found = lint(tmp_path, "{type: series, split_time: 1000, window_size: 20}")
    f = p.resolved.facts
    assert found == []
    assert f.sample_shape == (20,) and f.n_train == 980 and f.n_validation == 461
    assert f.extra["window_size"] == 20 and f.extra["horizon"] == 1 and f.label_shape == ()
    assert f.classification is False


def test_horizon_mismatch_points_at_the_last_layer(tmp_path):
    _, found = lint(tmp_path, "{type: series, split_time: 1000, horizon: 3}")
    assert [d.code for d in found] == ["KS104"]
    assert "(3,)" in found[0].message


def test_series_from_a_csv_column_and_a_npy_file(tmp_path):
    values = np.sin(np.arange(60) / 5.0)
    (tmp_path / "s.csv").write_text("t,value\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    np.save(tmp_path / "s.npy", values)
    for data in ("{type: series, path: s.csv, column: value, window_size: 5, split_time: 50}",
                 "{type: series, path: s.csv, column: 1, window_size: 5, split_time: 50}",
                 "{type: series, path: s.npy, window_size: 5, split_time: 50}"):
        p, found = lint(tmp_path, data)
        assert found == [], data
        assert p.resolved.facts.n_train == 45 and p.resolved.facts.n_validation == 10


@pytest.mark.parametrize("content, data, where, words", [
    ("t,value\n0,1\n1,\n2,3\n", "{type: series, path: s.csv, column: value, window_size: 1}", "s.csv:3", "gap"),
    ("t,value\n0,1\n1,nan\n2,3\n", "{type: series, path: s.csv, column: value, window_size: 1}", "s.csv:3", "nan"),
    ("t,value\n0,1\n1,2\n", "{type: series, path: s.csv, column: valeu, window_size: 1}", "did you mean 'value'", "column"),
    ("t,value\n0,1\n1,2\n2,3\n", "{type: series, path: s.csv, column: value, window_size: 9}", "longer than the series", "window"),
])
def test_bad_series_is_an_error_located_in_spec_and_file(tmp_path, content, data, where, words):
    (tmp_path / "s.csv").write_text(content)
    _, found = lint(tmp_path, data)
    assert [d.code for d in found] == ["KS701"]
    d = found[0]
    assert where in d.message and words in d.message.lower()
    assert d.span is not None and d.span.line == 2 and d.path.startswith("data")


@pytest.mark.parametrize("data, where", [
    ("{type: series, generator: {length: 100}, window_size: 20, horizon: 10, split_time: 95}", "data.split_time"),
    ("{type: series, generator: {length: 100}, window_size: 20, horizon: 10, validation: 0.05}", "data.validation"),
])
def test_a_validation_period_shorter_than_the_horizon_is_an_error(tmp_path, data, where):
    _, found = lint(tmp_path, data)
    assert [d.code for d in found if d.severity.name.lower() == "error"][:1] == ["KS701"]
    d = next(d for d in found if d.code == "KS701")
    assert "validation period (5 time steps from split_time 95) is shorter than the horizon (10)" in d.message
    assert d.path == where and "at most 90" in d.hint


@pytest.mark.parametrize("write, words", [
    (lambda p: p.write_bytes(b""), "s.npy: the file is empty"),
    (lambda p: p.write_bytes(b"time,value\n0,1\n"), "s.npy: it is not a NumPy .npy or .npz file"),
    (lambda p: p.write_bytes(b"\x93NUMPY\x01\x00cut"), "cannot read"),
    (lambda p: np.save(p, np.zeros(0)), "holds an empty array"),
])
def test_an_unusable_npy_file_is_an_error_at_the_path(tmp_path, write, words):
    write(tmp_path / "s.npy")
    _, found = lint(tmp_path, "{type: series, path: s.npy, window_size: 3}")
    assert [(d.code, d.path) for d in found] == [("KS701", "data.path")], [d.message for d in found]
    assert words in found[0].message, found[0].message


def test_a_missing_npy_file_is_not_inspected_but_not_an_error(tmp_path):
    _, found = lint(tmp_path, "{type: series, path: s.npy, window_size: 3}")
    assert [d.code for d in found] == ["KS308"]


def test_a_wrong_npz_key_is_an_error_at_the_key(tmp_path):
    np.savez(tmp_path / "d.npz", x_train=np.zeros((4, 2)), y_train=np.zeros(4))
    spec = tmp_path / "spec.yaml"
    spec.write_text("kspec: 1\ndata: {type: npz, path: d.npz, x_key: x_trian, y_key: y_train}\n"
                    "model:\n  input_shape: [2]\n  layers:\n    - {type: Dense, units: 1}\n"
                    "compile: {optimizer: adam, loss: mse}\n", encoding="utf-8")
    found = Pipeline(spec).diagnostics
    assert [(d.code, d.path) for d in found] == [("KS701", "data.x_key")], [d.message for d in found]
    assert "did you mean 'x_train'" in found[0].hint


def test_nan_in_npy_names_the_index(tmp_path):
    values = np.arange(30.0)
    values[17] = np.nan
    np.save(tmp_path / "s.npy", values)
    _, found = lint(tmp_path, "{type: series, path: s.npy, window_size: 3}")
    assert [d.code for d in found] == ["KS701"] and "index 17" in found[0].message


def test_non_utf8_file_names_the_line(tmp_path):
    (tmp_path / "s.csv").write_bytes(b"t,value\n0,1\n1,2 \xe9t\xe9\n")
    _, found = lint(tmp_path, "{type: series, path: s.csv, column: value, window_size: 1}")
    assert [d.code for d in found] == ["KS701"] and "s.csv:3:5 is not UTF-8" in found[0].message


def test_windowed_arrays_split_by_a_fraction_are_reported(tmp_path):
    x = [[i, i + 1, i + 2] for i in range(10)]
    _, found = lint(tmp_path, f"{{type: arrays, x: {x}, y: {list(range(3, 13))}, validation: 0.2}}")
    assert "KS703" in [d.code for d in found]
    _, found = lint(tmp_path, f"{{type: arrays, x: {x}, y: {list(range(3, 13))}}}")
    assert "KS703" not in [d.code for d in found]
