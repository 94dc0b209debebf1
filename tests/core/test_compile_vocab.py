"""Optimizers, schedules, losses and metrics: the spec speaks Keras's whole catalogue with Keras's
own argument names and defaults (checked against the installed Keras), accepts Keras class names,
refuses Keras 2 spellings with the fix, and emits the objects a person would write by hand."""

from __future__ import annotations

import inspect

import pytest

from kspec import compiling as C
from kspec.pipeline import Pipeline

keras = pytest.importorskip("keras")

SPEC = """kspec: 1
data: {{type: arrays, x: [[0.0], [1.0], [2.0], [3.0]], y: [0, 1, 0, 1]}}
model:
  layers: [{{type: Dense, units: 2, activation: softmax}}]
compile:
  optimizer: {optimizer}
  loss: {loss}
  metrics: {metrics}
"""


def pipeline(optimizer="adam", loss="sparse_categorical_crossentropy", metrics="[accuracy]") -> Pipeline:
    return Pipeline(text=SPEC.format(optimizer=optimizer, loss=loss, metrics=metrics))


def errors(p: Pipeline) -> list:
    """Schema errors (lint findings about the toy model are beside the point here)."""
    return [d for d in p.diagnostics if d.severity.value == "error" and d.code < "KS100"]


def keras_params(cls) -> dict:
    sig = inspect.signature(cls.__init__)
    return {n: p.default for n, p in list(sig.parameters.items())[1:]
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and n != "dtype"}


def spec_params(model) -> dict:
    return {n: f.default for n, f in model.model_fields.items()
            if n != "type" and not f.exclude}


def _same_default(name, spec_default, keras_default):
    if keras_default is inspect.Parameter.empty:  # required in Keras: required in the spec
        return spec_default is not None and str(spec_default) == "PydanticUndefined"
    if isinstance(keras_default, tuple):
        keras_default = list(keras_default)
    return spec_default == keras_default


@pytest.mark.parametrize("cls", C.OPTIMIZER_CLASSES + C.SCHEDULE_CLASSES, ids=lambda c: c.__name__)
def test_optimizer_and_schedule_arguments_are_keras_own(cls):
    module = keras.optimizers.schedules if cls in C.SCHEDULE_CLASSES else keras.optimizers
    kcls = getattr(module, cls.__name__)
    mine, theirs = spec_params(cls), keras_params(kcls)
    if cls in C.SCHEDULE_CLASSES:
        theirs["name"] = None  # Keras gives each schedule a default name; the spec leaves it to Keras
    assert set(mine) == set(theirs), (set(mine) ^ set(theirs))
    for n in theirs:
        assert _same_default(n, mine[n], theirs[n]), (cls.__name__, n, mine[n], theirs[n])


def test_every_keras_optimizer_and_schedule_is_covered_or_refused():
    names = {n for n, o in vars(keras.optimizers).items() if inspect.isclass(o)} - {"Optimizer", "OptimizerMap"}
    assert names - set(C.OPTIMIZER_ALIASES) - set(C.OPTIMIZER_REFUSED) == set()
    schedules = {n for n, o in vars(keras.optimizers.schedules).items() if inspect.isclass(o)}
    assert schedules - set(C.SCHEDULE_NAMES) == {"LearningRateSchedule"}


def _loss_or_metric_classes():
    for canonical, kname in C.LOSS_KERAS.items():
        yield "losses", canonical, kname
    for canonical, kname in C.METRIC_KERAS.items():
        yield "metrics", canonical, kname


