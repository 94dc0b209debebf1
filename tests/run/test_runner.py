"""Train tiny specs in-process and check every artifact, then use the saved run without
retraining: predict, evaluate, visualize, diff, repeat. A second or two per run."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from kspec.cli import app
from kspec.diagnostics import KspecError
from kspec.run.history import gaps

from .helpers import DIVERGING, TINY_CNN, TINY_REGRESSION, history, manifest, run_spec

pytest.importorskip("tensorflow")

# two metrics, so the summary must show more than accuracy; more predictions than the console shows
VISUALIZED = (TINY_CNN.replace("metrics: [accuracy]", "metrics: [accuracy, {type: sparse_top_k_categorical_accuracy, k: 2}]")
              + "visualize: {index: 1, channel: 2}\npredict: {from_data: test, count: 12}\n")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny CNN run shared by the tests that only read it."""
    return run_spec(tmp_path_factory.mktemp("cnn"), VISUALIZED)


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_run_directory_has_every_artifact(trained):
    d = trained.run_dir
    assert trained.status == "completed"
    for name in ("spec.resolved.json", "manifest.json", "summary.txt", "classes.json", "history.json",
                 "history.csv", "metrics.json", "model.keras", "loss.png", "accuracy.png", "predictions.json",
                 "confusion_matrix.png", "confusion_matrix.json", "diagnostics.json", "spec/spec.yaml"):
        assert (d / name).is_file(), name
    assert not (d / "resume").exists(), "the resume checkpoint is dropped once the run completed"
    assert not list(d.rglob(".*.tmp*")) and not (d / ".lock").exists()


def test_history_uses_keras3_keys_and_has_every_epoch(trained):
    rows = history(trained.run_dir)
    assert [r["epoch"] for r in rows] == [1, 2] and gaps(rows) == ([], [])
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])
    assert trained.history["accuracy"] == [r["accuracy"] for r in rows]


def test_manifest_records_what_repeats_the_run(trained):
    m = manifest(trained.run_dir)
    assert m["status"] == "completed" and m["seed"] == 0 and m["epochs_completed"] == 2
    assert {"tensorflow", "keras", "numpy", "python", "kspec"} <= set(m["versions"])
    assert len(m["data"]["fingerprint"]) == 64 and m["data"]["class_names"][0] == "circle"
    assert m["environment"]["op_determinism"] is False and m["environment"]["cpus"] >= 1
    assert m["repeat"].startswith("kspec run ") and "--seed 0" in m["repeat"]
    assert m["monitor"]["first_batch_loss"] > 0 and m["monitor"]["nan_at"] is None
    assert {"data_s", "fit_s", "total_s", "checkpoint_s"} <= set(m["timing"])
    assert m["final"]["test_accuracy"] == trained.metrics["accuracy"]
    assert "model.keras" in m["artifacts"]


def test_the_layer_monitor_looked_before_training_and_after_each_epoch(trained):
    looks = manifest(trained.run_dir)["monitor"]["layers"]
    assert [look["epoch"] for look in looks] == [0, 1, 2]
    for look in looks:
        assert set(look["dead"]) == {"0"} and 0 <= look["dead"]["0"] <= 1  # the relu Conv2D; not the softmax head
        assert set(look["grad"]) == {"0", "3"} and all(g > 0 for g in look["grad"].values())  # Conv2D and Dense kernels
        assert look["saturated"] == {}


def test_confusion_matrix_covers_the_evaluation_data(trained):
    cm = json.loads((trained.run_dir / "confusion_matrix.json").read_text())
    m = np.array(cm["matrix"])
    assert cm["data"] == "test" and m.shape == (4, 4) and m.sum() == 32
    assert cm["class_names"] == ["circle", "square", "triangle", "cross"]
    assert np.trace(m) / m.sum() == pytest.approx(trained.metrics["accuracy"], abs=1e-6)


def test_summary_txt_keeps_every_column_of_the_keras_table(trained):
    text = (trained.run_dir / "summary.txt").read_text(encoding="utf-8")
    header = next(line for line in text.splitlines() if "Layer (type)" in line)
    assert "Output Shape" in header and "Param #" in header
    assert re.search(r"Total params: 828\b", text) and "Trainable params: 828" in text
    conv = next(line for line in text.splitlines() if "conv2d (Conv2D)" in line)
    assert "(None, 14, 14, 4)" in conv and conv.rstrip(" │").endswith("40")  # 3*3*4 + 4 weights
    assert "\x1b[" not in text  # plain text, no colour codes


