"""Run diagnostics (KS901-KS907) on made-up histories: each fires on its mistake and stays quiet
on a healthy run. No TensorFlow."""

from __future__ import annotations

import math

import pytest

from kspec.diagnostics import Severity
from kspec.docs import SECTIONS, render_rule, sections
from kspec.pipeline import Pipeline
from kspec.run.checks import RUN_CHECKS, MonitorFacts, RunContext, find, run_checks

from .helpers import TINY_CNN, TINY_REGRESSION


def resolved(text: str = TINY_CNN):
    return Pipeline(text=text, file="spec.yaml").resolved


def rows(**series):
    n = len(next(iter(series.values())))
    return [{"epoch": i + 1, **{k: v[i] for k, v in series.items()}} for i in range(n)]


def codes(ctx, ignore=()):
    return [d.code for d in run_checks(ctx, ignore)]


HEALTHY = rows(loss=[1.2, 0.8, 0.5, 0.4, 0.35, 0.3], accuracy=[0.5, 0.7, 0.8, 0.85, 0.87, 0.9],
               val_loss=[1.1, 0.8, 0.6, 0.5, 0.48, 0.47], val_accuracy=[0.5, 0.7, 0.78, 0.8, 0.82, 0.83])


def test_a_healthy_run_has_no_findings():
    ctx = RunContext(resolved(), HEALTHY, MonitorFacts(first_batch_loss=1.39))
    assert codes(ctx) == []


def test_nan_loss_names_epoch_and_batch():
    m = MonitorFacts(first_batch_loss=1.4, nan_at={"epoch": 3, "batch": 17, "steps": 40, "value": "nan"})
    ctx = RunContext(resolved(), rows(loss=[1.2, 0.9, "nan"]), m)
    [d] = run_checks(ctx)
    assert (d.code, d.severity) == ("KS901", Severity.ERROR)
    assert "epoch 3, batch 17 of 40" in d.message and d.data["batch"] == 17


def test_a_validation_loss_that_is_not_finite_is_reported():
    ctx = RunContext(resolved(), rows(loss=[1.2, 0.9, 0.5], val_loss=[1.0, "inf", 0.7]), MonitorFacts(1.39))
    [d] = [d for d in run_checks(ctx) if d.code == "KS901"]
    assert "validation loss is inf at epoch 2" in d.message


def test_loss_not_decreasing_against_the_first_batch():
    ctx = RunContext(resolved(), rows(loss=[1.386, 1.387]), MonitorFacts(first_batch_loss=1.386))
    assert "KS902" in codes(ctx)
    ctx = RunContext(resolved(), rows(loss=[1.3, 1.0]), MonitorFacts(first_batch_loss=1.386))
    assert "KS902" not in codes(ctx)


def test_loss_not_decreasing_needs_three_epochs_without_the_first_batch():
    flat = rows(loss=[0.7, 0.7, 0.71])
    assert "KS902" in codes(RunContext(resolved(TINY_REGRESSION), flat))
    assert "KS902" not in codes(RunContext(resolved(TINY_REGRESSION), flat[:2]))


def test_a_flat_start_of_a_learning_rate_sweep_is_not_reported():
    flat = rows(loss=[54.2, 54.3, 54.3])
    sweep = TINY_REGRESSION.replace("train: {", "train: {callbacks: [{type: learning_rate_scheduler, schedule: "
                                    "{type: exponential, initial_learning_rate: 1.0e-8, factor: 10, epochs_per_factor: 20}}], ", 1)
    falling = TINY_REGRESSION.replace("train: {", "train: {callbacks: [{type: learning_rate_scheduler, schedule: "
                                      "{type: piecewise, boundaries: [1], values: [0.01, 0.001]}}], ", 1)
    assert "KS902" not in codes(RunContext(resolved(sweep), flat, MonitorFacts(first_batch_loss=54.2)))
    assert "KS902" in codes(RunContext(resolved(falling), flat, MonitorFacts(first_batch_loss=54.2)))


