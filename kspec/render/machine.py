"""Machine formats: ``json`` (kspec's own, versioned), ``sarif`` (SARIF 2.1.0 for code scanning)
and ``github`` (GitHub Actions workflow-command annotations)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote
from typing import Any, Sequence

from ..version import __version__
from ..diagnostics import Diagnostic, Related, Severity, Span
from .text import summary

JSON_VERSION = 1
"""Version of the ``json`` format. Bumped when a field changes meaning or disappears."""

INFORMATION_URI = "https://github.com/kspec/kspec"


def _span(span: Span | None) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"file": span.file, "line": span.line, "col": span.col, "end_line": span.end_line, "end_col": span.end_col}


def _related(r: Related) -> dict[str, Any]:
    return {"message": r.message, "path": r.path, "span": _span(r.span)}


def _plain(value: Any) -> Any:
    """JSON-safe copy of a diagnostic's ``data``."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "item"):  # NumPy scalar
        return value.item()
    return str(value)


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity.value,
        "message": d.message,
        "path": d.path,
        "span": _span(d.span),
        "hint": d.hint,
        "related": [_related(r) for r in d.related],
        "data": _plain(d.data),
    }


def render_json(diagnostics: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    counts = {s.value: sum(1 for d in diagnostics if d.severity is s) for s in Severity}
    doc = {
        "version": JSON_VERSION,
        "tool": {"name": "kspec", "version": __version__},
        "summary": {**counts, "files": sorted(set(sources) | {d.span.file for d in diagnostics if d.span})},
        "diagnostics": [diagnostic_json(d) for d in diagnostics],
    }
    return json.dumps(doc, indent=2) + "\n"


# ------------------------------------------------------------------------------------ SARIF

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _relative(file: str) -> str | None:
    """A diagnostic's file relative to the working folder (POSIX form), or None when it is outside."""
    try:
        return Path(file).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return None


def _uri(file: str) -> tuple[str, bool]:
    """(URI, relative to the working folder?) of a diagnostic's file: a relative reference or a
    ``file:`` URI, percent-encoded by RFC 3986 (a space, ``%``, ``#``, ``?``, ``:`` or a letter
    outside ASCII is never written raw)."""
    relative = _relative(file)
    if relative is not None:
        return quote(relative, safe="/"), True
    p = Path(file)
    if p.is_absolute() or p.exists():
        return p.resolve().as_uri(), False
    return quote(p.as_posix(), safe="/"), False


def _location(span: Span) -> dict[str, Any]:
    uri, relative = _uri(span.file)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    region: dict[str, Any] = {"startLine": span.line, "startColumn": span.col}
    if span.end_line and span.end_col:
        region.update(endLine=span.end_line, endColumn=span.end_col)
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def sarif_rules(diagnostics: Sequence[Diagnostic]) -> list[dict[str, Any]]:
    """One entry per code: every lint rule, plus the spec and tool codes that occur."""
    from ..analyse.rules import RULES
    from ..docs import SPEC_CODES, render_rule_markdown, sections, summary as rule_summary

    entries = []
    for rule in sorted(RULES, key=lambda r: r.code):
        s = sections(rule)
        entries.append({
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule_summary(rule)},
            "fullDescription": {"text": " ".join(s.get("What it does", "").split())},
            "help": {"text": _help_text(s), "markdown": render_rule_markdown(rule)},
            "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            "properties": {"tags": ["kspec", rule.code[:3] + "xx"]},
        })
    known = {e["id"] for e in entries}
    for d in diagnostics:
        if d.code in known:
            continue
        known.add(d.code)
        name, text = SPEC_CODES.get(d.code, (d.name, d.name.replace("-", " ")))
        entries.append({
            "id": d.code, "name": name,
            "shortDescription": {"text": text},
            "fullDescription": {"text": text},
            "help": {"text": text + " See `kspec validate` for every schema finding."},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["kspec", "spec"]},
        })
    return sorted(entries, key=lambda e: e["id"])


def _help_text(s: dict[str, str]) -> str:
    out = []
    for head in ("What it does", "Why is this bad", "Example", "Use instead"):
        body = s.get(head, "")
        out.append(f"{head}:\n{body}")
    return "\n\n".join(out)


def render_sarif(diagnostics: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    rules = sarif_rules(diagnostics)
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for d in diagnostics:
        text = d.message + (f"\nhelp: {d.hint}" if d.hint else "")
        on_command_line = d.span is not None and d.span.on_command_line
        if on_command_line:  # not a file: no physical location, the option named in the message
            text = f"{d.span}: {text}"
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _LEVEL[d.severity],
            "message": {"text": text},
            "locations": [],
        }
        loc: dict[str, Any] = _location(d.span) if d.span and not on_command_line else {}
        if d.path:
            loc["logicalLocations"] = [{"fullyQualifiedName": d.path, "kind": "member"}]
        if loc:
            result["locations"].append(loc)
        related = [dict(_location(r.span), id=i, message={"text": r.message})
                   for i, r in enumerate(d.related) if r.span and not r.span.on_command_line]
        if related:
            result["relatedLocations"] = related
        if d.data:
            result["properties"] = {"data": _plain(d.data), "name": d.name}
        results.append(result)
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "kspec", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2) + "\n"


# ------------------------------------------------------------------------------------ GitHub

_GH_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    """``::error file=..,line=..,col=..,title=KS201 name::message`` lines, one per finding."""
    lines = []
    for d in diagnostics:
        props = []
        body = d.message + (f"\nhelp: {d.hint}" if d.hint else "")
        if d.span and d.span.on_command_line:
            body = f"{d.span}: {body}"
        elif d.span:
            relative = _relative(d.span.file)
            props.append(f"file={_gh_prop(relative if relative is not None else d.span.file)}")
            props.append(f"line={d.span.line}")
            props.append(f"col={d.span.col}")
            if d.span.end_line and d.span.end_col:
                props.append(f"endLine={d.span.end_line}")
                props.append(f"endColumn={d.span.end_col}")
        props.append(f"title={_gh_prop(f'{d.code} {d.name}')}")
        lines.append(f"::{_GH_LEVEL[d.severity]} {','.join(props)}::{_gh_data(body)}")
    return "\n".join(lines + [summary(diagnostics)]) + "\n"
