"""Image folders -> tf.data: ``flow_from_directory`` semantics on a parallel, cached, stall-free
pipeline.

    list files once (kspec.imagefolder)  ->  check them (headers + structure, threads)
    -> shuffle paths -> read + decode + colour mode + resize, in parallel (uint8)
    -> [cache: memory or file, uint8, before rescale]  -> batch
    -> prefetch -> float32, augmentation (training only), rescale, labels (one batch ahead)

    Without a cache or augmentation the float32 conversion, rescale and labels run in the parallel
    per-file map instead (one map less to build, start and run; the conversion on every core).

Choices that matter for speed, and why:

* Fixed parallelism (the usable cores) and ``autotune`` off: with autotune on, discarding a
  finished iterator can block until the next tick of autotune's background thread (1.3, 2.6,
  5.1, 10, 20 s), which shows up as epochs snapping to those lengths and ``fit()`` returning
  seconds after its last step. ``benchmarks/input_pipeline.py`` measures that stall.
* The training data repeats and the runner passes ``steps_per_epoch``, so Keras keeps one
  iterator for the whole of ``fit``: no iterator is torn down at epoch ends and no epoch runs
  short. Without a ``steps_per_epoch`` in the spec each epoch is exactly one pass (the last batch
  may be partial, as with ``flow_from_directory``); with one, batches are always full and run
  across pass boundaries.
* The cache holds decoded, resized uint8 images (4x smaller than float32), so a cached epoch is
  a memory copy; rescale and augmentation run after it, so augmentation differs every epoch.

Bad files: every file is checked before training (Pillow, no pixel decoding: about 0.07 ms per
300x300 PNG); ``on_bad_file: error`` stops with the files named, ``skip`` leaves them out and
counts them in the run's manifest. A file that still fails to decode while training (damage
inside a JPEG stream, which only a full decode finds) drops out under ``skip``; under ``error``
:func:`explain_decode_error` turns TensorFlow's error into a :class:`KspecError` naming it.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import imagefolder as imf
from ..diagnostics import KspecError

MAX_LISTED = 10
"""Bad files named in an error message; the rest are counted."""


@dataclass
class ImageInputs:
    """What the runner hands to ``model.fit``: datasets of ``(x, y)`` batches and what they hold."""

    train: Any
    """Repeating tf.data.Dataset of (x, y) batches: pass ``steps_per_epoch`` to fit."""
    validation: Any
    """Finite tf.data.Dataset of exactly ``validation_steps`` batches, or None."""
    class_names: list[str]
    steps_per_epoch: int
    validation_steps: int | None
    counts: dict[str, Any]
    """{"train": {class: n}, "validation": {class: n}, "skipped": n}."""
    skipped_files: list[str]
    """Files left out under ``on_bad_file: skip``, each as "path: reason"."""
    fingerprint: str
    batch_size: int
    validation_batch_size: int | None
    train_files: list[Path] = field(default_factory=list)
    validation_files: list[Path] = field(default_factory=list)
    train_labels: list[int] = field(default_factory=list)
    """The class id of each of ``train_files``."""
    cache: str = "off"
    """``memory``, the cache file prefix, or ``off``."""
    notes: list[str] = field(default_factory=list)
    """Things the user should know (a cache that did not fit the budget, ...)."""
    test: Any = None

    def explain(self, error: BaseException) -> KspecError | None:
        """A clean error naming the files behind a TensorFlow decode error raised while training on
        these datasets (None when ``error`` is something else): ``raise inputs.explain(e) or e``."""
        return explain_decode_error(error, self)


def cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


# ------------------------------------------------------------------------------------ listing


@dataclass
class _Plan:
    class_names: list[str]
    train: list[tuple[Path, int]]
    validation: list[tuple[Path, int]] | None
    skipped: list[imf.ImageInfo]
    roots: tuple[Path, Path | None]
    scan: imf.ImageScan | None = None
    """The check of every file (bad ones included; their sizes and modes are unknown)."""


def _plan_files(resolved, seed: int) -> _Plan:
    """Which files train and validate, with which labels; bad files handled per ``on_bad_file``."""
    data = resolved.data
    facts = resolved.facts
    if data.reshape:
        raise KspecError("data.reshape does not apply to image folders",
                         hint="set target_size [height, width] and color_mode instead")
    if data.validation == "test":
        raise KspecError("data.validation is 'test' but an image folder has no test set",
                         hint="use validation_directory: FOLDER, or a fraction such as `validation: 0.2`")
    listing = facts.extra.get("listing")
    if listing is None:  # facts could not list it: list again for the error message
        listing = imf.list_tree(resolved.path(data.directory), data.formats, data.follow_links, data.class_names)
    class_names = list(listing.class_names)
    train = listing.items()
    validation = None
    vroot = None
    if data.validation_directory:
        vroot = resolved.path(data.validation_directory)
        vfound = imf.list_tree(vroot, data.formats, data.follow_links)
        extra = [c for c in vfound.class_names if c not in class_names]
        if extra:
            raise KspecError(
                f"validation folder {vroot} has class folder(s) {extra} that the training folder "
                f"{listing.root} does not have",
                hint=f"the training classes are {class_names}; every validation folder needs a training class "
                     "of the same name (its label comes from the training classes)")
        validation = imf.validation_listing(vfound, class_names).items()
    elif isinstance(data.validation, float):
        train, validation = imf.split_items(listing, data.validation, seed)
    train = imf.limit_items(train, data.limit, seed)
    if not train:
        raise KspecError(f"image folder {listing.root} has no {'/'.join(data.formats)} images in its class folders",
                         hint=f"class folders found: {class_names}")
    if data.class_mode == "binary" and len(class_names) != 2:
        raise KspecError(f"class_mode binary needs exactly 2 class folders; {listing.root} has {len(class_names)}: "
                         f"{class_names}", hint="use class_mode: categorical (or sparse) for more classes")

    paths = [p for p, _ in train] + [p for p, _ in (validation or [])]
    scan = _reuse_scan(facts, paths) or imf.scan_files(paths)
    bad = [b for b in scan.bad if b.problem]
    if bad and data.on_bad_file == "error":
        raise KspecError(bad_files_message(bad),
                         hint="remove or replace these files, or set `on_bad_file: skip` in the data section "
                              "to leave them out (they are counted in the run's manifest)")
    skipped = sorted(bad, key=lambda b: str(b.path))
    if skipped:
        gone = {b.path for b in skipped}
        train = [it for it in train if it[0] not in gone]
        validation = [it for it in validation if it[0] not in gone] if validation is not None else None
        if not train:
            raise KspecError(f"every image in {listing.root} is unreadable: {bad_files_message(skipped)}")
    return _Plan(class_names, train, validation, skipped, (listing.root, vroot), scan)


def _reuse_scan(facts, paths: list[Path]) -> imf.ImageScan | None:
    """The checks lint already made, when they covered every file."""
    scans = [facts.extra.get(k) for k in ("image_scan", "validation_image_scan")]
    scans = [s for s in scans if s is not None]
    if not scans or not all(s.complete for s in scans):
        return None
    merged = scans[0]
    for s in scans[1:]:
        merged = merged.merge(s)
    if merged.checked < len(paths):
        return None
    return merged


def bad_files_message(bad: list[imf.ImageInfo]) -> str:
    lines = [f"{len(bad)} file(s) cannot be decoded as images:"]
    for b in bad[:MAX_LISTED]:
        lines.append(f"  {b.path}: {b.problem}")
    if len(bad) > MAX_LISTED:
        lines.append(f"  ... and {len(bad) - MAX_LISTED} more (`kspec data inspect` lists them all)")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ TF pieces


def _tf():
    from . import tf_environment

    tf_environment()
    import tensorflow as tf

    return tf


def plain(tf, fn):
    """``fn`` traced as written: its Python branches are decided once, at build time, so AutoGraph's
    source rewriting (1.5 s for these functions on 2 cores) buys nothing."""
    return tf.autograph.experimental.do_not_convert(fn)


def to_float(tf, x, scale: float):
    """uint8 -> float32 times ``scale`` (> 0) in one pass over memory: a cached epoch is bound by this
    conversion, and Dequantize does it 2 to 3 times faster than a cast and a multiply, with the same
    values."""
    return tf.quantization.dequantize(tf.bitcast(x, tf.quint8), 0.0, 255.0 * scale, mode="MIN_COMBINED")


def _luma(tf, rgb):
    """uint8 RGB -> uint8 gray [h, w, 1] with Pillow's weights (ITU-R 601: 0.299, 0.587, 0.114)."""
    g = tf.tensordot(tf.cast(rgb, tf.float32), tf.constant([0.299, 0.587, 0.114]), axes=1)[..., None]
    return tf.saturate_cast(tf.round(g), tf.uint8)


