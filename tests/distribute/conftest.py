from __future__ import annotations

import pytest

from .helpers import Workers


@pytest.fixture
def workers(tmp_path):
    """Start worker processes; every one still running at the end of the test is SIGKILLed."""
    w = Workers(tmp_path)
    try:
        yield w
    finally:
        w.stop()
