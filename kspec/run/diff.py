"""``kspec diff RUN_A RUN_B``: what differs between two runs, in the order one looks for a cause.

    spec        the resolved specs (every default explicit), key by key
    seed        the seeds
    data        data fingerprint, class names and counts
    versions    kspec, Python, TensorFlow, Keras, NumPy, ...
    environment determinism-related settings and the machine
    results     status, epochs, final metrics, run diagnostics

Two runs of the same spec with the same seed on the same machine differ only in ``results``
timing-free fields when training is not reproducible; they do not differ at all when it is.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import findings, rundir

IGNORED_ENV = {"argv", "cwd"}


@dataclass
class Change:
    section: str
    key: str
    a: Any
    b: Any


@dataclass
class RunDiff:
    a: Path
    b: Path
    changes: list[Change] = field(default_factory=list)
    final_a: dict[str, Any] = field(default_factory=dict)
    final_b: dict[str, Any] = field(default_factory=dict)

    @property
    def same(self) -> bool:
        return not self.changes

    def sections(self) -> list[str]:
        out: list[str] = []
        for c in self.changes:
            if c.section not in out:
                out.append(c.section)
        return out

    def render(self) -> str:
        lines = [f"--- {self.a}", f"+++ {self.b}"]
        if self.same:
            lines.append("the runs do not differ: same resolved spec, seed, data, versions and results")
        for section in self.sections():
            lines.append(f"{section}:")
            changes = [c for c in self.changes if c.section == section]
            width = min(40, max(len(c.key) for c in changes) + 2)
            for c in changes:
                lines.append(f"  {c.key.ljust(width)}{_show(c.a)}  ->  {_show(c.b)}{_delta(c.a, c.b)}")
        keys = [k for k in self.final_a if k in self.final_b]
        if keys and not any(c.section == "results" for c in self.changes):
            lines.append("results (equal):")
            width = min(40, max(len(k) for k in keys) + 2)
            lines.extend(f"  {k.ljust(width)}{_show(self.final_a[k])}" for k in keys)
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps({"a": str(self.a), "b": str(self.b), "same": self.same,
                           "changes": [c.__dict__ for c in self.changes]}, indent=2, default=str) + "\n"


def _show(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, str) and len(v) == 64 and all(ch in "0123456789abcdef" for ch in v):
        return v[:12] + "…"
    text = json.dumps(v, default=str) if not isinstance(v, str) else v
    return text if len(text) <= 60 else text[:57] + "..."


def _delta(a: Any, b: Any) -> str:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        if math.isfinite(a) and math.isfinite(b) and isinstance(a, float):
            return f"  ({b - a:+.4g})"
    return ""


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """``{"train": {"epochs": 5}}`` -> ``{"train.epochs": 5}``; list items as ``[i]``; leaves kept."""
    out: dict[str, Any] = {}
    if isinstance(obj, dict):
        if not obj and prefix:
            out[prefix] = {}
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, list) and obj and any(isinstance(v, (dict, list)) for v in obj):
        for i, v in enumerate(obj):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = obj
    return out


def _compare(section: str, a: dict[str, Any], b: dict[str, Any], changes: list[Change]) -> None:
    for key in list(a) + [k for k in b if k not in a]:
        va, vb = a.get(key), b.get(key)
        if va != vb:
            changes.append(Change(section, key, va, vb))


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _results(run_dir: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"status": manifest.get("status"), "epochs_completed": manifest.get("epochs_completed")}
    hist = _load_json(run_dir / "history.json")
    if hist and hist.get("epochs"):
        for k, v in hist["epochs"][-1].items():
            if k != "epoch":
                out[f"final {k}"] = v
    metrics = _load_json(run_dir / "metrics.json")
    if isinstance(metrics, dict):
        for k, v in metrics.items():
            if k != "data":
                out[f"evaluation {k}"] = v
    codes = sorted(d.get("code", "?") for d in findings.read(run_dir))
    out["diagnostics"] = ", ".join(codes) if codes else "none"
    return out


def diff_runs(a: str | Path, b: str | Path) -> RunDiff:
    a, b = Path(a), Path(b)
    ma, mb = rundir.read_manifest(a), rundir.read_manifest(b)
    d = RunDiff(a, b)
    spec_a = _load_json(a / "spec.resolved.json") or {}
    spec_b = _load_json(b / "spec.resolved.json") or {}
    fa, fb = flatten(spec_a), flatten(spec_b)
    for side in (fa, fb):  # the seed has its own section
        side.pop("train.seed", None)
    _compare("spec", fa, fb, d.changes)
    _compare("seed", {"seed": ma.get("seed")}, {"seed": mb.get("seed")}, d.changes)
    da, db = ma.get("data") or {}, mb.get("data") or {}
    _compare("data", {"fingerprint": da.get("fingerprint"), **flatten({"counts": da.get("counts")}),
                      "class_names": da.get("class_names")},
             {"fingerprint": db.get("fingerprint"), **flatten({"counts": db.get("counts")}),
              "class_names": db.get("class_names")}, d.changes)
    _compare("versions", ma.get("versions") or {}, mb.get("versions") or {}, d.changes)
    ea = {k: v for k, v in flatten(ma.get("environment") or {}).items() if k.split(".")[0] not in IGNORED_ENV}
    eb = {k: v for k, v in flatten(mb.get("environment") or {}).items() if k.split(".")[0] not in IGNORED_ENV}
    _compare("environment", ea, eb, d.changes)
    d.final_a, d.final_b = _results(a, ma), _results(b, mb)
    _compare("results", d.final_a, d.final_b, d.changes)
    return d
