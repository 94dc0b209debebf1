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

from ..version import __version__
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
    """Versions of everything that can change a run's numbers."""
    out = {"kspec": __version__, "python": platform.python_version(), "platform": platform.platform()}
    for mod in ("tensorflow", "keras", "numpy"):
        m = sys.modules.get(mod)
        if m is not None:
            out[mod] = getattr(m, "__version__", "?")
    from importlib import metadata

    for dist in ("tensorflow-cpu", "h5py", "pillow", "matplotlib", "pydantic"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


DETERMINISM_ENV = ("TF_DETERMINISTIC_OPS", "TF_ENABLE_ONEDNN_OPTS", "TF_NUM_INTEROP_THREADS",
                   "TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS", "PYTHONHASHSEED", "CUDA_VISIBLE_DEVICES",
                   "KERAS_BACKEND", "KERAS_HOME")


def environment() -> dict[str, Any]:
    """The machine and settings a run depends on (besides the spec, the seed and the data)."""
    import os

    env: dict[str, Any] = {
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "machine": platform.machine(),
        "processor": _cpu_model() or platform.processor(),
        "cpus": os.cpu_count(),
        "env": {k: os.environ[k] for k in DETERMINISM_ENV if k in os.environ},
    }
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        try:
            env["devices"] = [d.name for d in tf.config.list_physical_devices()]
            from tensorflow.python.framework import config as tf_config

            env["op_determinism"] = bool(tf_config.is_op_determinism_enabled())
        except Exception:  # pragma: no cover - an unusual TensorFlow build
            pass
    return env


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


class RunLock:
    """``.lock`` in a run directory while a process trains in it; a lock whose process is gone
    (killed) is stale and taken over."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / ".lock"
        self.held = False

    def __enter__(self) -> "RunLock":
        import os

        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid = self._owner()
                if pid is not None and pid != os.getpid() and _alive(pid):
                    raise KspecError(f"another kspec process (pid {pid}) is training in {self.path.parent}",
                                     hint="wait for it to finish, or stop it first") from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as f:
                f.write(str(os.getpid()))
            self.held = True
            return self
        raise KspecError(f"cannot lock {self.path.parent}")  # pragma: no cover - a race lost twice

    def _owner(self) -> int | None:
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None

    def __exit__(self, *exc) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def copy_sources(run_dir: Path, sources: dict[str, str]) -> None:
    """Keep the spec files as written (the spec and its part files) under ``spec/``."""
    from ..overrides import COMMAND_LINE

    folder = run_dir / "spec"
    for i, (file, text) in enumerate(sources.items()):
        if file.startswith(COMMAND_LINE):  # a --set option: the manifest's "overrides" keep it
            continue
        name = Path(file).name if not file.startswith("<") else f"spec{i}.yaml"
        write_text(folder / name, text)


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / MANIFEST
    if not path.is_file():
        raise KspecError(f"{run_dir} is not a kspec run directory (no {MANIFEST})",
                         hint="pass a folder created by `kspec run`, e.g. runs/quickstart-20261130-101500")
    if path.is_symlink():
        raise KspecError(f"{path} is a symbolic link; a run directory's manifest is a plain file",
                         hint="a run directory from someone else is data: copy it without links")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise KspecError(f"{path} is not valid JSON: {e}") from None
    except UnicodeDecodeError as e:
        raise KspecError(f"{path} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    if not isinstance(manifest, dict):
        raise KspecError(f"{path} holds {type(manifest).__name__}, not a manifest (a JSON object)")
    check_contained(run_dir, manifest)
    return manifest


def inside(run_dir: Path, name: str | Path, what: str) -> Path:
    """``run_dir / name`` for a ``name`` read from the run directory itself (a manifest, a resume
    state): refused unless it is relative and stays inside the run directory once links are
    resolved, so a run directory from someone else cannot make kspec read or write elsewhere."""
    root = Path(run_dir).resolve()
    text = str(name)
    path = (root / text).resolve()
    if Path(text).is_absolute() or ".." in Path(text).parts or (path != root and root not in path.parents):
        raise KspecError(f"{what} {text!r} in {run_dir} leads outside the run directory",
                         hint="a run directory names only files inside it; this one was edited or is not "
                              "from kspec: do not use it, or train again from its spec")
    return path


def check_contained(run_dir: Path, manifest: dict[str, Any]) -> None:
    """Refuse a run directory that points outside itself: a symbolic link in it that leads out (kspec
    would read through it, or write into the folder it names), or a manifest ``base_dir`` (the
    folder the spec's data paths are relative to) that is not an absolute, normalised folder as
    kspec records it."""
    import os

    root = Path(run_dir).resolve()
    for folder, subdirs, files in os.walk(root):
        for name in subdirs + files:
            entry = Path(folder) / name
            if entry.is_symlink():
                target = entry.resolve()
                if target != root and root not in target.parents:
                    raise KspecError(f"{entry} is a symbolic link that leads outside the run directory "
                                     f"(to {target})", hint="a run directory from someone else is data: copy it "
                                                            "without links, or do not use it")
    base = manifest.get("base_dir")
    if base is not None:
        if not isinstance(base, str) or not base or not Path(base).is_absolute() or ".." in Path(base).parts:
            raise KspecError(f"{Path(run_dir) / MANIFEST}: base_dir {base!r} is not the absolute folder kspec "
                             "records (the spec's folder)",
                             hint="the manifest was edited or is not from kspec: do not use this run directory")


# ------------------------------------------------------------------ run directories made here
#
# A run directory records the spec it trained, and that spec names data files anywhere on disk.
# One made by kspec on this machine is sealed: the manifest holds an HMAC of its resolved spec and
# base folder under a key that never leaves this machine. A run directory that is not sealed with
# this machine's key (received from someone else, or edited) reads data only inside itself until
# the user accepts it with `kspec trust RUN_DIR`.

KEY_ENV = "KSPEC_KEY_FILE"


def key_file() -> Path:
    """Where this machine's key for sealing run directories is kept."""
    import os

    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV])
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "kspec" / "run.key"


