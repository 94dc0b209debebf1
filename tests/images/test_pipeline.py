"""The tf.data pipeline of image folders: labels, order, shapes, values, augmentation, steps,
repetition, caching and bad files. Tiny trees, a few images per class."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from kspec.diagnostics import KspecError  # noqa: E402
from kspec.emit import images  # noqa: E402

from .helpers import VALUES, encode, image, make_tree, resolved  # noqa: E402


def build(tmp_path, batch_size=4, seed=0, **data):
    r = resolved(tmp_path, **data)
    return r, images.image_folder_inputs(r, batch_size=batch_size, seed=seed)


def take(ds, n):
    return [tuple(np.asarray(t) for t in b) if isinstance(b, tuple) else np.asarray(b) for b in ds.take(n)]


def label_of(x, rescale=1 / 255):
    """The class a pixel value says (each class's images are flat VALUES[k], marker pixel aside)."""
    v = np.round(x[..., 1:, 1:, 0].mean(axis=(-1, -2)) / rescale).astype(int)
    return np.array([VALUES.index(int(min(VALUES, key=lambda c: abs(c - i)))) for i in np.atleast_1d(v)])


def test_labels_follow_images_and_sorted_class_order(tmp_path):
    make_tree(tmp_path / "tree", {"b_dogs": 3, "a_cats": 5, "c_eels": 2})
    _, inp = build(tmp_path)
    assert inp.class_names == ["a_cats", "b_dogs", "c_eels"]
    assert inp.counts["train"] == {"a_cats": 5, "b_dogs": 3, "c_eels": 2}
    batches = take(inp.train, inp.steps_per_epoch)
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert len(y) == 10
    assert (label_of(x) == y).all()
    assert sorted(y.tolist()) == [0] * 5 + [1] * 3 + [2] * 2


def test_shapes_dtypes_and_range_after_rescale(tmp_path):
    make_tree(tmp_path / "tree", {"a": 3, "b": 3}, size=(32, 24))
    _, inp = build(tmp_path, target_size=[8, 16], class_mode="binary")
    x, y = take(inp.train, 1)[0]
    assert x.shape == (4, 8, 16, 3) and x.dtype == np.float32
    assert y.dtype == np.float32 and set(np.unique(y)) <= {0.0, 1.0}
    xs = np.concatenate([b[0] for b in take(inp.train, inp.steps_per_epoch)])
    assert np.allclose(sorted(np.unique(xs[:, 1:, 1:])), [VALUES[0] / 255, VALUES[1] / 255])
    _, raw = build(tmp_path, name="raw.json", target_size=[8, 16], class_mode="binary", rescale=None)
    xs = np.concatenate([b[0] for b in take(raw.train, raw.steps_per_epoch)])
    assert np.allclose(sorted(np.unique(xs[:, 1:, 1:])), [VALUES[0], VALUES[1]])  # no rescale: 0..255


@pytest.mark.parametrize("mode,stored,channels", [("grayscale", "RGB", 1), ("rgb", "L", 3), ("rgba", "RGB", 4),
                                                  ("grayscale", "RGBA", 1), ("rgb", "P", 3)])
def test_color_modes(tmp_path, mode, stored, channels):
    make_tree(tmp_path / "tree", {"a": 2, "b": 2}, mode=stored)
    _, inp = build(tmp_path, color_mode=mode, rescale=None)
    x, y = take(inp.train, 1)[0]
    assert x.shape[-1] == channels
    body = x[:, 2:, 2:, :]
    if channels == 4:
        assert (body[..., 3] == 255).all()
    assert (label_of(x, 1) == y).all()
    assert set(np.unique(np.round(body[..., :3]))) <= {float(v) for v in VALUES}


@pytest.mark.parametrize("mode,fmt,ext", [("grayscale", "PNG", ".png"), ("rgba", "JPEG", ".jpg"),
                                          ("rgba", "GIF", ".gif"), ("grayscale", "BMP", ".bmp")])
def test_color_modes_per_decoder(tmp_path, mode, fmt, ext):
    make_tree(tmp_path / "tree", {"a": 2, "b": 2}, mode="L" if mode == "grayscale" else "RGB", fmt=fmt, ext=ext)
    _, inp = build(tmp_path, color_mode=mode, rescale=None)
    x, y = take(inp.train, 1)[0]
    assert x.shape[-1] == (1 if mode == "grayscale" else 4)
    if mode == "rgba":
        assert (x[..., 3] == 255).all()
    if fmt != "JPEG":
        assert (label_of(x, 1) == y).all()


def test_mixed_sizes_are_resized_and_same_sizes_kept(tmp_path):
    make_tree(tmp_path / "tree", {"a": 2}, size=(12, 10))
    (tmp_path / "tree" / "b").mkdir()
    for i in range(2):
        image(VALUES[1], (24, 20)).save(tmp_path / "tree" / "b" / f"b{i}.png")
    _, inp = build(tmp_path, rescale=None, interpolation="nearest", batch_size=4)
    x, y = take(inp.train, 1)[0]
    assert x.shape == (4, 10, 12, 3)
    assert (label_of(x, 1) == y).all()


def test_grayscale_luma_matches_pillow(tmp_path):
    d = tmp_path / "tree" / "a"
    d.mkdir(parents=True)
    rgb = np.random.default_rng(0).integers(0, 256, (10, 12, 3), dtype=np.uint8)
    from PIL import Image

    Image.fromarray(rgb).save(d / "x.png")
    (tmp_path / "tree" / "b").mkdir()
    Image.fromarray(rgb).save(tmp_path / "tree" / "b" / "y.png")
    r = resolved(tmp_path, color_mode="grayscale", rescale=None)
    x = images.load_image(d / "x.png", r)
    want = np.asarray(Image.fromarray(rgb).convert("L"), np.float32)
    assert x.shape == (10, 12, 1)
    assert np.abs(x[..., 0] - want).max() <= 1


@pytest.mark.parametrize("class_mode", ["binary", "categorical", "sparse", "none"])
def test_class_modes(tmp_path, class_mode):
    make_tree(tmp_path / "tree", {"a": 2, "b": 2})
    _, inp = build(tmp_path, class_mode=class_mode)
    b = take(inp.train, 1)[0]
    if class_mode == "none":
        assert b.shape == (4, 10, 12, 3)
        return
    x, y = b
    want = {"binary": ((4,), np.float32), "categorical": ((4, 2), np.float32), "sparse": ((4,), np.int32)}
    assert (y.shape, y.dtype) == want[class_mode]
    ids = y.argmax(-1) if class_mode == "categorical" else y.astype(int)
    assert (label_of(x) == ids).all()


def test_binary_needs_two_classes(tmp_path):
    make_tree(tmp_path / "tree", {"a": 1, "b": 1, "c": 1})
    with pytest.raises(KspecError, match="binary needs exactly 2 class folders.*3"):
        build(tmp_path, class_mode="binary")


def test_derived_steps_give_one_pass_per_epoch(tmp_path):
    make_tree(tmp_path / "tree", {"a": 6, "b": 5})
    _, inp = build(tmp_path, batch_size=4)
    assert inp.steps_per_epoch == 3 and inp.validation is None
    it = iter(inp.train)
    for _ in range(3):  # three epochs from one iterator, as fit uses it
        sizes, seen = [], []
        for _ in range(inp.steps_per_epoch):
            x, y = next(it)
            sizes.append(len(y))
            seen.extend(label_of(x.numpy()).tolist())
        assert sizes == [4, 4, 3]  # the last batch is partial, like flow_from_directory
        assert sorted(seen) == [0] * 6 + [1] * 5


def test_given_steps_repeat_with_full_batches(tmp_path):
    make_tree(tmp_path / "tree", {"a": 3, "b": 2})
    _, inp = build(tmp_path, batch_size=4, train={"steps_per_epoch": 7, "validation_steps": 5},
                   validation_directory="tree")
    assert inp.steps_per_epoch == 7
    assert inp.train.cardinality() == tf.data.INFINITE_CARDINALITY
    sizes = [len(b[1]) for b in take(inp.train, 21)]  # 3 epochs of 7 steps never run short
    assert sizes == [4] * 21
    # validation: exactly validation_steps batches (repeated past its 2-batch pass), finite for evaluate
    assert inp.validation_steps == 5
    assert int(inp.validation.cardinality()) == 5
    assert len(list(inp.validation)) == 5


def test_validation_folder_and_split(tmp_path):
    make_tree(tmp_path / "tree", {"a": 10, "b": 10})
    make_tree(tmp_path / "val", {"a": 3, "b": 2})
    _, inp = build(tmp_path, validation_directory="val", validation_batch_size=2)
    assert inp.validation_steps == 3 and inp.counts["validation"] == {"a": 3, "b": 2}
    got = np.concatenate([b[1] for b in inp.validation.as_numpy_iterator()])
    assert sorted(got.tolist()) == [0, 0, 0, 1, 1]
    _, split = build(tmp_path, name="split.json", validation=0.2)
    assert split.counts == {"train": {"a": 8, "b": 8}, "validation": {"a": 2, "b": 2}, "skipped": 0}
    assert not set(split.train_files) & set(split.validation_files)
    assert split.steps_per_epoch == 4 and split.validation_steps == 1


def test_validation_classes_are_labelled_by_training_classes(tmp_path):
    make_tree(tmp_path / "tree", {"a": 2, "b": 2, "c": 2})
    (tmp_path / "val" / "c").mkdir(parents=True)
    make_tree(tmp_path / "val", {"c": 2})
    _, inp = build(tmp_path, validation_directory="val")
    y = np.concatenate([b[1] for b in inp.validation.as_numpy_iterator()])
    assert y.tolist() == [2, 2]  # "c" is label 2 of the training classes, not label 0
    make_tree(tmp_path / "val2", {"a": 1, "zzz": 1})
    with pytest.raises(KspecError, match=r"class folder\(s\) \['zzz'\]"):
        build(tmp_path, name="v2.json", validation_directory="val2")


def test_augmentation_on_training_only(tmp_path):
    make_tree(tmp_path / "tree", {"a": 4, "b": 4}, size=(16, 16))
    aug = {"rotation_range": 40, "horizontal_flip": True, "zoom_range": 0.3, "brightness_range": [0.5, 0.9]}
    _, inp = build(tmp_path, target_size=[16, 16], validation_directory="tree", augmentation=aug, rescale=None,
                   shuffle=False)
    # validation: the stored pixels exactly; training: changed (brightness alone scales every pixel)
    vx = np.concatenate([b[0] for b in inp.validation.as_numpy_iterator()])
    assert set(np.unique(vx[:, 1:, 1:])) <= {float(VALUES[0]), float(VALUES[1])}
    tx = np.concatenate([b[0] for b in take(inp.train, 2)])
    assert not set(np.unique(tx[:, 4:12, 4:12])) <= {float(VALUES[0]), float(VALUES[1])}
    assert tx.max() <= 255 * 0.9 + 1e-3
    # different every epoch, reproducible for a seed
    a, b = take(inp.train, 4)[:2], take(inp.train, 4)[2:]
    assert not np.allclose(a[0][0], b[0][0])
    _, again = build(tmp_path, name="again.json", target_size=[16, 16], validation_directory="tree", augmentation=aug,
                     rescale=None, shuffle=False)
    assert np.allclose(take(again.train, 1)[0][0], take(inp.train, 1)[0][0])


def test_affine_transform_matches_image_data_generator():
    legacy = pytest.importorskip("keras.src.legacy.preprocessing.image")
    pytest.importorskip("scipy")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (24, 24, 1)).astype(np.float32)
    x = np.asarray(tf.nn.avg_pool2d(x[None], 3, 1, "SAME"))[0]  # smooth, so interpolation differences stay small
    for theta, shear, zx, zy, tx, ty in [(30, 0, 1, 1, 0, 0), (0, 20, 1, 1, 0, 0), (0, 0, 0.8, 1.2, 0, 0),
                                         (-15, 10, 1.1, 0.9, 0, 0), (0, 0, 1, 1, 3, -2)]:
        params = {k: tf.constant([float(v)]) for k, v in
                  dict(theta=theta, shear=shear, zx=zx, zy=zy, tx=tx, ty=ty).items()}
        m = images.affine_transforms(tf, params, 24, 24)
        ours = tf.raw_ops.ImageProjectiveTransformV3(images=x[None], transforms=m, output_shape=[24, 24],
                                                     fill_value=0.0, interpolation="BILINEAR", fill_mode="NEAREST")
        # tx moves columns in both (kspec draws tx from width_shift_range, as documented; the legacy
        # generator draws it from height_shift_range, so its two shift ranges act on the other axis)
        want = legacy.apply_affine_transform(x, theta=theta, tx=tx, ty=ty, shear=shear, zx=zx, zy=zy,
                                             row_axis=0, col_axis=1, channel_axis=2, fill_mode="nearest")
        inner = (slice(3, -3), slice(3, -3))
        assert np.abs(np.asarray(ours)[0][inner] - want[inner]).max() < 2.0, (theta, shear, zx, zy, tx, ty)