def _to_channels(tf, img, want: int):
    """uint8 [h, w, 1..4] -> uint8 [h, w, want], as Pillow's ``convert`` does (ITU-R 601 luma, alpha
    dropped or set to 255)."""

    def gray(x):
        return _luma(tf, x[..., :3])

    def opaque(x):
        return tf.concat([x, tf.fill(tf.concat([tf.shape(x)[:2], [1]], 0), tf.constant(255, tf.uint8))], -1)

    tile = lambda x: tf.tile(x[..., :1], [1, 1, 3])  # noqa: E731
    branches = {
        1: [lambda: img, lambda: img[..., :1], lambda: gray(img), lambda: gray(img)],
        3: [lambda: tile(img), lambda: tile(img), lambda: img, lambda: img[..., :3]],
        4: [lambda: opaque(tile(img)), lambda: tf.concat([tile(img), img[..., 1:2]], -1), lambda: opaque(img),
            lambda: img],
    }[want]
    out = tf.switch_case(tf.clip_by_value(tf.shape(img)[-1] - 1, 0, 3), branches)
    return out


def make_loader(tf, target_size, color_mode: str, interpolation: str, scan: imf.ImageScan | None = None):
    """path -> uint8 image [h, w, c] at ``target_size`` in ``color_mode``.

    ``scan`` (a complete check of the files) lets the loader skip work it knows is not needed: a
    resize when every image has the target size already, a channel conversion when the decoder
    can do it exactly (about 10% of the CPU time of a 300x300 PNG)."""
    h, w = int(target_size[0]), int(target_size[1])
    want = imf.CHANNELS[color_mode]
    known = scan is not None and scan.complete and scan.checked > 0
    formats = set(scan.formats) if known else set()
    modes = set(scan.modes) if known else set()
    sizes = set(scan.sizes) if known else set()

    def decode(raw):
        if want == 3:  # every decoder converts to RGB as Pillow does (gray copied, alpha dropped)
            return tf.io.decode_image(raw, channels=3, dtype=tf.uint8, expand_animations=False)
        if want == 1:
            if known and modes <= {"L"} and formats <= {"PNG", "JPEG"}:
                return tf.io.decode_image(raw, channels=1, dtype=tf.uint8, expand_animations=False)
            rgb = tf.io.decode_image(raw, channels=3, dtype=tf.uint8, expand_animations=False)
            return _luma(tf, rgb)
        if known and formats <= {"PNG", "BMP"}:
            return tf.io.decode_image(raw, channels=4, dtype=tf.uint8, expand_animations=False)
        return _to_channels(tf, tf.io.decode_image(raw, channels=0, dtype=tf.uint8, expand_animations=False), 4)

    def resize(img):
        r = tf.image.resize(img, (h, w), method=interpolation)
        if r.dtype == tf.uint8:  # nearest keeps the dtype
            return r
        return tf.saturate_cast(tf.round(r), tf.uint8)

    def load(path):
        img = decode(tf.io.read_file(path))
        if known and sizes == {(w, h)}:
            pass
        elif known and (w, h) not in sizes:
            img = resize(img)
        else:
            same = tf.logical_and(tf.equal(tf.shape(img)[0], h), tf.equal(tf.shape(img)[1], w))
            img = tf.cond(same, lambda: img, lambda: resize(img))
        img.set_shape((h, w, want))
        return img

    return load


