"""Input pipeline benchmark: kspec's image-folder pipeline against Keras's legacy
``ImageDataGenerator(rescale=1/255).flow_from_directory`` (and ``image_dataset_from_directory``).

It builds a class-per-subfolder tree of PNG files (cached between runs), then runs every
measurement in its own subprocess (so peak memory is per variant):

* images per second of the first epoch (including kspec's listing and file checks) and of a
  later epoch, same batch size and target size for every variant;
* peak resident memory, and how it moves with the number of images when caching is off;
* the end-of-fit stall: seconds between the end of training (``on_train_end``) and ``fit()``
  returning, and the longest gap between two epochs, over several short ``fit`` runs, for kspec's
  pipeline (tf.data autotune off) and for the same pipeline with autotune on.

    python benchmarks/input_pipeline.py                    # 1,000 PNGs of 300x300, batch 128
    python benchmarks/input_pipeline.py --images 2000 --json results.json

Goals (issue 5): first epoch >= 2x the legacy generator on 2 cores, later epochs >= 20x with the
cache on, no epoch-boundary stall, memory flat in the number of images with the cache off.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
CLASSES = ("horses", "humans")


# ------------------------------------------------------------------------------------ the tree


def _draw(args):
    """One noisy RGB picture of overlapping shapes, saved as PNG (compression level 1: quick to write)."""
    path, size, seed = args
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(0, 255, 3)))
    d = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = (int(v) for v in rng.integers(0, size, 2))
        r = int(rng.integers(size // 30 + 1, size // 3))
        col = tuple(int(v) for v in rng.integers(0, 255, 3))
        (d.ellipse if rng.random() < 0.5 else d.rectangle)([x0 - r, y0 - r, x0 + r, y0 + r], fill=col)
    a = np.asarray(img, dtype=np.int16) + rng.integers(-8, 9, (size, size, 3), dtype=np.int16)
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(path, "PNG", compress_level=1)


def build_tree(root: Path, images: int, size: int) -> Path:
    """``root/{horses,humans}/*.png``, ``images`` files in all; reused when already complete."""
    marker = root / ".complete"
    if marker.exists() and marker.read_text() == f"{images} {size}":
        return root
    from multiprocessing import Pool

    jobs = []
    for i in range(images):
        c = CLASSES[i % 2]
        (root / c).mkdir(parents=True, exist_ok=True)
        jobs.append((root / c / f"{c}{i:05d}.png", size, i))
    t = time.perf_counter()
    with Pool(os.cpu_count() or 1) as pool:
        pool.map(_draw, jobs, chunksize=16)
    marker.write_text(f"{images} {size}")
    print(f"built {images} PNG files of {size}x{size} in {root} ({time.perf_counter() - t:.1f} s)", file=sys.stderr)
    return root


# ------------------------------------------------------------------------------------ workers


def _cpu_s() -> float:
    """CPU seconds this process has used, every thread together."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _spec(tree: Path, a, *, cache: bool, limit: int | None = None) -> str:
    lim = f"\n  limit: {limit}" if limit else ""
    return f"""
kspec: 1
data:
  type: image_folder
  directory: {tree}
  target_size: [{a.size}, {a.size}]
  color_mode: {a.color}
  class_mode: binary
  rescale: 1/255
  batch_size: {a.batch}
  cache: {str(cache).lower()}
  cache_budget_mb: 4096{lim}
model:
  input_shape: [{a.size}, {a.size}, {1 if a.color == "grayscale" else 3}]
  layers:
    - {{type: GlobalAveragePooling2D}}
    - {{type: Dense, units: 1, activation: sigmoid}}
compile: {{optimizer: rmsprop, loss: binary_crossentropy}}
train: {{epochs: {a.epochs}, batch_size: {a.batch}, seed: 0}}
"""


def _kspec_inputs(tree: Path, a, *, cache: bool, limit: int | None = None):
    sys.path.insert(0, str(ROOT))
    from kspec.emit.images import image_folder_inputs
    from kspec.pipeline import Pipeline

    p = Pipeline(text=_spec(tree, a, cache=cache, limit=limit), base_dir=tree.parent)
    p.require_valid()
    r = p.resolved
    return r, image_folder_inputs(r, batch_size=a.batch, seed=0)


def _warm_tf():
    """Import TensorFlow and start its runtime before the clock: `kspec run` has done both (to build
    the model) before data flows, and the legacy generator never needs them."""
    import tensorflow as tf

    for _ in tf.data.Dataset.range(2).map(lambda i: i + 1, num_parallel_calls=2):
        pass


def worker_kspec(tree: Path, a, cache: bool, limit: int | None = None, n_epochs: int | None = None,
                 facts_cache: bool = True) -> dict:
    if not facts_cache:
        os.environ["KSPEC_CACHE_DIR"] = "off"
    sys.path.insert(0, str(ROOT))
    from kspec.emit import tf_environment

    tf_environment()  # what `kspec run` sets before TensorFlow starts (its CPU allocator among them)
    _warm_tf()
    sys.path.insert(0, str(ROOT))
    import PIL.PngImagePlugin  # noqa: F401  (modules a run has loaded before data flows)
    import kspec.analyse.lint  # noqa: F401
    import kspec.datastats  # noqa: F401
    import kspec.fastload  # noqa: F401
    import kspec.resolve  # noqa: F401
    import kspec.validate  # noqa: F401
    from kspec.emit.images import image_folder_inputs
    from kspec.pipeline import Pipeline

    # `kspec run` validates the spec (building the schema's model classes, which happens on first use)
    # before TensorFlow starts; the data section is listed and checked later, in resolve, on the clock.
    Pipeline(text=_spec(tree, a, cache=cache, limit=limit), base_dir=tree.parent).require_valid()
    t0 = time.perf_counter()
    p = Pipeline(text=_spec(tree, a, cache=cache, limit=limit), base_dir=tree.parent)
    p.require_valid()
    r = p.resolved  # lists the tree and checks every file (headers, structure)
    check = time.perf_counter() - t0
    inputs = image_folder_inputs(r, batch_size=a.batch, seed=0)
    build = time.perf_counter() - t0
    it = iter(inputs.train)
    epochs = []
    cpu: list[float] = []
    n_img = 0
    for _ in range(n_epochs or a.epochs):
        t = time.perf_counter()
        c = _cpu_s()
        n_img = 0
        for _ in range(inputs.steps_per_epoch):
            x, _y = next(it)
            n_img += int(x.shape[0])
        epochs.append(time.perf_counter() - t)
        cpu.append(_cpu_s() - c)
    t = time.perf_counter()
    del it
    teardown = time.perf_counter() - t
    return {"images": n_img, "build_s": build, "check_s": check, "epoch_s": epochs, "cpu_s": cpu, "teardown_s": teardown,
            "peak_mb": _peak_mb(), "cache": inputs.cache}


def worker_legacy(tree: Path, a) -> dict:
    import tensorflow as tf

    gen_cls = tf.keras.preprocessing.image.ImageDataGenerator
    t0 = time.perf_counter()
    gen = gen_cls(rescale=1 / 255).flow_from_directory(str(tree), target_size=(a.size, a.size), batch_size=a.batch,
                                                       class_mode="binary", seed=0, color_mode=a.color)
    build = time.perf_counter() - t0
    epochs = []
    cpu: list[float] = []
    n_img = 0
    for e in range(a.epochs):
        t = time.perf_counter()
        c = _cpu_s()
        n_img = 0
        for i in range(len(gen)):
            x, _y = gen[i]
            n_img += len(x)
        gen.on_epoch_end()
        epochs.append(time.perf_counter() - t)
        cpu.append(_cpu_s() - c)
    return {"images": n_img, "build_s": build, "epoch_s": epochs, "cpu_s": cpu, "peak_mb": _peak_mb(),
            "class": f"{gen_cls.__module__}.{gen_cls.__name__}"}


def worker_idfd(tree: Path, a) -> dict:
    _warm_tf()
    import keras
    import tensorflow as tf

    t0 = time.perf_counter()
    ds = keras.utils.image_dataset_from_directory(str(tree), image_size=(a.size, a.size), batch_size=a.batch,
                                                  label_mode="binary", seed=0, verbose=False, color_mode=a.color)
    rescale = keras.layers.Rescaling(1 / 255)
    ds = ds.map(lambda x, y: (rescale(x), y)).prefetch(tf.data.AUTOTUNE)
    build = time.perf_counter() - t0
    epochs = []
    cpu: list[float] = []
    n_img = 0
    for _ in range(a.epochs):
        t = time.perf_counter()
        c = _cpu_s()
        n_img = 0
        for x, _y in ds:
            n_img += int(x.shape[0])
        epochs.append(time.perf_counter() - t)
        cpu.append(_cpu_s() - c)
    return {"images": n_img, "build_s": build, "epoch_s": epochs, "cpu_s": cpu, "peak_mb": _peak_mb()}


def worker_stall(tree: Path, a, autotune: bool) -> dict:
    """Short fits of a tiny model on kspec's pipeline (cached, so the input is not the bottleneck):
    end-of-fit stall and the longest gap between epochs, per run."""
    sys.path.insert(0, str(ROOT))
    from kspec.emit import tf_environment

    tf_environment()
    import keras
    import tensorflow as tf

    from kspec.emit import images

    if autotune:
        def opts(tf_):
            o = tf_.data.Options()
            o.autotune.enabled = True
            o.deterministic = True
            return o

        images._options = opts
    stalls, gaps, fit_s = [], [], []
    for run in range(a.stall_runs):
        r, inputs = _kspec_inputs(tree, a, cache=True, limit=a.stall_images)
        val = inputs.train.take(2)  # a small finite validation set: a new iterator every epoch, as in fit
        keras.utils.set_random_seed(run)
        model = keras.Sequential([keras.Input((a.size, a.size, 3)), keras.layers.GlobalAveragePooling2D(),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile("rmsprop", "binary_crossentropy")
        marks: dict[str, list[float]] = {"epoch_begin": [], "epoch_end": [], "train_end": []}

        class Clock(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                marks["epoch_begin"].append(time.perf_counter())

            def on_epoch_end(self, epoch, logs=None):
                marks["epoch_end"].append(time.perf_counter())

            def on_train_end(self, logs=None):
                marks["train_end"].append(time.perf_counter())

        t = time.perf_counter()
        model.fit(inputs.train, steps_per_epoch=inputs.steps_per_epoch, epochs=a.stall_epochs,
                  validation_data=val, callbacks=[Clock()], verbose=0)
        done = time.perf_counter()
        fit_s.append(done - t)
        stalls.append(done - marks["train_end"][0])
        between = [b - e for e, b in zip(marks["epoch_end"], marks["epoch_begin"][1:])]
        gaps.append(max(between) if between else 0.0)
        del model, inputs
    return {"stall_s": stalls, "max_epoch_gap_s": gaps, "fit_s": fit_s, "peak_mb": _peak_mb(),
            "autotune": autotune}


def _mem_sizes(a) -> tuple[int, int]:
    """(about a quarter, all) of the images, each a multiple of the batch size."""
    full = max(2, a.images // a.batch)
    return max(1, round(full / 4)) * a.batch, full * a.batch


WORKERS = {
    "legacy": lambda t, a: worker_legacy(t, a),
    "idfd": lambda t, a: worker_idfd(t, a),
    "kspec": lambda t, a: worker_kspec(t, a, cache=False),
    # the same, the first time kspec sees the tree: nothing in its cache of file checks
    "kspec_cold": lambda t, a: worker_kspec(t, a, cache=False, facts_cache=False),
    "kspec_cache": lambda t, a: worker_kspec(t, a, cache=True),
    # Memory against the number of images, cache off: about a quarter of the images (kspec_quarter)
    # and all of them (kspec_mem) for the same number of batches, all full (a partial last batch
    # leaves the allocator holding a block of another size, which moves peak memory by ~100-250 MB
    # whatever the number of images).
    "kspec_quarter": lambda t, a: worker_kspec(t, a, cache=False, limit=_mem_sizes(a)[0], n_epochs=_mem_sizes(a)[1] // a.batch),
    "kspec_mem": lambda t, a: worker_kspec(t, a, cache=False, limit=_mem_sizes(a)[1], n_epochs=_mem_sizes(a)[0] // a.batch),
    "stall_kspec": lambda t, a: worker_stall(t, a, autotune=False),
    "stall_autotune": lambda t, a: worker_stall(t, a, autotune=True),
}


# ------------------------------------------------------------------------------------ driver


def _env(a) -> dict:
    import hashlib

    key = hashlib.sha256(str(Path(a.tree).resolve()).encode()).hexdigest()[:12]
    return {**os.environ, "KSPEC_CACHE_DIR": str(Path(tempfile.gettempdir()) / f"kspec-bench-cache-{key}"),
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def worker_prefill(tree: Path, a) -> dict:
    """Resolve the benchmark's spec once (file checks, pixel statistics), as `kspec lint` would."""
    sys.path.insert(0, str(ROOT))
    from kspec.pipeline import Pipeline

    t = time.perf_counter()
    Pipeline(text=_spec(tree, a, cache=False), base_dir=tree.parent).resolved
    return {"resolve_s": time.perf_counter() - t}


def prefill_facts_cache(a) -> None:
    """Check the tree's files once, as `kspec lint` or an earlier run would have done."""
    subprocess.run([sys.executable, "-m", "kspec.cli", "data", "inspect", a.tree], env=_env(a), cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_worker("_prefill", a)


def run_worker(name: str, a) -> dict:
    cmd = [sys.executable, __file__, "--worker", name] + [f"--{k.replace('_', '-')}={v}" for k, v in _shared(a).items()]
    t = time.perf_counter()
    # kspec's cache of file checks (kspec.cache) in a folder of this benchmark: warm after the
    # first kspec round, as after a `kspec lint` of the tree; kspec_cold runs without it
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(a))
    if proc.returncode != 0:
        raise SystemExit(f"worker {name} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - t
    return out


def _shared(a) -> dict:
    return {"images": a.images, "size": a.size, "batch": a.batch, "epochs": a.epochs, "tree": a.tree, "color": a.color,
            "stall_runs": a.stall_runs, "stall_epochs": a.stall_epochs, "stall_images": a.stall_images}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--size", type=int, default=300, help="image and target size (square)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--tree", default="", help="where to build the image tree (default: a temp folder, reused)")
    ap.add_argument("--real", default="", help="an existing class-per-subfolder tree to read instead of building one, "
                    "e.g. ../shared/data/horse-or-human-100px-gray/train (give --size and --color to match it)")
    ap.add_argument("--color", default="rgb", choices=["rgb", "grayscale"], help="color_mode of every variant")
    ap.add_argument("--stall-runs", type=int, default=5)
    ap.add_argument("--stall-epochs", type=int, default=4)
    ap.add_argument("--stall-images", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=3, help="rounds of every measurement; medians are reported")
    ap.add_argument("--only", default="", help="comma-separated workers to run (default: all)")
    ap.add_argument("--json", default="", help="write the raw results here")
    ap.add_argument("--worker", default="", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.real and not a.worker:
        a.tree = str(Path(a.real).resolve())
        a.images = sum(1 for f in Path(a.tree).rglob("*") if f.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not a.tree:
        a.tree = str(Path(tempfile.gettempdir()) / f"kspec-bench-{a.images}x{a.size}")
    tree = Path(a.tree)
    if a.worker:
        print(json.dumps(worker_prefill(tree, a) if a.worker == "_prefill" else WORKERS[a.worker](tree, a)))
        return 0
    if not a.real:
        build_tree(tree, a.images, a.size)
    names = [n for n in WORKERS if not a.only or n in a.only.split(",")]
    runs: dict[str, list] = {n: [] for n in names}
    prefill_facts_cache(a)
    load = [round(os.getloadavg()[0], 2)]
    for rep in range(a.repeat):
        for n in names:  # interleaved, so a busy moment on the machine hits every variant alike
            if n.startswith("stall") and rep:
                continue
            print(f"round {rep + 1}/{a.repeat}: {n} ...", file=sys.stderr, flush=True)
            runs[n].append(run_worker(n, a))
    runs["_load"] = load + [round(os.getloadavg()[0], 2)]
    report(runs, a)
    if a.json:
        Path(a.json).write_text(json.dumps({"args": _shared(a), "cores": os.cpu_count(), "runs": runs}, indent=2))
    return 0


def _med(xs) -> float:
    return statistics.median(xs)


def first_ips(r: dict) -> float:
    """Images per second of epoch 1, setup included (listing, file checks, building the pipeline)."""
    return r["images"] / (r["epoch_s"][0] + r["build_s"])


def later_ips(r: dict) -> float:
    """Images per second of the later epochs (median over epochs 2..)."""
    return _med([r["images"] / t for t in r["epoch_s"][1:]])


def report(runs: dict, a) -> None:
    print(f"\n{a.images} {'files of ' + a.tree if a.real else f'PNG files of {a.size}x{a.size}'}, target {a.size}x{a.size} "
          f"{a.color}, batch {a.batch}, "
          f"{os.cpu_count()} cores; medians of {a.repeat} rounds\n")
    print(f"{'pipeline':<34}{'epoch 1 img/s':>15}{'(streaming)':>12}{'later img/s':>13}{'setup s':>9}"
          f"{'check s':>9}{'peak MB':>9}{'CPU ms/img e1':>15}{'later':>7}")
    rows = [("legacy", "ImageDataGenerator.flow_from_dir"), ("idfd", "image_dataset_from_directory"),
            ("kspec", "kspec, cache off"), ("kspec_cold", "kspec, cache off, tree never seen"),
            ("kspec_cache", "kspec, cache on (memory)"),
            ("kspec_quarter", "kspec, cache off, ~1/4 of images"), ("kspec_mem", "kspec, cache off, same batches")]
    med = {}
    for key, label in rows:
        rs = runs.get(key)
        if not rs:
            continue
        m = med[key] = {"first": _med([first_ips(r) for r in rs]), "later": _med([later_ips(r) for r in rs]),
                        "build": _med([r["build_s"] for r in rs]), "peak": _med([r["peak_mb"] for r in rs]),
                        "check": _med([r.get("check_s", float("nan")) for r in rs]), "images": rs[0]["images"],
                        "stream": _med([r["images"] / r["epoch_s"][0] for r in rs]),
                        "cpu1": _med([1000 * r["cpu_s"][0] / r["images"] for r in rs]),
                        "cpul": _med([1000 * c / r["images"] for r in rs for c in r["cpu_s"][1:]]),
                        "all_first": [round(first_ips(r)) for r in rs]}
        print(f"{label:<34}{m['first']:>15,.0f}{m['stream']:>12,.0f}{m['later']:>13,.0f}{m['build']:>9.2f}{m['check']:>9.2f}"
              f"{m['peak']:>9,.0f}{m['cpu1']:>15.2f}{m['cpul']:>7.2f}   epoch 1 per round: {m['all_first']}")
    if "legacy" in med:
        print("\nratios to the legacy generator (epoch 1 includes setup):")
        for key, label in rows[1:5]:
            if key in med:
                print(f"  {label:<32} epoch 1 {med[key]['first'] / med['legacy']['first']:5.2f}x "
                      f"(streaming {med[key]['stream'] / med['legacy']['stream']:4.2f}x)   "
                      f"later epochs {med[key]['later'] / med['legacy']['later']:8.1f}x")
    if "legacy" in med and "kspec" in med:
        n = os.cpu_count() or 1
        print(f"\nCPU time per image, epoch 1 (load-independent): legacy {med['legacy']['cpu1']:.2f} ms on one thread, "
              f"kspec {med['kspec']['cpu1']:.2f} ms spread over {n} cores: on an idle machine that is about "
              f"{med['legacy']['cpu1'] * n / med['kspec']['cpu1']:.2f}x the legacy generator's epoch 1")
    print(f"\nload average (1 min) before / after: {runs.get('_load', ['?', '?'])[0]} / {runs.get('_load', ['?', '?'])[-1]} "
          f"on {os.cpu_count()} cores (above the core count, other processes took CPU time and wall-clock "
          "numbers understate every pipeline, most of all those with few threads)")
    if "kspec_mem" in runs and "kspec_quarter" in runs:
        qs, fs = [r["peak_mb"] for r in runs["kspec_quarter"]], [r["peak_mb"] for r in runs["kspec_mem"]]
        nq, nf = runs["kspec_quarter"][0]["images"], runs["kspec_mem"][0]["images"]
        print(f"\npeak memory, cache off, the same number of full batches: {nq} images {min(qs):,.0f}-{max(qs):,.0f} MB, "
              f"{nf} images {min(fs):,.0f}-{max(fs):,.0f} MB over {len(qs)} rounds "
              f"(medians {_med(fs) - _med(qs):+,.0f} MB for {nf / nq:.1f}x the images)")
    for key, label in (("stall_kspec", "kspec (autotune off)"), ("stall_autotune", "same pipeline, autotune on")):
        for r in runs.get(key, []):
            print(f"\nend-of-fit stall, {label}: median {_med(r['stall_s']):.3f} s, max {max(r['stall_s']):.3f} s "
                  f"over {len(r['stall_s'])} fits; longest gap between epochs: median "
                  f"{_med(r['max_epoch_gap_s']):.3f} s, max {max(r['max_epoch_gap_s']):.3f} s")
            print("  stall per fit (s): " + ", ".join(f"{x:.3f}" for x in r["stall_s"]))


if __name__ == "__main__":
    sys.exit(main())