def test_width_shift_moves_columns(tmp_path):
    params = {k: tf.constant([v]) for k, v in dict(theta=0.0, shear=0.0, zx=1.0, zy=1.0, tx=2.0, ty=0.0).items()}
    x = np.zeros((1, 9, 9, 1), np.float32)
    x[0, 4, 4] = 1
    out = tf.raw_ops.ImageProjectiveTransformV3(images=x, transforms=images.affine_transforms(tf, params, 9, 9),
                                                output_shape=[9, 9], fill_value=0.0, interpolation="NEAREST",
                                                fill_mode="CONSTANT")
    assert np.argwhere(np.asarray(out)[0, ..., 0] > 0.5).tolist() == [[4, 2]]  # same row, another column


@pytest.mark.parametrize("cache", ["memory", "file"])
def test_cache_gives_the_same_images(tmp_path, cache):
    make_tree(tmp_path / "tree", {"a": 3, "b": 3})
    spec_cache = True if cache == "memory" else "cache/imgs"
    _, inp = build(tmp_path, batch_size=3, cache=spec_cache, shuffle=False)
    first = take(inp.train, 4)
    x1 = np.concatenate([b[0] for b in first[:2]])
    x2 = np.concatenate([b[0] for b in first[2:]])
    assert np.array_equal(np.sort(x1.reshape(6, -1), 0), np.sort(x2.reshape(6, -1), 0))
    if cache == "memory":
        assert inp.cache == "memory"
    else:
        assert inp.cache.startswith(str(tmp_path / "cache" / "imgs-train-"))
        assert list((tmp_path / "cache").glob("imgs-train-*.index"))


