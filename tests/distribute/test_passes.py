"""The multi-worker loop reads one repeating iterator for the whole of training: each run of
``ceil(n / batch)`` batches must be exactly one reshuffled pass, its partial last batch kept."""

from __future__ import annotations

import numpy as np


def test_each_epoch_of_one_iterator_is_one_pass_with_its_partial_batch():
    import tensorflow as tf

    from kspec.emit.strategy import array_dataset

    x = np.arange(10, dtype=np.float32)[:, None]
    ds = array_dataset(tf, x, x[:, 0], 4, shuffle=True, seed=3, repeat=True, passes=True)
    it = iter(ds)
    orders = []
    for _ in range(3):  # three epochs of ceil(10 / 4) = 3 steps
        batches = [next(it)[1].numpy() for _ in range(3)]
        assert [len(b) for b in batches] == [4, 4, 2]
        order = np.concatenate(batches)
        assert sorted(order.tolist()) == list(range(10))
        orders.append(order.tolist())
    assert orders[0] != orders[1] or orders[1] != orders[2]  # reshuffled every pass


def test_with_steps_per_epoch_batches_run_across_passes():
    import tensorflow as tf

    from kspec.emit.strategy import array_dataset

    x = np.arange(10, dtype=np.float32)[:, None]
    it = iter(array_dataset(tf, x, x[:, 0], 4, shuffle=False, seed=0, repeat=True))
    assert [len(next(it)[1]) for _ in range(5)] == [4, 4, 4, 4, 4]


def test_repeating_validation_gives_whole_passes():
    import tensorflow as tf

    from kspec.emit.strategy import eval_dataset

    x = np.arange(5, dtype=np.float32)[:, None]
    it = iter(eval_dataset(tf, (x, x[:, 0]), 2, repeat=True))
    assert [next(it)[1].numpy().tolist() for _ in range(6)] == [[0, 1], [2, 3], [4], [0, 1], [2, 3], [4]]
