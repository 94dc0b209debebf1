"""How fast is ``kspec lint``? Run from the repository root:

    python benchmarks/lint_speed.py [--corpus 1000] [--runs 7] [--tf-runs 3]

Measures, in one run on this machine:

- ``kspec lint specs/``: wall time of the command (cold: a new process each run);
- ``kspec lint CORPUS/`` on a generated corpus of N specs (varied data sources, layer stacks,
  losses and callbacks; some with mistakes): specs per second, including start-up;
- a cold ``kspec lint specs/hello.yaml``: median of several new processes;
- ``python -c "import tensorflow"``: median of a few, and the ratio of the two;
- ``kspec lint`` of a spec reading a 60,000-sample npz file (MNIST-sized, compressed like
  Keras's ``mnist.npz``): cold (empty statistics cache) and warm (second lint of the same file).
  ``--npz-only`` runs just this part;
- ``kspec lint`` of N generated image-folder specs that all read one tree (the shared Horses or
  Humans copy, 1,283 PNG files, or a generated tree of that size): the first time (the tree's
  files are checked, once) and again (their facts in kspec's cache), per spec against the other
  corpus.

The machine may be shared: the load average is printed at the start and the end, and every row
has the CPU time (user + system) of the processes beside the wall time; CPU time depends much less
on other load.

Every figure is the median over ``--runs`` (``--tf-runs`` for TensorFlow) fresh processes, so
the numbers include interpreter start-up, imports and parsing: what a CI job or a pre-commit hook
pays. kspec's modules are compiled to bytecode first, as an installed package has them. Nothing
here needs a GPU; the corpus is written to a temporary folder and removed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KSPEC = [sys.executable, "-m", "kspec.cli"]


CPU: dict[str, list[float]] = {}
"""CPU seconds (user + system) of each measured process, by command: less sensitive than wall
time to other load on the machine."""


def timed(cmd: list[str], *, runs: int, env: dict | None = None, ok=(0, 1)) -> list[float]:
    import resource

    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode not in ok:
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr.decode()[-2000:]}")
    CPU[" ".join(cmd)] = cpu
    return times


# ------------------------------------------------------------------------------------ corpus

DATA = [
    "{type: keras, name: fashion_mnist, rescale: 1/255, validation: test}",
    "{type: keras, name: mnist, rescale: 1/255, reshape: [28, 28, 1], validation: 0.1}",
    "{type: keras, name: cifar10, rescale: 1/255}",
    "{type: synthetic, image_size: 28, samples: 3000, rescale: 1/255, validation: 0.2}",
    "{type: synthetic, image_size: 64, samples: 1000}",
    "{type: arrays, x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0], y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]}",
]


def _stack(rng: random.Random, image: bool) -> list[str]:
    layers = []
    if image:
        for _ in range(rng.randint(1, 3)):
            layers.append(f"{{type: Conv2D, filters: {rng.choice([16, 32, 64])}, kernel_size: {rng.choice([3, 5])}, "
                          f"activation: {rng.choice(['relu', 'relu', 'tanh'])}, padding: same}}")
            layers.append(f"{{type: MaxPooling2D, pool_size: {rng.choice([2, 2, 3])}}}")
            if rng.random() < 0.3:
                layers.append("{type: BatchNormalization}")
    layers.append("{type: Flatten}")
    for _ in range(rng.randint(0, 2)):
        layers.append(f"{{type: Dense, units: {rng.choice([32, 64, 128, 256])}, activation: relu}}")
        if rng.random() < 0.4:
            layers.append(f"{{type: Dropout, rate: {rng.choice([0.2, 0.3, 0.5, 0.7])}}}")
    return layers


def make_spec(rng: random.Random, i: int) -> str:
    data = rng.choice(DATA)
    regression = "arrays" in data
    image = ("reshape" in data or "cifar" in data or "synthetic" in data) and rng.random() < 0.8
    classes = 10 if "keras" in data else 4
    if regression:
        layers = [f"{{type: Dense, units: {rng.choice([1, 1, 8])}}}"]
        compile_ = f"{{optimizer: sgd, loss: mean_squared_error, metrics: [{rng.choice(['mae', 'accuracy'])}]}}"
    else:
        layers = _stack(rng, image)
        units = classes if rng.random() < 0.9 else rng.choice([1, 2, 8])
        layers.append(f"{{type: Dense, units: {units}, activation: {rng.choice(['softmax'] * 5 + ['sigmoid', 'relu'])}}}")
        loss = rng.choice(["sparse_categorical_crossentropy"] * 4 + ["categorical_crossentropy"])
        lr = rng.choice([0.001, 0.0005, 0.01, 3])
        compile_ = f"{{optimizer: {{type: {rng.choice(['adam', 'rmsprop'])}, learning_rate: {lr}}}, loss: {loss}, metrics: [accuracy]}}"
    monitor = rng.choice(["loss", "accuracy", "val_accuracy", "acc", "val_loss"])
    callback = (f"{{type: threshold_stop, monitor: {monitor}, threshold: {rng.choice([0.4, 0.95, 95])}}}"
                if rng.random() < 0.5 else f"{{type: early_stopping, monitor: {monitor}, patience: {rng.randint(1, 8)}}}")
    body = "\n".join(f"    - {layer}" for layer in layers)
    return (f"# generated spec {i}\nkspec: 1\nname: gen-{i}\ndata: {data}\nmodel:\n  layers:\n{body}\n"
            f"compile: {compile_}\ntrain:\n  epochs: {rng.randint(3, 20)}\n  batch_size: {rng.choice([16, 32, 64])}\n"
            f"  callbacks:\n    - {callback}\n")


def make_image_spec(rng: random.Random, i: int, tree: Path) -> str:
    """A spec that reads the image tree ``tree`` (train/ and validation/ class folders)."""
    size = rng.choice([64, 100, 150])
    gray = rng.random() < 0.5
    layers = _stack(rng, True) + ["{type: Dense, units: 1, activation: sigmoid}"]
    body = "\n".join(f"    - {layer}" for layer in layers)
    return (f"# generated image-folder spec {i}\nkspec: 1\nname: img-{i}\ndata:\n  type: image_folder\n"
            f"  directory: {tree / 'train'}\n  validation_directory: {tree / 'validation'}\n"
            f"  target_size: [{size}, {size}]\n  color_mode: {'grayscale' if gray else 'rgb'}\n  class_mode: binary\n"
            f"  rescale: 1/255\n  batch_size: {rng.choice([32, 64, 128])}\nmodel:\n  input_shape: [{size}, {size}, {1 if gray else 3}]\n"
            f"  layers:\n{body}\ncompile: {{optimizer: rmsprop, loss: binary_crossentropy, metrics: [accuracy]}}\n"
            f"train:\n  epochs: {rng.randint(3, 20)}\n")


def write_corpus(folder: Path, n: int, seed: int = 0, tree: Path | None = None) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        p = folder / f"spec_{i:04d}.yaml"
        p.write_text(make_image_spec(rng, i, tree) if tree else make_spec(rng, i), encoding="utf-8")
        paths.append(p)
    return paths


# ------------------------------------------------------------------------------------ npz


def write_npz_spec(folder: Path, n: int = 60_000, n_test: int = 10_000, seed: int = 0) -> Path:
    """An MNIST-sized npz (28x28 uint8 images, mostly zero, digits 0..9) and a spec reading it."""
    import numpy as np

    rng = np.random.default_rng(seed)

    def images(count: int) -> np.ndarray:
        x = np.zeros((count, 28, 28), dtype=np.uint8)
        x[:, 6:22, 8:20] = rng.integers(0, 256, size=(count, 16, 12), dtype=np.uint8)
        return x

    np.savez_compressed(folder / "digits.npz", x_train=images(n), y_train=rng.integers(0, 10, n, dtype=np.uint8),
                        x_test=images(n_test), y_test=rng.integers(0, 10, n_test, dtype=np.uint8))
    spec = folder / "digits.yaml"
    spec.write_text("kspec: 1\nname: digits\ndata: {type: npz, path: digits.npz, rescale: 1/255, validation: test}\n"
                    "model:\n  layers:\n    - {type: Flatten}\n    - {type: Dense, units: 128, activation: relu}\n"
                    "    - {type: Dense, units: 10, activation: softmax}\n"
                    "compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}\n"
                    "train: {epochs: 5, batch_size: 64}\n", encoding="utf-8")
    return spec


def npz_rows(runs: int, env: dict) -> list[tuple]:
    """Cold (empty cache before every run) and warm (cache filled by the previous run) lint times."""
    med = statistics.median
    tmp = Path(tempfile.mkdtemp(prefix="kspec-lint-npz-"))
    cache = tmp / "cache"
    env = {**env, "KSPEC_CACHE_DIR": str(cache)}
    try:
        spec = write_npz_spec(tmp)
        cmd = KSPEC + ["lint", str(spec)]
        cold, cold_cpu = [], []
        for _ in range(runs):
            shutil.rmtree(cache, ignore_errors=True)
            cold += timed(cmd, runs=1, env=env)
            cold_cpu += CPU[" ".join(cmd)]
        timed(cmd, runs=1, env=env)  # fills the cache
        warm = timed(cmd, runs=runs, env=env)
        warm_cpu = CPU[" ".join(cmd)]
        return [("cold `kspec lint` of a 60,000-sample npz spec", med(cold), med(cold_cpu), f"{min(cold):.3f} s min"),
                ("  the same, warm (second lint, cache filled)", med(warm), med(warm_cpu), f"{min(warm):.3f} s min")]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


REAL_TREE = ROOT.parent / "shared" / "data" / "horse-or-human-100px-gray"
"""The course's Horses or Humans at 100x100 grayscale (1,283 PNG files), when this checkout has it."""