def test_cache_over_budget_is_refused_with_a_note(tmp_path):
    make_tree(tmp_path / "tree", {"a": 2, "b": 2})
    _, inp = build(tmp_path, target_size=[600, 600], cache=True, cache_budget_mb=1)
    assert inp.cache == "off" and "cache_budget_mb 1" in inp.notes[0]


def test_corrupt_file_is_named(tmp_path):
    make_tree(tmp_path / "tree", {"a": 3, "b": 3})
    bad = tmp_path / "tree" / "b" / "b_001.png"
    bad.write_bytes(bad.read_bytes()[:40])
    (tmp_path / "tree" / "a" / "notes.png").write_text("not an image")
    with pytest.raises(KspecError) as e:
        build(tmp_path)
    msg = str(e.value)
    assert "2 file(s) cannot be decoded" in msg and str(bad) in msg and "notes.png: not an image" in msg
    assert "on_bad_file: skip" in e.value.hint


def test_skip_leaves_bad_files_out_and_counts_them(tmp_path):
    make_tree(tmp_path / "tree", {"a": 3, "b": 3})
    bad = tmp_path / "tree" / "b" / "b_001.png"
    bad.write_bytes(bad.read_bytes()[:-20])
    _, inp = build(tmp_path, on_bad_file="skip")
    assert inp.counts["skipped"] == 1 and inp.skipped_files[0].startswith(str(bad))
    assert inp.counts["train"] == {"a": 3, "b": 2}
    assert bad not in inp.train_files
    assert sum(len(b[1]) for b in take(inp.train, inp.steps_per_epoch)) == 5