def test_overfitting_names_the_epoch_where_it_started():
    r = rows(loss=[1.0, 0.6, 0.4, 0.3, 0.2, 0.1], val_loss=[0.9, 0.6, 0.5, 0.55, 0.6, 0.7])
    [d] = [d for d in run_checks(RunContext(resolved(), r, MonitorFacts(1.39))) if d.code == "KS903"]
    assert d.data["started"] == 4 and d.data["best_epoch"] == 3
    assert "over-fits from epoch 4" in d.message and "early_stopping" in d.hint and "train.epochs: 3" in d.hint


def test_overfitting_after_early_stopping_restored_the_best_weights_is_info():
    spec = TINY_CNN.replace("train: {epochs: 2, batch_size: 16, seed: 0, verbose: 0}",
                            "train: {epochs: 6, batch_size: 16, seed: 0, verbose: 0, callbacks: "
                            "[{type: early_stopping, monitor: val_loss, patience: 3, restore_best_weights: true}]}")
    r = rows(loss=[1.0, 0.6, 0.4, 0.3, 0.2, 0.1], val_loss=[0.9, 0.6, 0.5, 0.55, 0.6, 0.7])
    [d] = [d for d in run_checks(RunContext(resolved(spec), r, MonitorFacts(1.39))) if d.code == "KS903"]
    assert d.severity is Severity.INFO
    assert "restored the weights of epoch 3" in d.message and "early_stopping" not in d.hint


@pytest.mark.parametrize("val, fires", [
    ([0.9, 0.6, 0.5, 0.52, 0.51, 0.5], False),   # noise: never 5% above the best
    ([0.9, 0.6, 0.5, 0.4, 0.38, 0.45], False),   # rose for one epoch only
    ([0.9, 0.6, 0.5, 0.45, 0.6, 0.7], True),     # rose for two epochs, well above the best
])
def test_overfitting_needs_a_clear_rise(val, fires):
    r = rows(loss=[1.0, 0.6, 0.4, 0.3, 0.2, 0.1], val_loss=val)
    assert ("KS903" in codes(RunContext(resolved(), r, MonitorFacts(1.39)))) is fires


def test_no_overfitting_reported_for_a_run_that_does_not_learn():
    r = rows(loss=[1.39, 1.39, 1.388, 1.387, 1.386, 1.385], val_loss=[0.9, 0.6, 0.5, 0.45, 0.6, 0.7])
    found = codes(RunContext(resolved(), r, MonitorFacts(1.39)))
    assert "KS902" in found and "KS903" not in found


def test_no_overfitting_when_training_loss_rises_too():
    r = rows(loss=[1.0, 0.6, 0.4, 0.5, 0.6, 0.7], val_loss=[0.9, 0.6, 0.5, 0.6, 0.7, 0.8])
    assert "KS903" not in codes(RunContext(resolved(), r, MonitorFacts(1.39)))


def test_accuracy_at_chance_for_four_classes():
    r = rows(loss=[1.39, 1.38, 1.37], accuracy=[0.24, 0.26, 0.27], val_loss=[1.39, 1.39, 1.38],
             val_accuracy=[0.25, 0.25, 0.25])
    found = [d for d in run_checks(RunContext(resolved(), r, MonitorFacts(1.40))) if d.code == "KS904"]
    assert {d.data["metric"] for d in found} == {"accuracy", "val_accuracy"}
    assert all(d.data["chance"] == pytest.approx(0.25) for d in found)


def test_accuracy_above_chance_is_fine():
    r = rows(loss=[1.3, 1.0, 0.9], accuracy=[0.3, 0.45, 0.5])
    assert "KS904" not in codes(RunContext(resolved(), r, MonitorFacts(1.40)))


