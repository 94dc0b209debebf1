"""``kspec eject`` for ``data.type: image_folder``: the image pipeline of :mod:`kspec.emit.images`
written out as plain TensorFlow (``tf.data``), with the same files, split, order, decoding,
resize, cache, augmentation, rescale and labels, so the script trains as ``kspec run`` does.

The script lists the class folders itself (sorted class names, files found recursively and
sorted by path, hidden names skipped), holds out ``validation`` of every class with the same
seeded choice (``random.Random(f"{seed}:{class}")``), and builds the datasets exactly as kspec
does: shuffled paths -> decode + channels + resize (uint8) -> [cache] -> batch -> float32,
augmentation (training only), rescale, labels. What it leaves out: kspec's check of every file
before training (a file that cannot be decoded stops the script with TensorFlow's error, or is
dropped while reading under ``on_bad_file: skip``) and the speed-ups that skip work known not to
be needed (they do not change a value).
"""

from __future__ import annotations

from pathlib import Path

from .. import imagefolder as imf
from .eject_sequences import path_code

LOADER = '''

def list_images(root, classes=None):
    """(class names, [(file, label), ...]): one label per class folder (sorted names unless given),
    image files found recursively in each, sorted by path; hidden names are skipped."""
    root = Path(root)
    if classes is None:
        classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    items = []
    for label, name in enumerate(classes):
        found = []
        for folder, dirs, files in os.walk(root / name, followlinks=FOLLOW_LINKS):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for f in files:
                path = Path(folder, f)
                if f.startswith(".") or path.suffix.lower() not in FORMATS:
                    continue
                if FOLLOW_LINKS or not path.is_symlink():
                    found.append(path)
        items += [(path, label) for path in sorted(found)]
    return classes, items


def split(items, classes, fraction, seed):
    """Hold out round(fraction * n) files of every class (a seeded choice): (train, validation)."""
    train, validation = [], []
    for label, name in enumerate(classes):
        files = [p for p, lab in items if lab == label]
        shuffled = list(files)
        random.Random(f"{seed}:{name}").shuffle(shuffled)
        chosen = set(shuffled[:int(round(fraction * len(files)))])
        validation += [(p, label) for p in files if p in chosen]
        train += [(p, label) for p in files if p not in chosen]
    return train, validation


def load_image(path):
    """path -> uint8 image of TARGET_SIZE with CHANNELS channels (as Pillow converts colour modes)."""
    raw = tf.io.read_file(path)
'''

DECODE = {
    3: '''    img = tf.io.decode_image(raw, channels=3, dtype=tf.uint8, expand_animations=False)
''',
    1: '''    rgb = tf.io.decode_image(raw, channels=3, dtype=tf.uint8, expand_animations=False)
    gray = tf.tensordot(tf.cast(rgb, tf.float32), tf.constant([0.299, 0.587, 0.114]), axes=1)[..., None]
    img = tf.saturate_cast(tf.round(gray), tf.uint8)  # ITU-R 601 luma, as Pillow's convert("L")
''',
    4: '''    img = tf.io.decode_image(raw, channels=0, dtype=tf.uint8, expand_animations=False)
    n = tf.shape(img)[-1]
    opaque = lambda x: tf.concat([x, tf.fill(tf.concat([tf.shape(x)[:2], [1]], 0), tf.constant(255, tf.uint8))], -1)
    tile = lambda x: tf.tile(x[..., :1], [1, 1, 3])
    img = tf.switch_case(tf.clip_by_value(n - 1, 0, 3), [  # gray, gray + alpha, RGB, RGBA -> RGBA
        lambda: opaque(tile(img)), lambda: tf.concat([tile(img), img[..., 1:2]], -1), lambda: opaque(img), lambda: img])
''',
}

RESIZE = '''    h, w = TARGET_SIZE

    def resize(x):
        r = tf.image.resize(x, (h, w), method=INTERPOLATION)
        return r if r.dtype == tf.uint8 else tf.saturate_cast(tf.round(r), tf.uint8)

    same = tf.logical_and(tf.equal(tf.shape(img)[0], h), tf.equal(tf.shape(img)[1], w))
    img = tf.cond(same, lambda: img, lambda: resize(img))
    img.set_shape((h, w, CHANNELS))
    return img
'''

AUGMENT = '''

def augment(x, seed):
    """Random transforms of a float batch as ImageDataGenerator draws them (rotation @ shift @ shear
    @ zoom about the centre, flips, brightness), from a stateless seed: every epoch differs."""
    b = tf.shape(x)[0]
    h, w = TARGET_SIZE

    def uniform(k, lo, hi):
        return tf.random.stateless_uniform([b], seed=seed + [0, k], minval=lo, maxval=hi)
'''