def affine_transforms(tf, params: dict, height: int, width: int):
    """[B, 8] projective transforms (output pixel -> input pixel, x = column, y = row) composed as
    ``ImageDataGenerator`` does: rotation @ shift @ shear @ zoom, about the image centre."""
    theta = params["theta"] * (math.pi / 180.0)
    shear = params["shear"] * (math.pi / 180.0)
    tx, ty, zx, zy = params["tx"], params["ty"], params["zx"], params["zy"]
    c, s = tf.cos(theta), tf.sin(theta)
    ssh, csh = tf.sin(shear), tf.cos(shear)
    # M = R @ T @ Sh @ Z, written out (x = column, y = row):
    # R = [[c, -s], [s, c]], T = translation (tx, ty), Sh = [[1, -ssh], [0, csh]], Z = diag(zx, zy)
    a00 = c * zx
    a01 = (c * -ssh + -s * csh) * zy
    a10 = s * zx
    a11 = (s * -ssh + c * csh) * zy
    b0 = c * tx - s * ty
    b1 = s * tx + c * ty
    ox, oy = (width - 1) / 2.0, (height - 1) / 2.0
    # centre: offset @ M @ reset -> translation = M_lin @ (-o) + b + o
    t0 = -(a00 * ox + a01 * oy) + b0 + ox
    t1 = -(a10 * ox + a11 * oy) + b1 + oy
    zeros = tf.zeros_like(a00)
    return tf.stack([a00, a01, t0, a10, a11, t1, zeros, zeros], axis=1)


