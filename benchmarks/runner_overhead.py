"""Runner overhead: ``kspec run specs/fashion_mnist_mlp.yaml`` against the hand-written Keras
script it replaces (``runner_overhead_reference.py``), same seed, same data files.

Each repeat runs both in fresh subprocesses (alternating which goes first, since a shared machine
is noisy) and reads the following; CPU seconds are much less sensitive to other load than wall
seconds, so both are reported:

* fit time: seconds inside ``model.fit``, wall and CPU (kspec's manifest ``timing.fit_s`` and
  ``fit_cpu_s``; the script's own timers around ``fit``);
* total time: the whole process, TensorFlow import included, wall and CPU (kspec also lints the
  spec, writes every artifact, evaluates, draws the figures and the confusion matrix);
* test accuracy of both, and whether the two training histories are identical.

    python benchmarks/runner_overhead.py                 # 3 repeats, 5 epochs
    python benchmarks/runner_overhead.py --repeat 5 --json results.json

Goal (issue 4): kspec's fit within 5% of the hand-written script's, the same test accuracy
(0.870 after 5 epochs with seed 0).

``--monitors`` measures instead what the layer monitor (KS910-KS913: dead ReLU units, vanishing
and exploding gradients, saturated sigmoid/tanh, sampled on one fixed batch before training and
after every epoch) costs: the same spec run with the default monitor set and with a copy whose
``lint: {ignore: [KS910, KS911, KS912, KS913]}`` turns it off, alternating, fit time (wall and
CPU) side by side, medians and their ratio. Goal (issue 11): at most 3% more fit time.

    python benchmarks/runner_overhead.py --monitors --repeat 3 --epochs 2 The data come from ../shared/data/fashion-mnist through a
temporary KERAS_HOME of symbolic links, so keras.datasets.fashion_mnist.load_data() reads them
without downloading; without that folder the benchmark says so and exits 0.
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

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "fashion_mnist_mlp.yaml"
REFERENCE = Path(__file__).resolve().parent / "runner_overhead_reference.py"
DATA = ROOT.parent / "shared" / "data" / "fashion-mnist"
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz")


def keras_home(data: Path, into: Path) -> Path:
    """A KERAS_HOME whose datasets/fashion-mnist/ links to the shared files."""
    folder = into / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for f in FILES:
        link = folder / f
        if not link.exists():
            link.symlink_to((data / f).resolve())
    return into


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_kspec(env: dict, out: Path, epochs: int, seed: int, spec: Path = SPEC) -> dict:
    t, c = time.perf_counter(), children_cpu()
    proc = subprocess.run([sys.executable, "-m", "kspec.cli", "run", str(spec), "--out", str(out), "-q",
                           "--epochs", str(epochs), "--seed", str(seed)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t, children_cpu() - c
    if proc.returncode != 0:
        raise SystemExit(f"kspec run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    run_dir = max(out.iterdir(), key=lambda p: p.stat().st_mtime)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    rows = json.loads((run_dir / "history.json").read_text())["epochs"]
    history = {k: [r[k] for r in rows] for k in rows[0] if k not in ("epoch", "learning_rate")}
    return {"fit_s": manifest["timing"]["fit_s"], "fit_cpu_s": manifest["timing"]["fit_cpu_s"], "total_s": wall,
            "total_cpu_s": cpu, "test_accuracy": metrics["accuracy"],
            "test_loss": metrics["loss"], "history": history, "checkpoint_s": manifest["timing"]["checkpoint_s"],
            "run_dir": str(run_dir)}


def run_reference(env: dict, epochs: int, seed: int) -> dict:
    t, c = time.perf_counter(), children_cpu()
    proc = subprocess.run([sys.executable, str(REFERENCE), str(epochs), str(seed)], env=env,
                          capture_output=True, text=True, cwd=tempfile.gettempdir())
    wall, cpu = time.perf_counter() - t, children_cpu() - c
    if proc.returncode != 0:
        raise SystemExit(f"the reference script failed ({proc.returncode}):\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["total_s"], out["total_cpu_s"] = wall, cpu
    return out


def same_history(a: dict, b: dict) -> tuple[bool, float]:
    """(identical?, largest absolute difference) over the keys both logged."""
    worst = 0.0
    for k in a:
        if k in b:
            for x, y in zip(a[k], b[k]):
                worst = max(worst, abs(float(x) - float(y)))
    return worst == 0.0, worst


MONITOR_CODES = ("KS910", "KS911", "KS912", "KS913")


def monitors_main(args, env: dict, tmp: Path) -> int:
    """Fit time of the spec with the default layer monitor against a copy that ignores its checks."""
    off = tmp / SPEC.name
    off.write_text(SPEC.read_text(encoding="utf-8") + f"lint: {{ignore: [{', '.join(MONITOR_CODES)}]}}\n",
                   encoding="utf-8")
    rows = []
    for i in range(args.repeat):
        order = ("on", "off") if i % 2 == 0 else ("off", "on")
        got = {who: run_kspec(env, tmp / f"runs-{who}", args.epochs, args.seed, SPEC if who == "on" else off)
               for who in order}
        looks = len(json.loads((Path(got["on"]["run_dir"]) / "manifest.json").read_text())["monitor"]["layers"])
        none = len(json.loads((Path(got["off"]["run_dir"]) / "manifest.json").read_text())["monitor"]["layers"])
        row = {"repeat": i + 1, "looks_on": looks, "looks_off": none}
        for key in ("fit_s", "fit_cpu_s"):
            row[f"on_{key}"], row[f"off_{key}"] = got["on"][key], got["off"][key]
            row[f"{key[:-2]}_ratio"] = got["on"][key] / got["off"][key]
        rows.append(row)
        print(f"repeat {i + 1}: fit with monitors {row['on_fit_s']:.2f}s ({looks} looks), without "
              f"{row['off_fit_s']:.2f}s ({none} looks): x{row['fit_ratio']:.3f}; cpu {row['on_fit_cpu_s']:.2f}s vs "
              f"{row['off_fit_cpu_s']:.2f}s: x{row['fit_cpu_ratio']:.3f}", flush=True)
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0] if k.endswith(("_s", "_ratio"))}
    print()
    print(f"median over {len(rows)} repeat(s), {args.epochs} epochs, seed {args.seed}:")
    print(f"  fit wall: with monitors {med['on_fit_s']:.2f}s  without {med['off_fit_s']:.2f}s  "
          f"ratio {med['fit_ratio']:.3f}  (ratio of medians {med['on_fit_s'] / med['off_fit_s']:.3f})")
    print(f"  fit cpu:  with monitors {med['on_fit_cpu_s']:.2f}s  without {med['off_fit_cpu_s']:.2f}s  "
          f"ratio {med['fit_cpu_ratio']:.3f}  (ratio of medians {med['on_fit_cpu_s'] / med['off_fit_cpu_s']:.3f})")
    print(f"  goal (at most 3% more fit time): {'met' if med['fit_ratio'] <= 1.03 else 'NOT met'} (wall); "
          f"{'met' if med['fit_cpu_ratio'] <= 1.03 else 'NOT met'} (cpu)")
    if args.json:
        args.json.write_text(json.dumps({"repeats": rows, "median": med}, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=DATA, help="folder with the four Fashion-MNIST .gz files")
    ap.add_argument("--json", type=Path, help="also write the measurements here")
    ap.add_argument("--monitors", action="store_true",
                    help="measure the layer monitor's cost (with against without) instead of kspec against Keras")
    args = ap.parse_args(argv)
    if not all((args.data / f).is_file() for f in FILES):
        print(f"skipped: the Fashion-MNIST files are not in {args.data} (see ../shared/data/README.md)")
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="kspec-overhead-") as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, KERAS_HOME=str(keras_home(args.data, tmp / "keras-home")), TF_CPP_MIN_LOG_LEVEL="2")
        if args.monitors:
            return monitors_main(args, env, tmp)
        for i in range(args.repeat):
            order = ("kspec", "keras") if i % 2 == 0 else ("keras", "kspec")
            got = {}
            for who in order:
                got[who] = (run_kspec(env, tmp / "runs", args.epochs, args.seed) if who == "kspec"
                            else run_reference(env, args.epochs, args.seed))
            identical, diff = same_history(got["kspec"]["history"], got["keras"]["history"])
            row = {"repeat": i + 1}
            for key in ("fit_s", "fit_cpu_s", "total_s", "total_cpu_s", "test_accuracy"):
                row[f"kspec_{key}"], row[f"keras_{key}"] = got["kspec"][key], got["keras"][key]
            for key in ("fit_s", "fit_cpu_s", "total_s", "total_cpu_s"):
                row[f"{key[:-2]}_ratio"] = row[f"kspec_{key}"] / row[f"keras_{key}"]
            row.update(kspec_checkpoint_s=got["kspec"]["checkpoint_s"], identical_history=identical,
                       largest_history_difference=diff)
            results.append(row)
            print(f"repeat {i + 1}: fit kspec {row['kspec_fit_s']:.2f}s keras {row['keras_fit_s']:.2f}s "
                  f"(x{row['fit_ratio']:.3f}, cpu x{row['fit_cpu_ratio']:.3f}); total kspec {row['kspec_total_s']:.2f}s "
                  f"keras {row['keras_total_s']:.2f}s (x{row['total_ratio']:.3f}, cpu x{row['total_cpu_ratio']:.3f}); "
                  f"test accuracy kspec "
                  f"{row['kspec_test_accuracy']:.4f} keras {row['keras_test_accuracy']:.4f}; "
                  f"identical history: {identical}", flush=True)
    keys = [k for k in results[0] if k.endswith(("_s", "_ratio"))]
    med = {k: statistics.median(r[k] for r in results) for k in keys}
    print()
    print(f"median over {len(results)} repeat(s), {args.epochs} epochs, seed {args.seed} (wall seconds; cpu seconds):")
    for what in ("fit", "total"):
        print(f"  {what + ':':<7}kspec {med[f'kspec_{what}_s']:.2f}s  keras {med[f'keras_{what}_s']:.2f}s  "
              f"ratio {med[f'{what}_ratio']:.3f};  cpu kspec {med[f'kspec_{what}_cpu_s']:.2f}s  "
              f"keras {med[f'keras_{what}_cpu_s']:.2f}s  ratio {med[f'{what}_cpu_ratio']:.3f}")
    print(f"  test accuracy: kspec {results[-1]['kspec_test_accuracy']:.4f}  keras "
          f"{results[-1]['keras_test_accuracy']:.4f}  identical histories: "
          f"{all(r['identical_history'] for r in results)}")
    goal = med["fit_ratio"] <= 1.05
    print(f"  goal (fit within 5%): {'met' if goal else 'NOT met'} (wall); "
          f"{'met' if med['fit_cpu_ratio'] <= 1.05 else 'NOT met'} (cpu)")
    if args.json:
        args.json.write_text(json.dumps({"repeats": results, "median": med}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
