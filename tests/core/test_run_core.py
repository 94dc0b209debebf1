"""End to end through the CLI, as a user runs it: the course's first model reproduces the
hand-written Keras script exactly, and the quickstart leaves a complete run directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT, SPECS

pytest.importorskip("keras")
pytestmark = pytest.mark.slow

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}


def kspec(*args, cwd=ROOT, timeout=300):
    return subprocess.run([sys.executable, "-m", "kspec.cli", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def only_run_dir(parent):
    (run_dir,) = [p for p in parent.iterdir() if p.is_dir()]
    return run_dir


HAND_WRITTEN_HELLO = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(units=1)])
    model.compile(optimizer="sgd", loss="mean_squared_error")
    xs = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0])[:, None]
    ys = np.array([-3.0, -1.0, 1.0, 3.0, 5.0, 7.0])
    history = model.fit(xs, ys, epochs=int(sys.argv[1]), verbose=0)
    print(json.dumps(history.history["loss"]))
""")


def test_hello_matches_the_hand_written_keras_script(tmp_path):
    epochs = 60
    ref = subprocess.run([sys.executable, "-c", HAND_WRITTEN_HELLO, str(epochs)], env=ENV,
                         capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr
    want = json.loads(ref.stdout.strip().splitlines()[-1])
    out = kspec("run", str(SPECS / "hello.yaml"), "--out", str(tmp_path), "--epochs", str(epochs), "-q")
    assert out.returncode == 0, out.stderr
    rows = json.loads((only_run_dir(tmp_path) / "history.json").read_text())["epochs"]
    got = [r["loss"] for r in rows]
    assert len(got) == len(want) == epochs
    assert max(abs(a - b) for a, b in zip(got, want)) <= 1e-6


def test_hello_predicts_19_for_10(tmp_path):
    out = kspec("run", str(SPECS / "hello.yaml"), "--out", str(tmp_path), "-q")
    assert out.returncode == 0, out.stderr
    preds = json.loads((only_run_dir(tmp_path) / "predictions.json").read_text())["predictions"]
    assert abs(preds[0]["output"] - 19.0) < 0.5


def test_quickstart_leaves_a_complete_run_directory(tmp_path):
    out = kspec("run", str(SPECS / "quickstart.yaml"), "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "Epoch 1/" in out.stdout  # Keras's own progress is shown
    run_dir = only_run_dir(tmp_path)
    for name in ("spec.resolved.json", "summary.txt", "history.json", "history.csv", "metrics.json",
                 "predictions.json", "model.keras", "loss.png", "accuracy.png", "manifest.json"):
        assert (run_dir / name).is_file(), name
    history = json.loads((run_dir / "history.json").read_text())["epochs"]
    assert history[-1]["val_accuracy"] > 0.9
    assert "acc" not in history[-1] and "accuracy" in history[-1]
    csv_lines = (run_dir / "history.csv").read_text().splitlines()
    assert len(csv_lines) == len(history) + 1
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["seed"] == 0
    for key in ("kspec", "python", "tensorflow", "keras"):
        assert manifest["versions"][key]
    assert len(manifest["spec_hash"]) == 64 and len(manifest["data"]["fingerprint"]) == 64
    assert manifest["started"] <= manifest["ended"]
    resolved = json.loads((run_dir / "spec.resolved.json").read_text())
    optimizer = resolved["compile"]["optimizer"]  # every default written out, Keras 3's own values
    want = {"type": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
            "amsgrad": False, "clipnorm": None, "clipvalue": None, "global_clipnorm": None, "weight_decay": None,
            "use_ema": False, "ema_momentum": 0.99}
    assert {k: optimizer.get(k, "missing") for k in want} == want
    assert resolved["train"]["seed"] == 0 and resolved["model"]["input_shape"] == [28, 28, 1]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.9
    # plain Keras loads the model and reproduces the evaluation
    check = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import keras
        m = keras.models.load_model({str(run_dir / 'model.keras')!r})
        print(m.count_params(), m.layers[-1].units)
    """)], env=ENV, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stderr
    assert check.stdout.split()[-2:] == ["56324", "4"]
    # a second run never reuses the directory
    again = kspec("run", str(SPECS / "quickstart.yaml"), "--out", str(tmp_path), "--epochs", "1", "-q")
    assert again.returncode == 0, again.stderr
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 2