def test_end_of_run_summary_shows_every_metric_and_says_where_the_predictions_are(trained):
    from kspec.run.runner import SHOWN_PREDICTIONS, summary_lines

    lines = summary_lines(trained, "test")
    [trainedline] = [line for line in lines if line.startswith("kspec: trained 2 epoch(s)")]
    assert re.findall(r"(\w+) [\d.]+(?:,|$)", trainedline.split(": ", 1)[1]) == [
        "loss", "accuracy", "sparse_top_k_categorical_accuracy",
        "val_loss", "val_accuracy", "val_sparse_top_k_categorical_accuracy"], trainedline
    [evaluation] = [line for line in lines if line.startswith("kspec: evaluation (test)")]
    assert "sparse_top_k_categorical_accuracy" in evaluation and "accuracy" in evaluation
    assert set(trained.metrics) >= {"accuracy", "sparse_top_k_categorical_accuracy", "loss"}
    shown = [line for line in lines if line.startswith("kspec: prediction ")]
    assert len(trained.predictions) == 12 and len(shown) == SHOWN_PREDICTIONS == 10
    assert f"10 of 12 predictions shown; all 12 are in {trained.run_dir / 'predictions.json'}" in "\n".join(lines)
    assert len(json.loads((trained.run_dir / "predictions.json").read_text())["predictions"]) == 12
    few = summary_lines(type(trained)(trained.run_dir, trained.history, predictions=trained.predictions[:3]))
    assert sum(line.startswith("kspec: prediction ") for line in few) == 3 and "shown;" not in "\n".join(few)


def test_diagnostics_json_has_lint_shape(trained):
    data = json.loads((trained.run_dir / "diagnostics.json").read_text())
    assert data["version"] == 1 and isinstance(data["diagnostics"], list)
    for d in data["diagnostics"]:
        assert d["code"].startswith("KS9")


def test_spec_visualize_section_draws_after_training(trained):
    folder = trained.run_dir / "visualize" / "test-1"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["01-conv2d.png", "02-max_pooling2d.png", "channel-2.png", "shapes.txt"]
    shapes = (folder / "shapes.txt").read_text()
    assert "conv2d" in shapes and "(1, 14, 14, 4)" in shapes and "(1, 7, 7, 4)" in shapes
    assert "prediction:" in shapes


def test_predict_images_folder_and_npy(trained, tmp_path):
    x = np.zeros((16, 16), dtype=np.uint8)
    x[4:12, 4:12] = 255  # a square
    Image.fromarray(x).save(tmp_path / "square.png")
    np.save(tmp_path / "two.npy", np.stack([x, x])[..., None])
    res = cli("predict", trained.run_dir, tmp_path / "square.png", tmp_path / "two.npy")
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 3 and "(p=" in lines[0]
    res = cli("predict", trained.run_dir, tmp_path, "-f", "json", "-o", tmp_path / "p.json")
    assert res.exit_code == 0, res.output
    rows = json.loads((tmp_path / "p.json").read_text())["predictions"]
    assert rows[0]["input"].endswith("square.png") and rows[0]["class_name"] in ("circle", "square", "triangle", "cross")
    assert 0.25 <= rows[0]["probability"] <= 1
    res = cli("predict", trained.run_dir, tmp_path / "two.npy", "-f", "csv")
    assert res.output.splitlines()[0] == "input,class_id,probability,class_name"


def test_evaluate_again_gives_the_same_metrics(trained):
    res = cli("evaluate", trained.run_dir, "-o", trained.run_dir.parent / "again.json")
    assert res.exit_code == 0, res.output
    again = json.loads((trained.run_dir.parent / "again.json").read_text())
    assert again["samples"] == 32 and again["accuracy"] == pytest.approx(trained.metrics["accuracy"])
    res = cli("evaluate", trained.run_dir, "--data", "validation")
    assert res.exit_code == 0 and "validation (24 samples)" in res.output


def test_evaluate_on_another_data_section(trained, tmp_path):
    part = tmp_path / "other.yaml"
    part.write_text("type: synthetic\nsamples: 40\ntest_samples: 20\nimage_size: 16\nrescale: 1/255\ndata_seed: 7\n")
    res = cli("evaluate", trained.run_dir, "--data", part)
    assert res.exit_code == 0, res.output
    assert "(test) (20 samples)" in res.output and "accuracy" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("type: synthetic\nsamples: 40\nimage_size: 20\nrescale: 1/255\n")
    res = cli("evaluate", trained.run_dir, "--data", bad)
    assert res.exit_code == 2 and "the model takes [16, 16, 1]" in res.output


