"""``report.html``: one self-contained page per run (images inline as data URIs, no network).

    header       name, status, epochs, final metrics, where the run lives
    curves       accuracy and loss per epoch (the run's PNGs)
    evaluation   the metrics of ``evaluate`` and the confusion matrix
    predictions  class and probability (or value) per sample, with the sample's image when it is one
    feature maps ``visualize/<input>/`` grids, when the run drew them
    findings     run diagnostics (KS9xx) and the lint findings of the spec as trained, with code frames
    model        the static shape table
    spec         the spec files as written
    provenance   seed, spec hash, data fingerprint, versions, environment, timing, the repeat command

The fragments (diagnostics, shape table, run summary) are also what the Python API shows in
Jupyter. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..atomic import write_text
from ..diagnostics import Diagnostic, Related, Severity, Span

REPORT = "report.html"
LINT = "lint.json"
SAMPLES = "predictions"
"""Folder of the predicted samples' images (``predictions/0000.png`` ...)."""


def escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


# ------------------------------------------------------------------------------------ fragments

CSS = """
.kspec{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:15px;line-height:1.45;color:#1d2330}
.kspec h1{font-size:1.6em;margin:.2em 0 .1em}.kspec h2{font-size:1.2em;margin:1.6em 0 .5em;padding-bottom:.2em;border-bottom:1px solid #dde2ea}
.kspec h3{font-size:1em;margin:1em 0 .4em}
.kspec table{border-collapse:collapse;margin:.3em 0 .8em}.kspec th,.kspec td{padding:.25em .7em;border-bottom:1px solid #e6e9ef;text-align:left;vertical-align:top}
.kspec th{background:#f4f6f9;font-weight:600}.kspec td.num{text-align:right;font-variant-numeric:tabular-nums}
.kspec pre{background:#f6f8fa;border:1px solid #e1e5eb;border-radius:6px;padding:.6em .8em;overflow-x:auto;font-size:13px;line-height:1.35;margin:.3em 0}
.kspec code,.kspec pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
.kspec .diag{border-left:4px solid #8a94a6;padding:.2em 0 .2em .7em;margin:.6em 0}
.kspec .diag.error{border-color:#d1242f}.kspec .diag.warning{border-color:#bf8700}.kspec .diag.info{border-color:#0969da}
.kspec .diag .head{font-weight:600}.kspec .sev{font-size:.8em;text-transform:uppercase;letter-spacing:.04em;padding:.05em .45em;border-radius:4px;color:#fff;background:#8a94a6;margin-right:.4em}
.kspec .sev.error{background:#d1242f}.kspec .sev.warning{background:#9a6700}.kspec .sev.info{background:#0969da}
.kspec .where{color:#57606a;font-weight:400;font-size:.9em}.kspec .hint{color:#1a7f37}
.kspec .ok{color:#1a7f37}.kspec .muted{color:#57606a}
.kspec .badge{display:inline-block;padding:.1em .6em;border-radius:1em;font-size:.85em;font-weight:600;background:#e6e9ef}
.kspec .badge.completed{background:#dafbe1;color:#116329}.kspec .badge.diverged,.kspec .badge.failed{background:#ffebe9;color:#a40e26}
.kspec .badge.interrupted,.kspec .badge.running{background:#fff8c5;color:#7d4e00}
.kspec .cards{display:flex;flex-wrap:wrap;gap:.6em;margin:.8em 0}.kspec .card{border:1px solid #dde2ea;border-radius:8px;padding:.4em .9em;min-width:7em}
.kspec .card .v{font-size:1.35em;font-weight:600;font-variant-numeric:tabular-nums}.kspec .card .k{color:#57606a;font-size:.85em}
.kspec .figs{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}.kspec .figs img{max-width:100%;height:auto;border:1px solid #e6e9ef;border-radius:4px}
.kspec .fig{flex:1 1 420px;max-width:560px}.kspec .fig.small{flex:0 1 auto;max-width:520px}
.kspec nav a{margin-right:1em;color:#0969da;text-decoration:none}.kspec nav{margin:.6em 0;font-size:.92em}
.kspec img.sample{width:56px;height:56px;image-rendering:pixelated;object-fit:contain;border:1px solid #d0d7de;background:#fff}
.kspec details summary{cursor:pointer;color:#0969da}.kspec .side{display:grid;grid-template-columns:1fr 1fr;gap:1.2em}
.kspec .changed td{background:#fff8c5}.kspec table.diff{width:100%;table-layout:fixed}
.kspec table.diff td{overflow-wrap:anywhere}.kspec .side>div{min-width:0}
.kspec .path{overflow-wrap:anywhere}.kspec .nowrap{white-space:nowrap}
"""


