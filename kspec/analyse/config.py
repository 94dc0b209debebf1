"""``[tool.kspec.lint]`` in pyproject.toml: select, ignore and per-rule severity."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ..diagnostics import KspecError
from .lint import LintConfig

_KEYS = {"select", "ignore", "severity", "fail-on", "format"}


def find_pyproject(start: Path) -> Path | None:
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path | None = None, path: Path | None = None) -> tuple[LintConfig, dict]:
    """The lint config from the nearest pyproject.toml (or ``path``), plus raw extra settings."""
    path = path or find_pyproject(start or Path.cwd())
    if path is None:
        return LintConfig(), {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise KspecError(f"cannot read {path}: {e}", hint="fix the TOML syntax") from None
    section = data.get("tool", {}).get("kspec", {}).get("lint", {})
    unknown = set(section) - _KEYS
    if unknown:
        raise KspecError(f"{path}: unknown key(s) in [tool.kspec.lint]: {', '.join(sorted(unknown))}",
                         hint="allowed: " + ", ".join(sorted(_KEYS)))
    def _list(key: str) -> list[str]:
        v = section.get(key, [])
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise KspecError(f"{path}: [tool.kspec.lint] {key} must be a list of codes or rule names")
        return v
    severity = section.get("severity", {})
    if not isinstance(severity, dict) or any(v not in ("error", "warning", "info") for v in severity.values()):
        raise KspecError(f"{path}: [tool.kspec.lint] severity must map codes to error, warning or info")
    cfg = LintConfig(select=_list("select") or ["ALL"], ignore=_list("ignore"), severity=dict(severity))
    return cfg, {k: section[k] for k in ("fail-on", "format") if k in section}
