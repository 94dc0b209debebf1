"""The same spec on one process and on local multi-worker clusters: wall time per epoch and ratio.

    python benchmarks/distribute.py                      # 3 epochs, 1 repeat, then --tiny
    python benchmarks/distribute.py --epochs 4 --repeat 2 --json results.json

Configurations, each a fresh ``kspec run`` (every worker is a real ``kspec run`` process):

    default           one process, plain ``model.fit`` (no strategy)
    multi_worker x1   ``--distribute multi_worker --workers 1 --local``: kspec's training loop under
                      MultiWorkerMirroredStrategy with a single worker (the loop's own cost)
    multi_worker x2   ``--workers 2 --local``: two workers on 127.0.0.1, gradients all-reduced
                      over gRPC every step
    x2 pinned         the same two workers started by this script with TF_CONFIG, each pinned to
                      one core (the first two this process may use) with one TensorFlow thread;
                      ``default`` runs on those same two cores. The compute-bound line compares
                      their examples per second (steady epochs): goal >= 0.9x, 1.0x being the
                      limit of two cores

A plain run also runs the ``--tiny`` comparison below after the table (``--no-tiny`` leaves it out),
so one run prints every figure.

Per epoch: the chief's Keras progress line (``N/N - 3s - 33ms/step``) gives ms/step; x steps =
seconds per epoch. Epoch 1 includes tracing and is reported apart; "steady" is the mean of the
other epochs. The spec is the quickstart's CNN on kspec's synthetic shapes (no download).

``--tiny`` instead measures the per-step cost of kspec's multi-worker loop itself: the hello spec
(six samples, one partial batch per epoch) for ``--steps`` epochs on 2 local workers, per step
(the chief's ``fit`` time / steps, so every per-epoch cost counts), beside the minimal
hand-written MultiWorkerMirroredStrategy loop of ``benchmarks/distribute_reference.py`` (the same
model, ``batch(...).repeat()``, one iterator, ``train_step`` in ``strategy.run``) started the same
way, alternating the two ``--repeat`` times; medians, wall and CPU time, the load average.

On a machine with fewer cores than workers x TensorFlow threads this shows correctness and the
overhead of distribution, not speed-up: two workers on two cores share the same cores and also
exchange every gradient. The output says so, with the machine's core count and load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """\
kspec: 1
name: bench
data: {{type: synthetic, samples: {samples}, test_samples: 200, image_size: 28, rescale: 1/255, validation: 0.2}}
model:
  input_shape: [28, 28, 1]
  layers:
    - {{type: Conv2D, filters: 16, kernel_size: 3, activation: relu}}
    - {{type: MaxPooling2D, pool_size: 2}}
    - {{type: Flatten}}
    - {{type: Dense, units: 64, activation: relu}}
    - {{type: Dense, units: 4, activation: softmax}}
compile: {{optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}}
train: {{epochs: {epochs}, batch_size: {batch}, seed: 0, verbose: 2}}
evaluate: false
"""

PINNED = "x2 pinned"
"""Two workers started by this script, each pinned to one core with one TensorFlow thread."""


CONFIGS = {
    "default": [],
    "multi_worker x1": ["--distribute", "multi_worker", "--workers", "1", "--local"],
    "multi_worker x2": ["--distribute", "multi_worker", "--workers", "2", "--local"],
    PINNED: None,
}

LINE = re.compile(r"^(?:\[worker 0\] )?(\d+)/(\d+) - \d+s - (\d+(?:\.\d+)?)(ms|s)/step", re.M)


def epoch_seconds(output: str) -> list[float]:
    out = []
    for m in LINE.finditer(output):
        steps, per, unit = int(m.group(2)), float(m.group(3)), m.group(4)
        out.append(steps * per / (1000.0 if unit == "ms" else 1.0))
    return out


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def two_cores() -> list[int]:
    """The first two cores this process may run on (the pinned comparison's cores)."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return cores[:2]


def _pin(cores: list[int]):
    return (lambda: os.sched_setaffinity(0, set(cores))) if cores and hasattr(os, "sched_setaffinity") else None


def run_pinned(spec: Path, out: Path, timeout: float) -> subprocess.CompletedProcess:
    """Two ``kspec run`` workers on loopback, worker i on core i alone (TF_CONFIG, one intra-op and
    one inter-op thread each); returns the chief's process."""
    cores = two_cores()
    workers = [f"127.0.0.1:{p}" for p in _free_ports(2)]
    procs = []
    for i in range(2):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1", TF_NUM_INTRAOP_THREADS="1",
                   TF_NUM_INTEROP_THREADS="1",
                   TF_CONFIG=json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}}))
        cmd = [sys.executable, "-m", "kspec.cli", "run", str(spec), "--out", str(out / f"w{i}"),
               "--distribute", "multi_worker"]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                      preexec_fn=_pin(cores[i:i + 1]) if len(cores) == 2 else None))
    outs = [p.communicate(timeout=timeout) for p in procs]
    return subprocess.CompletedProcess(procs[0].args, max(p.returncode for p in procs), outs[0][0],
                                       "\n".join(o[1] for o in outs))


