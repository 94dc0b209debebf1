"""Data statistics: streamed in chunks, the same as in memory, cached by the file's fingerprint."""

from __future__ import annotations

import os

import numpy as np
import pytest

from kspec import datastats


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KSPEC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _data(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(300, 6, 5), dtype=np.uint8)
    y = rng.integers(0, 4, size=300).astype(np.int64)
    x_test = np.concatenate([x[:40], rng.integers(0, 256, size=(60, 6, 5), dtype=np.uint8)])
    path = tmp_path / "d.npz"
    np.savez_compressed(path, x_train=x, y_train=y, x_test=x_test)
    os.utime(path, ns=(10**18, 10**18))  # not "racily" new, so its statistics may be cached
    return path, x, y, x_test


def test_streamed_file_stats_match_the_arrays(tmp_path, cache, monkeypatch):
    path, x, y, x_test = _data(tmp_path)
    monkeypatch.setattr(datastats, "CHUNK_BYTES", 7 * 30)  # 7 rows per chunk: many chunks
    parts = {"x": (path, "x_train"), "y": (path, "y_train"), "x_test": (path, "x_test")}
    got = datastats.file_stats(parts, labels=("y",), fraction=None)
    assert got["x"]["shape"] == [300, 6, 5] and got["x"]["min"] == x.min() and got["x"]["max"] == x.max()
    assert dict((int(v), c) for v, c in got["y"]["distinct"]) == dict(zip(*[a.tolist() for a in np.unique(y, return_counts=True)]))
    assert got["overlap"]["test"] == 40
    mem = datastats.array_stats({"x": x, "y": y, "x_test": x_test}, labels=("y",), fraction=None)
    assert mem == got


def test_second_read_comes_from_the_cache_and_a_changed_file_is_read_again(tmp_path, cache, monkeypatch):
    path, *_ = _data(tmp_path)
    parts = {"x": (path, "x_train"), "y": (path, "y_train")}
    first = datastats.file_stats(parts, labels=("y",), fraction=0.1)
    assert len(list((cache / "stats").glob("*.json"))) == 1

    def boom(*a, **k):
        raise AssertionError("read the file again")

    monkeypatch.setattr(datastats, "iter_member", boom)
    assert datastats.file_stats(parts, labels=("y",), fraction=0.1) == first
    monkeypatch.undo()
    monkeypatch.setenv("KSPEC_CACHE_DIR", str(cache))
    np.savez(path, x_train=np.zeros((3, 2), np.float32), y_train=np.array([1.0, 2.0, np.nan]))
    os.utime(path, ns=(1, 1))
    changed = datastats.file_stats(parts, labels=("y",), fraction=0.1)
    assert changed["x"]["shape"] == [3, 2] and changed["y"]["nan"] == 1


def test_inline_statistics_match_numpy():
    class Flat:
        def __init__(self, a):
            self.shape, self.flat = a.shape, a.reshape(-1).tolist()

    x = np.array([[1.0, 5.0], [3.0, 5.0], [np.nan, 5.0], [1.0, 5.0]])
    y = np.array([0.0, 1.0, 2.0, 1.0])
    x_test = np.array([[3.0, 5.0], [9.0, 9.0]])
    mem = datastats.array_stats({"x": x, "y": y, "x_test": x_test}, labels=("y",), fraction=0.25)
    inline = datastats.inline_stats({"x": Flat(x), "y": Flat(y), "x_test": Flat(x_test)}, labels=("y",), fraction=0.25)
    assert inline["overlap"] == mem["overlap"] == {"test": 1, "validation": 1}
    for role in ("x", "y"):
        for key in ("nan", "inf", "min", "max", "integral", "distinct", "rows_sum_to_one"):
            assert inline[role].get(key) == mem[role].get(key), (role, key)
    assert inline["x"]["features"]["min"] == mem["x"]["features"]["min"]


def test_tabular_features_and_label_rows():
    x = np.array([[1.0, 5.0], [3.0, 5.0], [np.inf, 5.0]])
    y = np.array([[1, 0], [0.5, 0.5], [0, 1]])
    got = datastats.array_stats({"x": x, "y": y}, labels=("y",), fraction=None)
    assert got["x"]["inf"] == 1 and got["x"]["features"]["min"] == [1.0, 5.0] and got["x"]["features"]["std"][1] == 0
    assert got["y"]["rows_sum_to_one"] is True and got["y"]["integral"] is False


