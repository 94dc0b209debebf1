from __future__ import annotations

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
