"""The minimal hand-written MultiWorkerMirroredStrategy loop that ``benchmarks/distribute.py --tiny``
compares kspec's multi-worker loop with: the hello spec's model and data, ``batch(...).repeat()``,
one distributed iterator, Keras's own ``train_step`` in ``strategy.run``, nothing else (no
callbacks, no metrics read, no per-epoch agreement). Run by the benchmark, one process per worker,
each with its TF_CONFIG; prints one JSON line on worker 0.

    python benchmarks/distribute_reference.py STEPS
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


def main() -> None:
    steps = int(sys.argv[1])
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    keras.utils.set_random_seed(0)
    x = tf.constant([[-1.0], [0.0], [1.0], [2.0], [3.0], [4.0]])
    y = tf.constant([-3.0, -1.0, 1.0, 3.0, 5.0, 7.0])
    with strategy.scope():
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mean_squared_error")
        model.optimizer.build(model.trainable_variables)
    opts = tf.data.Options()
    opts.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32).repeat().with_options(opts)
    it = iter(strategy.experimental_distribute_dataset(ds))

    @tf.function
    def step(batch):
        per = strategy.run(model.train_step, args=(batch,))
        return strategy.reduce("MEAN", per["loss"], axis=None)

    t0 = time.perf_counter()
    c0 = time.process_time()
    loss = None
    for _ in range(steps):
        loss = step(next(it))
    final = float(loss)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
    if task.get("index", 0) == 0:
        print(json.dumps({"steps": steps, "loop_s": wall, "loop_cpu_s": cpu, "loss": final}))


if __name__ == "__main__":
    main()