GEOMETRY = '''
    theta = ({theta}) * (math.pi / 180.0)
    shear = ({shear}) * (math.pi / 180.0)
    tx, ty = {tx}, {ty}
    zx, zy = {zx}, {zy}
    c, s, ssh, csh = tf.cos(theta), tf.sin(theta), tf.sin(shear), tf.cos(shear)
    a00, a01 = c * zx, (c * -ssh + -s * csh) * zy
    a10, a11 = s * zx, (s * -ssh + c * csh) * zy
    b0, b1 = c * tx - s * ty, s * tx + c * ty
    ox, oy = (w - 1) / 2.0, (h - 1) / 2.0
    t0, t1 = -(a00 * ox + a01 * oy) + b0 + ox, -(a10 * ox + a11 * oy) + b1 + oy
    zeros = tf.zeros_like(a00)
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=x, transforms=tf.stack([a00, a01, t0, a10, a11, t1, zeros, zeros], axis=1),
        output_shape=tf.constant([h, w], tf.int32), fill_value=tf.constant(0.0),
        interpolation="BILINEAR", fill_mode={fill!r})
'''

PIPELINE = '''

def dataset(items, *, shuffle, order_seed, cache, batch=BATCH_SIZE):
    """Decoded uint8 images and integer labels, shuffled every pass when asked."""
    paths = [str(p) for p, _ in items]
    labels = np.asarray([lab for _, lab in items], dtype=np.int32)
    if order_seed is not None:  # a fixed seeded order, so a cache (or a partial pass) is not sorted by class
        order = np.random.default_rng(order_seed).permutation(len(paths))
        paths, labels = [paths[i] for i in order], labels[order]
    ds = tf.data.Dataset.from_tensor_slices((tf.constant(paths, tf.string), tf.constant(labels, tf.int32)))
    if shuffle and cache is None:
        ds = ds.shuffle(len(paths), seed=DATA_SEED, reshuffle_each_iteration=True)
    ds = ds.map(lambda p, y: (load_image(p), y), num_parallel_calls=CORES, deterministic=True)
    if ON_BAD_FILE == "skip":
        ds = ds.ignore_errors()
    if cache is not None:
        ds = ds.cache(cache)  # "" in memory, else a file prefix
        if shuffle:
            ds = ds.shuffle(min(len(paths), max(2 * batch, 256)), seed=DATA_SEED, reshuffle_each_iteration=True)
    return ds


def finish(training):
    def fn(x, y, seed=None):
{finish}
    return fn


options = tf.data.Options()
options.autotune.enabled = False  # fixed parallelism: no stall when an iterator is discarded
options.deterministic = True

classes, items = list_images(DIRECTORY, CLASS_NAMES)
{split}
{limit}
n_images = len(train_items) + len(validation_items or [])
cache = None
if CACHE == "memory":
    need = n_images * TARGET_SIZE[0] * TARGET_SIZE[1] * CHANNELS
    cache = "" if need <= CACHE_BUDGET_MB * 2**20 else None
elif CACHE:
    cache = str(OUT / CACHE)

{shard}train = dataset(train_items, {train_args})
{batching}
train = train.prefetch(1)
{train_map}
train = train.with_options(options)

validation = None
VALIDATION_STEPS = None
if validation_items:
    pass_steps = max(1, math.ceil(len(validation_items) / VALIDATION_BATCH_SIZE))
    VALIDATION_STEPS = {validation_steps}
    vcache = cache if VALIDATION_STEPS >= pass_steps else None  # a partial pass never completes a cache
    if vcache:
        vcache = str(OUT / (CACHE + "-validation"))
    validation = dataset(validation_items, shuffle=False, order_seed=DATA_SEED + 1, cache=vcache)
    validation = validation.batch(VALIDATION_BATCH_SIZE)
    if VALIDATION_STEPS > pass_steps:
        validation = validation.repeat()
    if VALIDATION_STEPS != pass_steps:
        validation = validation.take(VALIDATION_STEPS)
    validation = validation.prefetch(1).map(finish(False), num_parallel_calls=1, deterministic=True)
    validation = validation.with_options(options)
print(f"{{len(train_items)}} training images, {{len(validation_items or [])}} validation images, classes {{classes}}")
'''


def _rescale_code(rescale: float | None) -> tuple[str, str]:
    """(the SCALE constant, the comment)"""
    if rescale is None:
        return "1.0", "no rescale"
    inv = 1.0 / rescale
    n = round(inv)
    if n > 1 and abs(inv - n) <= 1e-9 * n:
        return f"1 / {n}", f"rescale 1/{n}"
    return repr(float(rescale)), "rescale"


