"""Rule documentation comes from each rule's docstring (four parts)."""

from __future__ import annotations

import inspect
import re

SECTIONS = ("What it does", "Why is this bad", "Example", "Use instead")


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
