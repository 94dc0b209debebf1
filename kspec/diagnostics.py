"""Findings as data.

One :class:`Diagnostic` type carries syntax errors, schema errors, lint findings and run
diagnostics alike. Every stage produces them; every reporter renders them. A tool failure (a bug
or an environment problem, not a mistake in a spec) is a :class:`KspecError` and is turned into
exit code 2 at the CLI boundary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

Path = tuple[str | int, ...]


class Severity(str, enum.Enum):
    """How bad a finding is. Ordered: ``info < warning < error``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]

    def __ge__(self, other: "Severity") -> bool:  # type: ignore[override]
        return self.rank >= other.rank

    def __gt__(self, other: "Severity") -> bool:  # type: ignore[override]
        return self.rank > other.rank

    def __le__(self, other: "Severity") -> bool:  # type: ignore[override]
        return self.rank <= other.rank

    def __lt__(self, other: "Severity") -> bool:  # type: ignore[override]
        return self.rank < other.rank


COMMAND_LINE = "command line: "
"""Start of the file name of a place on the command line (``command line: --set train.epochs``)."""


@dataclass(frozen=True)
class Span:
    """A place in a source file. Lines and columns are 1-based; ``end_*`` is inclusive-exclusive."""

    file: str
    line: int
    col: int
    end_line: int | None = None
    end_col: int | None = None

    @property
    def on_command_line(self) -> bool:
        """A ``--set`` option, not a file (line and column are in the option's text)."""
        return self.file.startswith(COMMAND_LINE)

    def __str__(self) -> str:
        if self.on_command_line:  # a --set option: its name is the place
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Related:
    """A second place that explains a finding (for example where the class count comes from)."""

    message: str
    span: Span | None = None
    path: str | None = None


@dataclass(frozen=True)
class Diagnostic:
    code: str
    """Stable code: ``KS`` and three digits; the hundreds digit is the group."""
    name: str
    """Kebab-case rule name, e.g. ``last-layer-units-mismatch``."""
    severity: Severity
    message: str
    """What was found and what was expected, with the values."""
    path: str = ""
    """Logical path into the spec, e.g. ``model.layers[3].units``."""
    span: Span | None = None
    hint: str | None = None
    """How to fix it."""
    related: tuple[Related, ...] = ()
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """Machine-readable extras (received / expected values) for JSON output."""

    def with_severity(self, severity: Severity) -> "Diagnostic":
        return replace(self, severity=severity)

    @property
    def file(self) -> str | None:
        return self.span.file if self.span else None

    def sort_key(self) -> tuple:
        s = self.span
        return (s.file if s else "", s.line if s else 0, s.col if s else 0, self.code)


def format_path(path: Iterable[str | int]) -> str:
    """``('model', 'layers', 3, 'units')`` -> ``model.layers[3].units``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def worst(diagnostics: Iterable[Diagnostic]) -> Severity | None:
    sev = None
    for d in diagnostics:
        if sev is None or d.severity > sev:
            sev = d.severity
    return sev


class KspecError(Exception):
    """A failure that is not a finding: missing file, unusable data, an environment problem.

    The CLI prints ``message`` (and ``hint``) and exits with code 2. Never shows a traceback.
    """

    def __init__(self, message: str, hint: str | None = None, *, span: Span | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.span = span

    def __str__(self) -> str:
        where = f"{self.span}: " if self.span else ""
        return where + self.message + (f"\n  hint: {self.hint}" if self.hint else "")


class SpecInvalid(KspecError):
    """Raised by stages that need a valid spec when the spec has error-level diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        n = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
        super().__init__(f"the spec has {n} error(s)")


def did_you_mean(word: str, choices: Iterable[str], n: int = 1) -> str | None:
    """The closest choice to ``word`` (case-insensitive), or None."""
    import difflib

    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return lowered[word.lower()]
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    return lowered[hits[0]] if hits else None
