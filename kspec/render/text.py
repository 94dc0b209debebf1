"""Human formats: ``full`` (a code frame pointing at the place) and ``concise`` (one line each)."""

from __future__ import annotations

from typing import Sequence

from ..diagnostics import Diagnostic, Severity


def _frame(source: str | None, line: int, col: int, end_col: int | None, width: int = 1) -> list[str]:
    if not source:
        return []
    lines = source.splitlines()
    if not (1 <= line <= len(lines)):
        return []
    gutter = len(str(min(line + 1, len(lines))))
    out = []
    for n in range(max(1, line - 1), line + 1):
        out.append(f" {str(n).rjust(gutter)} | {lines[n - 1]}")
    length = max(1, (end_col - col) if end_col and end_col > col else 1)
    out.append(f" {' ' * gutter} | {' ' * (col - 1)}{'^' * length}")
    return out


def render_one(d: Diagnostic, sources: dict[str, str]) -> str:
    where = f"{d.span}: " if d.span else ""
    head = f"{where}{d.severity.value}[{d.code}] {d.message} ({d.name})"
    out = [head]
    if d.span:
        out.extend(_frame(sources.get(d.span.file), d.span.line, d.span.col, d.span.end_col))
    if d.path:
        out.append(f"   = path: {d.path}")
    for r in d.related:
        loc = f"{r.span}: " if r.span else ""
        out.append(f"   = note: {loc}{r.message}")
    if d.hint:
        out.append(f"   = help: {d.hint}")
    return "\n".join(out)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    counts = {s: sum(1 for d in diagnostics if d.severity is s) for s in Severity}
    if not diagnostics:
        return "no problems found"
    parts = [f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}" for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if counts[s]]
    return "found " + ", ".join(parts)


def render_full(diagnostics: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    blocks = [render_one(d, sources) for d in diagnostics]
    return "\n\n".join(blocks + [summary(diagnostics)]) + "\n"


def render_concise(diagnostics: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    lines = []
    for d in diagnostics:
        where = f"{d.span}: " if d.span else ""
        lines.append(f"{where}{d.code} [{d.severity.value}] {d.message}")
    return "\n".join(lines + [summary(diagnostics)]) + "\n"