def make_augmenter(tf, aug, height: int, width: int, top: float = 255.0):
    """A function (float32 batch [B, h, w, c] in 0..``top``, seed [2]) -> augmented batch. ``top`` is
    255 times the rescale factor: the transforms are linear, so they commute with rescaling."""
    rot, ws, hs, sh = aug.rotation_range, aug.width_shift_range, aug.height_shift_range, aug.shear_range
    zr = aug.zoom_range
    z0, z1 = (1 - zr, 1 + zr) if isinstance(zr, (int, float)) else (float(zr[0]), float(zr[1]))
    geometric = bool(rot or ws or hs or sh or (z0, z1) != (1, 1))
    fill = aug.fill_mode.upper()

    def augment(x, seed):
        b = tf.shape(x)[0]

        def uni(k, lo, hi, n=None):
            return tf.random.stateless_uniform([n if n is not None else b], seed=seed + [0, k], minval=lo, maxval=hi)

        if geometric:
            params = {
                "theta": uni(1, -rot, rot) if rot else tf.zeros([b]),
                "tx": uni(2, -ws, ws) * width if ws else tf.zeros([b]),
                "ty": uni(3, -hs, hs) * height if hs else tf.zeros([b]),
                "shear": uni(4, -sh, sh) if sh else tf.zeros([b]),
                "zx": uni(5, z0, z1) if (z0, z1) != (1, 1) else tf.ones([b]),
                "zy": uni(6, z0, z1) if (z0, z1) != (1, 1) else tf.ones([b]),
            }
            x = tf.raw_ops.ImageProjectiveTransformV3(
                images=x, transforms=affine_transforms(tf, params, height, width),
                output_shape=tf.constant([height, width], tf.int32), fill_value=tf.constant(0.0),
                interpolation="BILINEAR", fill_mode=fill)
        if aug.horizontal_flip:
            flip = uni(7, 0.0, 1.0) < 0.5
            x = tf.where(flip[:, None, None, None], tf.reverse(x, [2]), x)
        if aug.vertical_flip:
            flip = uni(8, 0.0, 1.0) < 0.5
            x = tf.where(flip[:, None, None, None], tf.reverse(x, [1]), x)
        if aug.brightness_range:
            lo, hi = aug.brightness_range
            k = uni(9, float(lo), float(hi))
            x = tf.clip_by_value(x * k[:, None, None, None], 0.0, top)
        return x

    return augment


def _options(tf):
    opts = tf.data.Options()
    opts.autotune.enabled = False
    opts.deterministic = True
    return opts


