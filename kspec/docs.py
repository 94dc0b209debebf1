"""Rule documentation comes from each rule's docstring (four parts).

``python -m kspec.docs docs/lint.md`` rewrites the rule table between the ``rules:start`` and
``rules:end`` markers of a Markdown file from :data:`kspec.analyse.rules.RULES`; a test checks
that the committed table is current.
"""

from __future__ import annotations

import inspect
import re

from .mdtable import MarkedTable, cell, table

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


def rules_table() -> str:
    """The Markdown table of every lint rule: code, name, default severity, summary."""
    from .analyse.rules import RULES

    return table(
        ["Code", "Name", "Severity", "What it does"],
        ([rule.code, f"`{rule.name}`", rule.severity.value, cell(summary(rule))]
         for rule in sorted(RULES, key=lambda r: r.code)),
    )


TABLE = MarkedTable("rules", "rule", rules_table)
table_in = TABLE.table_in
with_table = TABLE.with_table
main = TABLE.main


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
