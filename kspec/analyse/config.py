"""``[tool.kspec.lint]`` in pyproject.toml: select, ignore, per-rule severity, fail-on, format.

    [tool.kspec.lint]
    select = ["ALL"]                  # codes (KS201), groups (KS2), rule names, or ALL
    ignore = ["KS306"]
    fail-on = "warning"               # error (default), warning, info, never
    format = "concise"                # auto (default), full, concise, json, sarif, github

    [tool.kspec.lint.severity]
    KS501 = "error"                   # by code or rule name

Unknown keys, selectors and values are errors (exit 2), with the closest valid spelling.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..diagnostics import KspecError, did_you_mean
from .base import LintConfig
from .rules import BY_CODE, RULES, find

_KEYS = {"select", "ignore", "severity", "fail-on", "format"}
SEVERITIES = ("error", "warning", "info")
FAIL_ON = ("error", "warning", "info", "never")
FORMATS = ("auto", "full", "concise", "json", "sarif", "github")


def find_pyproject(start: Path) -> Path | None:
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def check_selector(sel: str, where: str) -> str:
    """``sel`` when it names at least one rule (code, group prefix, name or ALL); else an error."""
    sel = sel.strip()
    if sel == "ALL" or any(r.name == sel for r in RULES):
        return sel
    if re.fullmatch(r"(?i)KS\d{0,3}", sel) and any(r.code.startswith(sel.upper()) for r in RULES):
        return sel.upper()
    guess = suggest(sel)
    raise KspecError(f"{where}: {sel!r} matches no lint rule" + (f"; did you mean {guess!r}?" if guess else ""),
                     hint="use a code (KS201), a group (KS2), a rule name, or ALL; `kspec rules` lists them")


def suggest(token: str) -> str | None:
    """The rule code or name closest to a mistyped ``token`` (``KS2O1`` -> ``KS201``), or None."""
    if re.fullmatch(r"(?i)KS[0-9OIL]{3}", token):
        fixed = "KS" + token[2:].upper().replace("O", "0").replace("I", "1").replace("L", "1")
        if fixed in BY_CODE:
            return fixed
    return did_you_mean(token, [r.code for r in RULES] + [r.name for r in RULES])


def load_config(start: Path | None = None, path: Path | None = None) -> tuple[LintConfig, dict]:
    """The lint config from the nearest pyproject.toml above ``start`` (or ``path``), plus the
    ``fail-on`` and ``format`` settings."""
    path = path or find_pyproject(start or Path.cwd())
    if path is None:
        return LintConfig(), {}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KspecError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise KspecError(f"cannot read {path}: {e}", hint="fix the TOML syntax") from None
    section: object = data
    for depth, key in enumerate(("tool", "kspec", "lint")):
        section = section.get(key, {})
        if not isinstance(section, dict):
            table = ".".join(("tool", "kspec", "lint")[: depth + 1])
            raise KspecError(f"{path}: [{table}] must be a table, not a {type(section).__name__} ({section!r:.40})",
                             hint=f"write it as a section: [{table}]")
    where = f"{path} [tool.kspec.lint]"
    if not isinstance(section, dict):
        raise KspecError(f"{where} must be a table")
    unknown = set(section) - _KEYS
    if unknown:
        key = sorted(unknown)[0]
        guess = did_you_mean(key, sorted(_KEYS))
        raise KspecError(f"{where}: unknown key {key!r}" + (f"; did you mean {guess!r}?" if guess else ""),
                         hint="allowed: " + ", ".join(sorted(_KEYS)))

    def _list(key: str) -> list[str]:
        v = section.get(key, [])
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise KspecError(f"{where}: {key} must be a list of codes or rule names")
        return [check_selector(x, f"{where} {key}") for x in v]

    severity = section.get("severity", {})
    if not isinstance(severity, dict):
        raise KspecError(f"{where}: severity must be a table of code = \"error\" | \"warning\" | \"info\"")
    for key, value in severity.items():
        if value not in SEVERITIES:
            raise KspecError(f"{where} severity: {key} = {value!r} is not one of {', '.join(SEVERITIES)}")
        if find(key) is None:
            check_selector(key, f"{where} severity")  # raises with a suggestion
            raise KspecError(f"{where} severity: {key!r} must name one rule (a code or a name), not a group")
    extra = {}
    for key, allowed in (("fail-on", FAIL_ON), ("format", FORMATS)):
        if key in section:
            if section[key] not in allowed:
                raise KspecError(f"{where}: {key} = {section[key]!r} is not one of {', '.join(allowed)}")
            extra[key] = section[key]
    cfg = LintConfig(select=_list("select") or ["ALL"], ignore=_list("ignore"),
                     severity={_canonical(k): v for k, v in severity.items()})
    return cfg, extra


def _canonical(key: str) -> str:
    return find(key).code