def _labels(tf, class_mode: str, num_classes: int):
    if class_mode == "binary":
        return lambda y: tf.cast(y, tf.float32)
    if class_mode == "categorical":
        return lambda y: tf.one_hot(y, num_classes, dtype=tf.float32)
    if class_mode == "sparse":
        return lambda y: y
    return None


def _cache_bytes(n: int, data) -> int:
    h, w = data.target_size
    return n * h * w * imf.CHANNELS[data.color_mode]


def _cache_file(resolved, fingerprint: str, part: str) -> Path:
    """The spec's cache prefix + a key of everything the cached images depend on, so a changed tree
    or target size never reads a stale cache."""
    data = resolved.data
    key = hashlib.sha256("|".join(map(str, (fingerprint, part, data.target_size, data.color_mode, data.interpolation,
                                             data.on_bad_file))).encode()).hexdigest()[:12]
    prefix = resolved.path(str(data.cache))
    prefix.parent.mkdir(parents=True, exist_ok=True)
    path = prefix.with_name(f"{prefix.name}-{part}-{key}")
    # An interrupted first epoch leaves a lockfile and no index: that cache is unusable.
    lock = Path(str(path) + ".lockfile")
    if lock.exists() and not Path(str(path) + ".index").exists():
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink(missing_ok=True)
    return path


# ------------------------------------------------------------------------------------ inputs


