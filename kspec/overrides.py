"""Part of stage 1, parse: ``--set KEY=VALUE`` overrides, applied to a parsed document before it is
validated (the LightningCLI / Hydra convention).

``KEY`` is a logical path such as ``train.epochs``, ``data.directory`` or
``model.layers[2].units``; ``VALUE`` is read by the same YAML reader as a spec file (YAML 1.2 core
schema, no tags, bounded size), so ``--set train.epochs=3`` is the integer 3, ``--set
train.epochs=true`` a boolean that validation then refuses, and ``--set
model.input_shape=[28, 28, 1]`` a list. The new value is validated with the rest of the spec;
each value set here has the place ``command line: --set KEY``, so a finding about it names the
option instead of a line of the file. A missing mapping on the way is created (``--set
compile.optimizer.learning_rate=0.01``); an unknown key is reported by validation with the closest
valid spelling. A relative data path (``data.directory``, ``data.path``, ...) given here is relative
to the current folder, not to the spec's folder, and is made absolute.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, Iterable, Sequence

from .diagnostics import COMMAND_LINE, Diagnostic, KspecError, Path, Severity, Span, format_path

DATA_PATH_KEYS = frozenset({"path", "x", "y", "x_test", "y_test", "train_images", "train_labels", "test_images",
                            "test_labels", "directory", "validation_directory", "test_path", "test_directory",
                            "cache"})
"""Keys of the data section whose string value is a file or folder (read relative to the spec's
folder in a file, to the current folder on the command line)."""

_SEGMENT = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_-]*)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Override:
    """One ``--set KEY=VALUE``."""

    key: str
    """The logical path as written, e.g. ``model.layers[2].units``."""
    path: Path
    """The same as a tuple: ``('model', 'layers', 2, 'units')``."""
    text: str
    """The value as written (YAML)."""

    @property
    def argument(self) -> str:
        return f"{self.key}={self.text}"

    @property
    def file(self) -> str:
        """The pseudo file name of this override's place: ``command line: --set KEY``."""
        return f"{COMMAND_LINE}--set {self.key}"

    @property
    def source(self) -> str:
        """The option as a line of text, for code frames."""
        return f"--set {self.key}={self.text}"


def parse_path(key: str) -> Path:
    """``model.layers[2].units`` -> ``('model', 'layers', 2, 'units')``; KspecError when malformed."""
    out: list[str | int] = []
    for part in key.split("."):
        m = _SEGMENT.fullmatch(part)
        if not m:
            raise KspecError(f"--set {key!r}: {part!r} is not a key" if part else f"--set {key!r}: an empty key",
                             hint="write a dotted path of keys, with [N] for a list item: "
                                  "--set model.layers[2].units=64")
        out.append(m.group(1))
        out.extend(int(i) for i in _INDEX.findall(m.group(2)))
    return tuple(out)


def parse(arguments: Iterable[str | Override]) -> list[Override]:
    """``KEY=VALUE`` strings (or Overrides) as Overrides; KspecError for one that is malformed."""
    out = []
    for arg in arguments:
        if isinstance(arg, Override):
            out.append(arg)
            continue
        if not isinstance(arg, str) or "=" not in arg:
            raise KspecError(f"--set {arg!r}: write KEY=VALUE", hint="e.g. --set train.epochs=3 --set data.directory=/data/horses")
        key, text = arg.split("=", 1)
        key = key.strip()
        if "\n" in text or "\r" in text:
            raise KspecError(f"--set {key}: the value is more than one line",
                             hint="write lists and mappings in flow style: [1, 2] or {a: 1}")
        out.append(Override(key, parse_path(key), text))
    return out


def from_mapping(values: dict[str, Any]) -> list[Override]:
    """``{"train.epochs": 3}`` as Overrides (values are written as YAML flow text)."""
    import json

    out = []
    for key, value in values.items():
        text = value if isinstance(value, str) else json.dumps(value)
        out.append(Override(str(key), parse_path(str(key)), text))
    return out


def _error(o: Override, message: str, hint: str | None = None, *, at_key: bool = True) -> Diagnostic:
    start = len("--set ") + 1
    span = (Span(o.file, 1, start, 1, start + len(o.key)) if at_key
            else Span(o.file, 1, start + len(o.key) + 1, 1, start + len(o.argument)))
    return Diagnostic("KS007", "bad-override", Severity.ERROR, message, path=format_path(o.path), span=span, hint=hint)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    return f"the value {value!r}"