def _key(create: bool) -> bytes | None:
    import os
    import secrets

    path = key_file()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made by another process meanwhile
        return path.read_bytes()
    except OSError:
        return None
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(32))
    return path.read_bytes()


def seal(resolved_text: str, base_dir: str, *, create: bool = True) -> str | None:
    """The seal of a run directory's resolved spec and base folder under this machine's key (None
    when no key can be kept: the run directory is then treated as one from elsewhere)."""
    import hashlib
    import hmac

    key = _key(create)
    if not key:
        return None
    return hmac.new(key, f"{base_dir}\0{resolved_text}".encode("utf-8"), hashlib.sha256).hexdigest()


def sealed(manifest: dict[str, Any], resolved_text: str) -> bool:
    import hmac

    got = manifest.get("seal")
    want = seal(resolved_text, str(manifest.get("base_dir")), create=False)
    return isinstance(got, str) and want is not None and hmac.compare_digest(got, want)


def check_data_paths(run_dir: Path, data: Any, base_dir: Path) -> None:
    """For a run directory not sealed on this machine: every data path its spec names must lie
    inside the run directory."""
    from ..overrides import DATA_PATH_KEYS

    root = Path(run_dir).resolve()
    for key in sorted(DATA_PATH_KEYS - {"cache"}):
        value = getattr(data, key, None)
        if not isinstance(value, (str, Path)) or not str(value):
            continue
        target = (Path(base_dir) / value).resolve()
        if target != root and root not in target.parents:
            raise KspecError(
                f"{Path(run_dir) / 'spec.resolved.json'} names data.{key} {str(value)!r} ({target}), outside the "
                "run directory, and the run directory was not made by kspec on this machine (or was edited "
                "since)",
                hint=f"a run directory from elsewhere is data: read its spec.resolved.json; if you trust the "
                     f"files it names, accept it with `kspec trust {run_dir}`")


def trust(run_dir: Path) -> dict[str, Any]:
    """Seal a run directory with this machine's key: its spec's data paths are then read where they
    point, as for a run made here."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    path = run_dir / "spec.resolved.json"
    if not path.is_file() or path.is_symlink():
        raise KspecError(f"{run_dir} has no spec.resolved.json", hint="the run directory is incomplete")
    value = seal(path.read_text(encoding="utf-8"), str(manifest.get("base_dir")))
    if value is None:
        raise KspecError(f"no key to seal run directories can be kept at {key_file()}",
                         hint=f"set {KEY_ENV} to a file kspec may create (kept private, mode 600)")
    manifest["seal"] = value
    write_manifest(run_dir, manifest)
    return manifest


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    write_json(run_dir / MANIFEST, manifest)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def load_pipeline(run_dir: Path, manifest: dict[str, Any]):
    """The run's spec as it was trained: ``spec.resolved.json`` with the original spec folder as
    base (data paths are relative to it) and the recorded seed. Raises if the spec is invalid."""
    from ..pipeline import Pipeline

    path = Path(run_dir) / "spec.resolved.json"
    if not path.is_file():
        raise KspecError(f"{run_dir} has no spec.resolved.json", hint="the run directory is incomplete")
    text = path.read_text(encoding="utf-8")
    base_dir = Path(manifest.get("base_dir") or run_dir)
    p = Pipeline(text=text, file=str(path), base_dir=base_dir, seed=manifest.get("seed"))
    p.require_valid()
    data = p.resolved.data
    if not sealed(manifest, text):
        check_data_paths(run_dir, data, base_dir)
    if isinstance(getattr(data, "cache", None), str):
        # the one file the data section writes: kept inside the run directory, whatever it names
        data.cache = str(Path(run_dir).resolve() / ".cache" / (Path(data.cache).name or "images"))
    return p