def image_folder_inputs(resolved, *, batch_size: int, seed: int) -> ImageInputs:
    """The training and validation datasets of an ``image_folder`` data section.

    ``train`` repeats: give ``fit`` the returned ``steps_per_epoch``. ``validation`` is finite,
    exactly ``validation_steps`` batches, so ``evaluate`` can use it too.
    """
    tf = _tf()
    data = resolved.data
    seed = int(data.seed if data.seed is not None else seed)
    plan = _plan_files(resolved, seed)
    n_classes = len(plan.class_names)
    vbatch = data.validation_batch_size or batch_size
    listed = getattr(resolved.facts.extra.get("listing"), "stats", None)
    fingerprint = hashlib.sha256(
        (imf.tree_fingerprint([p for p, _ in plan.train], plan.roots[0], listed) + "|"
         + (imf.tree_fingerprint([p for p, _ in plan.validation], plan.roots[1] or plan.roots[0])
            if plan.validation else "")).encode()).hexdigest()
    notes: list[str] = []
    n_train = len(plan.train)
    n_val = len(plan.validation or [])

    cache_mode = "off"
    if data.cache is True or (isinstance(data.cache, str) and data.cache):
        if data.cache is True:
            need = _cache_bytes(n_train + n_val, data)
            if need > data.cache_budget_mb * 2**20:
                notes.append(f"cache off: the decoded images need {need / 2**20:.0f} MiB, more than "
                             f"cache_budget_mb {data.cache_budget_mb}; raise the budget, use a smaller "
                             "target_size, or give `cache` a file path")
            else:
                cache_mode = "memory"
        else:
            cache_mode = str(_cache_file(resolved, fingerprint, "train"))

    user_steps = resolved.train.steps_per_epoch
    steps_per_epoch = user_steps or imf.steps(n_train, batch_size)
    load = make_loader(tf, data.target_size, data.color_mode, data.interpolation, plan.scan)
    to_label = _labels(tf, data.class_mode, n_classes)
    rescale = None if data.rescale is None else float(data.rescale)
    par = cores()
    h, w = data.target_size
    scale = 1.0 if rescale is None else rescale
    top = 255.0 * scale if scale > 0 else 255.0  # augmentation runs after a positive rescale, before another
    augment = make_augmenter(tf, data.augmentation, h, w, top) if data.augmentation is not None else None

    def decoded(items, *, shuffle: bool, pre_order_seed: int | None, cache: str, shuffle_seed: int,
                convert: bool):
        """(uint8 image, label) per file; with ``convert``, already (float32 image, label) as the
        model takes them (only where nothing runs between decoding and the model: no cache, no
        augmentation), so one parallel map does all the per-image work."""
        paths = [str(p) for p, _ in items]
        labels = np.asarray([lab for _, lab in items], dtype=np.int32)
        if pre_order_seed is not None:  # a fixed seeded order (so a cache or a partial pass is not class-sorted)
            order = np.random.default_rng(pre_order_seed).permutation(len(paths))
            paths, labels = [paths[i] for i in order], labels[order]
        ds = tf.data.Dataset.from_tensor_slices((tf.constant(paths, tf.string), tf.constant(labels, tf.int32)))
        if shuffle and cache == "off":
            ds = ds.shuffle(len(paths), seed=shuffle_seed, reshuffle_each_iteration=True)
        per_file = (lambda p, y: finish(False)(load(p), y)) if convert else (lambda p, y: (load(p), y))
        ds = ds.map(plain(tf, per_file), num_parallel_calls=par, deterministic=True)
        if data.on_bad_file == "skip":
            ds = ds.ignore_errors()
        if cache != "off":
            ds = ds.cache("" if cache == "memory" else cache)
            if shuffle:
                buffer = min(len(paths), max(2 * batch_size, 256))
                ds = ds.shuffle(buffer, seed=shuffle_seed, reshuffle_each_iteration=True)
        return ds

    def finish(training: bool):
        def fn(x, y, s=None):
            if scale > 0:
                x = to_float(tf, x, scale)
                if training and augment is not None:
                    x = augment(x, s)
            else:  # a negative rescale: augment first, in 0..255
                x = tf.cast(x, tf.float32)
                if training and augment is not None:
                    x = augment(x, s)
                x = x * scale
            if to_label is None:
                return x
            return x, to_label(y)

        return fn

    # Without a cache or augmentation, each image is converted to float32 where it is decoded, in
    # the parallel map: one map less to build and run, and the conversion spread over every core.
    # With either, batches stay uint8 up to the cache and convert after it, one batch at a time.
    fused = cache_mode == "off" and augment is None
    ds = decoded(plan.train, shuffle=data.shuffle, pre_order_seed=seed if cache_mode != "off" else None,
                 cache=cache_mode, shuffle_seed=seed, convert=fused)
    if user_steps:
        ds = ds.repeat().batch(batch_size, drop_remainder=True)
    else:
        ds = ds.batch(batch_size).repeat()
    # Prefetch one batch. Where batches convert after the cache they are uint8 here (4x smaller than
    # float32) and the conversion map below runs ahead by one batch on its own, so at most two float
    # batches exist besides the one training.
    ds = ds.prefetch(1)
    if fused:
        pass  # converted already
    elif augment is not None:
        seeds = tf.data.Dataset.random(seed=seed).batch(2)
        ds = tf.data.Dataset.zip((ds, seeds)).map(plain(tf, lambda b, s: finish(True)(b[0], b[1], s)),
                                                  num_parallel_calls=min(2, par), deterministic=True)
    else:
        ds = ds.map(plain(tf, finish(True)), num_parallel_calls=1, deterministic=True)
    train = ds.with_options(_options(tf))

    validation = None
    validation_steps = None
    if plan.validation:
        pass_steps = imf.steps(n_val, vbatch)
        validation_steps = resolved.train.validation_steps or pass_steps
        vcache = cache_mode
        if validation_steps < pass_steps:
            vcache = "off"  # a partial pass never completes a cache
        elif cache_mode not in ("off", "memory"):
            vcache = str(_cache_file(resolved, fingerprint, "validation"))
        vds = decoded(plan.validation, shuffle=False, pre_order_seed=seed + 1, cache=vcache, shuffle_seed=seed,
                      convert=vcache == "off")
        vds = vds.batch(vbatch)
        if validation_steps > pass_steps:
            vds = vds.repeat()
        if validation_steps != pass_steps:
            vds = vds.take(validation_steps)
        vds = vds.prefetch(1)
        if vcache != "off":
            vds = vds.map(plain(tf, finish(False)), num_parallel_calls=1, deterministic=True)
        validation = vds.with_options(_options(tf))
    elif plan.validation is not None:
        notes.append("the validation split is empty: no validation")

    def per_class(items):
        c = np.bincount([lab for _, lab in items], minlength=n_classes) if items else np.zeros(n_classes, int)
        return {name: int(c[i]) for i, name in enumerate(plan.class_names)}

    counts: dict[str, Any] = {"train": per_class(plan.train)}
    if plan.validation is not None:
        counts["validation"] = per_class(plan.validation)
    counts["skipped"] = len(plan.skipped)
    return ImageInputs(
        train=train, validation=validation, class_names=plan.class_names, steps_per_epoch=steps_per_epoch,
        validation_steps=validation_steps, counts=counts,
        skipped_files=[f"{b.path}: {b.problem}" for b in plan.skipped], fingerprint=fingerprint,
        batch_size=batch_size, validation_batch_size=vbatch if plan.validation else None,
        train_files=[p for p, _ in plan.train], validation_files=[p for p, _ in (plan.validation or [])],
        train_labels=[lab for _, lab in plan.train], cache=cache_mode, notes=notes)


