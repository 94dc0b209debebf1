"""Workers from the command line: ``--distribute`` / ``--workers`` / ``--worker-index`` overrides, and
``kspec run --local``, which starts a multi-worker cluster of ``kspec run`` processes on this machine.

Nothing here imports TensorFlow: the launcher only starts processes, each of which is a real
``kspec run`` with its own ``TF_CONFIG`` (127.0.0.1, free ports), and relays their output line by
line, prefixed with the worker's index. When one worker fails, the others are killed: a worker whose
peer is gone waits in TensorFlow's C++ code and ignores SIGTERM, so they get SIGKILL after a grace
period.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

from ..diagnostics import KspecError
from ..spec import DefaultDistribute, MultiWorkerDistribute, TrainSpec

KILL_GRACE_S = 5.0
"""After one worker fails, the others get SIGTERM, then SIGKILL this much later."""
PORT_RETRIES = 2
"""Fresh ports are tried this many more times when a port was taken between choosing and binding."""
LOCAL_CLUSTER_ENV = "KSPEC_LOCAL_CLUSTER"
"""Set in the environment of each worker ``kspec run --local`` starts (the launcher has linted)."""


def reports_lint(distribute: Any, env: dict[str, str] | None = None) -> bool:
    """Whether this ``kspec run`` process prints the spec's lint findings: once per run, so not in a
    worker that ``--local`` started (its launcher printed them) nor in a cluster's other workers
    (the chief prints them)."""
    from ..emit.strategy import cluster_of

    env = os.environ if env is None else env
    if env.get(LOCAL_CLUSTER_ENV):
        return False
    if not isinstance(distribute, MultiWorkerDistribute):
        return True
    try:
        cluster = cluster_of(distribute, env)
    except KspecError:  # said when training starts
        return True
    return cluster is None or cluster.is_chief


def parse_workers(text: str) -> int | list[str]:
    """``--workers``: a count (``2``) or comma-separated ``host:port`` addresses."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        n = int(text)
        if n < 1:
            raise KspecError("--workers must be at least 1")
        return n
    addrs = [a.strip() for a in text.split(",") if a.strip()]
    bad = [a for a in addrs if not re.fullmatch(r"[^\s:/]+:\d{1,5}", a)]
    if bad or not addrs:
        raise KspecError(f"--workers {text!r}: expected a number or host:port addresses separated by commas",
                         hint="e.g. --workers 2 --local, or --workers host1:12345,host2:12345")
    return addrs


def apply_overrides(train: TrainSpec, *, distribute: str | None = None, workers: str | None = None,
                    worker_index: int | None = None, local: bool = False) -> None:
    """Apply the ``run`` command's distribution options to a resolved ``train`` section, in place."""
    current = train.distribute
    if distribute is not None and distribute != current.type:
        current = TrainSpec.model_validate({"distribute": distribute}).distribute
    if (workers is not None or worker_index is not None or local) and isinstance(current, DefaultDistribute):
        if distribute is None:
            current = MultiWorkerDistribute(type="multi_worker")  # --workers / --local imply multi_worker
    if workers is not None or worker_index is not None or local:
        if not isinstance(current, MultiWorkerDistribute):
            opt = "--local" if local else "--workers" if workers is not None else "--worker-index"
            raise KspecError(f"{opt} applies to multi_worker, not to distribute: {current.type}",
                             hint="use --distribute multi_worker")
        update: dict[str, Any] = {}
        if workers is not None:
            update["workers"] = parse_workers(workers)
        if worker_index is not None:
            update["worker_index"] = worker_index
        current = current.model_copy(update=update)
        if local:
            if isinstance(current.workers, list):
                raise KspecError("--local picks its own addresses (127.0.0.1, free ports)",
                                 hint="give a count: --workers 2 --local")
            if current.workers is None:
                current = current.model_copy(update={"workers": 2})
    train.distribute = current


# ------------------------------------------------------------------------------------ the launcher


