"""Kill a real `kspec run` (SIGKILL, SIGINT) in the middle of training, resume it, and check the
history: every epoch once, no gaps, the final epoch count; and no half-written file anywhere."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kspec.run.checkpoint import read_state
from kspec.run.history import gaps

from .helpers import ROOT, TINY_CNN, history, manifest, write_spec

pytestmark = pytest.mark.slow
pytest.importorskip("tensorflow")

EPOCHS = 60
# no validation: a Keras epoch with validation costs several times more on this tiny model
LONG = TINY_CNN.replace("epochs: 2", f"epochs: {EPOCHS}").replace(", validation: 0.25", "")


def start(spec: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kspec.cli", "run", str(spec), "--out", str(out), "-q"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_epochs(out: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> Path:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, f"kspec run ended early:\n{proc.stdout.read()}"
        dirs = list(out.glob("tiny-*"))
        if dirs and (dirs[0] / "history.json").is_file():
            try:
                if len(history(dirs[0])) >= n:
                    return dirs[0]
            except (json.JSONDecodeError, OSError):
                pytest.fail("history.json was read half-written")
        time.sleep(0.02)
    pytest.fail("training did not reach the wanted epoch in time")


def every_json_parses(run_dir: Path) -> None:
    for p in run_dir.rglob("*.json"):
        json.loads(p.read_text())


def resume(run_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kspec.cli", "run", "--resume", str(run_dir), "-q"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def check_resumed(run_dir: Path, res: subprocess.CompletedProcess, recorded: int, done: int) -> None:
    assert res.returncode == 0, res.stdout + res.stderr
    rows = history(run_dir)
    assert [r["epoch"] for r in rows] == list(range(1, EPOCHS + 1))
    assert gaps(rows) == ([], [])
    m = manifest(run_dir)
    assert m["status"] == "completed" and m["epochs_completed"] == EPOCHS
    assert m["resumed"][-1]["after_epoch"] == done and m["resumed"][-1]["dropped_epochs"] == recorded - done
    assert (run_dir / "model.keras").is_file() and not (run_dir / "resume").exists()
    assert not list(run_dir.rglob(".*.tmp*")) and not (run_dir / ".lock").exists()
    every_json_parses(run_dir)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_run_resumes_without_gaps_or_duplicates(tmp_path, sig):
    spec = write_spec(tmp_path, LONG)
    out = tmp_path / "runs"
    proc = start(spec, out)
    run_dir = wait_for_epochs(out, 5, proc)
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=60)
    every_json_parses(run_dir)
    recorded = len(history(run_dir))
    state = read_state(run_dir)
    done = state.epochs_completed if state else 0
    assert recorded < EPOCHS and done <= recorded
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert manifest(run_dir)["status"] == "running"
    else:
        assert proc.returncode == 130, output
        assert manifest(run_dir)["status"] == "interrupted"
        assert f"kspec run --resume {run_dir}" in output and f"checkpoint at epoch {done}" in output
    res = resume(run_dir)
    assert f"after epoch {done} of {EPOCHS}" in res.stdout or (done == 0 and "from the start" in res.stdout)
    if recorded > done:
        assert "after the last checkpoint" in res.stdout and "trained again" in res.stdout
    check_resumed(run_dir, res, recorded, done)


def test_resume_twice_and_resume_of_a_finished_run(tmp_path):
    """Kill, resume, kill the resumed run, resume again; then resuming the finished run is refused."""
    spec = write_spec(tmp_path, LONG)
    out = tmp_path / "runs"
    proc = start(spec, out)
    run_dir = wait_for_epochs(out, 3, proc)
    proc.kill()
    proc.wait()
    first = len(history(run_dir))
    proc = subprocess.Popen([sys.executable, "-m", "kspec.cli", "run", "--resume", str(run_dir), "-q"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for_epochs(out, first + 5, proc)
    proc.kill()
    proc.wait()
    recorded = len(history(run_dir))
    state = read_state(run_dir)
    res = resume(run_dir)
    check_resumed(run_dir, res, recorded, state.epochs_completed if state else 0)
    assert len(manifest(run_dir)["resumed"]) == 2
    again = resume(run_dir)
    assert again.returncode == 2 and "finished already" in again.stderr


def test_a_second_process_cannot_train_in_the_same_run(tmp_path):
    spec = write_spec(tmp_path, LONG)
    out = tmp_path / "runs"
    proc = start(spec, out)
    try:
        run_dir = wait_for_epochs(out, 2, proc)
        res = resume(run_dir)
        assert res.returncode == 2 and "another kspec process" in res.stderr
    finally:
        proc.kill()
        proc.wait()
