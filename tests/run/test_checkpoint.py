"""The resume checkpoint: when it is saved, and that a kill never leaves a state pointing at
another epoch's model. No TensorFlow: a fake model writes a file."""

from __future__ import annotations

import json

import pytest

from kspec.run import checkpoint
from kspec.run.checkpoint import Checkpointer, clean_temporaries, read_state


class FakeModel:
    def __init__(self, clock=None, cost=0.0):
        self.saved = []
        self.clock, self.cost = clock, cost

    def save(self, path):
        if self.clock is not None:
            self.clock.t += self.cost
        with open(path, "w") as f:
            f.write("weights")
        self.saved.append(path)


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_first_and_last_epochs_are_always_saved(tmp_path):
    clock = Clock()
    c = Checkpointer(tmp_path, clock=clock)
    model = FakeModel(clock, cost=0.01)
    assert c.maybe_save(model, 1, final=False)
    clock.t += 0.001
    assert not c.maybe_save(model, 2, final=False)
    assert c.maybe_save(model, 3, final=True)
    assert read_state(tmp_path).epochs_completed == 3


def test_slow_epochs_are_saved_every_epoch_fast_ones_throttled(tmp_path):
    clock = Clock()
    c = Checkpointer(tmp_path, clock=clock, overhead_factor=50)
    model = FakeModel(clock, cost=0.02)  # one save: 20 ms -> at most one save per second
    saved = []
    for epoch in range(1, 2001):
        clock.t += 0.002  # a 2 ms epoch (the course's hello spec)
        if c.maybe_save(model, epoch, final=epoch == 2000):
            saved.append(epoch)
    assert saved[0] == 1 and saved[-1] == 2000 and 3 <= len(saved) <= 8
    assert c.total_cost / clock.t < 0.05
    slow = Checkpointer(tmp_path / "slow", clock=clock, overhead_factor=50)
    saved = []
    for epoch in range(1, 6):
        clock.t += 5.0  # a 5 s epoch
        if slow.maybe_save(model, epoch, final=epoch == 5):
            saved.append(epoch)
    assert saved == [1, 2, 3, 4, 5]


def test_max_interval_bounds_lost_work_when_saves_are_slow(tmp_path):
    clock = Clock()
    c = Checkpointer(tmp_path, clock=clock, overhead_factor=50, max_interval_s=60)
    model = FakeModel(clock, cost=10.0)  # 50 x 10 s would be 500 s
    c.maybe_save(model, 1, final=False)
    clock.t += 61
    assert c.maybe_save(model, 2, final=False)


def test_only_the_latest_checkpoint_is_kept(tmp_path):
    c = Checkpointer(tmp_path)
    for epoch in (1, 2, 3):
        c.save(FakeModel(), epoch)
    assert sorted(p.name for p in checkpoint.folder(tmp_path).glob("*.keras")) == ["epoch-0003.keras"]
    state = json.loads((checkpoint.folder(tmp_path) / "state.json").read_text())
    assert state["epochs_completed"] == 3 and state["checkpoint"] == "epoch-0003.keras"


def test_a_kill_between_model_and_state_keeps_the_previous_pair(tmp_path, monkeypatch):
    c = Checkpointer(tmp_path)
    c.save(FakeModel(), 4)

    def killed(*a, **k):
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after this point runs

    monkeypatch.setattr(checkpoint, "write_json", killed)
    with pytest.raises(KeyboardInterrupt):
        c.save(FakeModel(), 5)
    state = read_state(tmp_path)
    assert state.epochs_completed == 4 and state.checkpoint.name == "epoch-0004.keras" and state.ok


def test_a_kill_during_the_model_save_leaves_no_partial_file(tmp_path):
    class Dies(FakeModel):
        def save(self, path):
            with open(path, "w") as f:
                f.write("half")
            raise KeyboardInterrupt

    c = Checkpointer(tmp_path)
    c.save(FakeModel(), 1)
    with pytest.raises(KeyboardInterrupt):
        c.save(Dies(), 2)
    assert read_state(tmp_path).epochs_completed == 1
    assert [p.name for p in checkpoint.folder(tmp_path).iterdir() if p.name.startswith(".")] == []


def test_state_without_its_model_file_is_no_checkpoint(tmp_path):
    Checkpointer(tmp_path).save(FakeModel(), 2)
    (checkpoint.folder(tmp_path) / "epoch-0002.keras").unlink()
    assert read_state(tmp_path) is None
    (checkpoint.folder(tmp_path) / "state.json").write_text("{not json")
    assert read_state(tmp_path) is None


def test_clean_temporaries_removes_what_a_kill_left(tmp_path):
    (tmp_path / ".history.json.abc123.tmp").write_text("{")
    (tmp_path / "resume").mkdir()
    (tmp_path / "resume" / ".epoch-0003.tmp.keras").write_text("x")
    (tmp_path / "history.json").write_text("{}")
    removed = clean_temporaries(tmp_path)
    assert len(removed) == 2 and (tmp_path / "history.json").exists()


def test_remove_drops_the_folder(tmp_path):
    Checkpointer(tmp_path).save(FakeModel(), 1)
    checkpoint.remove(tmp_path)
    assert not checkpoint.folder(tmp_path).exists()