def test_accuracy_at_chance_is_judged_on_the_kept_weights_not_the_best_epoch():
    collapsed = rows(loss=[1.3, 0.6, 0.9], accuracy=[0.4, 0.9, 0.26])  # good at epoch 2, at chance at the end
    [d] = [d for d in run_checks(RunContext(resolved(), collapsed, MonitorFacts(1.40))) if d.code == "KS904"]
    assert d.data["epoch"] == 3 and "0.260 at epoch 3, the last" in d.message
    kept = MonitorFacts(1.40, kept_epoch=2)  # early stopping restored epoch 2's weights
    assert "KS904" not in codes(RunContext(resolved(), collapsed, kept))
    restored_at_chance = rows(loss=[1.3, 1.2, 1.0], accuracy=[0.26, 0.27, 0.6])
    [d] = [d for d in run_checks(RunContext(resolved(), restored_at_chance, kept)) if d.code == "KS904"]
    assert "epoch 2, whose weights early stopping kept" in d.message


def test_accuracy_at_chance_in_the_final_evaluation():
    r = rows(loss=[1.3, 1.0, 0.9], accuracy=[0.3, 0.45, 0.5])
    ctx = RunContext(resolved(), r, MonitorFacts(1.40), evaluation={"loss": 1.38, "accuracy": 0.25})
    [d] = [d for d in run_checks(ctx) if d.code == "KS904"]
    assert d.data["metric"] == "test_accuracy" and "evaluation accuracy is at chance" in d.message


def test_monitor_facts_keep_the_kept_epoch_for_resumes():
    m = MonitorFacts(1.4, kept_epoch=3)
    assert MonitorFacts.from_json(m.to_json()) == m


def test_initial_loss_off_points_at_unscaled_pixels():
    text = TINY_CNN.replace(", rescale: 1/255", "")
    [d] = [d for d in run_checks(RunContext(resolved(text), rows(loss=[30.0, 2.0]), MonitorFacts(120.0)))
           if d.code == "KS905"]
    assert d.path == "data" and "rescale: 1/255" in d.hint
    assert d.data["expected"] == pytest.approx(math.log(4))


def test_initial_loss_off_otherwise_points_at_the_loss():
    [d] = [d for d in run_checks(RunContext(resolved(), rows(loss=[6.0, 2.0]), MonitorFacts(9.0)))
           if d.code == "KS905"]
    assert d.path == "compile.loss"


def test_initial_loss_near_ln_k_is_fine_and_regression_is_skipped():
    assert "KS905" not in codes(RunContext(resolved(), rows(loss=[1.2, 1.0]), MonitorFacts(1.6)))
    assert "KS905" not in codes(RunContext(resolved(TINY_REGRESSION), rows(loss=[50.0, 9.0]), MonitorFacts(99.0)))


def test_spec_ignores_silence_run_checks_by_code_or_name():
    r = rows(loss=[1.39, 1.38, 1.37], accuracy=[0.24, 0.26, 0.27])
    ctx = RunContext(resolved(), r, MonitorFacts(1.40))
    assert "KS904" in codes(ctx)
    assert "KS904" not in codes(ctx, ["KS904"]) and "KS904" not in codes(ctx, ["accuracy-at-chance"])


def test_a_crashing_check_becomes_an_internal_error_and_others_still_run(monkeypatch):
    from kspec.run import checks

    def boom(self, ctx):
        raise RuntimeError("bug")

    monkeypatch.setattr(checks.Overfitting, "check", boom)
    m = MonitorFacts(1.4, nan_at={"epoch": 1, "batch": 2, "steps": 3, "value": "nan"})
    found = codes(RunContext(resolved(), rows(loss=["nan"]), m))
    assert "KS000" in found and "KS901" in found


def test_spans_come_from_the_spec_document():
    p = Pipeline(text=TINY_CNN.replace(", rescale: 1/255", ""), file="spec.yaml")
    ctx = RunContext(p.resolved, rows(loss=[30.0, 2.0]), MonitorFacts(120.0), span_of=p.document.span)
    [d] = [d for d in run_checks(ctx) if d.code == "KS905"]
    assert d.span is not None and d.span.line == 3


