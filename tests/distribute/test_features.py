"""Two workers with the features around training: an image folder read by file, callbacks that
stop training (the stop is agreed by every worker), checkpoints and CSV logs written by the chief
only, evaluation and predictions on the chief."""

from __future__ import annotations

import numpy as np
import pytest

from .helpers import history, manifest, run_dirs, tail

pytestmark = pytest.mark.slow

SPEC = """\
kspec: 1
name: folder
data:
  type: image_folder
  directory: tree
  target_size: [8, 8]
  color_mode: grayscale
  class_mode: sparse
  rescale: 1/255
  validation: 0.2
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 2, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
train:
  epochs: 6
  batch_size: 4
  seed: 1
  verbose: 2
  callbacks:
    - {type: threshold_stop, monitor: loss, threshold: 100, mode: min}
    - {type: model_checkpoint, filepath: "checkpoints/e{epoch}.keras", monitor: loss}
    - {type: csv_logger}
evaluate: {data: validation}
predict: {from_data: validation, count: 2}
"""


def test_image_folder_and_callbacks_on_two_workers(workers, tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c, base in (("dark", 40), ("bright", 200)):
        (tmp_path / "tree" / c).mkdir(parents=True)
        for i in range(10):
            Image.fromarray(np.clip(base + rng.normal(0, 20, (8, 8)), 0, 255).astype(np.uint8)).save(
                tmp_path / "tree" / c / f"{i}.png")
    spec = tmp_path / "folder.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "runs"
    procs = workers.run_cluster([str(spec), "--out", str(out), "--distribute", "multi_worker"], 2)
    codes = workers.wait_all(procs, 180)
    assert codes == [0, 0], "\n".join(tail(p.output) for p in procs)
    (run,) = run_dirs(out)
    # threshold_stop fired on the chief after epoch 1 and the other worker stopped with it
    assert [r["epoch"] for r in history(run)] == [1]
    assert "threshold_stop" in procs[0].output
    assert "trained epochs 1-1" in procs[1].output, tail(procs[1].output)
    m = manifest(run)
    d = m["distribute"]
    assert "by file" in d["sharding"]["train"] and d["sharding"]["validation"].startswith("by data")
    assert d["steps_per_epoch"] == 4 and d["per_replica_batch"] == 2  # 16 training files / 4
    assert d["weights_identical"]
    # files of callbacks, only in the chief's run directory
    assert (run / "checkpoints" / "e1.keras").is_file()
    assert (run / "training.log.csv").read_text().count("\n") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.yaml", "runs", "tree", "worker0.log", "worker1.log"]
    assert (run / "metrics.json").is_file() and (run / "predictions.json").is_file()
