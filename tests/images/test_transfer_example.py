"""specs/transfer_mobilenet.yaml, unchanged, on the default shapes folders laid out as its paths
expect (``../data/shapes/{train,validation}`` beside the spec): MobileNetV2 (alpha 0.35) from
scratch with ``batch_norm_momentum: 0.9`` learns in 3 epochs what docs/transfer-learning.md says
(validation 0.72, seed 0); with the backbone's own momentum it stayed at one class (0.226)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kspec import datacmd
from kspec.pipeline import Pipeline

pytest.importorskip("tensorflow")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.heavy
def test_the_transfer_example_learns_as_documented(tmp_path):
    from kspec.run import run_pipeline

    datacmd.make_shapes_tree(tmp_path / "data" / "shapes")  # what `kspec data make-shapes data/shapes` writes
    spec = tmp_path / "specs" / "transfer_mobilenet.yaml"
    spec.parent.mkdir()
    shutil.copy(ROOT / "specs" / "transfer_mobilenet.yaml", spec)
    p = Pipeline(spec)
    assert p.valid and not [d for d in p.lint_diagnostics if d.severity.value != "info"], p.diagnostics
    result = run_pipeline(p, tmp_path / "runs", quiet=True)
    history = json.loads((result.run_dir / "history.json").read_text())["epochs"]
    assert len(history) == 3
    # documented: validation 0.28, 0.52, 0.72 after epochs 1-3; one class only (0.226) without the momentum
    assert history[-1]["val_accuracy"] > 0.5, history
    assert history[-1]["val_accuracy"] > history[0]["val_accuracy"], history