@pytest.mark.parametrize("check", RUN_CHECKS, ids=lambda c: c.code)
def test_every_check_is_documented_in_four_parts_and_registered(check):
    assert check.code.startswith("KS9") and find(check.code) is check and find(check.name) is check
    assert list(sections(check)) == list(SECTIONS)
    assert check.code in render_rule(check)


def test_codes_are_unique():
    assert len({c.code for c in RUN_CHECKS}) == len({c.name for c in RUN_CHECKS}) == len(RUN_CHECKS)


def test_diverging_loss_after_going_down():
    ctx = RunContext(resolved(), rows(loss=[1.2, 0.6, 0.9, 1.5]), MonitorFacts(first_batch_loss=1.39))
    [d] = [d for d in run_checks(ctx) if d.code == "KS906"]
    assert "0.6 at epoch 2, then 1.5 at epoch 4 (2.5x its lowest; expected below 2x)" in d.message
    ctx = RunContext(resolved(), rows(loss=[1.2, 0.6, 0.9, 1.1]), MonitorFacts(first_batch_loss=1.39))
    assert "KS906" not in codes(ctx)


def test_oscillating_loss():
    zigzag = rows(loss=[1.0, 0.6, 0.9, 0.5, 0.8, 0.45, 0.75, 0.4])
    [d] = [d for d in run_checks(RunContext(resolved(), zigzag, MonitorFacts(1.39))) if d.code == "KS907"]
    assert "changed in 6 of 6 epochs (100%; expected at most 60%)" in d.message
    noisy_but_falling = rows(loss=[1.0, 0.8, 0.81, 0.6, 0.61, 0.45, 0.46, 0.35])
    assert "KS907" not in codes(RunContext(resolved(), noisy_but_falling, MonitorFacts(1.39)))


def test_kept_epoch_is_read_from_an_early_stopping_that_restored_weights():
    from kspec.run.checks import kept_epoch

    class EarlyStopping:  # the attributes keras.callbacks.EarlyStopping keeps
        def __init__(self, restore, weights):
            self.restore_best_weights, self.best_weights, self.best_epoch = restore, weights, 4

    m = MonitorFacts()
    kept_epoch([EarlyStopping(False, [1]), EarlyStopping(True, None)], m)
    assert m.kept_epoch is None
    kept_epoch([object(), EarlyStopping(True, [1])], m)
    assert m.kept_epoch == 5


def looks(**by_epoch):
    """Layer-monitor looks: ``looks(dead=[{...}, ...], grad=[...])``, one dict per look, epoch 0 first."""
    n = len(next(iter(by_epoch.values())))
    return [{"epoch": e, **{k: {str(i): v for i, v in series[e].items()} for k, series in by_epoch.items()}}
            for e in range(n)]


MLP = """\
kspec: 1
data: {type: synthetic, samples: 64, image_size: 8, rescale: 1/255}
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 16, activation: relu}
    - {type: Dense, units: 16, activation: tanh}
    - {type: Dense, units: 4, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
"""


def monitored(**by_epoch):
    return RunContext(resolved(MLP), HEALTHY, MonitorFacts(1.39, layers=looks(**by_epoch)))


def test_dead_relu_units_that_stay_dead_are_reported_at_their_layer():
    [d] = [d for d in run_checks(monitored(dead=[{1: 0.1}, {1: 0.8}, {1: 0.75}])) if d.code == "KS910"]
    assert d.path == "model.layers[1]" and d.data["share"] == 0.75
    assert "75% of the units of layer 1 (Dense, relu) are dead after epoch 2" in d.message
    assert "dead in 2 of 3 looks; expected under 70%" in d.message
    assert "KS910" not in codes(monitored(dead=[{1: 0.8}, {1: 0.9}, {1: 0.3}]))  # revived at the end
    assert "KS910" not in codes(monitored(dead=[{1: 0.0}, {1: 0.1}, {1: 0.75}, {1: 0.2}, {1: 0.7}]))  # now and then
    assert "KS910" not in codes(monitored(dead=[{1: 0.9}]))  # one look says nothing


