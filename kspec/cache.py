"""A small on-disk cache of facts that are slow to compute and depend only on files (JSON values,
one file per key), shared by every kspec process on the machine.

Keys are content fingerprints (names, sizes and modification times of the files a fact depends
on, plus a format version), so a changed file never reads a stale entry. The folder is
``$KSPEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/kspec``, else ``~/.cache/kspec``; set
``KSPEC_CACHE_DIR=off`` to turn the cache off. A cache that cannot be read or written (a
read-only home, a damaged entry) is the same as an empty one: nothing fails because of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable

RACY_S = 2.0
"""A file modified less than this many seconds before it was looked at may be modified again
within the file system's timestamp resolution without its fingerprint changing: facts that
depend on such a file are not cached (as git treats "racily clean" index entries)."""


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off."""
    env = os.environ.get("KSPEC_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kspec"


def is_racy(mtime_ns: int, now: float | None = None) -> bool:
    """True when a file modified at ``mtime_ns`` is too recent to fingerprint safely."""
    now = time.time() if now is None else now
    return mtime_ns >= (now - RACY_S) * 1e9


def load(kind: str, key: str) -> Any | None:
    """The value stored under ``kind``/``key``, or None."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return json.loads((folder / kind / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def store(kind: str, key: str, value: Any) -> None:
    """Store ``value`` (JSON-serialisable) under ``kind``/``key``; failures are ignored."""
    folder = cache_dir()
    if folder is None:
        return
    from .atomic import write_text

    try:
        write_text(folder / kind / f"{key}.json", json.dumps(value, separators=(",", ":")))
    except (OSError, TypeError, ValueError):
        pass


def fingerprint(paths: Iterable[Path | str], *, salt: str, extra: Any = None, now: float | None = None,
                ctime: bool = False, stats: dict | None = None) -> str | None:
    """A cache key for facts computed from ``paths``: each file's absolute name, size and
    modification time (the file is not read), plus ``salt`` (what is computed, with its format
    version) and ``extra`` (JSON: the settings it depends on). None when a file is missing or
    was changed too recently to be fingerprinted safely (:func:`is_racy`): such facts are
    computed and not cached. With ``ctime``, a recent status change (a file copied in with its old
    modification time kept) counts as recent too. ``stats`` maps a path (as a string) to the
    ``os.stat_result`` its caller took moments ago; other paths are asked of the file system."""
    now = time.time() if now is None else now
    h = hashlib.sha256(f"{salt}\n".encode())
    stats = stats or {}
    for p in paths:
        st = stats.get(str(p))
        if st is None:
            try:
                st = os.stat(p)
            except OSError:
                return None
        if is_racy(st.st_mtime_ns, now) or (ctime and is_racy(st.st_ctime_ns, now)):
            return None
        h.update(f"{os.path.abspath(p)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    if extra is not None:
        h.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return h.hexdigest()


def remember(kind: str, key: str | None, compute: Callable[[], Any]) -> Any:
    """The value stored under ``kind``/``key``, else ``compute()``, stored when ``key`` is not None."""
    if key is not None:
        hit = load(kind, key)
        if hit is not None:
            return hit
    value = compute()
    if key is not None:
        store(kind, key, value)
    return value