def render_diagnostic(d: Diagnostic, sources: Mapping[str, str]) -> str:
    """One finding: severity, place, message, the code frame, path, notes and the fix."""
    from ..render.text import render_one

    sev = d.severity.value
    where = f"<span class='where'>{escape(d.span)}</span> " if d.span else ""
    head = (f"<div class='head'><span class='sev {sev}'>{sev}</span>{escape(d.code)} {escape(d.message)} "
            f"<span class='where'>({escape(d.name)})</span></div>")
    text = render_one(d, dict(sources)).splitlines()[1:]
    frame = [line for line in text if not line.startswith("   = ")]
    notes = [line[5:] for line in text if line.startswith("   = ")]
    out = [f"<div class='diag {sev}'>", head]
    if where:
        out.append(f"<div>{where}</div>")
    if frame:
        out.append("<pre>" + escape("\n".join(frame)) + "</pre>")
    for note in notes:
        cls = " class='hint'" if note.startswith("help:") else ""
        out.append(f"<div{cls}>{escape(note)}</div>")
    out.append("</div>")
    return "\n".join(out)


def diagnostics_html(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str], *, wrap: bool = True) -> str:
    from ..render.text import summary

    if not diagnostics:
        body = "<p class='ok'>no problems found</p>"
    else:
        body = "\n".join(render_diagnostic(d, sources) for d in diagnostics) + f"<p class='muted'>{escape(summary(diagnostics))}</p>"
    return _wrap(body) if wrap else body


def _wrap(body: str) -> str:
    return f"<div class='kspec'><style>{CSS}</style>{body}</div>"


def shapes_html(plan, layers=None, *, wrap: bool = True) -> str:
    from ..analyse.shapes import human_bytes
    from ..layers import fmt_shape

    rows = ["<table><tr><th>#</th><th>layer</th><th>output shape</th><th>params</th><th>act/sample</th></tr>",
            f"<tr><td></td><td>Input</td><td><code>{escape(fmt_shape(plan.input_shape) if plan.input_shape else '?')}"
            "</code></td><td class='num'>0</td><td></td></tr>"]
    for p in plan.layers:
        rows.append(f"<tr><td class='num'>{p.index}</td><td>{escape(layer_label(p.layer))}</td>"
                    f"<td><code>{escape(fmt_shape(p.output_shape))}</code></td><td class='num'>{p.params:,}</td>"
                    f"<td class='num'>{escape(human_bytes(p.activation_bytes))}</td></tr>")
    if plan.error is not None and layers is not None:
        i = plan.error.data.get("layer")
        if isinstance(i, int) and i < len(layers):
            rows.append(f"<tr><td class='num'>{i}</td><td>{escape(layer_label(layers[i]))}</td>"
                        "<td colspan='3' style='color:#d1242f'>impossible</td></tr>")
    rows.append("</table>")
    foot = (f"<p class='muted'>Total params: {plan.params:,} (trainable {plan.trainable:,}, non-trainable "
            f"{plan.non_trainable:,}); activation memory per sample: {escape(human_bytes(plan.activation_bytes))}</p>")
    if plan.error is not None:
        foot = f"<p style='color:#d1242f'>{escape(plan.error.message)}</p>" + foot
    body = "\n".join(rows) + foot
    return _wrap(body) if wrap else body


def layer_label(layer) -> str:
    label = layer.type + (f" ({layer.name})" if getattr(layer, "name", None) else "")
    act = getattr(layer, "activation_name", None)
    return label + (f" [{act}]" if act else "")