def test_empty_class_keeps_its_label(tmp_path):
    make_tree(tmp_path / "tree", {"a": 2, "b": 0, "c": 2})
    _, inp = build(tmp_path, class_mode="categorical")
    assert inp.class_names == ["a", "b", "c"] and inp.counts["train"]["b"] == 0
    y = np.concatenate([b[1] for b in take(inp.train, inp.steps_per_epoch)])
    assert y.shape == (4, 3) and y[:, 1].sum() == 0


def test_no_images_at_all(tmp_path):
    make_tree(tmp_path / "tree", {"a": 0, "b": 0})
    with pytest.raises(KspecError, match="has no png/jpg/jpeg/bmp/gif images"):
        build(tmp_path)


def test_load_image_is_what_the_model_sees(tmp_path):
    make_tree(tmp_path / "tree", {"a": 1, "b": 1}, size=(20, 16), fmt="JPEG", ext=".jpg")
    r, inp = build(tmp_path, target_size=[8, 10], shuffle=False, batch_size=2)
    x = take(inp.train, 1)[0][0]
    one = images.load_image(inp.train_files[0], r)
    assert one.shape == (8, 10, 3) and one.dtype == np.float32
    assert np.allclose(one, x[0])
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    with pytest.raises(KspecError, match="bad.png: not an image"):
        images.load_image(bad, r)