def image_tree(arg: str) -> Path:
    """The tree of the image-folder corpus: ``--image-tree``, the shared Horses or Humans copy, or
    1,283 small generated PNG files in the temp folder (kept between runs)."""
    if arg:
        return Path(arg).resolve()
    for candidate in (REAL_TREE, Path("/work/shared/data/horse-or-human-100px-gray")):
        if (candidate / "train").is_dir() and (candidate / "validation").is_dir():
            return candidate.resolve()
    tree = Path(tempfile.gettempdir()) / "kspec-lint-bench-tree"
    if not (tree / ".complete").exists():
        from PIL import Image

        counts = {"train": {"horses": 500, "humans": 527}, "validation": {"horses": 128, "humans": 128}}
        for split, classes in counts.items():
            for c, n in classes.items():
                (tree / split / c).mkdir(parents=True, exist_ok=True)
                for k in range(n):
                    Image.new("L", (100, 100), (k * 7) % 256).save(tree / split / c / f"{c}{k:04d}.png")
        (tree / ".complete").write_text("1283")
        time.sleep(2.5)  # kspec does not cache facts of files modified in the last 2 seconds
    return tree


# ------------------------------------------------------------------------------------ main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=int, default=1000, help="generated specs (default 1000)")
    ap.add_argument("--runs", type=int, default=7, help="fresh processes per kspec measurement (default 7)")
    ap.add_argument("--tf-runs", type=int, default=3, help="fresh processes for `import tensorflow` (default 3)")
    ap.add_argument("--npz-only", action="store_true", help="only the 60,000-sample npz spec, cold and warm")
    ap.add_argument("--image-tree", default="", help="tree (train/, validation/) of the image-folder corpus "
                    "(default: ../shared/data/horse-or-human-100px-gray, else generated)")
    args = ap.parse_args()
    env = {**os.environ, "GITHUB_ACTIONS": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    # kspec's modules compiled to bytecode first, as an installed package has them (pip compiles
    # on install; with PYTHONDONTWRITEBYTECODE set every run would compile kspec from source)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "kspec")], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    med = statistics.median
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        cpus = os.cpu_count() or 1
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"kspec lint speed: Python {sys.version.split()[0]}, {cpus} CPU(s), load average {load[0]:.1f} "
          f"{load[1]:.1f} {load[2]:.1f}; "
          "median of fresh processes (wall time; CPU = user + system time of the process)\n")

    if args.npz_only:
        rows = npz_rows(args.runs, env)
        width = max(len(r[0]) for r in rows)
        for name, seconds, cpu, note in rows:
            print(f"  {name:<{width}}  {seconds:6.3f} s  {cpu:6.3f} s  {note}")
        return 0

    specs = sorted((ROOT / "specs").glob("*.yaml"))
    cold_cmd = KSPEC + ["lint", "specs/hello.yaml"]
    cold = timed(cold_cmd, runs=args.runs, env=env)
    folder = timed(KSPEC + ["lint", "specs"], runs=args.runs, env=env)
    rows = [("cold `kspec lint specs/hello.yaml`", med(cold), med(CPU[" ".join(cold_cmd)]), f"{min(cold):.3f} s min"),
            (f"`kspec lint specs/` ({len(specs)} specs)", med(folder), med(CPU[" ".join(KSPEC + ['lint', 'specs'])]),
             f"{len(specs) / med(folder):,.0f} specs/s")]

    tmp = Path(tempfile.mkdtemp(prefix="kspec-lint-corpus-"))
    try:
        write_corpus(tmp, args.corpus)
        runs = max(3, args.runs // 2)
        cmd = KSPEC + ["lint", "--fail-on", "never", str(tmp)]
        corpus = timed(cmd, runs=runs, env=env)
        rows.append((f"`kspec lint` on {args.corpus:,} generated specs", med(corpus), med(CPU[" ".join(cmd)]),
                     f"{args.corpus / med(corpus):,.0f} specs/s, {1000 * med(corpus) / args.corpus:.2f} ms/spec"))
        cmd = KSPEC + ["lint", "--fail-on", "never", "--jobs", "1", str(tmp)]
        one_job = timed(cmd, runs=runs, env=env)
        rows.append(("  the same with --jobs 1", med(one_job), med(CPU[" ".join(cmd)]),
                     f"{args.corpus / med(one_job):,.0f} specs/s"))
        tree = image_tree(args.image_tree)
        n_files = sum(1 for f in tree.rglob("*.png"))
        img = tmp / "images"
        img.mkdir()
        write_corpus(img, args.corpus, tree=tree)
        # the first lint of a tree checks its files and fills kspec's cache; every later one reads it
        cache = Path(tempfile.mkdtemp(prefix="kspec-lint-cache-"))
        cenv = {**env, "KSPEC_CACHE_DIR": str(cache)}
        cmd = KSPEC + ["lint", "--fail-on", "never", str(img)]
        first = timed(cmd, runs=1, env=cenv)
        first_cpu = CPU[" ".join(cmd)][0]
        images = timed(cmd, runs=runs, env=cenv)
        rows.append((f"`kspec lint` on {args.corpus:,} image-folder specs, first time", first[0], first_cpu,
                     f"{1000 * first[0] / args.corpus:.2f} ms/spec ({n_files:,}-file tree checked once)"))
        rows.append(("  the same again (the tree's facts in kspec's cache)", med(images), med(CPU[" ".join(cmd)]),
                     f"{1000 * med(images) / args.corpus:.2f} ms/spec"))
        image_ratio = (med(images) / med(corpus), first[0] / med(corpus))
        shutil.rmtree(cache, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    rows += npz_rows(max(3, args.runs // 2), env)

    tf_cmd = [sys.executable, "-c", "import tensorflow"]
    tf = timed(tf_cmd, runs=args.tf_runs, env=env, ok=(0,))
    rows.append(('`python -c "import tensorflow"`', med(tf), med(CPU[" ".join(tf_cmd)]), ""))
    width = max(len(r[0]) for r in rows)
    print(f"  {'':<{width}}     wall      CPU")
    for name, seconds, cpu, note in rows:
        print(f"  {name:<{width}}  {seconds:6.3f} s  {cpu:6.3f} s  {note}")
    cold_cpu, tf_cpu = med(CPU[" ".join(cold_cmd)]), med(CPU[" ".join(tf_cmd)])
    print(f"\n  cold single-spec lint / import tensorflow = {med(cold) / med(tf):.3f} wall, {cold_cpu / tf_cpu:.3f} CPU "
          f"({med(tf) / med(cold):.1f}x faster than importing TensorFlow)")
    print(f"  image-folder specs / other specs, per spec: {image_ratio[0]:.2f} "
          f"({image_ratio[1]:.2f} the first time, when the tree is checked)")
    end = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"  load average at the end: {end[0]:.1f} {end[1]:.1f} {end[2]:.1f} (above {cpus}, other processes shared "
          "the CPUs: compare the CPU column)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
