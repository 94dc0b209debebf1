"""Atomic artifact writes: write to a temporary file in the same folder, fsync, then rename.

A run killed at any moment leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()


def _atomic(path: Path, write: Callable[[Any], None], mode: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, _MODE)
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": ""} if "b" not in mode else {})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def write_text(path: Path | str, text: str) -> Path:
    return _atomic(Path(path), lambda f: f.write(text), "w")


def write_bytes(path: Path | str, data: bytes) -> Path:
    return _atomic(Path(path), lambda f: f.write(data), "wb")


def write_output(path: Path | str, text: str) -> Path:
    """Write a report to a file the user named (``-o``): a regular file (or a new one) is replaced
    atomically, through a symbolic link if the path is one, so the link stays; a FIFO or a
    character device (``/dev/stdout``, ``/dev/null``) is written through, never replaced; a
    directory, a missing folder or anything else is refused with a :class:`KspecError`."""
    import stat

    from .diagnostics import KspecError

    path = Path(path)
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise KspecError(f"cannot write {path}: {e.strerror or e}") from None
    if st is None:
        if not target.parent.is_dir():
            raise KspecError(f"cannot write {path}: the folder {path.parent} does not exist",
                             hint=f"create it first (mkdir -p {path.parent})")
        return write_text(target, text)
    if stat.S_ISREG(st.st_mode):
        return write_text(target, text)
    if stat.S_ISDIR(st.st_mode):
        raise KspecError(f"cannot write {path}: it is a directory", hint=f"name a file, e.g. {path}/report.txt")
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
        try:
            with open(target, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        except OSError as e:
            raise KspecError(f"cannot write {path}: {e.strerror or e}") from None
        return path
    raise KspecError(f"cannot write {path}: it is not a regular file, a FIFO or a character device")


def write_json(path: Path | str, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_default) + "\n")


def _default(o: Any) -> Any:
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"cannot serialise {type(o).__name__}")


def save_with(path: Path | str, save: Callable[[str], None]) -> Path:
    """Atomically produce ``path`` with a library's own save function (e.g. ``model.save``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        save(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    return path
