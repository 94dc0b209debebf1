"""Tiny image trees for the image-folder tests: a few images per class, 8x8..32x32.

Every image of class ``k`` is filled with the value ``VALUES[k]`` (plus a marker pixel), so a
test can read the label back from the pixels and check that the pipeline kept them together.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

VALUES = (40, 120, 200, 250)


def image(value: int, size=(12, 10), mode: str = "RGB") -> Image.Image:
    """A flat image of ``value`` (width, height = size) with one brighter corner pixel."""
    w, h = size
    a = np.full((h, w, 3), value, np.uint8)
    a[0, 0] = 255
    img = Image.fromarray(a)
    if mode == "P":
        return img.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return img.convert(mode) if mode != "RGB" else img


def encode(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def make_tree(root: Path, counts: dict[str, int], *, size=(12, 10), mode: str = "RGB", fmt: str = "PNG",
              ext: str = ".png") -> Path:
    """``root/<class>/<class>_<i>.png`` with ``counts[class]`` images; class k has value VALUES[k]
    where k is the class's position in sorted order."""
    for k, c in enumerate(sorted(counts)):
        d = root / c
        d.mkdir(parents=True, exist_ok=True)
        for i in range(counts[c]):
            (d / f"{c}_{i:03d}{ext}").write_bytes(encode(image(VALUES[k % len(VALUES)], size, mode), fmt))
    return root


def spec_text(directory: str, **data) -> str:
    """A full spec around an image_folder data section; ``data`` adds or overrides keys."""
    import json

    section = {"type": "image_folder", "directory": directory, "target_size": [10, 12], "color_mode": "rgb",
               "class_mode": "sparse", "rescale": "1/255", "shuffle": True}
    train = data.pop("train", {})
    section.update(data)
    h, w = section["target_size"]
    ch = {"grayscale": 1, "rgb": 3, "rgba": 4}[section["color_mode"]]
    body = {
        "kspec": 1,
        "data": section,
        "model": {"input_shape": [h, w, ch], "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 3, "activation": "softmax"}]},
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
        "train": {"batch_size": 4, "epochs": 1, "seed": 0, **train},
    }
    return json.dumps(body, indent=1)


def resolved(tmp_path: Path, directory: str = "tree", name: str = "spec.json", **data):
    from kspec.pipeline import Pipeline

    path = tmp_path / name
    path.write_text(spec_text(directory, **data), encoding="utf-8")
    p = Pipeline(path)
    p.require_valid()
    return p.resolved