def test_explain_decode_error_names_the_file(tmp_path):
    make_tree(tmp_path / "tree", {"a": 2, "b": 2})
    r, inp = build(tmp_path)
    victim = inp.train_files[1]
    data = bytearray(encode(image(VALUES[0]), "JPEG"))  # a JPEG with damage the header checks let through
    sos = data.rfind(b"\xff\xda")
    data[sos + 2:sos + 4] = b"\x00\x00"
    victim.write_bytes(bytes(data))
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        take(inp.train, inp.steps_per_epoch)
    err = inp.explain(e.value)
    assert err is not None and str(victim) in str(err) and "on_bad_file: skip" in err.hint
    assert images.explain_decode_error(ValueError("x"), inp) is None


def test_gif_bmp_and_jpeg_decode(tmp_path):
    for fmt, ext in (("GIF", ".gif"), ("BMP", ".bmp"), ("JPEG", ".jpeg")):
        make_tree(tmp_path / "tree", {"a": 1, "b": 1}, fmt=fmt, ext=ext)
    _, inp = build(tmp_path, batch_size=6, shuffle=False, rescale=None)
    x, y = take(inp.train, 1)[0]
    assert len(y) == 6 and x.shape == (6, 10, 12, 3)
    assert (np.abs(label_of(x, 1) - y) == 0).all()


@pytest.mark.parametrize("scale", [1 / 255, 1.0, 0.5, 2 / 255])
def test_to_float_is_cast_times_scale(scale):
    x = tf.constant(np.arange(256, dtype=np.uint8).reshape(2, 8, 16, 1))
    want = tf.cast(x, tf.float32) * np.float32(scale)
    assert np.allclose(images.to_float(tf, x, scale), want, rtol=1e-6, atol=0)
