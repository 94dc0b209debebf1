"""Stage 1, parse: YAML or JSON text -> plain Python data with a source position for every node.

ruamel.yaml reads YAML 1.2 with the core schema, as editors' YAML servers do (``on`` stays a
string, ``1_000`` and ``0b101`` are strings, ``010`` is 10, ``0o17`` and ``0x1F`` are numbers, a date
stays text), rejects duplicate keys and keeps line and column of every key and item. The loaded tree is copied into plain ``dict``/``list``/scalars so
later stages never see ruamel types. A spec cannot execute code: any explicit tag (``!!python/...``,
``!custom``, and also ``!!str``, ``!!int``, ``!!float``) is an error, and nothing is ever constructed
from a tag. Files are read through :mod:`kspec.guard` (regular files only, a size cap, UTF-8) and
checked there before either YAML reader builds them (bounded depth and alias expansion).

Parts of a spec can live in their own files: a top-level ``model``, ``data``, ``compile`` or
``train`` whose value is a relative path to a ``.yaml``/``.yml``/``.json`` file is replaced by that
file's mapping (composition), with the part's own positions kept, so errors point into the part.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from . import guard
from .diagnostics import Diagnostic, Path, Severity, Span, format_path

PART_KEYS = ("model", "data", "compile", "train")
PART_SUFFIXES = (".yaml", ".yml", ".json")
_PLAIN_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_IGNORE_RE = re.compile(r"#\s*kspec:\s*ignore\[([A-Za-z0-9_,\s-]+)\]")


@dataclass
class Document:
    """A parsed (and composed) spec: plain data plus where each piece came from."""

    file: str
    data: Any = None
    spans: dict[Path, Span] = field(default_factory=dict)
    """Span of each value, by logical path."""
    key_spans: dict[Path, Span] = field(default_factory=dict)
    """Span of each mapping key, by logical path of its value."""
    sources: dict[str, str] = field(default_factory=dict)
    """Text of every file that contributed, for code frames."""
    suppressions: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    """``# kspec: ignore[CODE]`` comments: (file, line) -> codes (or names)."""
    parts: dict[str, str] = field(default_factory=dict)
    """Top-level section -> file it was read from, for composed parts."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    overrides: list = field(default_factory=list)
    """``--set`` overrides applied (:class:`kspec.overrides.Override`), in order."""

    @property
    def ok(self) -> bool:
        return self.data is not None and not any(
            d.severity is Severity.ERROR for d in self.diagnostics
        )

    def span(self, path: Path, *, key: bool = False) -> Span | None:
        """The span of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if key and path in self.key_spans:
                return self.key_spans[path]
            if path in self.spans:
                return self.spans[path]
            if not path:
                return Span(self.file, 1, 1)
            path = path[:-1]

    def get(self, path: Path, default: Any = None) -> Any:
        node = self.data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return default
        return node


def _syntax(code: str, name: str, message: str, span: Span, hint: str | None = None, path: Path = ()) -> Diagnostic:
    return Diagnostic(code, name, Severity.ERROR, message, span=span, hint=hint, path=format_path(path))


def _mark_span(file: str, mark: Any) -> Span:
    if mark is None:
        return Span(file, 1, 1)
    return Span(file, mark.line + 1, mark.column + 1)


class _Converter:
    def __init__(self, doc: Document, file: str, root: Path):
        self.doc = doc
        self.file = file
        self.root = root

    def span(self, line: int, col: int, value: Any = None) -> Span:
        end = None
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            end = col + 1 + len(str(value))
        return Span(self.file, line + 1, col + 1, line + 1 if end else None, end)

    def convert(self, node: Any, path: Path) -> Any:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

        tag = getattr(node, "tag", None)
        tag_value = getattr(tag, "value", tag) if tag is not None else None
        if tag_value is not None and tag_value not in _PLAIN_TAGS:
            raise _TagError(path, str(tag_value).replace("tag:yaml.org,2002:", "!!"))
        if isinstance(node, TaggedScalar):  # an explicit !!str
            return str(node.value)
        if isinstance(node, CommentedMap):
            out: dict[str, Any] = {}
            for key in node:
                if not isinstance(key, (str, int, float, bool)) or isinstance(key, bool):
                    raise _KeyTypeError(path, key)
                k = str(key)
                child = path + (k,)
                try:
                    kl, kc = node.lc.key(key)
                    self.doc.key_spans[self.root + child] = Span(self.file, kl + 1, kc + 1, kl + 1, kc + 1 + len(k))
                    vl, vc = node.lc.value(key)
                    self.doc.spans[self.root + child] = self.span(vl, vc, node[key])
                except (KeyError, TypeError, AttributeError):
                    pass
                out[k] = self.convert(node[key], child)
            return out
        if isinstance(node, CommentedSeq):
            items = []
            for i, item in enumerate(node):
                try:
                    il, ic = node.lc.item(i)
                    self.doc.spans[self.root + path + (i,)] = self.span(il, ic, item)
                except (KeyError, TypeError, AttributeError):
                    pass
                items.append(self.convert(item, path + (i,)))
            return items
        return _scalar(node)


