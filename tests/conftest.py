from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# kspec's on-disk cache of file facts (kspec.cache): a folder of this test session, not the user's
os.environ.setdefault("KSPEC_CACHE_DIR", tempfile.mkdtemp(prefix="kspec-test-cache-"))
# the key that seals run directories made on this machine (kspec.run.rundir.seal): the test session's own
os.environ.setdefault("KSPEC_KEY_FILE", os.path.join(tempfile.mkdtemp(prefix="kspec-test-key-"), "run.key"))


def example_specs() -> list[Path]:
    """Every full spec in specs/ (part files under specs/parts are composed into them)."""
    return sorted(p for p in SPECS.glob("*.yaml")) + sorted(SPECS.glob("*.json"))


@pytest.fixture
def spec_file(tmp_path):
    """Write spec text to a file in a temporary folder and return its path."""

    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def fake_imdb(home: Path) -> Path:
    """A tiny imdb-format Keras cache: imdb.npz (ragged word ranks, as Keras stores them) and
    imdb_word_index.json. Reviews with "good" / "great" are positive (1), "bad" / "awful" negative."""
    import numpy as np

    index = {"the": 1, "film": 2, "was": 3, "plot": 4, "good": 5, "bad": 6, "great": 7, "awful": 8, "really": 9}
    rng = np.random.default_rng(0)

    def reviews(n):
        x, y = np.empty(n, dtype=object), np.zeros(n, dtype=np.int64)
        for k in range(n):
            y[k] = k % 2
            word = ("bad", "awful", "good", "great")[2 * y[k] + rng.integers(2)]
            words = ["the", str(rng.choice(["film", "plot"])), "was"] + ["really"] * int(rng.integers(2)) + [word]
            x[k] = [index[w] for w in words]
        return x, y

    (home / "datasets").mkdir(parents=True)
    (x, y), (xt, yt) = reviews(256), reviews(64)
    np.savez(home / "datasets" / "imdb.npz", x_train=x, y_train=y, x_test=xt, y_test=yt)
    (home / "datasets" / "imdb_word_index.json").write_text(json.dumps(index))
    return home / "datasets" / "imdb.npz"