def test_visualize_a_saved_run(trained, tmp_path):
    Image.fromarray(np.full((40, 40), 200, dtype=np.uint8)).save(tmp_path / "big.png")
    res = cli("visualize", trained.run_dir, "--image", tmp_path / "big.png", "--layers", "conv2d", "--channel", "3",
              "--out", tmp_path / "maps")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == ["01-conv2d.png", "channel-3.png", "shapes.txt"]
    assert "flatten" in res.output and "(1, 196)" in res.output  # every layer's shape is printed


@pytest.mark.parametrize("args, message", [
    (["--index", "0", "--layers", "dense"], "no feature maps"),
    (["--index", "0", "--layers", "conv2"], "did you mean 'conv2d'"),
    (["--index", "0", "--channel", "9"], "channel 9 is out of range"),
    (["--index", "99"], "no test sample 99"),
])
def test_visualize_mistakes_are_clean_errors(trained, args, message):
    res = cli("visualize", trained.run_dir, *args)
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output


def test_a_folder_that_is_no_run_is_a_clean_error(tmp_path):
    for cmd in (["predict", tmp_path, "x.png"], ["evaluate", tmp_path], ["visualize", tmp_path],
                ["diff", tmp_path, tmp_path], ["run", "--resume", tmp_path]):
        res = cli(*cmd)
        assert res.exit_code == 2 and "not a kspec run directory" in res.output, cmd


def test_repeat_a_run_gives_the_same_history_and_diff_says_so(trained, tmp_path):
    from kspec.run import repeat_run

    again = repeat_run(trained.run_dir, tmp_path, quiet=True)
    assert history(again.run_dir) == history(trained.run_dir)
    assert manifest(again.run_dir)["repeat_of"] == str(trained.run_dir)
    res = cli("diff", trained.run_dir, again.run_dir)
    assert res.exit_code == 0, res.output
    assert "do not differ" in res.output


def test_diff_shows_spec_seed_and_metric_changes(trained, tmp_path):
    other = run_spec(tmp_path, VISUALIZED.replace("seed: 0", "seed: 1").replace("epochs: 2", "epochs: 1"))
    res = cli("diff", trained.run_dir, other.run_dir)
    assert res.exit_code == 1
    out = res.output
    assert "spec:" in out and "train.epochs" in out and "seed:" in out and "final loss" in out
    res = cli("diff", trained.run_dir, other.run_dir, "-f", "json")
    changes = json.loads(res.output)["changes"]
    assert {"section": "seed", "key": "seed", "a": 0, "b": 1} in changes


@pytest.mark.parametrize("validation,passes", [("test", 0), ("0.25", 1)])
def test_evaluating_the_validation_data_takes_the_last_validation_pass(tmp_path, monkeypatch, validation, passes):
    """With ``validation: test`` the evaluation would repeat the last epoch's validation pass on
    the same arrays and weights: kspec takes that pass's numbers, which are exactly what
    ``model.evaluate`` returns; on other validation data it evaluates."""
    import keras

    real, seen = keras.Model.evaluate, []

    def evaluate(self, *args, **kw):
        seen.append((self, kw))
        return real(self, *args, **kw)

    monkeypatch.setattr(keras.Model, "evaluate", evaluate)
    result = run_spec(tmp_path, TINY_CNN.replace("validation: 0.25", f"validation: {validation}"))
    assert result.status == "completed"
    final = [kw for _, kw in seen if not kw.get("_use_cached_eval_dataset")]
    assert len(final) == passes
    model, fit_kw = seen[-1]
    again = real(model, x=fit_kw["x"], y=fit_kw["y"], batch_size=16, verbose=0, return_dict=True)
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics == {"data": "test", **{k: float(v) for k, v in again.items()}}
    if validation == "test":
        last = history(result.run_dir)[-1]
        assert metrics["loss"] == last["val_loss"] and metrics["accuracy"] == last["val_accuracy"]


