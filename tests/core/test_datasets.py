from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from kspec.datasets import SHAPE_CLASSES, make_shapes, read_idx, read_idx_header
from kspec.diagnostics import KspecError
from kspec.spec import ThresholdStop


@pytest.mark.parametrize("size", [8, 16, 28, 64])
def test_shapes_are_deterministic_balanced_uint8(size):
    x, y = make_shapes(40, size, seed=3)
    x2, y2 = make_shapes(40, size, seed=3)
    assert x.shape == (40, size, size, 1) and x.dtype == np.uint8
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert np.bincount(y, minlength=len(SHAPE_CLASSES)).tolist() == [10, 10, 10, 10]
    assert x.max() > 150 and x.min() < 60  # bright shapes on a dark background


def _write_idx(path, array, compress):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


@pytest.mark.parametrize("compress", [True, False])
def test_idx_round_trip(tmp_path, compress):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    p = tmp_path / "a.idx"
    _write_idx(p, a, compress)
    assert read_idx_header(p) == (np.dtype(np.uint8), (2, 3, 4))
    assert np.array_equal(read_idx(p), a)


def test_idx_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"PK\x03\x04nonsense")
    with pytest.raises(KspecError, match="bad.idx"):
        read_idx_header(bad)
    short = tmp_path / "short.idx"
    _write_idx(short, np.zeros((10, 4), np.uint8), False)
    short.write_bytes(short.read_bytes()[:-5])
    with pytest.raises(KspecError, match="truncated"):
        read_idx(short)


@pytest.mark.parametrize("monitor,direction", [("accuracy", "max"), ("val_accuracy", "max"), ("loss", "min"),
                                               ("val_loss", "min"), ("mae", "min"), ("val_mean_squared_error", "min"),
                                               ("auc", "max")])
def test_threshold_stop_auto_direction(monitor, direction):
    assert ThresholdStop(type="threshold_stop", monitor=monitor, threshold=0.5).direction == direction


def test_lint_knows_every_run_diagnostic_code():
    pytest.importorskip("keras")
    from kspec.analyse.rules.meta import RUN_CHECK_CODES
    from kspec.run.checks import RUN_CHECKS

    assert RUN_CHECK_CODES == {c.code: c.name for c in RUN_CHECKS}


def test_lint_ignore_of_a_run_diagnostic_is_not_an_unused_suppression(spec_file):
    from kspec.pipeline import Pipeline

    p = Pipeline(spec_file("kspec: 1\ndata: {type: synthetic, samples: 64, image_size: 16, rescale: 1/255}\n"
                           "model:\n  layers: [{type: Flatten}, {type: Dense, units: 4, activation: softmax}]\n"
                           "compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}\n"
                           "lint: {ignore: [KS903, accuracy-at-chance, KS999]}\n"))
    unused = [d for d in p.diagnostics if d.code == "KS090"]
    assert [d.path for d in unused] == ["lint.ignore[2]"]