def data_uri(path: Path) -> str:
    kind = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}.get(
        path.suffix.lower(), "application/octet-stream")
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _img(path: Path, alt: str, cls: str = "") -> str:
    c = f" class='{cls}'" if cls else ""
    return f"<img{c} src='{data_uri(path)}' alt='{escape(alt)}'>"


def _num(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return escape(v)
    return f"{v:.4f}" if isinstance(v, float) else f"{v:,}"


# ------------------------------------------------------------------------------------ reading a run


def diagnostics_from_json(data: Any) -> list[Diagnostic]:
    """Diagnostics saved by the json reporter (``diagnostics.json``, ``lint.json``) as objects."""
    if isinstance(data, dict):
        data = next((data[k] for k in ("diagnostics", "findings", "results") if isinstance(data.get(k), list)), [])
    out = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or "code" not in item:
            continue
        span = item.get("span") or None
        try:
            sev = Severity(item.get("severity", "info"))
        except ValueError:
            sev = Severity.INFO
        related = tuple(Related(r.get("message", ""), _span(r.get("span")), r.get("path"))
                        for r in item.get("related") or [] if isinstance(r, dict))
        out.append(Diagnostic(item["code"], item.get("name", ""), sev, item.get("message", ""),
                              path=item.get("path") or "", span=_span(span), hint=item.get("hint"),
                              related=related, data=item.get("data") or {}))
    return out


def _span(s: Any) -> Span | None:
    if not isinstance(s, dict) or "file" not in s:
        return None
    return Span(s["file"], int(s.get("line") or 1), int(s.get("col") or 1), s.get("end_line"), s.get("end_col"))


def run_sources(run_dir: Path) -> dict[str, str]:
    """File name as the diagnostics name it -> text, from the copies in ``spec/``; the resolved
    spec under its own path."""
    run_dir = Path(run_dir)
    out: dict[str, str] = {}
    copies = {p.name: p for p in (run_dir / "spec").glob("*") if p.is_file()}
    files: set[str] = set()
    for name in ("diagnostics.json", LINT):
        p = run_dir / name
        if p.is_file():
            try:
                for d in diagnostics_from_json(json.loads(p.read_text(encoding="utf-8"))):
                    if d.span:
                        files.add(d.span.file)
                    files.update(r.span.file for r in d.related if r.span)
            except (json.JSONDecodeError, OSError):
                pass
    for f in files:
        copy = copies.get(Path(f).name)
        if copy is not None:
            out[f] = copy.read_text(encoding="utf-8", errors="replace")
    resolved = run_dir / "spec.resolved.json"
    if resolved.is_file():
        out[str(resolved)] = resolved.read_text(encoding="utf-8", errors="replace")
    return out


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (json.JSONDecodeError, OSError):
        return None


def _plan(run_dir: Path, manifest: dict[str, Any]):
    """The static plan of the run's resolved spec, or None when it cannot be made."""
    try:
        from ..run import rundir

        p = rundir.load_pipeline(run_dir, manifest)
        r = p.resolved
        from ..analyse.shapes import infer

        return infer(r.model.layers, r.input_shape), r.model.layers
    except Exception:  # an old or damaged run directory: the page is still written without the table
        return None, None


# ------------------------------------------------------------------------------------ the page


def run_summary_html(run) -> str:
    """What Jupyter shows for a :class:`kspec.api.Run`: header, metrics, curves, findings."""
    run_dir = Path(run.path)
    manifest = run.manifest
    parts = [_header(run_dir, manifest), _curves(run_dir), _evaluation(run_dir, manifest)]
    diags = diagnostics_from_json(_read_json(run_dir / "diagnostics.json"))
    if diags:
        parts.append("<h3>Run diagnostics</h3>" + diagnostics_html(diags, run_sources(run_dir), wrap=False))
    return _wrap("\n".join(p for p in parts if p))


def _header(run_dir: Path, manifest: dict[str, Any]) -> str:
    status = manifest.get("status", "unknown")
    name = manifest.get("name") or run_dir.name
    epochs = manifest.get("epochs_completed")
    final = manifest.get("final") or {}
    cards = "".join(f"<div class='card'><div class='v'>{_num(v)}</div><div class='k'>{escape(k)}</div></div>"
                    for k, v in final.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                    and k not in ("learning_rate", "lr"))
    facts = [f"{epochs} epoch(s)"] if epochs is not None else []
    started, ended = _when(manifest.get("started")), _when(manifest.get("ended"))
    if started:
        facts.append(f"started {started}")
    if ended:  # the same day: the time only
        facts.append(f"ended {ended[11:] if started and ended[:10] == started[:10] else ended}")
    return (f"<h1>{escape(name)} <span class='badge {escape(status)}'>{escape(status)}</span></h1>"
            f"<div class='muted path'>{escape(run_dir)}</div>"
            + (f"<div class='muted'>{' &middot; '.join(f'<span class=nowrap>{escape(f)}</span>' for f in facts)}</div>"
               if facts else "")
            + (f"<div class='cards'>{cards}</div>" if cards else ""))


def _when(stamp: Any) -> str:
    """An ISO time stamp of the manifest (``2026-12-02T05:59:55+00:00``) as ``2026-12-02 05:59:55 UTC``."""
    import datetime as dt

    if not isinstance(stamp, str) or not stamp:
        return ""
    try:
        t = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if t.utcoffset() == dt.timedelta(0):
        return t.strftime("%Y-%m-%d %H:%M:%S") + " UTC"
    return t.strftime("%Y-%m-%d %H:%M:%S %z")


def _curves(run_dir: Path) -> str:
    figs = [p for p in (run_dir / "accuracy.png", run_dir / "loss.png") if p.is_file()]
    figs += sorted(p for p in run_dir.glob("*.png") if p.name not in ("accuracy.png", "loss.png", "confusion_matrix.png"))
    if not figs:
        return ""
    return "<h2>Training curves</h2><div class='figs'>" + "".join(
        f"<div class='fig'>{_img(p, p.stem)}</div>" for p in figs) + "</div>"


def _evaluation(run_dir: Path, manifest: dict[str, Any]) -> str:
    metrics = _read_json(run_dir / "metrics.json")
    cm = run_dir / "confusion_matrix.png"
    if not metrics and not cm.is_file():
        return ""
    out = ["<h2>Evaluation</h2>"]
    if isinstance(metrics, dict):
        source = metrics.get("data", "test")
        rows = "".join(f"<tr><td>{escape(k)}</td><td class='num'>{_num(v)}</td></tr>" for k, v in metrics.items() if k != "data")
        out.append(f"<p>on the {escape(source)} data</p><table><tr><th>metric</th><th>value</th></tr>{rows}</table>")
    if cm.is_file():
        out.append(f"<div class='figs'><div class='fig'>{_img(cm, 'confusion matrix')}</div></div>")
    return "\n".join(out)


def _predictions(run_dir: Path) -> str:
    data = _read_json(run_dir / "predictions.json")
    rows = (data or {}).get("predictions") if isinstance(data, dict) else None
    if not rows:
        return ""
    images = run_dir / SAMPLES
    head = ["#"]
    has_img = any((images / f"{int(r.get('index', i)):04d}.png").is_file() for i, r in enumerate(rows))
    if has_img:
        head.append("input")
    elif any("input" in r for r in rows):
        head.append("input")
    classifier = any("class_id" in r for r in rows)
    head += ["predicted class", "probability"] if classifier else ["output"]
    out = ["<h2>Predictions</h2><table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for i, r in enumerate(rows):
        idx = int(r.get("index", i))
        cells = [f"<td class='num'>{idx}</td>"]
        img = images / f"{idx:04d}.png"
        if has_img:
            cells.append(f"<td>{_img(img, f'sample {idx}', 'sample')}</td>" if img.is_file() else "<td></td>")
        elif "input" in head:
            cells.append(f"<td><code>{escape(json.dumps(r.get('input')))}</code></td>")
        if classifier:
            label = r.get("class_name", r.get("class_id", ""))
            p = r.get("probability")
            cells.append(f"<td>{escape(label)}</td><td class='num'>{_num(p) if p is not None else ''}</td>")
        else:
            cells.append(f"<td><code>{escape(r.get('output'))}</code></td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _feature_maps(run_dir: Path) -> str:
    root = run_dir / "visualize"
    if not root.is_dir():
        return ""
    out = ["<h2>Feature maps</h2>"]
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        figs = sorted(folder.glob("*.png"))
        if not figs:
            continue
        out.append(f"<h3>{escape(folder.name)}</h3><div class='figs'>"
                   + "".join(f"<div class='fig small'>{_img(p, p.stem)}</div>" for p in figs) + "</div>")
    return "\n".join(out) if len(out) > 1 else ""


def _findings(run_dir: Path) -> str:
    sources = run_sources(run_dir)
    run_diags = diagnostics_from_json(_read_json(run_dir / "diagnostics.json"))
    lint = _read_json(run_dir / LINT)
    out = ["<h2>Findings</h2><h3>Run diagnostics</h3>", diagnostics_html(run_diags, sources, wrap=False)]
    if lint is not None:
        out += ["<h3>Lint findings of the spec</h3>", diagnostics_html(diagnostics_from_json(lint), sources, wrap=False)]
    return "\n".join(out)


def _model(run_dir: Path, manifest: dict[str, Any]) -> str:
    plan, layers = _plan(run_dir, manifest)
    if plan is None:
        return ""
    return "<h2>Model</h2>" + shapes_html(plan, layers, wrap=False)


def _spec(run_dir: Path) -> str:
    files = sorted(p for p in (run_dir / "spec").glob("*") if p.is_file())
    if not files:
        return ""
    out = ["<h2>Spec as written</h2>"]
    for p in files:
        out.append(f"<h3><code>{escape(p.name)}</code></h3><pre>{escape(p.read_text(encoding='utf-8', errors='replace'))}</pre>")
    return "\n".join(out)


def _table(items: Iterable[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v) if not isinstance(v, (dict, list)) else '<code>' + escape(json.dumps(v)) + '</code>'}</td></tr>"
                   for k, v in items if v not in (None, "", [], {}))
    return f"<table>{rows}</table>"


def _provenance(manifest: dict[str, Any]) -> str:
    data = manifest.get("data") or {}
    env = manifest.get("environment") or {}
    main = [("command to repeat", manifest.get("repeat")), ("spec file", manifest.get("spec_file")),
            ("seed", f"{manifest.get('seed')}" + (" (drawn)" if manifest.get("seed_drawn") else "")),
            ("spec hash", manifest.get("spec_hash")), ("data source", data.get("source")),
            ("data fingerprint", data.get("fingerprint")), ("class counts", data.get("counts")),
            ("overrides", manifest.get("overrides")), ("started", manifest.get("started")),
            ("ended", manifest.get("ended")), ("resumed", manifest.get("resumed")),
            ("repeat of", manifest.get("repeat_of")), ("distribute", manifest.get("distribute"))]
    machine = [("processor", env.get("processor")), ("cpus", env.get("cpus")), ("devices", env.get("devices")),
               ("op determinism", env.get("op_determinism")), ("environment", env.get("env"))]
    timing = list((manifest.get("timing") or {}).items())
    return ("<h2>Provenance</h2><div class='side'><div><h3>Run</h3>" + _table(main) + "<h3>Timing (s)</h3>"
            + _table(timing) + "</div><div><h3>Versions</h3>" + _table((manifest.get("versions") or {}).items())
            + "<h3>Machine</h3>" + _table(machine) + "</div></div>")


def _anchored(body: str) -> tuple[str, str]:
    """Give every section heading an id; return (navigation bar, body)."""
    import re

    links = []

    def add(m):
        title = m.group(1)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        links.append(f"<a href='#{slug}'>{title}</a>")
        return f"<h2 id='{slug}'>{title}</h2>"

    body = re.sub(r"<h2>([^<]+)</h2>", add, body)
    return "<nav>" + "".join(links) + "</nav>", body


def page(title: str, body: str) -> str:
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{escape(title)}</title><style>body{{margin:0;background:#fff}}"
            f".page{{max-width:1180px;margin:0 auto;padding:1.2em 1.6em 3em}}{CSS}</style></head>"
            f"<body><div class='kspec page'>{body}</div></body></html>\n")


def render_report(run_dir: str | Path) -> str:
    from ..run import rundir

    run_dir = Path(run_dir)
    manifest = rundir.read_manifest(run_dir)
    sections = [_header(run_dir, manifest), _curves(run_dir), _evaluation(run_dir, manifest), _predictions(run_dir),
                _feature_maps(run_dir), _findings(run_dir), _model(run_dir, manifest), _spec(run_dir),
                _provenance(manifest)]
    nav, body = _anchored("\n".join(s for s in sections[1:] if s))
    return page(f"kspec run {manifest.get('name') or run_dir.name}", sections[0] + nav + body)


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` (or ``out``) for a run directory; returns the path."""
    run_dir = Path(run_dir)
    return write_text(Path(out) if out else run_dir / REPORT, render_report(run_dir))


def render_diff(d) -> str:
    """A side-by-side page for ``kspec diff A B --html``: what differs, then both runs' headers,
    curves and evaluations in two columns."""
    from ..run import rundir

    ma, mb = rundir.read_manifest(d.a), rundir.read_manifest(d.b)
    if d.same:
        changes = "<p class='ok'>the runs do not differ: same resolved spec, seed, data, versions and results</p>"
    else:
        rows = []
        for section in d.sections():
            for c in (c for c in d.changes if c.section == section):
                rows.append(f"<tr class='changed'><td>{escape(section)}</td><td><code>{escape(c.key)}</code></td>"
                            f"<td>{escape(_short(c.a))}</td><td>{escape(_short(c.b))}</td></tr>")
        changes = ("<table class='diff'><colgroup><col style='width:9%'><col style='width:27%'><col style='width:32%'>"
                   "<col style='width:32%'></colgroup><tr><th>section</th><th>key</th><th>A</th><th>B</th></tr>"
                   + "".join(rows) + "</table>")
    columns = []
    for run_dir, manifest, label in ((d.a, ma, "A"), (d.b, mb, "B")):
        run_dir = Path(run_dir)
        columns.append(f"<div><div class='muted'>{label}</div>" + _header(run_dir, manifest)
                       + _curves(run_dir).replace("class='fig'", "class='fig wide'")
                       + _evaluation(run_dir, manifest) + "</div>")
    body = (f"<h1>kspec diff</h1><div class='muted'>A: {escape(d.a)}<br>B: {escape(d.b)}</div>"
            f"<h2>What differs</h2>{changes}<h2>Side by side</h2><div class='side'>{''.join(columns)}</div>")
    return page(f"kspec diff {Path(d.a).name} {Path(d.b).name}", body)


def _short(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, float):
        return f"{v:.6g}"
    text = v if isinstance(v, str) else json.dumps(v, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


# ------------------------------------------------------------------------------------ samples


def save_sample_images(run_dir: Path, x, *, limit: int = 64, max_side: int = 128) -> int:
    """The predicted samples as small PNGs under ``predictions/`` when they are images
    ((n, h, w), (n, h, w, 1|3|4)); returns how many were written. Values in 0..1 map to 0..255;
    other ranges are stretched per image."""
    import numpy as np
    from PIL import Image

    from ..atomic import save_with

    x = np.asarray(x)
    if x.ndim == 4 and x.shape[-1] in (1, 3, 4):
        imgs = x[..., 0] if x.shape[-1] == 1 else x
    elif x.ndim == 3 and min(x.shape[1:]) >= 4:
        imgs = x
    else:
        return 0
    written = 0
    for i, img in enumerate(imgs[:limit]):
        a = np.asarray(img, dtype=np.float64)
        lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
        if lo >= 0 and hi <= 1:
            a = a * 255
        elif hi > lo and not (lo >= 0 and hi <= 255):
            a = (a - lo) / (hi - lo) * 255
        pil = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
        if max(pil.size) > max_side:
            pil.thumbnail((max_side, max_side))
        save_with(Path(run_dir) / SAMPLES / f"{i:04d}.png", lambda p, im=pil: im.save(p, format="PNG"))
        written += 1
    return written


__all__ = ["REPORT", "diagnostics_html", "render_diff", "render_report", "save_sample_images", "shapes_html", "write_report"]
