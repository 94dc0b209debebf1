"""A small on-disk cache of facts that are slow to compute and depend only on files (JSON values,
one file per key), shared by every kspec process on the machine.

Keys are content fingerprints (names, sizes and modification times of the files a fact depends
on, plus a format version), so a changed file never reads a stale entry. The folder is
``$KSPEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/kspec``, else ``~/.cache/kspec``; set
``KSPEC_CACHE_DIR=off`` to turn the cache off. A cache that cannot be read or written (a
read-only home, a damaged entry) is the same as an empty one: nothing fails because of it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

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
