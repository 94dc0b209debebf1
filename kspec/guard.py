"""Bounded input: what kspec reads from disk and how large a document may grow.

Every file kspec reads on a user's behalf (a spec, a part file, an image, an array file) goes
through :func:`read_bytes` / :func:`read_text`: only regular files (a FIFO, a device such as
``/dev/zero`` or a directory is refused before it is opened, so nothing hangs or reads forever),
at most a size cap, and text must be UTF-8 (the refusal names the line and column of the first bad
byte). :func:`check_yaml` walks a YAML or JSON text's event stream once, without building it,
and refuses explicit tags, nesting deeper than :data:`MAX_DEPTH` and documents that aliases
would expand by more than :data:`MAX_ALIASED` values (the "billion laughs"), so both YAML readers behind it
(libyaml's fast path and ruamel.yaml) only ever see documents of bounded size and depth.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_SPEC_BYTES = 16 * 1024 * 1024
"""Largest spec or part file read (inline ``arrays`` data included)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences in a spec; real specs stay under 10."""
MAX_NODES = 1_000_000
"""Most values a spec may hold (inline ``arrays`` data included)."""
MAX_ALIASED = 100_000
"""Most values aliases may add to a document once expanded."""


class ReadRefused(Exception):
    """A file kspec will not read: ``reason`` says why, in words for the user."""

    def __init__(self, path: str | Path, reason: str, hint: str | None = None, line: int = 1, col: int = 1):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason, self.hint, self.line, self.col = str(path), reason, hint, line, col


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def regular_file(path: str | Path) -> os.stat_result:
    """``os.stat`` of ``path`` (following links) when it is a regular file; else :class:`ReadRefused`."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ReadRefused(path, "does not exist", hint="check the path") from None
    except OSError as e:
        raise ReadRefused(path, f"cannot be read ({e.strerror or e})") from None
    if not stat.S_ISREG(st.st_mode):
        raise ReadRefused(path, f"is {_kind(st.st_mode)}, not a regular file",
                          hint="kspec reads only regular files")
    return st


def read_bytes(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes."""
    st = regular_file(path)
    if st.st_size > limit:
        raise ReadRefused(path, f"is {st.st_size:,} bytes, more than the {limit:,} kspec reads",
                          hint="split it, or keep large data in an npz/npy file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise ReadRefused(path, f"cannot be read ({e.strerror or e})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between stat and open
            raise ReadRefused(path, "is not a regular file", hint="kspec reads only regular files")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise ReadRefused(path, f"cannot be read ({e.strerror or e})") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ReadRefused(path, f"grew beyond the {limit:,} bytes kspec reads")
    return data


def decode_utf8(path: str | Path, data: bytes) -> str:
    """``data`` as UTF-8 text, or :class:`ReadRefused` at the line and column of the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise ReadRefused(path, f"is not UTF-8 text (byte 0x{data[e.start]:02x} at line {line}, column {col})",
                          hint="save the file as UTF-8", line=line, col=col) from None
    return text.removeprefix("\ufeff")


def read_text(path: str | Path, limit: int = MAX_SPEC_BYTES) -> str:
    """A regular UTF-8 text file of at most ``limit`` bytes."""
    return decode_utf8(path, read_bytes(path, limit))


# ------------------------------------------------------------------------------------ YAML events


@dataclass
class Refusal:
    """Why a YAML/JSON text is refused before it is built: code, message, place, logical path."""

    code: str
    name: str
    message: str
    line: int
    col: int
    path: tuple
    hint: str


class _Frame:
    __slots__ = ("kind", "path", "key", "expect_key", "index", "count", "anchor")

    def __init__(self, kind: str, path: tuple, anchor: str | None):
        self.kind, self.path, self.anchor = kind, path, anchor
        self.key: Any = None
        self.expect_key = True
        self.index = 0
        self.count = 1


def _events(text: str):
    """PyYAML's libyaml event parser when present (fast), else ruamel.yaml's (pure Python)."""
    try:
        import yaml
        from yaml.cyaml import CParser

        if getattr(yaml, "__with_libyaml__", False):
            parser = CParser(text)
            try:
                while parser.check_event():
                    yield parser.get_event()
            finally:
                parser.dispose()
            return
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        pass
    from ruamel.yaml import YAML  # pragma: no cover

    yield from YAML(typ="rt", pure=True).parse(text)  # pragma: no cover


def check_yaml(text: str, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES,
               max_aliased: int = MAX_ALIASED) -> Refusal | None:
    """The first reason to refuse ``text`` (an explicit tag, too deep, too large once aliases are
    expanded), or None. A syntax error is left to the reader, which reports it with its place."""
    stack: list[_Frame] = []
    sizes: dict[str, int] = {}
    total = aliased = 0

    def child_path() -> tuple:
        if not stack:
            return ()
        top = stack[-1]
        if top.kind == "seq":
            return top.path + (top.index,)
        return top.path + (top.key if isinstance(top.key, (str, int)) else "?",)

    def place(event) -> tuple[int, int]:
        mark = event.start_mark
        return mark.line + 1, mark.column + 1

    def added(n: int) -> None:
        """A node of ``n`` values finished in the current container."""
        if not stack:
            return
        top = stack[-1]
        top.count += n
        if top.kind == "seq":
            top.index += 1
        elif top.expect_key:
            top.expect_key = False
        else:
            top.expect_key = True

    try:
        for event in _events(text):
            kind = type(event).__name__
            if kind in ("ScalarEvent", "SequenceStartEvent", "MappingStartEvent", "AliasEvent"):
                is_key = bool(stack) and stack[-1].kind == "map" and stack[-1].expect_key
                path = stack[-1].path if is_key else child_path()
                tag = getattr(event, "tag", None)
                if tag is not None and kind != "AliasEvent":
                    line, col = place(event)
                    shown = str(tag).replace("tag:yaml.org,2002:", "!!")
                    return Refusal("KS004", "forbidden-tag", f"explicit YAML tag {shown!r} is not allowed in a spec",
                                   line, col, path, "a spec is data only: remove the tag and write the value itself")
                if kind == "AliasEvent":
                    n = sizes.get(event.anchor, 1)
                    total += n
                    aliased += n
                    if aliased > max_aliased:
                        line, col = place(event)
                        return Refusal("KS006", "document-too-large",
                                       f"aliases would add more than {max_aliased:,} values to this document "
                                       f"(alias *{event.anchor} alone adds {n:,})",
                                       line, col, path, "write the values out; a spec has no use for nested aliases")
                    added(n)
                elif kind == "ScalarEvent":
                    total += 1
                    if is_key:
                        stack[-1].key = event.value
                    if event.anchor is not None:
                        sizes[event.anchor] = 1
                    added(1)
                else:
                    if len(stack) >= max_depth:
                        line, col = place(event)
                        return Refusal("KS006", "document-too-large",
                                       f"nesting deeper than {max_depth} levels", line, col, path,
                                       "a spec nests a few levels; flatten this value")
                    total += 1
                    stack.append(_Frame("seq" if kind == "SequenceStartEvent" else "map", path, event.anchor))
            elif kind in ("SequenceEndEvent", "MappingEndEvent"):
                frame = stack.pop()
                if frame.anchor is not None:
                    sizes[frame.anchor] = frame.count
                added(frame.count)
            if total > max_nodes:
                line, col = place(event)
                return Refusal("KS006", "document-too-large", f"the document holds more than {max_nodes:,} values",
                               line, col, child_path(), "keep large data in an npz/npy file")
    except Exception:  # a syntax error: the reader reports it with its own wording and place
        return None
    return None
