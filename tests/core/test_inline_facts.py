"""Facts of inline arrays are computed without NumPy; they must equal what NumPy computes."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from kspec.diagnostics import KspecError
from kspec.resolve import DataFacts, _array_facts, _inline_facts
from kspec.spec import ArraysData


def _numpy_facts(data: ArraysData, class_names=None) -> DataFacts:
    """The NumPy path the file formats use, applied to inline arrays."""
    facts = DataFacts("arrays", class_names=class_names, num_classes=len(class_names) if class_names else None,
                      classification=True if class_names else None)
    x = np.asarray(data.x, dtype=np.float64)
    y = np.asarray(data.y, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if data.x_test is not None:
        xt = np.asarray(data.x_test, dtype=np.float64)
        facts.test_raw_range = (float(xt.min()), float(xt.max())) if xt.size else None
    _array_facts(facts, x, y, len(data.x_test) if data.x_test is not None else None)
    facts.dtype = "float32"
    facts.origin.update(sample_shape=("data", "x"), labels=("data", "y"))
    return facts


def _pure_facts(data: ArraysData, class_names=None) -> DataFacts:
    facts = DataFacts("arrays", class_names=class_names, num_classes=len(class_names) if class_names else None,
                      classification=True if class_names else None)
    _inline_facts(data, facts)
    return facts


def _same(a: DataFacts, b: DataFacts) -> None:
    for name in ("sample_shape", "dtype", "raw_range", "test_raw_range", "num_classes", "classification",
                 "label_kind", "label_shape", "target_range", "n_train", "n_test", "class_counts", "origin"):
        va, vb = getattr(a, name), getattr(b, name)
        if isinstance(va, tuple) and any(isinstance(v, float) and math.isnan(v) for v in va):
            assert all(math.isnan(v) for v in vb), name
        else:
            assert va == vb, (name, va, vb)


def _cases():
    rng = random.Random(0)
    cases = [
        ([-1.0, 0.0, 1.0, 2.0], [-3.0, -1.0, 1.0, 3.0]),  # regression
        ([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0]),  # binary
        ([[0.5], [1.5], [2.5]], [0.0, 2.0, 5.0]),  # integer ids
        ([[1.0, 2.0]] * 3, [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]),  # one-hot
        ([[1.0, 2.0]] * 2, [[1.0, 1.0], [0.0, 0.0]]),  # multi-hot
        ([[[1.0, 2.0], [3.0, 4.0]]] * 2, [[0.5], [1.0]]),  # continuous, rank-3 x
        ([1.0, float("nan")], [0.0, float("nan")]),
        ([1.0, 2.0], [-1.0, 1.0]),
    ]
    for _ in range(40):
        n, width = rng.randint(1, 6), rng.choice([1, 1, 2, 3])
        x = [[rng.uniform(-5, 5) for _ in range(width)] for _ in range(n)]
        kind = rng.choice(["int", "float", "onehot"])
        if kind == "int":
            y = [float(rng.randint(0, 4)) for _ in range(n)]
        elif kind == "float":
            y = [rng.uniform(-1, 1) for _ in range(n)]
        else:
            y = [[1.0 if j == rng.randint(0, 2) else 0.0 for j in range(3)] for _ in range(n)]
        cases.append((x, y))
    return cases


@pytest.mark.parametrize("x,y", _cases())
@pytest.mark.parametrize("class_names", [None, ["a", "b", "c"]])
def test_inline_facts_equal_numpy_facts(x, y, class_names):
    data = ArraysData(type="arrays", x=x, y=y, x_test=x[:1])
    _same(_pure_facts(data, class_names), _numpy_facts(data, class_names))


def test_ragged_inline_arrays_are_named():
    data = ArraysData(type="arrays", x=[[1.0, 2.0], [3.0]], y=[0.0, 1.0])
    with pytest.raises(KspecError, match="ragged"):
        _pure_facts(data)
