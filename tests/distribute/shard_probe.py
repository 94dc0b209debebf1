"""Run as one worker of a cluster (TF_CONFIG): print which training and validation samples this
worker is given in one epoch by kspec's own input distribution. Every sample's input encodes its
id: arrays hold the id itself, images are filled with ``10 * id``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from kspec.emit.strategy import distribute_inputs
from kspec.pipeline import Pipeline
from kspec.run.distribute import start


def ids(strategy, batch, scale: float) -> list[int]:
    x = batch[0] if isinstance(batch, (tuple, list)) else batch
    out = []
    for local in strategy.experimental_local_results(x):
        a = np.asarray(local).reshape(len(local), -1)
        out += [int(round(v / scale)) for v in a.mean(axis=1)]
    return out


def main() -> None:
    p = Pipeline(Path(sys.argv[1]))
    r = p.resolved
    d = start(r)  # before any other TensorFlow op
    from kspec.run.runner import prepare_keras

    prepare_keras(r.seed)
    scale = float(sys.argv[2])
    inputs = d.build_inputs(r)
    di = distribute_inputs(d.info, inputs, r, sharded_by_file=d.sharded_by_file)
    train = []
    it = iter(di.train)
    for _ in range(di.steps_per_epoch):
        train += ids(d.strategy, next(it), scale)
    val = []
    vit = iter(di.validation)  # a repeating pass when validation_steps is known: read one pass
    for _ in range(di.validation_steps) if di.validation_steps is not None else iter(int, 1):
        try:
            batch = next(vit)
        except StopIteration:
            break
        val += ids(d.strategy, batch, scale)
    print("PROBE " + json.dumps({"worker": d.info.worker_index, "seed": r.seed, "train": train, "validation": val,
                                 "steps": di.steps_per_epoch, "per_replica_batch": di.per_replica_batch,
                                 "sharding": di.sharding}), flush=True)
    d.barrier()


if __name__ == "__main__":
    main()
