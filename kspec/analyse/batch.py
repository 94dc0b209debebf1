"""Lint many spec files in one pass: the library behind ``kspec lint PATH...``.

Each file goes through the same :class:`kspec.pipeline.Pipeline` stages as ``kspec run`` (parse,
validate, resolve, plan, rules). A file that cannot be read or validated yields its diagnostics
and is counted as invalid; a crash inside kspec becomes a ``KS000 internal-error`` finding for
that file, and the other files are still linted. Large batches are spread over worker processes
(forked, so they inherit the loaded models and pay no start-up cost).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..diagnostics import Diagnostic, KspecError, Severity, Span
from .base import LintConfig

PARALLEL_FROM = 48
"""Files from which a batch is spread over worker processes."""


@dataclass
class FileResult:
    file: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    invalid: bool = False
    """The spec could not be read or validated (exit code 2)."""
    crashed: bool = False
    """kspec itself failed on this spec (a bug: KS000)."""
    error: str | None = None
    """A failure that is not a finding (an unreadable part file, ...), as text."""


@dataclass
class BatchResult:
    files: list[FileResult]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    @property
    def sources(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.files:
            out.update(f.sources)
        return out

    @property
    def invalid(self) -> list[str]:
        return [f.file for f in self.files if f.invalid or f.crashed]

    def fails(self, fail_on: str) -> bool:
        """Any finding at or above ``fail_on`` (error, warning, info; never: False)."""
        if fail_on == "never":
            return False
        bar = Severity(fail_on)
        return any(d.severity >= bar for d in self.diagnostics)


def lint_file(path: Path | str, config: LintConfig | None = None, overrides=()) -> FileResult:
    """Every diagnostic of one spec file (schema errors and lint findings), never raising.
    ``overrides``: ``--set`` values (:mod:`kspec.overrides`), applied to the file before validation."""
    from ..pipeline import Pipeline

    result = FileResult(str(path))
    p = Pipeline(path, lint_config=config, overrides=overrides)
    try:
        result.diagnostics = p.diagnostics
        result.invalid = any(d.severity is Severity.ERROR for d in p.spec_diagnostics)
    except KspecError as e:
        result.invalid = True
        result.error = str(e)
    except Exception as e:  # a bug in kspec: report it as a finding and go on with the other files
        result.crashed = True
        result.diagnostics = [Diagnostic("KS000", "internal-error", Severity.ERROR,
                                         f"kspec crashed on this spec: {type(e).__name__}: {e}",
                                         span=Span(str(path), 1, 1),
                                         hint="this is a bug in kspec; please report it with the spec")]
    try:
        result.sources = dict(p.document.sources)
    except Exception:  # pragma: no cover - the document itself failed to load
        result.sources = {}
    return result


def _work(args: tuple) -> FileResult:
    return lint_file(*args)


def _jobs(n_files: int, jobs: int | None) -> int:
    if jobs is not None:
        return max(1, jobs)
    if n_files < PARALLEL_FROM:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, n_files // (PARALLEL_FROM // 2)))


def lint_files(files: Sequence[Path | str], config: LintConfig | None = None, *,
               jobs: int | None = None, overrides=()) -> BatchResult:
    """Lint ``files`` in order. ``jobs``: worker processes (default: one per CPU for large batches)."""
    n = _jobs(len(files), jobs)
    if n <= 1 or len(files) < 2:
        return BatchResult([lint_file(f, config, overrides) for f in files])
    import multiprocessing as mp

    try:
        ctx = mp.get_context("fork")
    except ValueError:  # pragma: no cover - no fork on this platform
        return BatchResult([lint_file(f, config, overrides) for f in files])
    _warm()
    with ctx.Pool(n) as pool:
        chunk = max(1, min(64, len(files) // (4 * n)))
        results = pool.map(_work, [(str(f), config, list(overrides)) for f in files], chunksize=chunk)
    return BatchResult(results)


def _warm() -> None:
    """Import what every spec needs before forking, so each worker starts with it loaded."""
    from . import rules, shapes  # noqa: F401
    from .. import resolve, validate  # noqa: F401