def _augment_code(aug) -> list[str]:
    lines = AUGMENT.rstrip("\n").splitlines()
    rot, ws, hs, sh = aug.rotation_range, aug.width_shift_range, aug.height_shift_range, aug.shear_range
    zr = aug.zoom_range
    z0, z1 = (1 - zr, 1 + zr) if isinstance(zr, (int, float)) else (float(zr[0]), float(zr[1]))
    zoom = (z0, z1) != (1, 1)
    if rot or ws or hs or sh or zoom:
        geometry = GEOMETRY.format(
            theta=f"uniform(1, {-rot!r}, {rot!r})" if rot else "tf.zeros([b])",
            shear=f"uniform(4, {-sh!r}, {sh!r})" if sh else "tf.zeros([b])",
            tx=f"uniform(2, {-ws!r}, {ws!r}) * w" if ws else "tf.zeros([b])",
            ty=f"uniform(3, {-hs!r}, {hs!r}) * h" if hs else "tf.zeros([b])",
            zx=f"uniform(5, {z0!r}, {z1!r})" if zoom else "tf.ones([b])",
            zy=f"uniform(6, {z0!r}, {z1!r})" if zoom else "tf.ones([b])",
            fill=aug.fill_mode.upper())
        lines += geometry.rstrip("\n").splitlines()
    if aug.horizontal_flip:
        lines += ["    x = tf.where((uniform(7, 0.0, 1.0) < 0.5)[:, None, None, None], tf.reverse(x, [2]), x)"]
    if aug.vertical_flip:
        lines += ["    x = tf.where((uniform(8, 0.0, 1.0) < 0.5)[:, None, None, None], tf.reverse(x, [1]), x)"]
    if aug.brightness_range:
        lo, hi = (float(v) for v in aug.brightness_range)
        lines += [f"    k = uniform(9, {lo!r}, {hi!r})",
                  "    x = tf.clip_by_value(x * k[:, None, None, None], 0.0, 255.0 * SCALE if SCALE > 0 else 255.0)"]
    lines += ["    return x"]
    return lines


def _labels_code(class_mode: str) -> str:
    return {"binary": "tf.cast(y, tf.float32)", "categorical": "tf.one_hot(y, len(classes), dtype=tf.float32)",
            "sparse": "y"}.get(class_mode, "")


SHARD = '''n_train, TRAIN_BATCH, tcache = len(train_items), BATCH_SIZE, cache
jobs = resolver.cluster_spec().as_dict()
N_WORKERS = len(jobs.get("chief", [])) + len(jobs.get("worker", []))
if N_WORKERS > 1:  # by file, as kspec shards an image folder: this worker reads its share, batched per replica
    SHARD_INDEX = resolver.task_id + (1 if resolver.task_type == "worker" and "chief" in jobs else 0)
    train_items = train_items[SHARD_INDEX::N_WORKERS]
    TRAIN_BATCH = BATCH_SIZE // strategy.num_replicas_in_sync
    if CACHE == "memory":  # the budget counts this worker's images
        tcache = "" if len(train_items) * TARGET_SIZE[0] * TARGET_SIZE[1] * CHANNELS <= CACHE_BUDGET_MB * 2**20 else None
    elif CACHE:
        tcache = str(OUT / f"{CACHE}-worker{SHARD_INDEX}")
'''
"""Multi-worker training of an image folder: the training files dealt out to the workers
(``emit.strategy.shard_image_folder``), each worker's pipeline batched per replica; an epoch
still counts global batches of the whole training set."""