def test_regression_run_predicts_values_without_confusion_matrix(tmp_path):
    from kspec.pipeline import Pipeline
    from kspec.run import run_pipeline

    spec = tmp_path / "line.yaml"
    spec.write_text(TINY_REGRESSION)
    result = run_pipeline(Pipeline(spec, overrides=["train.epochs=2"]), tmp_path / "runs", quiet=True)
    assert result.status == "completed" and not (result.run_dir / "confusion_matrix.png").exists()
    m = manifest(result.run_dir)  # --set is recorded, repeated, and what the resolved spec says
    assert m["overrides"] == {"set": ["train.epochs=2"]} and m["repeat"].endswith("--set train.epochs=2")
    assert json.loads((result.run_dir / "spec.resolved.json").read_text())["train"]["epochs"] == 2
    assert len(history(result.run_dir)) == 2 and sorted(p.name for p in (result.run_dir / "spec").iterdir()) == ["line.yaml"]
    assert isinstance(result.predictions[0]["output"], float)
    assert not (result.run_dir / "accuracy.png").exists() and (result.run_dir / "loss.png").exists()


def test_diverging_run_stops_at_the_first_non_finite_batch(tmp_path):
    result = run_spec(tmp_path, DIVERGING)
    assert result.status == "diverged"
    [d] = [d for d in result.diagnostics if d.code == "KS901"]
    rows = history(result.run_dir)
    assert d.data["epoch"] == len(rows) < 50, "training stopped in the epoch where the loss blew up"
    assert 1 <= d.data["batch"] <= 4
    m = manifest(result.run_dir)
    assert m["status"] == "diverged" and m["monitor"]["nan_at"]["epoch"] == d.data["epoch"]
    assert not (result.run_dir / "model.keras").exists()
    state = json.loads((result.run_dir / "resume" / "state.json").read_text())
    assert state["epochs_completed"] < d.data["epoch"], "NaN weights are never checkpointed"
    with pytest.raises(KspecError, match="NaN"):
        from kspec.run import resume_run

        resume_run(result.run_dir, quiet=True)


def test_cli_run_exits_1_on_error_diagnostics_and_prints_them(tmp_path):
    spec = tmp_path / "d.yaml"
    spec.write_text(DIVERGING)
    res = cli("run", spec, "--out", tmp_path / "runs", "-q", "--format", "concise", "--no-lint")
    assert res.exit_code == 1, res.output
    assert "KS901 [error]" in res.output and "run diagnostics: 1 error" in res.output


def test_training_errors_are_clean_and_keep_the_traceback(tmp_path):
    bad_labels = TINY_REGRESSION.replace("units: 1}", "units: 2, activation: softmax}").replace(
        "y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]", "y: [0, 1, 7, 0, 1, 0]").replace(
        "loss: mean_squared_error", "loss: sparse_categorical_crossentropy").replace("predict: {x: [10.0]}\n", "")
    with pytest.raises(KspecError, match="training failed after 0 epoch") as e:
        run_spec(tmp_path, bad_labels)
    assert "error.log" in e.value.hint
    # the line that says what is wrong (TensorFlow puts it after the stack of the failing node), and where
    assert "Received a label value of 7 which is outside the valid range of [0, 2)" in e.value.message
    assert "in compile.loss" in e.value.message and e.value.span.line == 11  # compile: {..., loss: ...}
    assert "File \"" not in e.value.message and "Graph execution error" not in e.value.message
    run_dir = next((tmp_path / "runs").iterdir())
    m = manifest(run_dir)
    assert m["status"] == "failed" and m["failed"] == "fit" and "Received a label value of 7" in m["error"]
    assert "Traceback" in (run_dir / "error.log").read_text()


def test_a_keras_build_error_names_the_layer_and_the_run_is_marked_failed(tmp_path, monkeypatch):
    """Keras raises while building the model (after kspec's static checks passed): the console gets
    Keras's own message line and the layer's place; error.log is plain text."""
    import keras

    build = keras.layers.Dense.build

    def failing_build(self, input_shape):
        if self.units == 4:
            raise ValueError("\x1b[1mkernel and inputs disagree: expected 4 features, got 1\x1b[0m")
        return build(self, input_shape)

    monkeypatch.setattr(keras.layers.Dense, "build", failing_build)
    two = TINY_REGRESSION.replace("- {type: Dense, units: 1}", "- {type: Dense, units: 4}\n    - {type: Dense, units: 1}")
    with pytest.raises(KspecError, match="before training started") as e:
        run_spec(tmp_path, two)
    assert "kernel and inputs disagree: expected 4 features, got 1" in e.value.message
    assert "in model.layers[0] (Dense 'dense')" in e.value.message and e.value.span.line == 10  # the layer that raised
    assert "Arguments received by" not in e.value.message and "\x1b[" not in e.value.message
    run_dir = next((tmp_path / "runs").iterdir())
    m = manifest(run_dir)
    assert m["status"] == "failed" and m["failed"] == "start" and "kernel and inputs disagree" in m["error"]
    log = (run_dir / "error.log").read_text()
    assert "Traceback" in log and "kernel and inputs disagree" in log and "\x1b" not in log


