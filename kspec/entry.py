"""The ``kspec`` command: ``lint`` read by :mod:`kspec.lintcmd` when it can (no typer to load),
everything else by :mod:`kspec.cli`."""

from __future__ import annotations

import sys


def main() -> None:
    from .lintcmd import dispatch

    dispatch(sys.argv[1:])
    from .cli import main as full

    full()