def run(config: str, spec: Path, out: Path, timeout: float) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    env.pop("TF_CONFIG", None)
    t0, c0 = time.perf_counter(), _children_cpu()
    if config == PINNED:
        r = run_pinned(spec, out, timeout)
        out = out / "w0"
    else:
        cmd = [sys.executable, "-m", "kspec.cli", "run", str(spec), "--out", str(out), *CONFIGS[config]]
        # default: one process on the same two cores as the pinned workers
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                           preexec_fn=_pin(two_cores()) if config == "default" else None)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if r.returncode != 0:
        raise SystemExit(f"{config} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    epochs = epoch_seconds(r.stdout)
    runs = sorted(p for p in out.iterdir() if p.is_dir())
    manifest = json.loads((runs[-1] / "manifest.json").read_text())
    return {"config": config, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "epoch_s": [round(e, 3) for e in epochs],
            "fit_s": manifest["timing"].get("fit_s"), "final": manifest.get("final", {}),
            "distribute": manifest.get("distribute", {})}


HELLO = """\
kspec: 1
name: hello
data:
  type: arrays
  x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
  y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
model:
  input_shape: [1]
  layers:
    - {{type: Dense, units: 1}}
compile: {{optimizer: sgd, loss: mean_squared_error}}
train: {{epochs: {steps}, seed: 0, verbose: 0}}
evaluate: false
"""


def _free_ports(n: int) -> list[int]:
    import socket

    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def tiny_kspec(steps: int, tmp: Path, rep: int, timeout: float) -> dict:
    spec = tmp / "hello.yaml"
    spec.write_text(HELLO.format(steps=steps))
    out = tmp / f"tiny-{rep}"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    r = subprocess.run([sys.executable, "-m", "kspec.cli", "run", str(spec), "--out", str(out), "-q",
                        "--distribute", "multi_worker", "--workers", "2", "--local"],
                       capture_output=True, text=True, env=env, timeout=timeout)
    if r.returncode != 0:
        raise SystemExit(f"kspec failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    m = json.loads((sorted(p for p in out.iterdir() if p.is_dir())[-1] / "manifest.json").read_text())
    return {"step_ms": 1000 * m["timing"]["fit_s"] / steps, "step_cpu_ms": 1000 * m["timing"]["fit_cpu_s"] / steps,
            "loss": m.get("final", {}).get("loss"), "identical": m["distribute"].get("weights_identical")}


def tiny_reference(steps: int, timeout: float) -> dict:
    ports = _free_ports(2)
    workers = [f"127.0.0.1:{p}" for p in ports]
    procs = []
    for i in range(2):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_NUM_INTRAOP_THREADS=str(max(1, (os.cpu_count() or 1) // 2)),
                   TF_CONFIG=json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}}))
        procs.append(subprocess.Popen([sys.executable, str(Path(__file__).with_name("distribute_reference.py")),
                                       str(steps)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    outs = [p.communicate(timeout=timeout) for p in procs]
    if any(p.returncode for p in procs):
        raise SystemExit("reference loop failed:\n" + "\n".join(o[1][-2000:] for o in outs))
    d = json.loads(outs[0][0].strip().splitlines()[-1])
    return {"step_ms": 1000 * d["loop_s"] / steps, "step_cpu_ms": 1000 * d["loop_cpu_s"] / steps, "loss": d["loss"]}


def tiny(args) -> None:
    cores = os.cpu_count() or 1
    load0 = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    ks, ref = [], []
    with tempfile.TemporaryDirectory(prefix="kspec-bench-tiny-") as tmp:
        for rep in range(args.repeat):  # alternating, so a busy moment hits both alike
            ks.append(tiny_kspec(args.steps, Path(tmp), rep, args.timeout))
            ref.append(tiny_reference(args.steps, args.timeout))
            print(f"  repeat {rep + 1}: kspec {ks[-1]['step_ms']:.1f} ms/step, hand-written {ref[-1]['step_ms']:.1f} "
                  "ms/step", file=sys.stderr, flush=True)
    load1 = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    med = statistics.median
    print(f"\nhello on 2 local workers, {args.steps} steps (one partial batch of 6 per epoch), {args.repeat} "
          f"alternating repeat(s); {cores} cores, load average {load0[0]:.1f} {load0[1]:.1f} {load0[2]:.1f} at the "
          f"start, {load1[0]:.1f} {load1[1]:.1f} {load1[2]:.1f} at the end")
    print(f"  {'':<34}{'ms/step (wall)':>16}{'ms/step (CPU, chief)':>22}")
    for name, rs in (("kspec multi_worker loop", ks), ("minimal hand-written loop", ref)):
        print(f"  {name:<34}{med(r['step_ms'] for r in rs):>16.1f}{med(r['step_cpu_ms'] for r in rs):>22.1f}")
    print(f"  ratio kspec / hand-written: {med(r['step_ms'] for r in ks) / med(r['step_ms'] for r in ref):.2f} wall, "
          f"{med(r['step_cpu_ms'] for r in ks) / med(r['step_cpu_ms'] for r in ref):.2f} CPU; kspec weights identical "
          f"on both workers: {all(r['identical'] for r in ks)}")
    print("  kspec's figure is its whole fit (callbacks, metrics, the per-epoch stop agreement, tracing) over the "
          "steps; the hand-written loop has none of those.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiny", action="store_true", help="only the per-step cost on the hello spec against a hand-written loop")
    ap.add_argument("--no-tiny", action="store_true", help="leave out the per-step comparison on the hello spec")
    ap.add_argument("--steps", type=int, default=200, help="--tiny: steps (epochs of one step)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--samples", type=int, default=2560, help="synthetic samples; 80%% train (2048 = 32 batches of 64), 20%% validate")
    ap.add_argument("--batch", type=int, default=64, help="global batch size")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--json", type=Path, help="write the measurements here")
    args = ap.parse_args()
    if args.tiny:
        tiny(args)
        return

    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="kspec-bench-distribute-") as tmp:
        spec = Path(tmp) / "bench.yaml"
        spec.write_text(SPEC.format(samples=args.samples, epochs=args.epochs, batch=args.batch))
        for rep in range(args.repeat):
            for config in CONFIGS:
                res = run(config, spec, Path(tmp) / f"runs-{rep}-{config.replace(' ', '-')}", args.timeout)
                res["repeat"] = rep
                results.append(res)
                print(f"  {config:<16} repeat {rep + 1}: epochs {res['epoch_s']} s, process wall {res['wall_s']} s",
                      file=sys.stderr, flush=True)

    def steady(config: str) -> float:
        vals = [e for r in results if r["config"] == config for e in r["epoch_s"][1:]]
        return statistics.median(vals) if vals else float("nan")

    def first(config: str) -> float:
        return statistics.median(r["epoch_s"][0] for r in results if r["config"] == config and r["epoch_s"])

    def wall(config: str) -> float:
        return statistics.median(r["wall_s"] for r in results if r["config"] == config)

    def cpu(config: str) -> float:
        return statistics.median(r["cpu_s"] for r in results if r["config"] == config)

    base = steady("default")
    n_train = int(args.samples * 0.8)
    steps = -(-n_train // args.batch)
    print(f"\nkspec distribute benchmark: {n_train} training samples, global batch {args.batch} ({steps} steps "
          f"per epoch), {args.epochs} epochs, {args.repeat} repeat(s)")
    print(f"machine: {cores} CPU cores, load average {load:.1f} at start, no GPU\n")
    print(f"{'configuration':<18}{'epoch 1 (s)':>12}{'steady epoch (s)':>18}{'ratio':>8}{'process wall (s)':>18}"
          f"{'CPU (s)':>9}{'final loss':>12}")
    for config in CONFIGS:
        loss = [r["final"].get("loss") for r in results if r["config"] == config]
        loss_s = f"{statistics.mean(loss):.4f}" if all(isinstance(v, (int, float)) for v in loss) else "-"
        print(f"{config:<18}{first(config):>12.2f}{steady(config):>18.2f}{steady(config) / base:>8.2f}"
              f"{wall(config):>18.1f}{cpu(config):>9.1f}{loss_s:>12}")
    pinned = [r["distribute"] for r in results if r["config"] == PINNED]
    cores2 = two_cores()
    print(f"\ncompute-bound: {n_train} examples per epoch; one process on cores {cores2} {n_train / base:.0f} "
          f"examples/s; two workers pinned to one core each (1 TensorFlow thread each) "
          f"{n_train / steady(PINNED):.0f} examples/s: {base / steady(PINNED):.2f}x (goal >= 0.9x; 1.0x is the limit "
          f"with two cores); weights identical: {all(d.get('weights_identical') for d in pinned)}")
    x2 = [r["distribute"] for r in results if r["config"] == "multi_worker x2"]
    if x2:
        same = all(d.get("weights_identical") for d in x2)
        print(f"\nmulti_worker x2: {x2[0].get('replicas')} replicas, {x2[0].get('per_replica_batch')} samples per "
              f"replica per step; weights identical on both workers after training: {same}")
    end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {end:.1f} at the end; CPU = the processes' CPU time (both workers' for x2)")
    print("ratio = steady epoch time / default's. Epoch 1 includes tracing the step functions; process wall "
          "includes importing TensorFlow, starting the cluster and writing the run directory.")
    if cores <= 2:
        print(f"NOTE: this machine has {cores} cores. Two workers share them and exchange every gradient over "
              "gRPC, so these numbers show that distributed training is correct and what it costs, not a "
              "speed-up. A speed-up needs a worker per machine (or per GPU).")
    if not args.no_tiny:
        tiny(args)
    if args.json:
        args.json.write_text(json.dumps({"cores": cores, "load": load, "args": vars(args) | {"json": str(args.json)},
                                         "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
