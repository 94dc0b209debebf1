"""Tiny specs and helpers for runner tests: a few samples, 16x16 images, 1-3 epochs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kspec.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[2]

TINY_CNN = """\
kspec: 1
name: tiny
data: {type: synthetic, samples: 96, test_samples: 32, image_size: 16, rescale: 1/255, validation: 0.25}
model:
  layers:
    - {type: Conv2D, filters: 4, kernel_size: 3, activation: relu}
    - {type: MaxPooling2D, pool_size: 2}
    - {type: Flatten}
    - {type: Dense, units: 4, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
train: {epochs: 2, batch_size: 16, seed: 0, verbose: 0}
evaluate: {data: test}
"""

TINY_REGRESSION = """\
kspec: 1
name: line
data:
  type: arrays
  x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
  y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
model:
  input_shape: [1]
  layers:
    - {type: Dense, units: 1}
compile: {optimizer: sgd, loss: mean_squared_error}
train: {epochs: 3, seed: 0, verbose: 0}
predict: {x: [10.0]}
"""

# sgd with learning rate 1 on y = 2x - 1 over x up to 7: the loss overflows in a few epochs
DIVERGING = """\
kspec: 1
name: diverging
data:
  type: arrays
  x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
  y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0, 9.0, 11.0]
model:
  input_shape: [1]
  layers:
    - {type: Dense, units: 1}
compile:
  optimizer: {type: sgd, learning_rate: 1.0}
  loss: mean_squared_error
train: {epochs: 50, batch_size: 2, seed: 0, verbose: 0}
"""


def write_spec(folder: Path, text: str, name: str = "spec.yaml") -> Path:
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_spec(tmp_path: Path, text: str, **kw):
    """Train ``text`` in-process, quietly; returns the RunResult."""
    from kspec.run import run_pipeline

    spec = write_spec(tmp_path / "spec", text)
    return run_pipeline(Pipeline(spec), tmp_path / "runs", quiet=True, **kw)


def kspec_cmd(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    """Run the kspec CLI in a subprocess."""
    e = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
    return subprocess.run([sys.executable, "-m", "kspec.cli", *args], capture_output=True, text=True, env=e,
                          cwd=ROOT, **kw)


def history(run_dir: Path) -> list[dict]:
    return json.loads((Path(run_dir) / "history.json").read_text())["epochs"]


def manifest(run_dir: Path) -> dict:
    return json.loads((Path(run_dir) / "manifest.json").read_text())
