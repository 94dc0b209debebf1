"""The run directory: one folder per run, never reused, every artifact written atomically."""

from __future__ import annotations

import datetime as _dt
import json
import platform
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from .. import __version__
from ..atomic import write_json, write_text
from ..diagnostics import KspecError

MANIFEST = "manifest.json"


def new_run_dir(parent: Path, name: str) -> Path:
    """``parent/<name>-<YYYYmmdd-HHMMSS>``, with ``-2``, ``-3``... when that exists already."""
    parent.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "run"
    for i in range(1, 1000):
        candidate = parent / (f"{slug}-{stamp}" + (f"-{i}" if i > 1 else ""))
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise KspecError(f"cannot create a new run directory in {parent}")  # pragma: no cover


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    out = {"kspec": __version__, "python": platform.python_version(), "platform": platform.platform()}
    for mod in ("tensorflow", "keras", "numpy"):
        m = sys.modules.get(mod)
        if m is not None:
            out[mod] = getattr(m, "__version__", "?")
    return out


def copy_sources(run_dir: Path, sources: dict[str, str]) -> None:
    """Keep the spec files as written (the spec and its part files) under ``spec/``."""
    folder = run_dir / "spec"
    for i, (file, text) in enumerate(sources.items()):
        name = Path(file).name if not file.startswith("<") else f"spec{i}.yaml"
        write_text(folder / name, text)


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / MANIFEST
    if not path.is_file():
        raise KspecError(f"{run_dir} is not a kspec run directory (no {MANIFEST})",
                         hint="pass a folder created by `kspec run`, e.g. runs/quickstart-20261130-101500")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise KspecError(f"{path} is not valid JSON: {e}") from None


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    write_json(run_dir / MANIFEST, manifest)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