def test_a_failed_start_never_leaves_a_running_manifest(tmp_path, monkeypatch):
    import kspec.emit.data

    def missing(r):
        raise KspecError("the data set is not in the Keras cache and the network is off")

    monkeypatch.setattr(kspec.emit.data, "build_inputs", missing)
    with pytest.raises(KspecError, match="not in the Keras cache"):
        run_spec(tmp_path, TINY_REGRESSION)
    for run_dir in (tmp_path / "runs").iterdir():
        m = manifest(run_dir)
        assert m["status"] == "failed" and m["failed"] == "start" and "not in the Keras cache" in m["error"]
        assert not (run_dir / ".lock").exists()


def test_tensorboard_logs_when_the_spec_asks(tmp_path):
    pytest.importorskip("tensorboard")
    spec = TINY_REGRESSION.replace("train: {epochs: 3, seed: 0, verbose: 0}",
                                   "train: {epochs: 2, seed: 0, verbose: 0, callbacks: [{type: tensorboard}]}")
    result = run_spec(tmp_path, spec)
    events = list((result.run_dir / "tensorboard").rglob("events.out.tfevents.*"))
    assert events and any("train" in str(p) for p in events)


def test_tensorboard_missing_is_reported_before_training(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a))
    spec = TINY_REGRESSION.replace("verbose: 0}", "verbose: 0, callbacks: [{type: tensorboard}]}")
    with pytest.raises(KspecError, match="pip install tensorboard"):
        run_spec(tmp_path, spec)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_history_is_never_behind_the_checkpoint_and_fast_epochs_are_not_each_written(tmp_path, monkeypatch):
    from kspec.run import history as hist
    from kspec.run.checkpoint import Checkpointer, read_state

    class Clock:
        t = 0.0

        def __call__(self):
            return self.t

    class Model:
        optimizer = None
        stop_training = False

        def save(self, path):
            clock.t += 0.01
            open(path, "w").write("w")

    clock, writes, behind = Clock(), [], []
    real_write = hist.write_rows

    def write_rows(run_dir, rows, **kw):
        writes.append(len(rows))
        real_write(run_dir, rows, **kw)

    monkeypatch.setattr(hist, "write_rows", write_rows)
    rows: list = []
    saver = Checkpointer(tmp_path, clock=clock)
    writer = hist.make_history_writer(tmp_path, rows, checkpointer=saver, clock=clock)
    writer.set_model(Model())
    writer.set_params({"epochs": 1000})
    for epoch in range(1000):
        clock.t += 0.002
        writer.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
        state = read_state(tmp_path)
        if state and len(hist.load_rows(tmp_path)) < state.epochs_completed:
            behind.append(epoch)
    assert not behind
    assert len(rows) == 1000 and writes[-1] == 1000 and len(hist.load_rows(tmp_path)) == 1000
    assert len(writes) < 100, "two-millisecond epochs are not each followed by a rewrite"
    assert read_state(tmp_path).epochs_completed == 1000


@pytest.mark.parametrize("section, message", [
    ("visualize: {}\n", "this model has none"),
    ("visualize: {layers: [0]}\n", "layer 0 (Flatten) outputs [256]"),
    ("visualize: {layers: [7]}\n", "there is no layer 7"),
    ("visualize: {image: nowhere.png}\n", "does not exist"),
])
def test_visualize_section_mistakes_are_found_before_training(tmp_path, section, message):
    mlp = TINY_CNN.replace("    - {type: Conv2D, filters: 4, kernel_size: 3, activation: relu}\n", "").replace(
        "    - {type: MaxPooling2D, pool_size: 2}\n", "")
    with pytest.raises(KspecError, match=re.escape(message)):
        run_spec(tmp_path, mlp + section)
    assert not (tmp_path / "runs").exists()