def apply(doc, overrides: Sequence[Override], *, cwd: FsPath | None = None) -> None:
    """Set each override in ``doc`` (a parsed :class:`kspec.parse.Document` with data), in order;
    a value that cannot be read or a place that cannot hold it becomes a diagnostic of ``doc``."""
    from .parse import PART_KEYS, PART_SUFFIXES, load_value

    cwd = FsPath(cwd) if cwd is not None else FsPath(os.getcwd())
    for o in overrides:
        first_value_col = len("--set ") + len(o.key) + 2
        before = len(doc.diagnostics)
        value = load_value(doc, o.file, " " * (first_value_col - 1) + o.text, o.path)
        doc.sources[o.file] = o.source
        if len(doc.diagnostics) > before:
            continue
        if (len(o.path) == 1 and o.path[0] in PART_KEYS and isinstance(value, str)
                and value.lower().endswith(PART_SUFFIXES)):
            doc.diagnostics.append(_error(o, f"a part file cannot be named on the command line",
                                          hint=f"set the keys of {o.key} instead, e.g. --set {o.key}.KEY=VALUE"))
            continue
        node = doc.data
        created: list[Path] = []
        failed = False
        for i, part in enumerate(o.path[:-1]):
            nxt = o.path[i + 1]
            here = format_path(o.path[: i + 1])
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    failed = True
                    break
                child = node[part]
            else:
                if not isinstance(node, dict):
                    failed = True
                    break
                child = node.get(part)
                if child is None and not isinstance(nxt, int):
                    child = node[part] = {}
                    created.append(o.path[: i + 1])
            if isinstance(nxt, int) and not isinstance(child, list):
                doc.diagnostics.append(_error(o, f"{here} is {_kind(child) if child is not None else 'not set'}, "
                                                 f"not a list, so it has no item [{nxt}]"))
                failed = True
                break
            if isinstance(nxt, int) and nxt >= len(child):
                doc.diagnostics.append(_error(o, f"{here} has {len(child)} item(s), so there is no item [{nxt}]",
                                              hint=f"items are numbered from 0 to {len(child) - 1}" if child else None))
                failed = True
                break
            if not isinstance(nxt, int) and not isinstance(child, dict):
                doc.diagnostics.append(_error(o, f"{here} is {_kind(child)}, not a mapping, "
                                                 f"so it has no key {nxt!r}", hint=f"set {here} itself: --set {here}=VALUE"))
                failed = True
                break
            node = child
        if failed:
            if len(doc.diagnostics) == before:  # pragma: no cover - every branch above says why
                doc.diagnostics.append(_error(o, f"there is no such place in the spec"))
            continue
        node[o.path[-1]] = value
        _absolute_data_paths(node, o.path, value, cwd)
        for p in list(doc.spans):
            if p[: len(o.path)] == o.path and p[len(o.path):] and _stale(doc, o, p):
                del doc.spans[p]
        for p in list(doc.key_spans):
            if p[: len(o.path)] == o.path and p[len(o.path):] and _stale(doc, o, p, key=True):
                del doc.key_spans[p]
        value_span = Span(o.file, 1, first_value_col, 1, first_value_col + max(1, len(o.text)))
        key_span = Span(o.file, 1, len("--set ") + 1, 1, len("--set ") + 1 + len(o.key))
        for p in created + [o.path]:
            doc.spans[p] = value_span if p == o.path else key_span
            doc.key_spans[p] = key_span
        doc.overrides.append(o)


def _stale(doc, o: Override, p: Path, *, key: bool = False) -> bool:
    span = (doc.key_spans if key else doc.spans)[p]
    return span.file != o.file


def _absolute_data_paths(node: Any, path: Path, value: Any, cwd: FsPath) -> None:
    """Make relative data paths that ``value`` sets (at ``path``, in ``node``) relative to ``cwd``."""
    def fix(v: Any) -> Any:
        return str(cwd / v) if isinstance(v, str) and v and not FsPath(v).is_absolute() else v

    if len(path) == 2 and path[0] == "data" and path[1] in DATA_PATH_KEYS:
        node[path[1]] = fix(value)
    elif path == ("data",) and isinstance(value, dict):
        for k in DATA_PATH_KEYS & set(value):
            value[k] = fix(value[k])


def note_overrides(diagnostics: Sequence[Diagnostic], overrides: Sequence[Override]) -> list[Diagnostic]:
    """``diagnostics`` with a note on each one located in a file whose place holds (or lies inside)
    a value set with ``--set``: the finding is about the layer, the value came from the command line."""
    from dataclasses import replace

    from .diagnostics import Related

    out = []
    for d in diagnostics:
        notes = []
        if d.path and not (d.span is not None and d.span.on_command_line):
            for o in overrides:
                key = format_path(o.path)
                if key == d.path or key.startswith(d.path + ".") or key.startswith(d.path + "[") \
                        or d.path.startswith(key + ".") or d.path.startswith(key + "["):
                    start = len("--set ") + 1
                    notes.append(Related(f"the value in effect is {o.text}",
                                         Span(o.file, 1, start, 1, start + len(o.key)), key))
        out.append(replace(d, related=tuple(d.related) + tuple(notes)) if notes else d)
    return out


def describe(overrides: Sequence[Override]) -> list[str]:
    """The overrides as ``KEY=VALUE`` arguments (for the manifest and the repeat command)."""
    return [o.argument for o in overrides]
