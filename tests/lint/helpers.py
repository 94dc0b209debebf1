"""Helpers for lint tests: turn a spec fragment into a full spec and lint it.

A fragment is YAML whose top-level sections (``data:``, ``model:``, ``compile:``, ``train:`` ...)
replace the same sections of :data:`BASE`; sections it does not name are taken from BASE. The
merge is textual, so the fragment keeps its own line numbers and comments (``# kspec: ignore[...]``
works in a fragment) and the finding's line can be checked.
"""

from __future__ import annotations

import re
from pathlib import Path

from kspec.analyse.lint import LintConfig
from kspec.diagnostics import Diagnostic
from kspec.pipeline import Pipeline

LINT_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lint"

BASE = """\
kspec: 1
data: {type: keras, name: fashion_mnist, rescale: 1/255}
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 128, activation: relu}
    - {type: Dense, units: 10, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
train: {epochs: 5}
"""
"""The small valid spec fragments are merged over: Fashion-MNIST, the course's MLP. Lints clean."""

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:", re.M)


def sections(text: str) -> dict[str, str]:
    """Top-level key -> its text (key line and everything indented under it)."""
    marks = list(_TOP_KEY.finditer(text))
    out = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out[m.group(1)] = text[m.start():end].rstrip("\n") + "\n"
    return out


def merge(fragment: str, base: str = BASE) -> str:
    """The fragment, followed by every section of ``base`` that the fragment does not name."""
    fragment = fragment.rstrip("\n") + "\n"
    own = sections(fragment)
    rest = [text for key, text in sections(base).items() if key not in own]
    return fragment + "".join(rest)


def lint_text(text: str, *, file: str = "example.yaml", base_dir: Path = LINT_FIXTURES,
              config: LintConfig | None = None) -> list[Diagnostic]:
    """Every diagnostic of a full spec: schema errors and lint findings."""
    return Pipeline(text=text, file=file, base_dir=base_dir, lint_config=config).diagnostics


def lint_fragment(fragment: str, **kw) -> list[Diagnostic]:
    return lint_text(merge(fragment), **kw)


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]
