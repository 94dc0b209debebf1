"""``kspec migrate``: rewrite a spec written for an older format version (the ``kspec:`` field)
to the current one, keeping its comments, key order and layout (ruamel.yaml round trip).

A migration is a list of :class:`Step`, one per version bump (``from_version`` ->
``from_version + 1``). A step changes one section at a time, wherever the section lives: inline
in the spec, or in the part file the spec names for it; part files carry no version of their own
and are migrated with the spec that uses them. Each step returns what it changed, in words, so
``kspec migrate`` can say what it did.

The format is at version 1, its first; no step exists yet, and migrating a version-1 spec
reports that it is current and changes nothing. The machinery is tested with a synthetic
version-2 step (tests/api/test_migrate.py).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .diagnostics import KspecError
from .spec import FORMAT_VERSION

SECTIONS = ("data", "model", "compile", "train", "evaluate", "predict", "visualize", "lint")
PART_KEYS = ("model", "data", "compile", "train")
PART_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Step:
    from_version: int
    summary: str
    sections: dict[str, Callable[[Any], list[str]]] = field(default_factory=dict)
    """Section name -> function that edits that section's mapping in place and returns the changes."""
    top: Callable[[Any], list[str]] | None = None
    """Edits the top-level mapping (after the sections), returns the changes."""


STEPS: list[Step] = []
"""Every migration step, oldest first. Empty while the format is at its first version."""


@dataclass
class Migration:
    file: Path
    version: int | None
    """The version the file declared (None: no ``kspec:`` field, read as the current version)."""
    target: int
    changes: list[str] = field(default_factory=list)
    texts: dict[Path, tuple[str, str]] = field(default_factory=dict)
    """File -> (text before, text after), for every file the migration changes."""

    @property
    def current(self) -> bool:
        return not self.texts

    def render(self) -> str:
        if self.current:
            declared = f"kspec: {self.version}" if self.version is not None else "no `kspec:` field, read as version " \
                                                                                 f"{self.target}"
            return f"{self.file}: already current ({declared}); nothing to change"
        lines = [f"{self.file}: version {self.version} -> {self.target}"]
        lines += [f"  - {c}" for c in self.changes]
        return "\n".join(lines)

    def write(self) -> list[Path]:
        from .atomic import write_text

        for path, (_, after) in self.texts.items():
            write_text(path, after)
        return list(self.texts)


def _yaml():
    from ruamel.yaml import YAML

    y = YAML()  # round trip: comments, order, flow style and quotes kept
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a long line
    # `weights: null` stays `null` (ruamel writes a block mapping's None as an empty value); a file
    # that writes `key:` for null gets `key: null`, the spelling kspec's docs and examples use
    y.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return y


def _detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation as the file writes block sequences."""
    parent = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if stripped.startswith("- ") and parent is not None:
            offset = max(0, indent - parent)
            return 2, offset + 2, offset
        body = stripped.split(" #", 1)[0].rstrip()
        parent = indent if body.endswith(":") and not stripped.startswith("- ") else None
    return 2, 4, 2


def _load(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise KspecError(f"cannot read {path}: {e}") from None
    try:
        data = _yaml().load(text)
    except Exception as e:  # ruamel's many parser errors
        raise KspecError(f"{path} is not valid YAML: {str(e).splitlines()[0]}",
                         hint="`kspec validate` shows where") from None
    return text, data


def _dump(data: Any, like: str) -> str:
    y = _yaml()
    m, s, o = _detect_indent(like)
    y.indent(mapping=m, sequence=max(s, o + 2), offset=o)
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def migrate_file(path: str | Path, *, steps: list[Step] | None = None, target: int | None = None) -> Migration:
    """What migrating ``path`` to ``target`` (default: the current version) changes. Writes nothing."""
    steps = STEPS if steps is None else steps
    target = FORMAT_VERSION if target is None else target
    path = Path(path)
    text, data = _load(path)
    if not isinstance(data, dict):
        raise KspecError(f"{path} is not a spec (a mapping of sections)")
    version = data.get("kspec")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise KspecError(f"{path}: `kspec: {version!r}` is not a format version", hint=f"write `kspec: {target}`")
    mig = Migration(path, version, target)
    start = target if version is None else version
    if start > target:
        raise KspecError(f"{path} is written for format version {start}; this kspec knows versions up to {target}",
                         hint="upgrade kspec to read it")
    if start == target:
        return mig
    chain = {s.from_version: s for s in steps}
    parts: dict[str, tuple[Path, str, Any]] = {}
    for key in PART_KEYS:
        ref = data.get(key)
        if isinstance(ref, str) and ref.lower().endswith(PART_SUFFIXES):
            part = path.parent / ref
            if part.is_file():
                ptext, pdata = _load(part)
                parts[key] = (part, ptext, pdata)
    for v in range(start, target):
        step = chain.get(v)
        if step is None:
            raise KspecError(f"no migration from format version {v} to {v + 1}")  # pragma: no cover
        mig.changes.append(f"{v} -> {v + 1}: {step.summary}")
        for section, fn in step.sections.items():
            if section in parts:
                mapping, where = parts[section][2], f" (in {parts[section][0].name})"
            else:
                mapping, where = data.get(section), ""
            if isinstance(mapping, dict):
                mig.changes += [f"{section}: {c}{where}" for c in fn(mapping)]
        if step.top is not None:
            mig.changes += step.top(data)
    data["kspec"] = target
    if version is None:
        mig.changes.append(f"added `kspec: {target}`")
    mig.texts[path] = (text, _dump(data, text))
    for part, ptext, pdata in parts.values():
        after = _dump(pdata, ptext)
        if after != ptext:
            mig.texts[part] = (ptext, after)
    return mig


__all__ = ["Migration", "STEPS", "Step", "migrate_file"]