class _TagError(Exception):
    def __init__(self, path: Path, tag: str):
        self.path, self.tag = path, tag


class _KeyTypeError(Exception):
    def __init__(self, path: Path, key: Any):
        self.path, self.key = path, key


def _scalar(value: Any) -> Any:
    from ruamel.yaml.scalarbool import ScalarBoolean

    if value is None:
        return None
    if isinstance(value, (ScalarBoolean, bool)):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        from .fastload import join_surrogates

        return join_surrogates(str(value))
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def _suppressions(file: str, text: str) -> dict[tuple[str, int], set[str]]:
    out: dict[tuple[str, int], set[str]] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _IGNORE_RE.search(line)
        if m:
            codes = {c.strip() for c in m.group(1).split(",") if c.strip()}
            out[(file, lineno)] = codes
    return out


_CORE_SCHEMA = [  # YAML 1.2.2, section 10.3.2 (the "core schema")
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
]


def _core_resolver() -> type:
    """ruamel's resolver with YAML 1.2's core schema instead of ruamel's extensions (``1_000``,
    ``0b1``, timestamps, merge keys); a ``%YAML 1.1`` directive keeps YAML 1.1's rules."""
    from ruamel.yaml.resolver import VersionedResolver
    from ruamel.yaml.util import RegExp

    class CoreResolver(VersionedResolver):
        @property
        def versioned_resolver(self) -> Any:
            version = self.processing_version
            if isinstance(version, str):
                version = tuple(map(int, version.split(".")))
            if version != (1, 2):
                return super().versioned_resolver
            if version not in self._version_implicit_resolver:
                for tag, regexp, first in _CORE_SCHEMA:
                    self.add_version_implicit_resolver(version, tag, RegExp(regexp), list(first))
            return self._version_implicit_resolver[version]

    return CoreResolver


def _load_text(doc: Document, file: str, text: str, root: Path) -> Any:
    """Parse ``text`` into plain data rooted at ``root``; append diagnostics to ``doc``."""
    from . import fastload

    doc.sources[file] = text
    doc.suppressions.update(_suppressions(file, text))
    refused = guard.check_yaml(text)
    if refused is not None:
        doc.diagnostics.append(_syntax(refused.code, refused.name, refused.message,
                                       Span(file, refused.line, refused.col), hint=refused.hint,
                                       path=root + refused.path))
        return None
    fast = fastload.load(text)  # libyaml, exactly as below when it can decide; else None
    if fast is not None:
        data, spans, key_spans = fast
        for path, (line, col, end_line, end_col) in spans.items():
            doc.spans[root + path] = Span(file, line, col, end_line, end_col)
        for path, (line, col, end_line, end_col) in key_spans.items():
            doc.key_spans[root + path] = Span(file, line, col, end_line, end_col)
        return data

    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt", pure=True)
    yaml.Resolver = _core_resolver()
    yaml.allow_duplicate_keys = False
    try:
        raw = yaml.load(text)
    except DuplicateKeyError as e:
        key = re.search(r'found duplicate key "([^"]*)"', str(e))
        doc.diagnostics.append(
            _syntax(
                "KS002",
                "duplicate-key",
                f"duplicate key {key.group(1)!r}" if key else "duplicate key",
                _mark_span(file, e.problem_mark),
                hint="a key may appear once per mapping; delete or rename one of them "
                f"(the first is at line {e.context_mark.line + 1})" if e.context_mark else None,
            )
        )
        return None
    except MarkedYAMLError as e:
        problem = (e.problem or str(e)).strip()
        context = (e.context or "").strip()
        msg = f"{'JSON' if file.endswith('.json') else 'YAML'} syntax error: {problem}"
        if context:
            msg += f" ({context})"
        doc.diagnostics.append(
            _syntax("KS001", "syntax-error", msg, _mark_span(file, e.problem_mark or e.context_mark),
                    hint="check indentation, colons and matching brackets/quotes at this place")
        )
        return None
    except YAMLError as e:
        doc.diagnostics.append(_syntax("KS001", "syntax-error", f"cannot read spec: {e}", Span(file, 1, 1)))
        return None
    try:
        return _Converter(doc, file, root).convert(raw, ())
    except _TagError as e:
        doc.diagnostics.append(
            _syntax(
                "KS004",
                "forbidden-tag",
                f"explicit YAML tag {e.tag!r} is not allowed in a spec",
                doc.span(root + e.path),
                hint="a spec is data only: remove the tag and write the value itself",
                path=root + e.path,
            )
        )
    except _KeyTypeError as e:
        doc.diagnostics.append(
            _syntax("KS001", "syntax-error", f"mapping key {e.key!r} must be a string",
                    doc.span(root + e.path))
        )
    return None


