"""Pixel statistics of image folders, computed in resolve with Pillow (no TensorFlow) from a
sample of the training images and cached by the files' fingerprint, and the lint rules that read
them: the real pixel range (KS301 unscaled input, KS309 scaled twice) and flat images (KS314)."""

from __future__ import annotations

import json
import os
import time

import numpy as np
from PIL import Image

from kspec import datastats
from kspec.pipeline import Pipeline

from .helpers import make_tree, spec_text


def age(root, seconds: float = 60.0) -> None:
    """Date every file back, so that the cache trusts their timestamps (a file written in the last
    two seconds is never cached)."""
    past = time.time() - seconds
    for p in root.rglob("*"):
        os.utime(p, (past, past))


def lint(tmp_path, **data):
    (tmp_path / "spec.json").write_text(spec_text("tree", **data), encoding="utf-8")
    p = Pipeline(tmp_path / "spec.json")
    return p.resolved.facts, p.diagnostics


def codes(found):
    return [d.code for d in found]


def test_the_pixel_range_is_measured_not_assumed(tmp_path):
    make_tree(tmp_path / "tree", {"a": 3, "b": 3})  # flat 40 and 120, one corner pixel 255
    facts, found = lint(tmp_path)
    assert facts.raw_range == (40.0, 255.0)
    x = facts.stats["x"]
    assert x["images"]["sampled"] == 6 and x["images"]["constant"] == 0 and x["shape"] == [6, 10, 12, 3]
    want = np.concatenate([np.full(3 * (120 * 3 - 3), v) for v in (40, 120)] + [np.full(6 * 3, 255)])  # 3 images a class
    assert abs(x["mean"] - want.mean()) < 1e-6 and abs(x["std"] - want.std()) < 1e-6
    assert "KS313" not in codes(found)  # decoded 8-bit images hold no NaN: nothing to count
    _, found = lint(tmp_path, rescale=None)
    [d] = [d for d in found if d.code == "KS301"]
    assert "uint8 values 40..255" in d.message and d.data["received"] == [40.0, 255.0]


def test_masks_stored_as_0_and_1_are_not_rescaled_again(tmp_path):
    for c in ("cat", "dog"):
        (tmp_path / "tree" / c).mkdir(parents=True)
        for i in range(3):
            a = np.zeros((10, 12), np.uint8)
            a[: i + 2] = 1
            Image.fromarray(a).convert("RGB").save(tmp_path / "tree" / c / f"{i}.png")
    facts, found = lint(tmp_path)
    assert facts.raw_range == (0.0, 1.0)
    [d] = [d for d in found if d.code == "KS309"]
    assert "already in 0..1" in d.message and d.path == "data.rescale"
    _, found = lint(tmp_path, rescale=None)
    assert "KS309" not in codes(found) and "KS301" not in codes(found)


def test_flat_images_are_counted_and_named(tmp_path):
    make_tree(tmp_path / "tree", {"a": 3, "b": 3})
    Image.new("RGB", (12, 10), (0, 0, 0)).save(tmp_path / "tree" / "b" / "blank.png")
    facts, found = lint(tmp_path)
    [d] = [d for d in found if d.code == "KS314"]
    assert d.message == "1 of the 7 training images is one flat value, every pixel the same (b/blank.png)"
    assert d.severity.value == "info" and d.path == "data.directory"

    for f in (tmp_path / "tree").rglob("*.png"):  # every image blank: nothing to learn
        Image.new("RGB", (12, 10), (7, 7, 7)).save(f)
    _, found = lint(tmp_path)
    [d] = [d for d in found if d.code == "KS314"]
    assert d.severity.value == "warning" and "every one of the 7 training images is a single flat value" in d.message


def test_large_trees_are_sampled_evenly_per_class(tmp_path):
    files = {"a": [tmp_path / f"a{i}" for i in range(300)], "b": [tmp_path / f"b{i}" for i in range(100)]}
    chosen = datastats.sample_files(files, 40)
    assert len(chosen) == 40 and sum(p.name.startswith("a") for p in chosen) == 30
    assert chosen[0].name == "a0" and chosen[29].name == "a290"  # spread over the class, not its head
    assert datastats.sample_files({"a": files["a"][:5]}, 40) == files["a"][:5]


def test_statistics_are_cached_by_the_files_fingerprint(tmp_path, monkeypatch):
    make_tree(tmp_path / "tree", {"a": 3, "b": 3})
    age(tmp_path / "tree")
    listing = {c: sorted((tmp_path / "tree" / c).iterdir()) for c in ("a", "b")}
    first = datastats.image_stats(listing, "rgb", tmp_path / "tree")

    def no_decoding(*a, **k):
        raise AssertionError("decoded an image although the statistics are cached")

    monkeypatch.setattr(Image, "open", no_decoding)
    assert datastats.image_stats(listing, "rgb", tmp_path / "tree") == first  # a hit: nothing decoded
    monkeypatch.undo()
    f = listing["a"][0]
    Image.new("RGB", (12, 10), (3, 3, 3)).save(f)  # changed: its size and time differ, so it is read again
    age(tmp_path / "tree")
    again = datastats.image_stats(listing, "rgb", tmp_path / "tree")
    assert again["min"] == 3 and again["constant"] == 1
    assert json.dumps(again)  # what the cache stores is plain JSON


def test_specs_reading_one_tree_in_one_process_look_at_its_files_once(tmp_path, monkeypatch):
    from kspec import cache

    make_tree(tmp_path / "tree", {"a": 3, "b": 3})
    age(tmp_path / "tree")
    past = time.time() - 60
    os.utime(tmp_path / "tree", (past, past))  # the listing is remembered once no folder is recent
    keys = []
    real = cache.fingerprint
    monkeypatch.setattr(cache, "fingerprint", lambda paths, **kw: keys.append(kw["salt"]) or real(paths, **kw))
    ranges = []
    for name in ("one", "two"):
        (tmp_path / f"{name}.json").write_text(spec_text("tree"), encoding="utf-8")
        ranges.append(Pipeline(tmp_path / f"{name}.json").resolved.facts.raw_range)
    assert ranges == [(40.0, 255.0)] * 2
    assert sum(1 for k in keys if k.startswith("kspec-image-stats")) == 1
    (tmp_path / "three.json").write_text(spec_text("tree", color_mode="grayscale"), encoding="utf-8")
    Pipeline(tmp_path / "three.json").resolved  # another colour mode: measured again
    assert sum(1 for k in keys if k.startswith("kspec-image-stats")) == 2
