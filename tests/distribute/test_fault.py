"""A worker is killed after the first epoch; the job is restarted with ``kspec run --resume``
on every worker and continues at epoch 2 from the chief's checkpoint."""

from __future__ import annotations

import json
import re
import time

import pytest

from .helpers import TWO_EPOCHS, history, manifest, run_dirs, tail

pytestmark = [pytest.mark.slow, pytest.mark.heavy]

# Three epochs long enough (150 steps, a few seconds each) that the kill lands inside epoch 2.
THREE_LONG_EPOCHS = TWO_EPOCHS.replace("name: mw", "name: fault").replace(
    "train: {epochs: 2, batch_size: 32, seed: 7, verbose: 2}",
    "train: {epochs: 3, batch_size: 32, seed: 7, verbose: 2, steps_per_epoch: 150}")


def _rows(run_dir) -> int:
    try:
        return len(json.loads((run_dir / "history.json").read_text())["epochs"])
    except (OSError, ValueError, KeyError):
        return 0


def test_killed_worker_then_resume_continues_at_epoch_2(workers, tmp_path):
    spec = tmp_path / "fault.yaml"
    spec.write_text(THREE_LONG_EPOCHS)
    out = tmp_path / "runs"
    chief, other = workers.run_cluster([str(spec), "--out", str(out), "--distribute", "multi_worker"], 2)

    deadline = time.monotonic() + 120
    run = None
    while time.monotonic() < deadline:
        dirs = run_dirs(out)
        run = dirs[0] if dirs else None
        if run is not None and _rows(run) >= 1:
            break
        assert chief.popen.poll() is None and other.popen.poll() is None, tail(chief.output) + tail(other.output)
        time.sleep(0.02)
    else:
        pytest.fail("epoch 1 did not finish in 120 s:\n" + tail(chief.output))
    other.kill()  # SIGKILL worker 1 during epoch 2
    assert _rows(run) == 1, "epoch 2 finished before the kill: the epochs are too short for this test"

    # the chief notices that its peer is gone and stops with a clean message
    code = chief.wait(90)
    assert code == 2, tail(chief.output)
    assert re.search(r"the cluster lost a worker (after epoch 1|during epoch 2)", chief.output), tail(chief.output)
    assert "kspec run --resume" in chief.output
    assert "Traceback" not in chief.output
    assert manifest(run)["status"] == "failed"

    # restart the job: every worker resumes the chief's run directory
    procs = workers.run_cluster(["--resume", str(run)], 2, name="resumed")
    codes = workers.wait_all(procs, 150)
    assert codes == [0, 0], "\n".join(tail(p.output) for p in procs)
    assert "resuming" in procs[0].output and "after epoch 1 of 3" in procs[0].output, tail(procs[0].output)
    assert "after epoch 1 of 3" in procs[1].output, tail(procs[1].output)

    rows = history(run)
    assert [r["epoch"] for r in rows] == [1, 2, 3], rows  # no duplicated (or missing) epoch
    m = manifest(run)
    assert m["status"] == "completed"
    assert [r["after_epoch"] for r in m["resumed"]] == [1]
    assert m["distribute"]["weights_identical"] is True
    assert run_dirs(out) == [run]
    assert "trained epochs 2-3" in procs[1].output, tail(procs[1].output)


def test_local_cluster_killed_then_resumed_with_local(tmp_path):
    """The same on one machine: ``--local`` starts the cluster; worker 1 dies during epoch 2; the
    launcher stops the chief and names the run directory; ``kspec run --resume RUN_DIR --local``
    finishes the run."""
    import os
    import signal
    import subprocess
    import sys
    import threading

    from kspec.run.worker import launch

    from .helpers import env_for

    spec = tmp_path / "fault.yaml"
    spec.write_text(THREE_LONG_EPOCHS)
    out = tmp_path / "runs"
    started: list = []
    result: list = []
    t = threading.Thread(target=lambda: result.append(launch(
        [str(spec), "--out", str(out), "--distribute", "multi_worker", "--workers", "2", "--no-lint"], 2,
        out=open(tmp_path / "launch.log", "w"), env=env_for(), timeout=150, on_start=started.extend)))
    t.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            dirs = run_dirs(out)
            if dirs and _rows(dirs[0]) >= 1:
                break
            assert t.is_alive(), (tmp_path / "launch.log").read_text()[-3000:]
            time.sleep(0.02)
        else:
            pytest.fail("epoch 1 did not finish in 120 s:\n" + (tmp_path / "launch.log").read_text()[-3000:])
        os.killpg(started[1].proc.pid, signal.SIGKILL)
        t.join(120)
    finally:
        for w in started:
            if w.proc.poll() is None:
                os.killpg(w.proc.pid, signal.SIGKILL)
    (res,) = result
    log = (tmp_path / "launch.log").read_text()
    assert res.returncode != 0 and res.failed is not None, log[-3000:]
    assert all(w.returncode is not None for w in res.workers)
    (run,) = run_dirs(out)
    assert res.run_dir == run
    assert _rows(run) == 1, "epoch 2 finished before the kill: the epochs are too short for this test"

    r = subprocess.run([sys.executable, "-m", "kspec.cli", "run", "--resume", str(run), "--local"],
                       capture_output=True, text=True, env=env_for(), timeout=180, cwd=tmp_path)
    assert r.returncode == 0, tail(r.stdout + r.stderr)
    assert "starting 2 local workers" in r.stdout and "after epoch 1 of 3" in r.stdout
    assert [row["epoch"] for row in history(run)] == [1, 2, 3]
    m = manifest(run)
    assert m["status"] == "completed" and [x["after_epoch"] for x in m["resumed"]] == [1]
    assert run_dirs(out) == [run]
