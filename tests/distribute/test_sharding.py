"""No two workers train on the same examples in an epoch: arrays are sharded by data (the same
seeded pipeline on every worker, each keeping its slice of every global batch), image folders by
file (each worker reads its own training files; validation images are whole and sharded by data). Checked on a real two-worker cluster with
``shard_probe.py``, which reports the ids of the samples each worker was given."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from .helpers import HERE, cluster, tail

pytestmark = pytest.mark.slow

ARRAYS = """\
kspec: 1
data:
  type: arrays
  x: {x}
  y: {y}
  validation: 0.25
  shuffle: true
model:
  input_shape: [1]
  layers: [{{type: Dense, units: 1}}]
compile: {{optimizer: sgd, loss: mse}}
train: {{epochs: 1, batch_size: 8, distribute: multi_worker}}
"""
"""64 samples whose input is their id; no train.seed, so each worker draws its own and kspec
must make them agree (a different shuffle on each worker would overlap their shares)."""

FOLDER = """\
kspec: 1
data:
  type: image_folder
  directory: tree
  target_size: [4, 4]
  color_mode: grayscale
  class_mode: sparse
  validation: 0.2
  shuffle: true
model:
  layers: [{type: Flatten}, {type: Dense, units: 2, activation: softmax}]
compile: {optimizer: adam, loss: sparse_categorical_crossentropy}
train: {epochs: 1, batch_size: 4, seed: 5, distribute: multi_worker}
"""


def probe(workers, spec, scale: float, n: int = 2) -> list[dict]:
    procs = [workers.start([str(spec), str(scale)], tf_config=cfg, name=f"probe{i}", script=HERE / "shard_probe.py")
             for i, cfg in enumerate(cluster(n))]
    codes = workers.wait_all(procs, 120)
    assert codes == [0] * n, "\n".join(tail(p.output) for p in procs)
    out = []
    for p in procs:
        m = re.search(r"^PROBE (.*)$", p.output, re.M)
        assert m, tail(p.output)
        out.append(json.loads(m.group(1)))
    return out


def test_arrays_are_sharded_by_data_and_the_seed_is_agreed(workers, tmp_path):
    x = [[float(i)] for i in range(64)]
    spec = tmp_path / "arrays.yaml"
    spec.write_text(ARRAYS.format(x=json.dumps(x), y=json.dumps([float(i) for i in range(64)])))
    a, b = probe(workers, spec, 1.0)
    assert a["seed"] == b["seed"]
    assert "by data" in a["sharding"]["train"]
    assert a["steps"] == b["steps"] == 6 and a["per_replica_batch"] == 4  # 48 training samples / 8
    assert len(a["train"]) == len(b["train"]) == 24
    assert not set(a["train"]) & set(b["train"]), "two workers trained on the same samples"
    assert sorted(a["train"] + b["train"]) == list(range(48))  # the last 25% hold out for validation
    assert not set(a["validation"]) & set(b["validation"])
    assert sorted(a["validation"] + b["validation"]) == list(range(48, 64))


def test_image_folders_are_sharded_by_file(workers, tmp_path):
    from PIL import Image

    for i in range(20):
        cls = tmp_path / "tree" / ("a" if i < 10 else "b")
        cls.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((4, 4), 10 * i, np.uint8)).save(cls / f"{i:02d}.png")
    spec = tmp_path / "folder.yaml"
    spec.write_text(FOLDER)
    a, b = probe(workers, spec, 10.0)
    assert "by file" in a["sharding"]["train"] and "by data" in a["sharding"]["validation"]
    assert a["steps"] == b["steps"] == 4  # 16 training files / global batch 4
    assert a["per_replica_batch"] == 2
    for part in ("train", "validation"):
        assert not set(a[part]) & set(b[part]), f"two workers read the same {part} files"
    seen = a["train"] + b["train"] + a["validation"] + b["validation"]
    assert sorted(seen) == list(range(20)), "every file is read once per epoch, by one worker"
    assert len(a["train"]) == len(b["train"]) == 8
