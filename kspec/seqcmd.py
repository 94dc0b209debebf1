"""``kspec data inspect SPEC`` for the series, text and table data kinds: what lint knows about the
data (no TensorFlow): column types, vocabulary, sequence length, windows, splits, classes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .diagnostics import KspecError

KINDS = ("series", "text", "keras_text", "table")


def data_kind(path: Path, overrides=()) -> str | None:
    """The data type of a spec file, or None when it is not one of :data:`KINDS` (or not a spec)."""
    from .pipeline import Pipeline

    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        return None
    p = Pipeline(path, overrides=overrides)
    if p.spec is None:
        return None
    kind = getattr(p.spec.data, "type", None)
    return kind if kind in KINDS else None


def inspect_kind(path: Path, overrides=()) -> dict[str, Any]:
    from .pipeline import Pipeline

    p = Pipeline(path, overrides=overrides)
    p.require_valid()
    r = p.resolved
    f = r.facts
    error = f.extra.get("data_error")
    if error:
        raise KspecError(error[0], hint=error[2])
    if f.unavailable:
        raise KspecError(f.unavailable)
    out: dict[str, Any] = {"spec": str(path), "type": r.data.type, "sample_shape": list(f.sample_shape or []),
                           "n_train": f.n_train, "n_validation": f.n_validation, "n_test": f.n_test}
    if r.data.type == "table":
        from .tables import load_table

        table = load_table(r.data, r.base_dir)
        lay = table.layout
        out["columns"] = {c: {"type": lay.types[c], "source": "declared" if c in lay.declared else "inferred",
                              **({"categories": lay.categories[c]} if lay.types[c] == "categorical" else
                                 {"mean": round(lay.means[c], 6), "std": round(lay.stds[c], 6)})}
                          for c in lay.features}
        out["ignored"] = [c for c, t in lay.declared.items() if t == "ignore"]
        out["target"] = {"column": lay.target, "task": lay.task, "classes": lay.classes or None}
    elif r.data.type == "series":
        for k in ("series_length", "split_time", "window_size", "horizon", "normalize", "normalize_fit"):
            out[k] = f.extra.get(k)
        out["value_range"] = list(f.raw_range) if f.raw_range else None
    else:
        out["vocab_size"] = f.extra.get("vocab_size")
        out["seq_length"] = f.extra.get("seq_length")
        out["task"] = f.extra.get("text_task", "classify")
    if f.class_counts:
        out["class_counts"] = f.class_counts
    return out


def render(report: dict[str, Any]) -> str:
    lines = [f"{report['spec']}: {report['type']} data"]
    splits = ", ".join(f"{report[k]} {name}" for k, name in (("n_train", "training"), ("n_validation", "validation"),
                                                             ("n_test", "test")) if report.get(k))
    lines.append(f"  samples: {splits} of shape {report['sample_shape']}")
    if "columns" in report:
        lines.append("  columns:")
        width = max(len(c) for c in report["columns"]) + 2
        for c, info in report["columns"].items():
            detail = (f"{len(info['categories'])} categories: {', '.join(info['categories'][:8])}"
                      f"{' ...' if len(info['categories']) > 8 else ''}" if info["type"] == "categorical"
                      else f"mean {info['mean']:.4g}, std {info['std']:.4g} (training rows)")
            lines.append(f"    {c.ljust(width)}{info['type']:<12} {info['source']:<9} {detail}")
        for c in report["ignored"]:
            lines.append(f"    {c.ljust(width)}ignored")
        t = report["target"]
        lines.append(f"  target: {t['column']} ({t['task']}" + (f", classes {t['classes']})" if t["classes"] else ")"))
    for key in ("series_length", "split_time", "window_size", "horizon", "normalize", "vocab_size", "seq_length", "task"):
        if report.get(key) is not None:
            lines.append(f"  {key.replace('_', ' ')}: {report[key]}")
    if report.get("class_counts"):
        lines.append("  training classes: " + ", ".join(f"{k} {v}" for k, v in report["class_counts"].items()))
    return "\n".join(lines)