def test_vanishing_gradients_compare_the_first_and_last_weighted_layers():
    tiny = [{1: 1e-6, 2: 1e-4, 3: 0.5}] * 3
    [d] = [d for d in run_checks(monitored(grad=tiny)) if d.code == "KS911"]
    assert d.path == "model.layers[1]" and d.data["last_layer"] == 3
    assert "kernel gradient norm is 1e-06 after epoch 2, 2e-06x that of layer 3 (Dense, softmax) (0.5)" in d.message
    assert [r.path for r in d.related] == ["model.layers[3]"]
    assert "KS911" not in codes(monitored(grad=[{1: 1e-6, 3: 1e-4}] * 3))  # small everywhere: a fitted model
    assert "KS911" not in codes(monitored(grad=[{1: 0.2, 3: 0.5}] * 3))


def test_exploding_gradients_by_ratio_or_by_non_finite_values():
    [d] = [d for d in run_checks(monitored(grad=[{1: 5e3, 3: 1.0}] * 2)) if d.code == "KS912"]
    assert d.path == "model.layers[1]" and "5e+03x that of layer 3" in d.message
    [d] = [d for d in run_checks(monitored(grad=[{1: 0.3, 3: 1.0}, {1: "inf", 3: 1.0}, {1: "nan", 3: "nan"}]))
           if d.code == "KS912"]
    assert "the kernel gradient of layer 1 (Dense, relu) is nan after epoch 2 (in 2 of 3 looks)" in d.message
    assert "KS912" not in codes(monitored(grad=[{1: 50.0, 3: 1.0}] * 3))  # a conv's gradient sums over positions


def test_saturated_tanh_is_reported_but_not_a_confident_output_layer():
    [d] = [d for d in run_checks(monitored(saturated=[{2: 0.9}, {2: 0.95}])) if d.code == "KS913"]
    assert d.path == "model.layers[2]" and "95% of the outputs of layer 2 (Dense, tanh) are saturated" in d.message
    assert "KS913" not in codes(monitored(saturated=[{2: 0.4}, {2: 0.5}]))


def test_a_spec_that_ignores_every_layer_check_gets_no_layer_monitor():
    from types import SimpleNamespace

    from kspec.run.runner import _layer_monitor

    spec = MLP + "lint: {ignore: [KS910, vanishing-gradients, KS912, KS913]}\n"
    s = SimpleNamespace(r=resolved(spec), dist=None, monitor=MonitorFacts())
    assert _layer_monitor(s, inputs=None) is None and s.monitor.layers_error is None


def test_a_tf_data_pipeline_is_not_read_before_training():
    from types import SimpleNamespace

    from kspec.run.runner import _layer_monitor

    s = SimpleNamespace(r=resolved(MLP), dist=None, monitor=MonitorFacts())
    assert _layer_monitor(s, SimpleNamespace(in_memory=False)) is None
    assert "tf.data pipeline" in s.monitor.layers_error


def test_initial_loss_of_a_binary_sigmoid_classifier_is_compared_with_ln_2():
    binary = MLP.replace("units: 4, activation: softmax", "units: 1, activation: sigmoid").replace(
        "sparse_categorical_crossentropy", "binary_crossentropy")
    [d] = [d for d in run_checks(RunContext(resolved(binary), rows(loss=[2.0, 1.0]), MonitorFacts(3.0)))
           if d.code == "KS905"]
    assert "binary classifier (one sigmoid unit) starts near ln(2) = 0.693" in d.message
    assert d.data["expected"] == pytest.approx(math.log(2)) and "Dense(1, sigmoid)" in d.hint
    assert "KS905" not in codes(RunContext(resolved(binary), rows(loss=[0.7, 0.6]), MonitorFacts(0.75)))
