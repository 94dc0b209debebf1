"""Rule documentation comes from each rule's docstring (four parts).

``python -m kspec.docs docs/lint.md`` rewrites the rule table between the ``rules:start`` and
``rules:end`` markers of a Markdown file from :data:`kspec.analyse.rules.RULES`; a test checks
that the committed table is current.
"""

from __future__ import annotations

import inspect
import re
import sys

SECTIONS = ("What it does", "Why is this bad", "Example", "Use instead")

SPEC_CODES: dict[str, tuple[str, str]] = {
    "KS000": ("internal-error", "kspec itself failed (a bug): the finding says where; other specs and rules still ran."),
    "KS001": ("syntax-error", "The file is not valid YAML or JSON."),
    "KS002": ("duplicate-key", "A key appears twice in one mapping."),
    "KS003": ("file-not-found", "The spec, or a part file it names, does not exist or cannot be read."),
    "KS004": ("forbidden-tag", "An explicit YAML tag: a spec is data only."),
    "KS005": ("not-a-mapping", "The spec (or a part file) is not a mapping of sections."),
    "KS006": ("document-too-large", "The file nests deeper than 64 levels, holds more than a million values, or its aliases expand by more than 100,000."),
    "KS007": ("bad-override", "A `--set KEY=VALUE` names a place the spec cannot have: a list item past the end, or a key inside a value that is not a mapping."),
    "KS011": ("unknown-key", "A key the spec format does not know (with the closest valid spelling)."),
    "KS012": ("wrong-type", "A value of the wrong type."),
    "KS013": ("missing-key", "A required key is missing."),
    "KS014": ("invalid-value", "A value outside its allowed set or range, or an unknown type name (unknown-type)."),
    "KS015": ("unknown-format-version", "The spec's `kspec:` format version is not one this kspec reads."),
}
"""Codes of the parse and validate stages (not lint rules): code -> (name, description)."""

_TABLE_START = "<!-- rules:start -->"
_TABLE_END = "<!-- rules:end -->"


def sections(rule) -> dict[str, str]:
    """The four docstring parts of a rule, keyed by heading."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    pattern = re.compile(r"^(" + "|".join(SECTIONS) + r"):", re.M)
    marks = list(pattern.finditer(doc))
    out = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(doc)
        out[m.group(1)] = inspect.cleandoc(doc[m.end():end])
    return out


def summary(rule) -> str:
    text = sections(rule).get("What it does", "")
    first = re.split(r"(?<=\.)\s", " ".join(text.split()), maxsplit=1)[0]
    return first


def example(rule, part: str = "Example") -> str:
    """The YAML of the Example (or Use instead) section."""
    return sections(rule).get(part, "")


def render_rule(rule) -> str:
    s = sections(rule)
    out = [f"{rule.code} {rule.name} (default severity: {rule.severity.value})", ""]
    for head in SECTIONS:
        body = s.get(head, "")
        out.append(f"## {head}")
        if head in ("Example", "Use instead"):
            out.extend("    " + line for line in body.splitlines())
        else:
            out.append(body)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_rule_markdown(rule) -> str:
    """A rule's documentation as Markdown (SARIF ``help.markdown``)."""
    s = sections(rule)
    out = [f"**{rule.code} {rule.name}** (default severity: {rule.severity.value})", ""]
    for head in SECTIONS:
        body = s.get(head, "")
        out.append(f"### {head}")
        if head in ("Example", "Use instead"):
            out += ["```yaml", body, "```"]
        else:
            out.append(" ".join(body.split()))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_table() -> str:
    """The Markdown table of every lint rule: code, name, default severity, summary."""
    from .analyse.rules import RULES

    rows = ["| Code | Name | Severity | What it does |", "| --- | --- | --- | --- |"]
    for rule in sorted(RULES, key=lambda r: r.code):
        rows.append(f"| {rule.code} | `{rule.name}` | {rule.severity.value} | {_cell(summary(rule))} |")
    return "\n".join(rows) + "\n"


def table_in(text: str) -> str | None:
    """The rule table between the markers of a Markdown text, or None when there are no markers."""
    if _TABLE_START not in text or _TABLE_END not in text:
        return None
    return text.split(_TABLE_START, 1)[1].split(_TABLE_END, 1)[0].strip("\n") + "\n"


def with_table(text: str) -> str:
    """``text`` with the rule table between its markers replaced by the current one."""
    head, rest = text.split(_TABLE_START, 1)
    _, tail = rest.split(_TABLE_END, 1)
    return f"{head}{_TABLE_START}\n{rules_table()}{_TABLE_END}{tail}"


def main(argv: list[str] | None = None) -> int:
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stdout.write(rules_table())
        return 0
    for name in args:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        if table_in(text) is None:
            print(f"{path}: no {_TABLE_START} ... {_TABLE_END} markers", file=sys.stderr)
            return 2
        path.write_text(with_table(text), encoding="utf-8")
        print(f"updated the rule table in {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