def interrupted_run(tmp_path, monkeypatch, at_write: int = 2):
    """A tiny run interrupted (KeyboardInterrupt) at the ``at_write``-th history write."""
    from kspec.run import history as hist

    real, calls = hist.write_rows, []

    def write_rows(*a, **k):
        calls.append(1)
        if len(calls) == at_write:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(hist, "write_rows", write_rows)
    with pytest.raises(KeyboardInterrupt):
        run_spec(tmp_path, TINY_CNN.replace("epochs: 2", "epochs: 3"))
    monkeypatch.setattr(hist, "write_rows", real)
    return next((tmp_path / "runs").iterdir())


def test_in_process_interrupt_then_resume(tmp_path, monkeypatch, capsys):
    from kspec.run import resume_run

    run_dir = interrupted_run(tmp_path, monkeypatch)
    m = manifest(run_dir)
    assert m["status"] == "interrupted" and (run_dir / "resume" / "state.json").is_file()
    m["versions"]["keras"] = "0.0.1"
    (run_dir / "manifest.json").write_text(json.dumps(m))
    result = resume_run(run_dir, quiet=True)
    out = capsys.readouterr().out
    assert "versions changed since the run started: keras 0.0.1 ->" in out
    assert [r["epoch"] for r in history(run_dir)] == [1, 2, 3] and result.status == "completed"


def test_resume_refuses_data_that_changed(tmp_path, monkeypatch):
    from kspec.run import resume_run

    run_dir = interrupted_run(tmp_path, monkeypatch)
    spec = json.loads((run_dir / "spec.resolved.json").read_text())
    spec["data"]["data_seed"] = 99
    (run_dir / "spec.resolved.json").write_text(json.dumps(spec))
    with pytest.raises(KspecError, match="the data changed since"):
        resume_run(run_dir, quiet=True)


def _received(trained, tmp_path, **manifest_changes):
    """A copy of the trained run directory, as someone else might hand it over, with its manifest edited."""
    import shutil

    d = tmp_path / "received"
    shutil.copytree(trained.run_dir, d)
    m = manifest(d)
    m.update(manifest_changes)
    (d / "manifest.json").write_text(json.dumps(m))
    return d


@pytest.mark.parametrize("base_dir", ["../../etc/x", "/work/../etc", 7])
def test_a_manifest_cannot_point_outside_the_run_directory(trained, tmp_path, base_dir):
    d = _received(trained, tmp_path, base_dir=base_dir, status="interrupted")
    (tmp_path / "x.npy").write_bytes(b"")
    for cmd in (["predict", d, tmp_path / "x.npy"], ["evaluate", d], ["visualize", d], ["run", "--resume", d],
                ["run", d]):
        res = cli(*cmd)
        assert res.exit_code == 2, (cmd, res.output)
        assert "base_dir" in res.output and "not the absolute folder" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("checkpoint", ["../../../../etc/passwd", "/etc/passwd", "../model.keras"])
def test_a_resume_state_cannot_name_a_checkpoint_outside_resume(trained, tmp_path, checkpoint):
    d = _received(trained, tmp_path, status="interrupted")
    (d / "model.keras").rename(d / "resume.keras")
    (d / "resume").mkdir()
    (d / "resume" / "state.json").write_text(json.dumps({"epochs_completed": 1, "checkpoint": checkpoint}))
    for cmd in (["run", "--resume", d], ["evaluate", d]):
        res = cli(*cmd)
        assert res.exit_code == 2 and "leads outside the run directory" in res.output, (cmd, res.output)
        assert repr(checkpoint) in res.output and "Traceback" not in res.output


def test_a_link_out_of_the_run_directory_is_refused(trained, tmp_path):
    d = _received(trained, tmp_path)
    (d / "model.keras").rename(tmp_path / "elsewhere.keras")
    (d / "model.keras").symlink_to(tmp_path / "elsewhere.keras")
    res = cli("evaluate", d)
    assert res.exit_code == 2 and "symbolic link that leads outside the run directory" in res.output, res.output
    (d / "model.keras").unlink()
    (d / "visualize").rename(tmp_path / "maps")
    (d / "visualize").symlink_to(tmp_path / "maps", target_is_directory=True)  # writes would land out there
    res = cli("visualize", d, "--index", "0")
    assert res.exit_code == 2 and "visualize" in res.output and "leads outside" in res.output, res.output