def test_object_arrays_are_refused(tmp_path, cache):
    path = tmp_path / "o.npz"
    np.savez(path, x_train=np.array([{"a": 1}], dtype=object), y_train=np.array([0]))
    got = datastats.file_stats({"x": (path, "x_train")}, labels=(), fraction=None)
    assert "Python objects" in got["x"]["error"]


def _old(path):
    os.utime(path, ns=(10**18, 10**18))  # not "racily" new, so what is computed from it may be cached
    return path


def _idx(path, array, compress=True):
    import gzip
    import struct

    data = bytes([0, 0, 0x08, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape) + array.tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)
    return _old(path)


def test_idx_statistics_are_streamed_and_a_second_lint_reads_them_from_the_cache(tmp_path, cache, monkeypatch):
    from kspec.pipeline import Pipeline

    rng = np.random.default_rng(1)
    x = rng.integers(0, 200, size=(120, 4, 4), dtype=np.uint8)
    y = np.repeat(np.arange(3, dtype=np.uint8), 40)
    _idx(tmp_path / "x.gz", x)
    _idx(tmp_path / "y.gz", y)
    _idx(tmp_path / "xt", x[:10], compress=False)
    _idx(tmp_path / "yt", y[:10], compress=False)
    spec = tmp_path / "s.yaml"
    spec.write_text("kspec: 1\ndata: {type: idx, train_images: x.gz, train_labels: y.gz, test_images: xt, "
                    "test_labels: yt, rescale: 1/255}\nmodel:\n  input_shape: [4, 4]\n  layers: [{type: Flatten}, "
                    "{type: Dense, units: 3, activation: softmax}]\ncompile: {optimizer: adam, loss: "
                    "sparse_categorical_crossentropy}\n")
    monkeypatch.setattr(datastats, "CHUNK_BYTES", 16 * 7)  # 7 images per chunk
    calls = []
    real = datastats.iter_idx
    monkeypatch.setattr(datastats, "iter_idx", lambda path: calls.append(path) or real(path))
    first = Pipeline(spec).resolved.facts
    assert len(calls) == 4
    assert first.raw_range == (0.0, float(x.max())) and first.n_train == 120 and first.n_test == 10
    assert first.class_counts == {"0": 40, "1": 40, "2": 40} and first.label_kind == "integer"
    assert first.stats["overlap"]["test"] == 10  # the test images are the first training images
    second = Pipeline(spec).resolved.facts
    assert len(calls) == 4, "the second lint read the IDX files again"
    assert second.stats == first.stats and second.class_counts == first.class_counts


def test_table_facts_are_cached_by_the_file_fingerprint(tmp_path, cache, monkeypatch):
    from kspec import tables
    from kspec.pipeline import Pipeline

    csv = tmp_path / "t.csv"
    csv.write_text("size,colour,kind\n1,red,a\n2,blue,b\n3,red,a\n4,green,c\n100,red,b\n6,red,c\n")
    _old(csv)
    spec = tmp_path / "s.yaml"
    spec.write_text("kspec: 1\ndata: {type: table, path: t.csv, target: kind, validation: 0.2, seed: 1}\nmodel:\n"
                    "  layers: [{type: Dense, units: 3, activation: softmax}]\ncompile: {optimizer: adam, loss: "
                    "sparse_categorical_crossentropy}\n")
    calls = []
    real = tables.load_table
    monkeypatch.setattr(tables, "load_table", lambda *a: calls.append(1) or real(*a))
    first = Pipeline(spec).resolved.facts
    second = Pipeline(spec).resolved.facts
    assert len(calls) == 1, "the second lint parsed the table again"
    for name in ("sample_shape", "n_train", "n_validation", "class_names", "num_classes", "class_counts", "label_shape"):
        assert getattr(second, name) == getattr(first, name), name
    assert second.extra["column_types"] == {"size": "numeric", "colour": "categorical"}
    assert second.origin["num_classes"] == ("data", "target") and isinstance(second.sample_shape, tuple)
    csv.write_text(csv.read_text() + "7,blue,a\n")  # a changed file is read again
    _old(csv)
    os.utime(csv, ns=(10**18 + 1, 10**18 + 1))
    assert Pipeline(spec).resolved.facts.n_train == first.n_train + 1 and len(calls) == 2
