"""Two ``kspec run`` workers on 127.0.0.1 under MultiWorkerMirroredStrategy, on CPU.

The job is started the way a user starts it on two machines: the same command on each, each
with its own TF_CONFIG. One job is shared by the tests of this module (it takes ~20-40 s).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from .helpers import TWO_EPOCHS, Workers, cluster, history, manifest, run_dirs, tail

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("two-workers")
    spec = tmp / "mw.yaml"
    spec.write_text(TWO_EPOCHS)
    out = tmp / "runs"
    # the same spec ejected as a plain script, trained at the same time on a cluster of its own
    import kspec

    ejected = tmp_path_factory.mktemp("ejected")
    w, e = Workers(tmp), Workers(ejected)
    try:
        procs = w.run_cluster([str(spec), "--out", str(out), "--distribute", "multi_worker"], 2)
        kspec.load(spec, set=["train.distribute=multi_worker"]).eject(ejected / "train.py")  # while they start
        eprocs = [e.start([], tf_config=cfg, name=f"ejected{i}", script=ejected / "train.py")
                  for i, cfg in enumerate(cluster(2))]
        codes = w.wait_all(procs, 180)
        ecodes = e.wait_all(eprocs, 180)
    finally:
        w.stop()
        e.stop()
    return {"tmp": tmp, "spec": spec, "out": out, "procs": procs, "codes": codes, "ejected": ejected,
            "eprocs": eprocs, "ecodes": ecodes}


def test_both_workers_finish(job):
    assert job["codes"] == [0, 0], "\n".join(f"--- worker {p.index}\n{tail(p.output)}" for p in job["procs"])


def test_the_run_directory_is_written_once_by_the_chief(job):
    out = job["out"]
    dirs = run_dirs(out)
    assert len(dirs) == 1, f"expected one run directory, found {dirs}"
    assert sorted(p.name for p in out.iterdir()) == [dirs[0].name]
    run = dirs[0]
    for name in ("spec.resolved.json", "manifest.json", "history.json", "history.csv", "model.keras",
                 "metrics.json", "predictions.json", "loss.png", "summary.txt"):
        assert (run / name).is_file(), f"{name} missing from {sorted(p.name for p in run.iterdir())}"
    # the other worker keeps nothing on disk: the test folder holds the spec, logs and runs/ only
    assert sorted(p.name for p in job["tmp"].iterdir()) == ["mw.yaml", "runs", "worker0.log", "worker1.log"]
    assert "kspec: run directory" not in job["procs"][1].output
    m = manifest(run)
    assert m["status"] == "completed"
    assert m["distribute"]["worker_index"] == 0


def test_history_has_every_epoch_and_step(job):
    run = run_dirs(job["out"])[0]
    rows = history(run)
    assert [r["epoch"] for r in rows] == [1, 2]
    assert all({"loss", "accuracy", "val_loss", "val_accuracy"} <= set(r) for r in rows)
    d = manifest(run)["distribute"]
    assert d["strategy"] == "multi_worker" and d["workers"] == 2 and d["replicas"] == 2
    assert d["global_batch"] == 32 and d["per_replica_batch"] == 16
    assert d["steps_per_epoch"] == 8  # 256 training samples / global batch 32
    chief = job["procs"][0].output
    assert len(re.findall(r"^8/8 - ", chief, re.M)) == 2, tail(chief)
    assert "(12 steps)" not in job["procs"][1].output and "(16 steps)" in job["procs"][1].output


def test_weights_are_identical_on_both_workers(job):
    d = manifest(run_dirs(job["out"])[0])["distribute"]
    assert d["weights_identical"] is True
    assert len(d["weights_sha256"]) == 2 and d["weights_sha256"][0] == d["weights_sha256"][1]
    # worker 1 prints the digest of its own weights
    m = re.search(r"worker 1: trained epochs 1-2 \(16 steps\) .* weights ([0-9a-f]{12})", job["procs"][1].output)
    assert m, tail(job["procs"][1].output)
    assert m.group(1) == d["weights_sha256"][0]


def test_two_workers_compute_what_one_process_computes(job, tmp_path):
    """Same spec, same seed, no shuffling, no partial batch: 2 workers x 16 samples per step give
    the gradient of the same 32-sample batch that one process takes."""
    import subprocess
    import sys

    from .helpers import env_for

    out = tmp_path / "single"
    r = subprocess.run([sys.executable, "-m", "kspec.cli", "run", str(job["spec"]), "--out", str(out)],
                       env=env_for(), capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    import keras

    single = keras.models.load_model(run_dirs(out)[0] / "model.keras")
    multi = keras.models.load_model(run_dirs(job["out"])[0] / "model.keras")
    for a, b in zip(single.get_weights(), multi.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    h1, h2 = history(run_dirs(out)[0]), history(run_dirs(job["out"])[0])
    for a, b in zip(h1, h2):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4)
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-4)
        assert a["accuracy"] == pytest.approx(b["accuracy"], abs=1e-6)
    m1, m2 = (json.loads((run_dirs(o)[0] / "metrics.json").read_text()) for o in (out, job["out"]))
    assert m1["loss"] == pytest.approx(m2["loss"], rel=1e-4)


def test_the_ejected_script_trains_as_the_two_workers_did(job):
    """`kspec eject` of a multi_worker spec: MultiWorkerMirroredStrategy and the training loop in
    plain TensorFlow. On its own two-worker cluster it gives kspec's history."""
    assert job["ecodes"] == [0, 0], "\n".join(f"--- ejected {p.index}\n{tail(p.output)}" for p in job["eprocs"])
    assert "MultiWorkerMirroredStrategy: 2 replica(s)" in job["eprocs"][0].output
    assert sorted(p.name for p in job["ejected"].iterdir() if not p.name.endswith(".log")) == [
        "train.py", "train_data.npz", "train_out"]  # the chief wrote, the other worker did not
    ejected = json.loads((job["ejected"] / "train_out" / "history.json").read_text())
    ours = history(run_dirs(job["out"])[0])
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(ejected[key]) == 2
        assert max(abs(a - r[key]) for a, r in zip(ejected[key], ours)) <= 1e-6, key