@dataclass
class LocalWorker:
    index: int
    address: str
    proc: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()


def local_tf_configs(n: int, host: str = "127.0.0.1") -> list[dict[str, Any]]:
    from ..emit.strategy import free_ports

    addrs = [f"{host}:{p}" for p in free_ports(n, host)]
    return [{"cluster": {"worker": addrs}, "task": {"type": "worker", "index": i}} for i in range(n)]


def _relay(w: LocalWorker, out: TextIO, lock: threading.Lock) -> None:
    prefix = f"[worker {w.index}] "
    assert w.proc.stdout is not None
    for raw in w.proc.stdout:
        line = raw.rstrip("\n")
        w.lines.append(line)
        with lock:
            out.write(prefix + line + "\n")
            out.flush()


def _stop(workers: list[LocalWorker], grace: float = KILL_GRACE_S) -> None:
    """SIGTERM every live worker (its whole process group), then SIGKILL what is left after ``grace``."""
    live = [w for w in workers if w.returncode is None]
    for w in live:
        try:
            os.killpg(w.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    for w in live:
        try:
            w.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(w.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            w.proc.wait()


def _port_clash(w: LocalWorker) -> bool:
    return any("port is in use" in line or "Could not start gRPC server" in line for line in w.lines)


@dataclass
class LocalResult:
    returncode: int
    workers: list[LocalWorker]
    run_dir: Path | None = None
    failed: int | None = None
    """Index of the first worker that failed."""


def launch(args: list[str], n: int, *, out: TextIO | None = None, env: dict[str, str] | None = None,
           timeout: float | None = None, on_start: Callable[[list[LocalWorker]], None] | None = None,
           tf_configs: list[dict[str, Any]] | None = None) -> LocalResult:
    """Run ``kspec run ARGS`` as ``n`` workers on 127.0.0.1 and wait for all of them.

    ``args`` are the child's arguments after ``run`` (without --local). Returns the chief's exit
    status when every worker succeeded, else the first failure's; with ``timeout`` every worker is
    killed after that many seconds (exit status 124). ``tf_configs``: each worker's TF_CONFIG
    (default: ``n`` workers on 127.0.0.1 with free ports).
    """
    out = out or sys.stdout
    for attempt in range(PORT_RETRIES + 1):
        result = _launch_once(args, tf_configs or local_tf_configs(n), out, env, timeout, on_start)
        clash = result.failed is not None and _port_clash(result.workers[result.failed]) and tf_configs is None
        if not clash or attempt == PORT_RETRIES:
            return result
        out.write(f"kspec: a port was taken before worker {result.failed} could listen; trying fresh ports\n")
    return result  # pragma: no cover


def _launch_once(args, configs, out, env, timeout, on_start) -> LocalResult:
    lock = threading.Lock()
    n = len(configs)
    workers: list[LocalWorker] = []
    base_env = dict(os.environ if env is None else env)
    base_env.setdefault("PYTHONUNBUFFERED", "1")
    from ..emit import tf_environment

    tf_environment(base_env)
    # n TensorFlow processes on one machine: without this each one starts a thread per core, and
    # on 2 cores a step takes 3-4 times longer (measured)
    base_env.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, (os.cpu_count() or 1) // n)))
    base_env.setdefault("TF_NUM_INTEROP_THREADS", "1")
    for i, cfg in enumerate(configs):
        child_env = dict(base_env, TF_CONFIG=json.dumps(cfg), **{LOCAL_CLUSTER_ENV: "1"})
        proc = subprocess.Popen([sys.executable, "-m", "kspec.cli", "run", *args], env=child_env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                text=True, bufsize=1, start_new_session=True)
        jobs = cfg["cluster"]["worker"]
        w = LocalWorker(i, jobs[cfg["task"]["index"]] if cfg["task"]["index"] < len(jobs) else "?", proc)
        w.reader = threading.Thread(target=_relay, args=(w, out, lock), daemon=True)
        w.reader.start()
        workers.append(w)
    if on_start is not None:
        on_start(workers)
    deadline = time.monotonic() + timeout if timeout else None
    failed: int | None = None
    code = 0
    try:
        while True:
            codes = [w.returncode for w in workers]
            bad = [i for i, c in enumerate(codes) if c not in (None, 0)]
            if bad:
                failed = bad[0]
                code = codes[failed]
                break
            if all(c == 0 for c in codes):
                break
            if deadline is not None and time.monotonic() > deadline:
                failed, code = next(i for i, c in enumerate(codes) if c is None), 124
                with lock:
                    out.write(f"kspec: the local cluster ran past {timeout:.0f} s; stopping it\n")
                break
            time.sleep(0.1)
    except KeyboardInterrupt:
        failed, code = 0, 130
    finally:
        if failed is not None:
            _stop(workers)
        for w in workers:
            w.proc.wait()
            if w.reader is not None:
                w.reader.join(timeout=5)
    run_dir = None
    for line in workers[0].lines:
        m = re.match(r"kspec: (?:run directory|resuming) (\S+)", line)
        if m:
            run_dir = Path(m.group(1))
            break
    if failed is not None and code < 0:
        code = 128 - code  # killed by a signal
    return LocalResult(code, workers, run_dir, failed)


def child_args(spec: str | None, *, resume: str | None, out: str | None, seed: int | None, epochs: int | None,
               quiet: bool, no_lint: bool, fmt: str | None, distribute: str | None, workers: int | None,
               overrides=()) -> list[str]:
    """The arguments of each worker's ``kspec run`` (the launcher's own options left out)."""
    args: list[str] = []
    if resume is not None:
        args += ["--resume", resume]
    else:
        args.append(str(spec))
        if out is not None:
            args += ["--out", out]
        if seed is not None:
            args += ["--seed", str(seed)]
        if epochs is not None:
            args += ["--epochs", str(epochs)]
        if distribute is not None:
            args += ["--distribute", distribute]
        if workers is not None:
            args += ["--workers", str(workers)]
        for o in overrides or ():
            args += ["--set", getattr(o, "argument", o)]
        if no_lint:
            args.append("--no-lint")
    if quiet:
        args.append("--quiet")
    if fmt is not None:
        args += ["--format", fmt]
    return args


def run_local(args: list[str], n: int, *, resume_hint: bool = True) -> int:
    """``kspec run ... --local``: the cluster's exit status, with a resume hint when it failed."""
    print(f"kspec: starting {n} local workers on 127.0.0.1 (worker 0 is the chief and writes the run directory)",
          flush=True)
    result = launch(args, n)
    if result.returncode != 0 and result.failed is not None:
        print(f"kspec: worker {result.failed} stopped with exit status {result.returncode}; the other workers "
              f"were stopped too", file=sys.stderr, flush=True)
        if resume_hint and result.run_dir is not None:
            print(f"  hint: continue with: kspec run --resume {result.run_dir} --local", file=sys.stderr, flush=True)
    return result.returncode


def resume_workers(run_dir: Path) -> int:
    """How many workers ``kspec run --resume RUN_DIR --local`` starts: the count the run trained with."""
    from .rundir import read_manifest

    manifest = read_manifest(Path(run_dir))
    n = (manifest.get("distribute") or {}).get("workers")
    if not n:
        try:
            spec = json.loads((Path(run_dir) / "spec.resolved.json").read_text(encoding="utf-8"))
            w = spec["train"]["distribute"].get("workers")
            n = len(w) if isinstance(w, list) else w
        except (OSError, ValueError, KeyError, AttributeError):
            n = None
    if not n or (manifest.get("distribute") or {}).get("strategy") not in (None, "multi_worker"):
        raise KspecError(f"{run_dir} did not train with multi_worker; --local does not apply",
                         hint=f"resume it with `kspec run --resume {run_dir}`")
    return int(n)