def fixed_batch(resolved, inputs: ImageInputs, n: int):
    """``n`` training images (evenly spaced over the training files, which are listed class by class,
    so every class is in it) with their labels, decoded, resized and rescaled as ``inputs.train``
    does it but without augmentation; read file by file, apart from the training pipeline, so its
    order and its caches are untouched. None with ``class_mode: none`` (no labels)."""
    data = resolved.data
    if data.class_mode not in ("binary", "categorical", "sparse") or not inputs.train_files:
        return None
    tf = _tf()
    files, labels = inputs.train_files, inputs.train_labels
    picks = sorted({int(i * len(files) / n) for i in range(min(n, len(files)))})
    load = make_loader(tf, data.target_size, data.color_mode, data.interpolation)
    x = tf.stack([load(tf.constant(str(files[i]))) for i in picks])
    scale = 1.0 if data.rescale is None else float(data.rescale)
    x = to_float(tf, x, scale) if scale > 0 else tf.cast(x, tf.float32) * scale
    ids = np.asarray([labels[i] for i in picks], dtype=np.int32)
    if data.class_mode == "binary":
        y = ids.astype(np.float32)
    elif data.class_mode == "categorical":
        y = np.eye(len(inputs.class_names), dtype=np.float32)[ids]
    else:
        y = ids
    return x.numpy(), y


# ------------------------------------------------------------------------------------ single images


def load_image(path, resolved) -> np.ndarray:
    """One image as the model sees it: decoded, colour mode, resized, rescaled; float32 (h, w, c)."""
    tf = _tf()
    data = resolved.data
    path = Path(path)
    info = imf.check_image(path)
    if info.problem:
        raise KspecError(f"{path}: {info.problem}")
    load = make_loader(tf, data.target_size, data.color_mode, data.interpolation)
    x = load(tf.constant(str(path))).numpy().astype(np.float32)
    if data.rescale is not None:
        x *= np.float32(data.rescale)
    return x


def explain_decode_error(error: BaseException, inputs: ImageInputs) -> KspecError | None:
    """For an error raised while training on ``inputs``: a :class:`KspecError` naming the files
    TensorFlow cannot decode (found by decoding every file once), or None if it is not that."""
    tf = _tf()
    if not isinstance(error, tf.errors.InvalidArgumentError):
        return None
    files = [str(p) for p in inputs.train_files + inputs.validation_files]
    if not files:
        return None
    ds = tf.data.Dataset.from_tensor_slices((tf.range(len(files)), tf.constant(files)))
    ds = ds.map(plain(tf, lambda i, p: (i, tf.shape(tf.io.decode_image(tf.io.read_file(p), expand_animations=False))[0])),
                num_parallel_calls=cores()).ignore_errors()
    ok = {int(i) for i, _ in ds.as_numpy_iterator()}
    bad = [imf.ImageInfo(Path(f), problem="TensorFlow cannot decode it") for i, f in enumerate(files) if i not in ok]
    if not bad:
        return None
    return KspecError(bad_files_message(bad),
                      hint="remove or replace these files, or set `on_bad_file: skip` in the data section")