def test_a_model_with_python_code_is_refused_by_safe_mode(trained, tmp_path):
    import keras

    d = _received(trained, tmp_path)
    model = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Lambda(lambda x: x * 2.0),
                              keras.layers.Flatten(), keras.layers.Dense(4, activation="softmax")])
    (d / "model.keras").unlink()
    model.save(d / "model.keras")
    res = cli("evaluate", d)
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert "cannot load the model" in res.output and "Lambda" in res.output
    assert "safe_mode=True" in res.output and "never runs code from a run directory" in res.output


def test_a_data_cache_path_of_a_loaded_run_stays_inside_it(tmp_path):
    from kspec.run import rundir

    from tests.images.helpers import make_tree, spec_text

    make_tree(tmp_path / "tree", {"a": 2, "b": 2})
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    text = spec_text("tree", cache="../../../home/someone/.bashrc")
    (run_dir / "spec.resolved.json").write_text(text)
    # sealed as kspec seals a run it made here (the tree lies outside the run directory)
    p = rundir.load_pipeline(run_dir, {"base_dir": str(tmp_path), "seal": rundir.seal(text, str(tmp_path))})
    assert p.resolved.data.cache == str(run_dir.resolve() / ".cache" / ".bashrc")


NPZ_SPEC = """\
kspec: 1
name: npz
data: {type: npz, path: data.npz, validation: 0.25}
model:
  input_shape: [2]
  layers:
    - {type: Dense, units: 1}
compile: {optimizer: sgd, loss: mean_squared_error}
train: {epochs: 1, seed: 0, verbose: 0}
"""


def test_a_run_directory_from_elsewhere_reads_data_only_inside_itself_until_trusted(tmp_path):
    import shutil

    from .helpers import run_spec as train

    (tmp_path / "spec").mkdir()
    x = np.arange(32, dtype="float32").reshape(16, 2)
    np.savez(tmp_path / "spec" / "data.npz", x_train=x, y_train=x.sum(axis=1))
    made = train(tmp_path, NPZ_SPEC).run_dir
    assert cli("evaluate", made, "--data", "validation").exit_code == 0  # made here: sealed, data read where it is
    d = tmp_path / "received"
    shutil.copytree(made, d)
    m = manifest(d)
    m["seal"] = "0" * 64  # sealed with another machine's key
    (d / "manifest.json").write_text(json.dumps(m))
    res = cli("evaluate", d, "--data", "validation")
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert "data.path 'data.npz'" in res.output and "outside the run directory" in res.output, res.output
    assert "accept it with `kspec trust" in " ".join(res.output.split()), res.output
    assert cli("trust", d).exit_code == 0
    assert cli("evaluate", d, "--data", "validation").exit_code == 0, "trusted: read where it points"
    # an edited spec breaks the seal again: it may now name any file
    resolved = json.loads((d / "spec.resolved.json").read_text())
    resolved["data"]["path"] = "/etc/passwd.npz"
    (d / "spec.resolved.json").write_text(json.dumps(resolved))
    res = cli("evaluate", d, "--data", "validation")
    assert res.exit_code == 2 and "'/etc/passwd.npz'" in res.output and "outside the run directory" in res.output


def test_the_layer_monitor_keeps_to_its_budget_and_always_looks_at_the_end():
    """Looks after an epoch are skipped while they cost more than the budget; the one after the
    last epoch is always taken, also when training stops early (no training needed to check it)."""
    import keras

    from kspec.run.checks import MonitorFacts
    from kspec.run.dynamics import make_layer_monitor

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    batch = (np.ones((8, 3), np.float32), np.zeros((8,), np.float32))
    for epochs, ran, want in ((5, 5, [0, 1, 5]), (10, 3, [0, 1, 3])):
        facts = MonitorFacts()
        cb = make_layer_monitor(facts, model, batch, keras.losses.MeanSquaredError(), {0: "relu"}, initial_epoch=0,
                                budget=0.0)  # no time for any look but the first two (the first is not counted)
        cb.set_model(model)
        cb.set_params({"epochs": epochs})
        cb.on_train_begin()
        for e in range(ran):
            cb.on_epoch_end(e)
        cb.on_train_end()
        assert [look["epoch"] for look in facts.layers] == want
        assert set(facts.layers[0]["dead"]) == {"0"} and set(facts.layers[0]["grad"]) == {"0", "1"}