def image_data_code(r, script: Path, *, by_file: bool = False) -> list[str]:
    """The script's data part for an image folder: constants, the listing, the datasets
    ``train`` (repeating: fit with STEPS_PER_EPOCH) and ``validation`` (VALIDATION_STEPS batches).
    ``by_file``: under MultiWorkerMirroredStrategy, each worker's ``train`` reads its own files."""
    d = r.data
    t = r.train
    batch = d.batch_size or t.batch_size
    data_seed = int(d.seed if d.seed is not None else r.seed)
    scale, scale_note = _rescale_code(d.rescale)
    exts = {"." + f.lower().lstrip(".") for f in d.formats}
    if exts & {".jpg", ".jpeg"}:
        exts |= {".jpg", ".jpeg"}
    cache = None
    if d.cache is True:
        cache = "memory"
    elif isinstance(d.cache, str) and d.cache:
        cache = "cache-" + Path(d.cache).name
    lines = [
        f"DIRECTORY = {path_code(r, d.directory, script)}",
        f"VALIDATION_DIRECTORY = {path_code(r, d.validation_directory, script) if d.validation_directory else None}",
        f"CLASS_NAMES = {list(d.class_names) if d.class_names else None!r}  # None: every subfolder, sorted",
        f"FORMATS = {tuple(sorted(exts))!r}",
        f"FOLLOW_LINKS = {d.follow_links!r}",
        f"TARGET_SIZE = {tuple(d.target_size)!r}  # (height, width)",
        f"CHANNELS = {imf.CHANNELS[d.color_mode]}  # {d.color_mode}",
        f"INTERPOLATION = {d.interpolation!r}",
        f"SCALE = {scale}  # {scale_note}",
        f"DATA_SEED = {data_seed}",
        f"SHUFFLE = {d.shuffle!r}",
        f"VALIDATION_BATCH_SIZE = {d.validation_batch_size or batch}",
        f"CACHE = {cache!r}  # decoded uint8 images: 'memory', a file prefix in OUT, or None",
        f"CACHE_BUDGET_MB = {d.cache_budget_mb}",
        f"ON_BAD_FILE = {d.on_bad_file!r}",
        "CORES = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count() or 1",
    ]
    lines += LOADER.rstrip("\n").splitlines()
    lines += DECODE[imf.CHANNELS[d.color_mode]].rstrip("\n").splitlines()
    lines += RESIZE.rstrip("\n").splitlines()
    augment = d.augmentation is not None
    if augment:
        lines += _augment_code(d.augmentation)
    label = _labels_code(d.class_mode)
    finish = ["        if SCALE > 0:",
              "            x = tf.cast(x, tf.float32) * SCALE",
              "            if training and seed is not None:",
              "                x = augment(x, seed)",
              "        else:  # a negative rescale: augment first, in 0..255",
              "            x = tf.cast(x, tf.float32)",
              "            if training and seed is not None:",
              "                x = augment(x, seed)",
              "            x = x * SCALE"] if augment else ["        x = tf.cast(x, tf.float32) * SCALE"]
    finish.append(f"        return x, {label}" if label else "        return x")
    if d.validation_directory:  # labelled by the training classes; a class missing there has no files
        split = "train_items = items\n_, validation_items = list_images(VALIDATION_DIRECTORY, classes)"
    elif isinstance(d.validation, float):
        split = f"train_items, validation_items = split(items, classes, {d.validation!r}, DATA_SEED)"
    else:
        split = "train_items, validation_items = items, None"
    if d.limit:
        limit = (f"if len(train_items) > {d.limit}:  # a seeded subset of {d.limit}, in listing order\n"
                 f"    keep = set(random.Random(f'{{DATA_SEED}}:limit').sample(range(len(train_items)), {d.limit}))\n"
                 "    train_items = [it for i, it in enumerate(train_items) if i in keep]")
    else:
        limit = ""
    shard, train_args = "", "shuffle=SHUFFLE, order_seed=DATA_SEED if cache is not None else None, cache=cache"
    batch_name, n_train = "BATCH_SIZE", "len(train_items)"
    if by_file:
        shard, batch_name, n_train = SHARD, "TRAIN_BATCH", "n_train"
        train_args = ("shuffle=SHUFFLE, order_seed=DATA_SEED if tcache is not None else None, cache=tcache, "
                      "batch=TRAIN_BATCH")
    if t.steps_per_epoch:
        batching = (f"STEPS_PER_EPOCH = {t.steps_per_epoch}\n"
                    f"train = train.repeat().batch({batch_name}, drop_remainder=True)  # full batches across passes")
    else:
        batching = (f"STEPS_PER_EPOCH = max(1, math.ceil({n_train} / BATCH_SIZE))  # one pass per epoch\n"
                    f"train = train.batch({batch_name}).repeat()")
    if augment:
        train_map = ("seeds = tf.data.Dataset.random(seed=DATA_SEED).batch(2)  # one augmentation seed per batch\n"
                     "train = tf.data.Dataset.zip((train, seeds)).map(lambda b, s: finish(True)(b[0], b[1], s),\n"
                     "                                                num_parallel_calls=min(2, CORES), deterministic=True)")
    else:
        train_map = "train = train.map(finish(True), num_parallel_calls=1, deterministic=True)"
    vsteps = t.validation_steps or "pass_steps"
    body = PIPELINE.format(finish="\n".join(finish), split=split, limit=limit, batching=batching,
                           train_map=train_map, validation_steps=vsteps, shard=shard, train_args=train_args)
    lines += body.splitlines()
    return lines


__all__ = ["image_data_code"]