@pytest.mark.parametrize("module,canonical,kname", list(_loss_or_metric_classes()),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_loss_and_metric_arguments_are_keras_own(module, canonical, kname):
    kcls = getattr(getattr(keras, module), kname)
    union = C.LOSS_CLASSES if module == "losses" else C.METRIC_CLASSES
    model = next(c for c in union if canonical in c.model_fields["type"].annotation.__args__)
    mine, theirs = spec_params(model), keras_params(kcls)
    theirs["name"] = None  # every class has a default name; the spec leaves it to Keras
    assert set(mine) == set(theirs), (set(mine) ^ set(theirs))
    for n in theirs:
        if n in ("name",):
            continue
        assert _same_default(n, mine[n], theirs[n]), (kname, n, mine[n], theirs[n])


def test_every_keras_loss_and_metric_is_covered_or_refused():
    base = {"Loss", "Metric", "Reduction", "LossFunctionWrapper"}
    losses = {n for n, o in vars(keras.losses).items() if inspect.isclass(o)} - base
    assert losses - set(C.LOSS_KERAS.values()) - set(C.LOSS_REFUSED) == set()
    metrics = {n for n, o in vars(keras.metrics).items() if inspect.isclass(o)} - base
    assert metrics - set(C.METRIC_KERAS.values()) - set(C.METRIC_REFUSED) == set()


def test_metric_logged_names_are_keras_default_names():
    for canonical, kname in C.METRIC_KERAS.items():
        model = next(c for c in C.METRIC_CLASSES if canonical in c.model_fields["type"].annotation.__args__)
        required = {n: f for n, f in model.model_fields.items() if f.is_required() and n != "type"}
        sample = {"num_classes": 2, "target_class_ids": [0], "recall": 0.5, "precision": 0.5,
                  "specificity": 0.5, "sensitivity": 0.5}
        args = {n: sample[n] for n in required}
        spec_metric = model(type=canonical, **args)
        assert spec_metric.logged_name == getattr(keras.metrics, kname)(**args).name, kname


def test_class_names_are_accepted_and_rewritten_to_the_canonical_name():
    p = pipeline("{type: RMSprop, learning_rate: 0.0001}", "BinaryCrossentropy", "[Precision, AUC, BinaryAccuracy]")
    assert not errors(p), p.diagnostics
    c = p.resolved.compile
    assert (c.optimizer.type, c.loss.type, c.metrics) == ("rmsprop", "binary_crossentropy",
                                                         ["precision", "auc", "binary_accuracy"])
    assert pipeline("SGD").resolved.compile.optimizer.type == "sgd"


def test_misspelt_names_get_did_you_mean_over_every_spelling():
    p = pipeline("Adamm", "sparse_categorical_crossentropy", "[accuracy, presicion]")
    msgs = [d.message for d in errors(p)]
    assert any("did you mean 'adam'" in m for m in msgs), msgs
    assert any("did you mean 'precision'" in m for m in msgs), msgs
    p = pipeline("adam", "{type: BinaryFocalCrossentropi, gamma: 2}")
    assert any("did you mean 'binary_focal_crossentropy'" in d.message or "did you mean 'BinaryFocalCrossentropy'"
               in d.message for d in errors(p)), p.diagnostics


def test_keras2_decay_is_refused_with_the_inverse_time_decay_that_replaces_it():
    p = pipeline("{type: sgd, learning_rate: 0.1, decay: 0.01}")
    (d,) = errors(p)
    assert d.path == "compile.optimizer.decay"
    assert "Keras 2" in d.message
    assert "InverseTimeDecay, initial_learning_rate: 0.1, decay_steps: 1, decay_rate: 0.01" in d.hint
    # and the replacement is exactly Keras 2's formula lr / (1 + decay * step)
    from kspec.emit.model import build_schedule

    fixed = pipeline("{type: sgd, learning_rate: {type: InverseTimeDecay, initial_learning_rate: 0.1, "
                     "decay_steps: 1, decay_rate: 0.01}}")
    sched = build_schedule(fixed.resolved.compile.optimizer.learning_rate)
    assert float(sched(50)) == pytest.approx(0.1 / (1 + 0.01 * 50))


def test_lr_is_refused_with_did_you_mean_learning_rate():
    (d,) = errors(pipeline("{type: adam, lr: 0.01}"))
    assert d.path == "compile.optimizer.lr" and "did you mean 'learning_rate'" in d.message


def test_refused_classes_say_why():
    (d,) = errors(pipeline("adam", "sparse_categorical_crossentropy", "[Accuracy]"))
    assert "exact equality" in d.message and "accuracy" in d.hint
    (d,) = errors(pipeline("LossScaleOptimizer"))
    assert "mixed_float16" in d.message


def test_piecewise_values_must_outnumber_boundaries():
    p = pipeline("{type: adam, learning_rate: {type: PiecewiseConstantDecay, boundaries: [10, 20], values: [0.1, 0.01]}}")
    assert any("one entry more than boundaries" in d.message for d in errors(p)), p.diagnostics


def test_emit_matches_hand_written_keras_objects():
    from kspec.emit.model import build_loss, build_metric, build_optimizer

    p = pipeline("{type: AdamW, learning_rate: {type: CosineDecay, initial_learning_rate: 0.0, decay_steps: 100, "
                 "warmup_target: 0.01, warmup_steps: 10}, global_clipnorm: 1.0, use_ema: true, ema_momentum: 0.9}",
                 "{type: huber, delta: 2.0}",
                 "[accuracy, {type: top_k_categorical_accuracy, k: 3}, {type: precision, thresholds: 0.7}, "
                 "{type: F1Score, average: macro}, {type: mean_io_u, num_classes: 2}, {type: auc, curve: PR, name: pr_auc}]")
    assert not errors(p), p.diagnostics
    c = p.resolved.compile
    got = build_optimizer(c.optimizer)
    ref = keras.optimizers.AdamW(learning_rate=keras.optimizers.schedules.CosineDecay(
        0.0, 100, warmup_target=0.01, warmup_steps=10), global_clipnorm=1.0, use_ema=True, ema_momentum=0.9)
    assert {**got.get_config(), "name": None} == {**ref.get_config(), "name": None}
    assert build_loss(c.loss).get_config() == keras.losses.Huber(delta=2.0).get_config()
    refs = ["accuracy", keras.metrics.TopKCategoricalAccuracy(k=3), keras.metrics.Precision(thresholds=0.7),
            keras.metrics.F1Score(average="macro"), keras.metrics.MeanIoU(num_classes=2),
            keras.metrics.AUC(curve="PR", name="pr_auc")]
    for m, want in zip(c.metrics, refs):
        have = build_metric(m)
        if isinstance(want, str):
            assert have == want
        else:
            # Keras numbers default names in one process (precision_1, ...): names are checked below
            assert type(have) is type(want)
            assert {**have.get_config(), "name": None} == {**want.get_config(), "name": None}
    # the names rules reason about are the ones Keras logs
    from kspec.compiling import metric_logged_name

    assert [metric_logged_name(m) for m in c.metrics] == ["accuracy", "top_k_categorical_accuracy", "precision",
                                                          "f1_score", "mean_io_u", "pr_auc"]


def test_a_schedule_in_place_of_the_learning_rate_lints_by_its_first_rate():
    p = pipeline("{type: adam, learning_rate: {type: ExponentialDecay, initial_learning_rate: 5, decay_steps: 10, "
                 "decay_rate: 0.9}}")
    assert any(d.code == "KS401" for d in p.diagnostics), p.diagnostics


@pytest.mark.slow
def test_a_scheduled_clipped_optimizer_and_argument_metrics_train(tmp_path):
    import numpy as np

    from kspec.emit.model import build_model, compile_model

    p = pipeline("{type: sgd, learning_rate: {type: PiecewiseConstantDecay, boundaries: [1], values: [0.1, 0.01]}, "
                 "clipvalue: 0.5}", "{type: SparseCategoricalCrossentropy}",
                 "[accuracy, {type: sparse_top_k_categorical_accuracy, k: 1}]")
    model = build_model(p.resolved)
    compile_model(model, p.resolved)
    h = model.fit(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 1, 0, 1]), epochs=2, verbose=0)
    assert set(h.history) == {"loss", "accuracy", "sparse_top_k_categorical_accuracy"}
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
