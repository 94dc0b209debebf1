"""Starting clusters: ``kspec run --local``, a worker whose peers never come, a port in use, the
launcher's SIGTERM-then-SIGKILL cleanup, and ``mirrored`` on two logical CPUs."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time

import pytest

from kspec.run.worker import LocalWorker, _stop, launch

from .helpers import TWO_EPOCHS, cluster, env_for, history, manifest, run_dirs, tail

pytestmark = pytest.mark.slow


def test_local_starts_a_cluster_of_kspec_run_processes(tmp_path):
    spec = tmp_path / "mw.yaml"
    spec.write_text(TWO_EPOCHS.replace("epochs: 2", "epochs: 1"))
    r = subprocess.run([sys.executable, "-m", "kspec.cli", "run", str(spec), "--out", str(tmp_path / "runs"),
                        "--distribute", "multi_worker", "--workers", "2", "--local"],
                       capture_output=True, text=True, env=env_for(), timeout=180, cwd=tmp_path)
    assert r.returncode == 0, tail(r.stdout + r.stderr)
    assert "[worker 0] kspec: run directory" in r.stdout
    assert "[worker 1] kspec: worker 1: done" in r.stdout
    (run,) = run_dirs(tmp_path / "runs")
    d = manifest(run)["distribute"]
    assert d["workers"] == 2 and d["cluster_source"] == "TF_CONFIG" and d["weights_identical"]
    assert all(a.startswith("127.0.0.1:") for a in d["cluster"])
    assert [row["epoch"] for row in history(run)] == [1]


def test_a_worker_whose_peers_never_start_gives_up_and_names_them(workers, tmp_path):
    spec = tmp_path / "alone.yaml"
    spec.write_text(TWO_EPOCHS.replace("verbose: 2}", "verbose: 2, distribute: {type: multi_worker, startup_timeout: 4}}"))
    cfg = cluster(2)[0]
    t0 = time.monotonic()
    p = workers.start(["run", str(spec), "--out", str(tmp_path / "runs")], tf_config=cfg, name="alone")
    code = p.wait(90)
    assert code in (-9, 137), tail(p.output)  # TensorFlow holds the GIL while it waits: the watchdog SIGKILLs it
    assert time.monotonic() - t0 < 60
    peer = cfg["cluster"]["worker"][1]
    assert f"waited 4 s for the cluster; not up: {peer}" in p.output, tail(p.output)


def test_a_port_in_use_is_a_clean_error(workers, tmp_path):
    spec = tmp_path / "mw.yaml"
    spec.write_text(TWO_EPOCHS)
    cfg = cluster(2)[0]
    host, port = cfg["cluster"]["worker"][0].split(":")
    with socket.socket() as s:
        s.bind((host, int(port)))
        s.listen()
        p = workers.start(["run", str(spec), "--out", str(tmp_path / "runs"), "--distribute", "multi_worker"],
                          tf_config=cfg, name="busy")
        code = p.wait(90)
    assert code == 2, tail(p.output)
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in p.output
    assert "Traceback" not in p.output


def test_stop_kills_what_ignores_sigterm():
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(120)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout.readline().strip() == "up"
    t0 = time.monotonic()
    _stop([LocalWorker(0, "127.0.0.1:1", proc)], grace=1.0)
    assert proc.returncode == -9 and time.monotonic() - t0 < 10


def test_launch_stops_every_worker_when_one_fails(tmp_path):
    """Worker 1 waits for a third worker that never comes (in TensorFlow's C++ code, deaf to
    SIGTERM); worker 0 fails at once (its index is not in its cluster). The launcher reports worker
    0's failure and kills worker 1."""
    spec = tmp_path / "mw.yaml"
    spec.write_text(TWO_EPOCHS.replace("verbose: 2}", "verbose: 2, distribute: {type: multi_worker, startup_timeout: 600}}"))
    three = cluster(3)
    bad = {"cluster": {"worker": three[0]["cluster"]["worker"][:2]}, "task": {"type": "worker", "index": 5}}
    out = io.StringIO()
    t0 = time.monotonic()
    result = launch([str(spec), "--out", str(tmp_path / "runs")], 2, out=out, env=env_for(), timeout=120,
                    tf_configs=[bad, three[1]])
    assert result.failed == 0 and result.returncode == 2, out.getvalue()[-3000:]
    assert "task worker:5 is not in the cluster" in out.getvalue()
    assert result.workers[1].returncode in (-9, -15), result.workers[1].lines[-5:]
    assert time.monotonic() - t0 < 90


def test_launch_timeout_kills_the_cluster(tmp_path):
    spec = tmp_path / "long.yaml"
    spec.write_text(TWO_EPOCHS.replace("epochs: 2", "epochs: 50").replace(
        "verbose: 2}", "verbose: 2, steps_per_epoch: 400, distribute: multi_worker}"))
    out = io.StringIO()
    t0 = time.monotonic()
    result = launch([str(spec), "--out", str(tmp_path / "runs"), "--no-lint"], 2, out=out, env=env_for(), timeout=25)
    assert result.returncode == 124, out.getvalue()[-3000:]
    assert all(w.returncode is not None for w in result.workers)
    assert time.monotonic() - t0 < 60
    assert "ran past 25 s" in out.getvalue()


def test_mirrored_on_two_logical_cpus(tmp_path):
    spec = tmp_path / "mirrored.yaml"
    spec.write_text(TWO_EPOCHS.replace("verbose: 2}", "verbose: 2, distribute: {type: mirrored, devices: ['/cpu:0', '/cpu:1']}}"))
    ours = subprocess.Popen([sys.executable, "-m", "kspec.cli", "run", str(spec), "--out", str(tmp_path / "runs")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env_for(), cwd=tmp_path)
    import kspec  # the same spec as a plain script, trained alongside

    kspec.load(spec).eject(tmp_path / "ejected" / "train.py")
    script_env = {k: v for k, v in env_for().items() if k != "PYTHONPATH"}  # kspec is not needed
    ejected = subprocess.run([sys.executable, str(tmp_path / "ejected" / "train.py")], capture_output=True, text=True,
                             env=script_env, timeout=180, cwd=tmp_path)
    output, _ = ours.communicate(timeout=180)
    assert ours.returncode == 0, tail(output)
    assert ejected.returncode == 0, tail(ejected.stdout + ejected.stderr)
    assert "MirroredStrategy: 2 replica(s)" in ejected.stdout
    script_history = json.loads((tmp_path / "ejected" / "train_out" / "history.json").read_text())
    (run,) = run_dirs(tmp_path / "runs")
    d = manifest(run)["distribute"]
    assert d["strategy"] == "mirrored" and d["replicas"] == 2 and d["per_replica_batch"] == 16
    assert [row["epoch"] for row in history(run)] == [1, 2]
    assert json.loads((run / "metrics.json").read_text())["loss"] > 0
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):  # the ejected script trained the same way
        assert max(abs(a - row[key]) for a, row in zip(script_history[key], history(run))) <= 1e-6, key
