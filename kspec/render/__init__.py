"""Reporters: one per output format, in a small registry. The CLI only picks one by name."""

from __future__ import annotations

import os
from typing import Callable, Sequence

from ..diagnostics import Diagnostic
from . import text

Reporter = Callable[[Sequence[Diagnostic], dict[str, str]], str]
"""(diagnostics, sources: file -> text) -> rendered output."""

REPORTERS: dict[str, Reporter] = {
    "full": text.render_full,
    "concise": text.render_concise,
}


def register(name: str, fn: Reporter) -> None:
    REPORTERS[name] = fn


def pick(name: str) -> Reporter:
    if name == "auto":
        name = "github" if os.environ.get("GITHUB_ACTIONS") == "true" and "github" in REPORTERS else "full"
    return REPORTERS[name]
