"""Run diagnostics in the run directory (``diagnostics.json``) and on the console.

The file is what ``kspec lint --format json`` prints when that reporter is registered, so one
tool reads lint and run findings alike; until then it is the same fields in kspec's own shape
(below). On the console they go through the ``full`` or ``concise`` reporter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from ..atomic import write_text
from ..diagnostics import Diagnostic, Severity

FILE = "diagnostics.json"


def to_dict(d: Diagnostic) -> dict[str, Any]:
    out: dict[str, Any] = {"code": d.code, "name": d.name, "severity": d.severity.value, "message": d.message,
                           "path": d.path or None, "hint": d.hint}
    if d.span:
        out["span"] = {"file": d.span.file, "line": d.span.line, "col": d.span.col,
                       "end_line": d.span.end_line, "end_col": d.span.end_col}
    if d.related:
        out["related"] = [{"message": r.message, "path": r.path,
                           "span": ({"file": r.span.file, "line": r.span.line, "col": r.span.col} if r.span else None)}
                          for r in d.related]
    if d.data:
        out["data"] = d.data
    return out


def _fallback_json(diagnostics: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    counts = {s.value: sum(1 for d in diagnostics if d.severity is s) for s in Severity}
    return json.dumps({"version": 1, "diagnostics": [to_dict(d) for d in diagnostics], "summary": counts},
                      indent=2, default=str) + "\n"


def render_json(diagnostics: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    from ..render import REPORTERS

    reporter = REPORTERS.get("json")
    if reporter is None:
        try:  # a reporter module may register itself on import
            from ..render import pick

            reporter = pick("json")
        except (KeyError, ImportError):
            reporter = None
    return (reporter or _fallback_json)(list(diagnostics), sources)


def write(run_dir: Path, diagnostics: Sequence[Diagnostic], sources: dict[str, str]) -> Path:
    return write_text(Path(run_dir) / FILE, render_json(diagnostics, sources))


def read(run_dir: Path) -> list[dict[str, Any]]:
    """The findings saved in a run directory, as dicts with at least code, severity and message."""
    p = Path(run_dir) / FILE
    if not p.is_file():
        return []
    data = json.loads(p.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        for key in ("diagnostics", "findings", "results"):
            if isinstance(data.get(key), list):
                return data[key]
    return data if isinstance(data, list) else []


def render_console(diagnostics: Sequence[Diagnostic], sources: dict[str, str], fmt: str = "full") -> str:
    from ..render import pick

    return pick(fmt)(list(diagnostics), sources)
