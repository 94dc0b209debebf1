"""`kspec data make-shapes` and `kspec data inspect`: library and command line."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from kspec import datacmd
from kspec.cli import app
from kspec.datasets import SHAPE_CLASSES, make_shapes

from .helpers import make_tree, spec_text

runner = CliRunner()


def test_make_shapes_writes_the_synthetic_set(tmp_path):
    out = datacmd.make_shapes_tree(tmp_path / "shapes", samples=12, validation_samples=8, image_size=16, seed=3)
    x, y = make_shapes(20, 16, 0.1, 3)
    assert sum(out.counts["train"].values()) == 12 and sum(out.counts["validation"].values()) == 8
    assert sorted(p.name for p in (tmp_path / "shapes" / "train").iterdir()) == sorted(SHAPE_CLASSES)
    for i in (0, 13):
        split = "train" if i < 12 else "validation"
        c = SHAPE_CLASSES[int(y[i])]
        img = Image.open(tmp_path / "shapes" / split / c / f"{c}_{i:05d}.png")
        assert img.mode == "L" and np.array_equal(np.asarray(img), x[i, :, :, 0])


def test_make_shapes_refuses_to_overwrite_without_force(tmp_path):
    args = ["data", "make-shapes", str(tmp_path / "s"), "--samples", "8", "--validation-samples", "4"]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "already has files" in again.output
    assert runner.invoke(app, args + ["--force"]).exit_code == 0
    assert len(list((tmp_path / "s" / "train").rglob("*.png"))) == 8


def test_inspect_folder_of_splits(tmp_path):
    make_tree(tmp_path / "d" / "train", {"cats": 5, "dogs": 3})
    make_tree(tmp_path / "d" / "validation", {"cats": 2})
    (tmp_path / "d" / "train" / "dogs" / "x.png").write_text("oops")
    (tmp_path / "d" / "train" / "dogs" / "notes.txt").write_text("x")
    res = runner.invoke(app, ["data", "inspect", str(tmp_path / "d"), "--batch-size", "4"])
    assert res.exit_code == 1, res.output  # a file cannot be decoded
    out = res.output
    assert "0  cats" in out and "1  dogs" in out
    assert "sizes (w x h): 12x10 (8)" in out and "modes: RGB (8)" in out
    assert "x.png: not an image" in out and "notes.txt" in out
    assert "steps: 3 (9 images in batches of 4, the last has 1)" in out
    assert "no images for class(es) ['dogs'] of train" in out


def test_inspect_spec_json(tmp_path):
    make_tree(tmp_path / "tree", {"a": 10, "b": 6})
    (tmp_path / "spec.json").write_text(spec_text("tree", validation=0.25, target_size=[20, 24]))
    res = runner.invoke(app, ["data", "inspect", str(tmp_path / "spec.json"), "-f", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    train, val = doc["folders"]
    assert [c["images"] for c in train["classes"]] == [8, 4] and train["steps"] == 3
    assert val["images"] == 4 and val["steps"] == 1
    assert any("upsamples" in n for n in doc["notes"])


def test_inspect_spec_with_given_steps_and_empty_class(tmp_path):
    make_tree(tmp_path / "tree", {"a": 3, "b": 0})
    (tmp_path / "spec.json").write_text(spec_text("tree", train={"steps_per_epoch": 8}))
    res = runner.invoke(app, ["data", "inspect", str(tmp_path / "spec.json")])
    assert res.exit_code == 1
    assert "<- empty" in res.output and "steps_per_epoch: 8 (from the spec" in res.output


def test_inspect_errors_are_clean(tmp_path):
    res = runner.invoke(app, ["data", "inspect", str(tmp_path / "absent")])
    assert res.exit_code == 2 and "does not exist" in res.output
    (tmp_path / "spec.json").write_text(spec_text("nowhere"))
    res = runner.invoke(app, ["data", "inspect", str(tmp_path / "spec.json")])
    assert res.exit_code == 2 and "nowhere does not exist" in res.output and "Traceback" not in res.output
