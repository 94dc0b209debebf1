"""Start real ``kspec run`` workers on 127.0.0.1 with their own TF_CONFIG, and always clean them up.

Every worker runs in its own process group under a hard deadline: a worker whose peer is gone
waits in TensorFlow's C++ code and ignores SIGTERM, so cleanup is SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from kspec.emit.strategy import free_ports

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

WORKER_TIMEOUT_S = 240
"""Hard limit of any worker process (SIGKILL); the tests themselves wait much less."""

TWO_EPOCHS = """\
kspec: 1
name: mw
data: {type: synthetic, samples: 320, test_samples: 64, image_size: 12, rescale: 1/255, validation: 0.2, shuffle: false}
model:
  input_shape: [12, 12, 1]
  layers:
    - {type: Flatten}
    - {type: Dense, units: 16, activation: relu}
    - {type: Dense, units: 4, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
train: {epochs: 2, batch_size: 32, seed: 7, verbose: 2}
predict: {from_data: test, count: 3}
"""
"""256 training samples = 8 global batches of 32 (16 per replica on 2 workers), no partial batch."""


def env_for(tf_config: dict | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TF_CONFIG", None)
    env.update(PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="2", TF_NUM_INTRAOP_THREADS="1",
               TF_NUM_INTEROP_THREADS="1")
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    env.update(extra)
    return env


def cluster(n: int) -> list[dict]:
    addrs = [f"127.0.0.1:{p}" for p in free_ports(n)]
    return [{"cluster": {"worker": addrs}, "task": {"type": "worker", "index": i}} for i in range(n)]


@dataclass
class Proc:
    index: int
    popen: subprocess.Popen
    log: Path

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait()


@dataclass
class Workers:
    """Processes started by a test; ``stop()`` SIGKILLs whatever is still running."""

    tmp: Path
    procs: list[Proc] = field(default_factory=list)

    def start(self, args: list[str], *, tf_config: dict | None, name: str, cwd: Path | None = None,
              script: Path | None = None, extra_env: dict | None = None) -> Proc:
        """``kspec ARGS`` (or ``python SCRIPT ARGS``) in its own process group, under a hard deadline."""
        log = self.tmp / f"{name}.log"
        target = [str(script)] if script is not None else ["-m", "kspec.cli"]
        cmd = ["timeout", "-s", "KILL", str(WORKER_TIMEOUT_S), sys.executable, *target, *args]
        popen = subprocess.Popen(cmd, cwd=cwd or self.tmp, env=env_for(tf_config, **(extra_env or {})),
                                 stdout=open(log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
        proc = Proc(len(self.procs), popen, log)
        self.procs.append(proc)
        return proc

    def run_cluster(self, args: list[str], n: int = 2, *, name: str = "worker", **kw) -> list[Proc]:
        return [self.start(["run", *args], tf_config=cfg, name=f"{name}{i}", **kw) for i, cfg in enumerate(cluster(n))]

    def wait_all(self, procs: list[Proc], timeout: float) -> list[int]:
        deadline = time.monotonic() + timeout
        codes = []
        for p in procs:
            try:
                codes.append(p.wait(max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                self.stop()
                raise AssertionError(f"workers still running after {timeout:.0f} s:\n"
                                     + "\n".join(f"--- {q.log.name}\n{tail(q.output)}" for q in procs)) from None
        return codes

    def stop(self) -> None:
        for p in self.procs:
            p.kill()


def tail(text: str, n: int = 40) -> str:
    lines = [ln for ln in text.splitlines() if not ln.startswith(("WARNING: All log", "I0000", "W0000"))]
    return "\n".join(lines[-n:])


def run_dirs(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir()) if out.exists() else []


def history(run_dir: Path) -> list[dict]:
    return json.loads((run_dir / "history.json").read_text())["epochs"]


def manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())
