"""An image folder on two ``multi_worker`` processes, trained by ``kspec run`` and by the script
``kspec eject`` writes for it, each on a cluster of its own at the same time: both shard the
training files by worker (each reads every second file, batched per replica), so the histories
agree."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .helpers import Workers, cluster, history, run_dirs, tail

pytestmark = pytest.mark.slow

FOLDER = """\
kspec: 1
name: mw-folder
data:
  type: image_folder
  directory: tree
  target_size: [8, 8]
  color_mode: grayscale
  class_mode: sparse
  rescale: 1/255
  validation: 0.25
  shuffle: true
  cache: true
  augmentation: {horizontal_flip: true, width_shift_range: 0.1}
model:
  layers: [{type: Flatten}, {type: Dense, units: 8, activation: relu}, {type: Dense, units: 3, activation: softmax}]
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
train: {epochs: 2, batch_size: 4, seed: 3, verbose: 2, distribute: multi_worker}
"""
"""18 training files (6 of 24 held out): 9 per worker, per-replica batches of 2, 5 steps an epoch."""


def test_the_ejected_script_shards_an_image_folder_by_file_as_kspec_does(tmp_path_factory):
    from PIL import Image

    import kspec

    tmp = tmp_path_factory.mktemp("folder")
    rng = np.random.default_rng(0)
    for k, c in enumerate(["circle", "square", "triangle"]):
        (tmp / "tree" / c).mkdir(parents=True)
        for i in range(8):
            Image.fromarray(rng.integers(0, 255, (10, 9), dtype=np.uint8) // (k + 1), "L").save(tmp / "tree" / c / f"{i}.png")
    spec = tmp / "folder.yaml"
    spec.write_text(FOLDER)
    ejected = tmp_path_factory.mktemp("ejected")
    kspec.load(spec).eject(ejected / "train.py")
    text = (ejected / "train.py").read_text()
    assert "train_items = train_items[SHARD_INDEX::N_WORKERS]" in text
    w, e = Workers(tmp), Workers(ejected)
    try:
        procs = w.run_cluster([str(spec), "--out", str(tmp / "runs")], 2)
        eprocs = [e.start([], tf_config=cfg, name=f"ejected{i}", script=ejected / "train.py")
                  for i, cfg in enumerate(cluster(2))]
        codes, ecodes = w.wait_all(procs, 180), e.wait_all(eprocs, 180)
    finally:
        w.stop()
        e.stop()
    assert codes == [0, 0], "\n".join(tail(p.output) for p in procs)
    assert ecodes == [0, 0], "\n".join(tail(p.output) for p in eprocs)
    run = run_dirs(tmp / "runs")[0]
    assert "by file" in json.loads((run / "manifest.json").read_text())["distribute"]["sharding"]["train"]
    assert "9 training images" in eprocs[0].output and "9 training images" in eprocs[1].output
    ours = history(run)
    theirs = json.loads((ejected / "train_out" / "history.json").read_text())
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(theirs[key]) == 2
        assert max(abs(a - r[key]) for a, r in zip(theirs[key], ours)) <= 1e-6, (key, theirs[key], [r[key] for r in ours])