def load_value(doc: Document, file: str, text: str, root: Path) -> Any:
    """Parse ``text`` (one value, e.g. of a ``--set`` option) as plain data placed at ``root`` of
    ``doc``: positions and diagnostics go to ``doc``; None when it cannot be read (or is null)."""
    return _load_text(doc, file, text, root)


def load(path: str | FsPath, *, display_name: str | None = None) -> Document:
    """Read and parse a spec file, composing referenced part files."""
    path = FsPath(path)
    name = display_name or str(path)
    doc = Document(file=name)
    try:
        text = guard.read_text(path)
    except guard.ReadRefused as e:
        what = "does not exist" if e.reason == "does not exist" else e.reason
        doc.diagnostics.append(_syntax("KS003", "file-not-found", f"spec file {name!r} {what}",
                                       Span(name, e.line, e.col), hint=e.hint))
        return doc
    return loads(text, name, base_dir=path.parent, doc=doc)


def loads(text: str, file: str = "<string>", *, base_dir: FsPath | None = None,
          doc: Document | None = None) -> Document:
    """Parse spec text. ``base_dir`` resolves part references (default: the current folder)."""
    doc = doc or Document(file=file)
    data = _load_text(doc, file, text, ())
    if data is None:
        if not doc.diagnostics:
            doc.diagnostics.append(_syntax("KS005", "not-a-mapping", "the spec is empty",
                                           Span(file, 1, 1), hint="start from one of the files in specs/"))
        return doc
    if not isinstance(data, dict):
        doc.diagnostics.append(
            _syntax("KS005", "not-a-mapping",
                    f"a spec must be a mapping of sections, got a {type(data).__name__}",
                    Span(file, 1, 1), hint="write `name:`, `data:`, `model:` ... at the top level"))
        return doc
    doc.data = data
    _compose(doc, base_dir or FsPath("."))
    return doc


def _compose(doc: Document, base_dir: FsPath) -> None:
    for key in PART_KEYS:
        ref = doc.data.get(key)
        if not (isinstance(ref, str) and ref.lower().endswith(PART_SUFFIXES)):
            continue
        target = (base_dir / ref)
        where = doc.span((key,))
        try:
            text = guard.read_text(target)
        except guard.ReadRefused as e:
            if e.reason == "does not exist":
                message = f"{key} part file {ref!r} not found (looked for {target})"
                hint = f"paths are relative to the spec's folder ({base_dir})"
            else:
                message, hint = f"{key} part file {ref!r} ({target}) {e.reason}", e.hint
            doc.diagnostics.append(_syntax("KS003", "file-not-found", message, where, hint=hint, path=(key,)))
            doc.data[key] = None
            continue
        part_name = str(target) if not doc.file.startswith("<") else ref
        part = _load_text(doc, part_name, text, (key,))
        if part is None:
            doc.data[key] = None
            continue
        if not isinstance(part, dict):
            doc.diagnostics.append(_syntax("KS005", "not-a-mapping",
                                           f"{key} part file {ref!r} must hold a mapping",
                                           Span(part_name, 1, 1)))
            doc.data[key] = None
            continue
        doc.spans[(key,)] = Span(part_name, 1, 1)
        doc.parts[key] = part_name
        doc.data[key] = part


def describe(path: Path) -> str:
    return format_path(path)
