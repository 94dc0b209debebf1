"""Reporters: one per output format, in a small registry. The CLI only picks one by name.

    full     a code frame pointing at each finding (for people)
    concise  one line per finding
    json     every Diagnostic field, related locations included, with a format ``version``
    sarif    SARIF 2.1.0 for code-scanning tools (one ``rules`` entry per code)
    github   GitHub Actions annotations (``::error file=..,line=..::message``)
    auto     ``github`` when ``GITHUB_ACTIONS=true``, else ``full``
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

from ..diagnostics import Diagnostic
from . import machine, text

Reporter = Callable[[Sequence[Diagnostic], dict[str, str]], str]
"""(diagnostics, sources: file -> text) -> rendered output."""

REPORTERS: dict[str, Reporter] = {
    "full": text.render_full,
    "concise": text.render_concise,
    "json": machine.render_json,
    "sarif": machine.render_sarif,
    "github": machine.render_github,
}


def register(name: str, fn: Reporter) -> None:
    REPORTERS[name] = fn


def resolve_name(name: str) -> str:
    """The reporter ``auto`` stands for here, or ``name`` itself."""
    if name == "auto":
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "full"
    return name


def pick(name: str) -> Reporter:
    name = resolve_name(name)
    if name not in REPORTERS:
        from ..diagnostics import KspecError

        raise KspecError(f"unknown output format {name!r}", hint="choose one of: auto, " + ", ".join(REPORTERS))
    return REPORTERS[name]
