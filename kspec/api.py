"""The Python API: what a notebook uses. The CLI calls the same objects.

    spec = kspec.load("specs/quickstart.yaml")     # a path, a dict or YAML text
    spec.diagnostics                               # every finding, shown with code frames
    spec.shapes                                    # the per-layer table, without TensorFlow
    model = spec.model()                           # a compiled Keras model
    run = spec.with_(train={"epochs": 2}).run(out="runs")
    run.history, run.metrics, run.predictions, run.model, run.path
    kspec.open_run("runs/quickstart-20261201-101500")

A spec that cannot be read or validated raises :class:`InvalidSpec`, which carries the
diagnostics and prints them as ``kspec validate`` does. Any other user mistake raises
:class:`~kspec.diagnostics.KspecError` with the CLI's message. TensorFlow is imported only by
``model()``, ``run()`` and ``Run.model``.
"""

from __future__ import annotations

import copy
import json
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .diagnostics import Diagnostic, KspecError, Severity, SpecInvalid
from .pipeline import Pipeline


class InvalidSpec(SpecInvalid):
    """A spec with errors. ``diagnostics`` holds them; ``str()`` is what the CLI prints."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Mapping[str, str] | None = None,
                 message: str | None = None):
        super().__init__(list(diagnostics))
        self.sources = dict(sources or {})
        if message:
            self.message = message
        self.args = (str(self),)

    def __str__(self) -> str:
        from .render.text import render_full

        head = f"{self.message}\n\n" if self.message and not self.message.startswith("the spec has") else ""
        return head + render_full(self.diagnostics, self.sources).rstrip()

    def _repr_html_(self) -> str:
        return Diagnostics(self.diagnostics, self.sources)._repr_html_()


class Diagnostics(list):
    """A list of :class:`~kspec.diagnostics.Diagnostic` that prints like ``kspec lint`` and
    displays with code frames in Jupyter."""

    def __init__(self, diagnostics: Iterable[Diagnostic] = (), sources: Mapping[str, str] | None = None):
        super().__init__(diagnostics)
        self.sources = dict(sources or {})

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self if d.severity is Severity.ERROR]

    def codes(self) -> list[str]:
        return [d.code for d in self]

    def __str__(self) -> str:
        from .render.text import render_full

        return render_full(list(self), self.sources).rstrip()

    def _repr_markdown_(self) -> str:
        return "```text\n" + str(self) + "\n```"

    def _repr_html_(self) -> str:
        from .report.html import diagnostics_html

        return diagnostics_html(list(self), self.sources)


class ShapeTable:
    """Each layer's output shape, parameter count and activation memory (no TensorFlow)."""

    def __init__(self, plan, layers, name: str = ""):
        self.plan = plan
        self.layers = layers
        self.name = name

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [{"index": p.index, "layer": p.type, "name": p.layer.name, "activation": p.layer.activation_name,
                 "input_shape": list(p.input_shape), "output_shape": list(p.output_shape), "params": p.params,
                 "trainable": p.trainable, "activation_bytes": p.activation_bytes} for p in self.plan.layers]

    @property
    def output_shape(self) -> tuple | None:
        return self.plan.output_shape

    @property
    def params(self) -> int:
        return self.plan.params

    @property
    def error(self) -> Diagnostic | None:
        return self.plan.error

    def __len__(self) -> int:
        return len(self.plan.layers)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.rows[i]

    def __str__(self) -> str:
        from .analyse.shapes import render_plan

        return render_plan(self.plan, name=self.name, layers=self.layers)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return "```text\n" + str(self) + "\n```"

    def _repr_html_(self) -> str:
        from .report.html import shapes_html

        return shapes_html(self.plan, self.layers)


def _merge(base: Any, override: Any) -> Any:
    """Mappings merge key by key; anything else replaces. ``None`` removes a key."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        out = base
        for k, v in override.items():
            if v is None:
                if k in out:
                    del out[k]
            else:
                out[k] = _merge(out[k], v) if k in out else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


def _yaml_text(data: Mapping) -> str:
    import io

    from ruamel.yaml import YAML

    y = YAML()
    y.default_flow_style = None
    y.width = 100
    y.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    y.dump(_plain(data), buf)
    return buf.getvalue()


def _plain(value: Any) -> Any:
    """Tuples and numpy values as YAML-friendly Python values; anything else unchanged."""
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return value


class Spec:
    """A loaded spec. Each stage (validation, shapes, lint) is computed once, when first asked."""

    def __init__(self, pipeline: Pipeline, *, seed: int | None = None):
        self.pipeline = pipeline
        self.seed = seed

    # ---------------------------------------------------------------- static facts

    @property
    def valid(self) -> bool:
        """True when the spec parses and validates (lint findings do not make it invalid)."""
        return self.pipeline.valid

    @property
    def sources(self) -> dict[str, str]:
        return dict(self.pipeline.document.sources)

    @property
    def file(self) -> str:
        return self.pipeline.file

    @property
    def name(self) -> str:
        spec = self.pipeline.spec
        if spec is not None and spec.name:
            return spec.name
        return self.pipeline.path.stem if self.pipeline.path else "spec"

    @cached_property
    def diagnostics(self) -> Diagnostics:
        """Syntax, schema and lint findings, sorted by place: what ``kspec lint`` reports."""
        return Diagnostics(self.pipeline.diagnostics, self.sources)

    def require_valid(self) -> None:
        if not self.valid:
            raise InvalidSpec(self.pipeline.spec_diagnostics, self.sources)

    @property
    def resolved(self):
        """The resolved spec (every default explicit, parts inlined)."""
        self.require_valid()
        return self._guard(lambda: self.pipeline.resolved)

    @property
    def data(self) -> dict[str, Any]:
        """The spec as a plain dict (parts inlined), as written."""
        return copy.deepcopy(self.pipeline.document.data or {})

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec as JSON-ready data (what a run stores as ``spec.resolved.json``)."""
        return self.resolved.to_json()

    @cached_property
    def shapes(self) -> ShapeTable:
        """The per-layer plan. Raises :class:`InvalidSpec` for an invalid spec, and
        :class:`KspecError` when the input shape is unknown."""
        r = self.resolved
        if r.input_shape is None:
            raise KspecError("the input shape is unknown: the model declares none and the data does not tell it"
                             + (f" ({r.facts.unavailable})" if r.facts.unavailable else ""),
                             hint="add `input_shape: [...]` to the model section")
        return ShapeTable(self.pipeline.plan, r.model.layers, name=self.name)

    def _guard(self, fn):
        try:
            return fn()
        except InvalidSpec:
            raise
        except SpecInvalid as e:
            raise InvalidSpec(e.diagnostics, self.sources) from None

    # ---------------------------------------------------------------- overrides

    def with_(self, overrides: Mapping[str, Any] | None = None, /, *, seed: int | None = None,
              **sections: Any) -> "Spec":
        """A new spec with sections changed, validated like the file: mappings merge key by key
        (``with_(train={"epochs": 3})`` keeps the other train settings), lists and values
        replace, ``None`` removes a key. A section held in a part file is inlined first."""
        changes: dict[str, Any] = dict(overrides or {})
        changes.update(sections)
        if not changes:
            return Spec(self.pipeline if seed is None else self._pipeline(seed=seed), seed=seed if seed is not None else self.seed)
        data = self._round_trip_data()
        for key, value in changes.items():
            if not isinstance(key, str):
                raise KspecError(f"override key {key!r} must be a section name such as 'train'")
            if value is None:
                data.pop(key, None)
            else:
                data[key] = _merge(data[key], value) if key in data else copy.deepcopy(_plain(value))
        text = _yaml_text_round_trip(data)
        file = f"{self.file} (with overrides)"
        p = Pipeline(text=text, file=file, seed=seed if seed is not None else self.seed,
                     lint_config=self.pipeline.lint_config, base_dir=self.pipeline.base_dir,
                     overrides=self.pipeline.overrides)
        spec = Spec(p, seed=seed if seed is not None else self.seed)
        spec.require_valid()
        return spec

    def _pipeline(self, *, seed: int | None) -> Pipeline:
        old = self.pipeline
        if old.text is not None:
            return Pipeline(text=old.text, file=old.file, seed=seed, lint_config=old.lint_config, base_dir=old.base_dir,
                            overrides=old.overrides)
        return Pipeline(old.path, seed=seed, lint_config=old.lint_config, base_dir=old.base_dir, overrides=old.overrides)

    def _round_trip_data(self):
        """The top-level spec as a ruamel round-trip mapping (comments kept), parts inlined."""
        from ruamel.yaml import YAML

        doc = self.pipeline.document
        text = doc.sources.get(self.file)
        if text is None and self.pipeline.text is not None:
            text = self.pipeline.text
        data = YAML().load(text) if text else None
        if not isinstance(data, dict):
            data = {}
        for key, part in (doc.parts or {}).items():
            if isinstance(data.get(key), str):
                data[key] = copy.deepcopy(doc.data.get(key))
        return data

    # ---------------------------------------------------------------- building and running

    def model(self, *, compile: bool = True):
        """A Keras model built from the spec (compiled unless ``compile=False``), seeded with the
        spec's seed so its initial weights match ``run()``'s."""
        r = self.resolved
        shape_errors = [d for d in self.diagnostics if d.code.startswith("KS1") and d.severity is Severity.ERROR]
        if shape_errors:
            raise InvalidSpec(shape_errors, self.sources, message="the model cannot be built")
        if r.input_shape is None:
            self.shapes  # raises the KspecError that names the fix
        from .emit.model import build_model, compile_model
        from .run.common import prepare_keras

        prepare_keras(r.seed)
        model = build_model(r)
        if compile:
            compile_model(model, r)
        return model

    def run(self, out: str | Path = "runs", *, epochs: int | None = None, seed: int | None = None,
            quiet: bool = False, no_lint: bool = False) -> "Run":
        """Train, evaluate and predict as ``kspec run`` does, in a new run directory under ``out``.

        Refuses (:class:`InvalidSpec`) when lint finds errors, unless ``no_lint=True``."""
        spec = self if seed is None else Spec(self._pipeline(seed=seed), seed=seed)
        spec.require_valid()
        errors = [d for d in spec.diagnostics if d.severity is Severity.ERROR]
        if errors and not no_lint:
            raise InvalidSpec(errors, spec.sources,
                              message="refusing to train with lint errors: fix them, or pass no_lint=True")
        from .run import run_pipeline

        result = spec._guard(lambda: run_pipeline(spec.pipeline, Path(out), epochs=epochs, quiet=quiet))
        return Run(result.run_dir, result=result)

    def eject(self, script: str | Path = "train.py") -> list[Path]:
        """Write the spec as a plain Keras script (see ``kspec eject``); returns the files written."""
        from .emit.eject import eject

        r = self.resolved
        return eject(r, Path(script), spec_name=Path(self.file).name if self.pipeline.path else self.name)

    # ---------------------------------------------------------------- display

    def __repr__(self) -> str:
        state = "valid" if self.valid else "invalid"
        return f"<kspec.Spec {self.name!r} from {self.file} ({state}, {len(self.diagnostics)} finding(s))>"

    def _repr_markdown_(self) -> str:
        parts = [f"**{self.name}** ({self.file})", "", self.diagnostics._repr_markdown_() if self.diagnostics
                 else "no problems found"]
        if self.valid:
            try:
                parts += ["", self.shapes._repr_markdown_()]
            except KspecError as e:
                parts += ["", f"shapes: {e.message}"]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        from .report.html import escape

        parts = [f"<div class='kspec'><h4>{escape(self.name)} <small>({escape(self.file)})</small></h4>",
                 self.diagnostics._repr_html_()]
        if self.valid:
            try:
                parts.append(self.shapes._repr_html_())
            except KspecError as e:
                parts.append(f"<p>shapes: {escape(e.message)}</p>")
        return "\n".join(parts) + "</div>"


def _yaml_text_round_trip(data) -> str:
    import io

    from ruamel.yaml import YAML

    y = YAML()
    y.width = 100
    y.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def load(source: str | Path | Mapping[str, Any], *, seed: int | None = None, base_dir: str | Path | None = None,
         strict: bool = True, set: Sequence[str] | Mapping[str, Any] | None = None,
         overrides: Sequence[str] | Mapping[str, Any] | None = None) -> Spec:
    """A spec from a file path, a dict, or YAML/JSON text.

    ``base_dir`` resolves part files and data paths of a dict or text (default: the current
    folder). With ``strict`` (the default) a spec that cannot be read or validated raises
    :class:`InvalidSpec`; with ``strict=False`` it is returned, and ``spec.diagnostics`` says why.

    ``set`` (or its other name ``overrides``) changes values as ``kspec run --set`` does, after
    parsing and before validation: ``["train.epochs=3", "model.layers[2].units=64"]``, or a mapping
    ``{"train.epochs": 3, "data.directory": "/data/horses"}``. Relative data paths given here are
    relative to the current folder."""
    if set is not None and overrides is not None:
        raise KspecError("give set= or overrides= (the same thing), not both")
    wanted = set if set is not None else overrides
    if isinstance(wanted, Mapping):
        from .overrides import from_mapping

        wanted = from_mapping(dict(wanted))
    elif isinstance(wanted, str):
        wanted = [wanted]
    base = Path(base_dir) if base_dir is not None else None
    extra = {"overrides": wanted or ()}
    if isinstance(source, Mapping):
        p = Pipeline(text=_yaml_text(source), file="<dict>", seed=seed, base_dir=base, **extra)
    elif isinstance(source, Path) or (isinstance(source, str) and _looks_like_path(source)):
        p = Pipeline(Path(source), seed=seed, base_dir=base, **extra)
    elif isinstance(source, str):
        p = Pipeline(text=source, file="<string>", seed=seed, base_dir=base, **extra)
    else:
        raise KspecError(f"kspec.load takes a path, a dict or YAML text, not {type(source).__name__}")
    spec = Spec(p, seed=seed)
    if strict:
        spec.require_valid()
    return spec


def _looks_like_path(text: str) -> bool:
    """One line naming an existing file, or ending in .yaml / .yml / .json; anything else is text."""
    if "\n" in text:
        return False
    return text.lower().strip().endswith((".yaml", ".yml", ".json")) or Path(text).is_file()


class Run:
    """A run directory: what ``spec.run()`` returns and ``kspec.open_run(dir)`` opens."""

    def __init__(self, path: str | Path, *, result=None):
        from .run import rundir

        self.path = Path(path)
        self.manifest: dict[str, Any] = rundir.read_manifest(self.path)
        self._result = result

    def _json(self, name: str) -> Any:
        p = self.path / name
        if not p.is_file():
            return None
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise KspecError(f"{p} is not valid JSON: {e}") from None

    @property
    def name(self) -> str:
        return self.manifest.get("name") or self.path.name

    @property
    def status(self) -> str:
        return self.manifest.get("status", "unknown")

    @cached_property
    def history(self) -> dict[str, list]:
        """Keras-style ``history.history``: metric -> one value per epoch."""
        from .run.history import load_rows, rows_to_history

        return rows_to_history(load_rows(self.path))

    @cached_property
    def metrics(self) -> dict[str, float]:
        """The evaluation's metrics (empty when the spec does not evaluate)."""
        data = self._json("metrics.json") or {}
        return {k: v for k, v in data.items() if k != "data"}

    @cached_property
    def predictions(self) -> list[dict[str, Any]] | None:
        data = self._json("predictions.json")
        return None if data is None else data.get("predictions")

    @cached_property
    def confusion_matrix(self) -> dict[str, Any] | None:
        return self._json("confusion_matrix.json")

    @cached_property
    def diagnostics(self) -> Diagnostics:
        """Run diagnostics (KS9xx) as saved in ``diagnostics.json``."""
        from .report.html import diagnostics_from_json

        return Diagnostics(diagnostics_from_json(self._json("diagnostics.json")), self._sources())

    def _sources(self) -> dict[str, str]:
        from .report.html import run_sources

        return run_sources(self.path)

    @property
    def plots(self) -> list[Path]:
        return [p for p in (self.path / n for n in ("accuracy.png", "loss.png", "confusion_matrix.png")) if p.is_file()] \
            + sorted(p for p in self.path.glob("*.png") if p.name not in ("accuracy.png", "loss.png", "confusion_matrix.png"))

    @cached_property
    def model(self):
        """The trained Keras model (``model.keras``; the last checkpoint of an unfinished run)."""
        from .run.saved import SavedRun

        return SavedRun(self.path).model

    @cached_property
    def spec(self) -> Spec:
        """The resolved spec the run trained, loaded again."""
        from .run.saved import SavedRun

        saved = SavedRun(self.path)
        try:
            p = saved.pipeline
        except SpecInvalid as e:
            raise InvalidSpec(e.diagnostics) from None
        return Spec(p, seed=self.manifest.get("seed"))

    def report(self, output: str | Path | None = None) -> Path:
        """Write (again) ``report.html`` (or ``output``) and return its path, as ``kspec report``."""
        from .api_commands import write_report

        return write_report(self.path, output)

    # the commands that read a run directory, as methods (see kspec.api_commands)

    def predict(self, inputs: Sequence[str | Path] = (), **kwargs):
        """``kspec predict RUN_DIR INPUTS``: see :func:`kspec.predict`."""
        from .api_commands import predict

        return predict(self.path, inputs, **kwargs)

    def evaluate(self, data: str | Path = "test", *, batch_size: int | None = None):
        """``kspec evaluate RUN_DIR``: see :func:`kspec.evaluate`."""
        from .api_commands import evaluate

        return evaluate(self.path, data, batch_size=batch_size)

    def visualize(self, image: str | Path | None = None, **kwargs):
        """``kspec visualize RUN_DIR``: see :func:`kspec.visualize`."""
        from .api_commands import visualize

        return visualize(self.path, image=image, **kwargs)

    def export(self, format: str, *, out: str | Path | None = None, quantize: bool = False):
        """``kspec export RUN_DIR --format F``: see :func:`kspec.export`."""
        from .api_commands import export_run

        return export_run(self.path, format, out=out, quantize=quantize)

    def diff(self, other: "Run | str | Path", *, html: str | Path | None = None):
        """``kspec diff RUN_DIR OTHER``: see :func:`kspec.diff`."""
        from .api_commands import diff

        return diff(self.path, other.path if isinstance(other, Run) else other, html=html)

    def __repr__(self) -> str:
        final = self.manifest.get("final") or {}
        shown = ", ".join(f"{k} {v:.4g}" for k, v in final.items() if isinstance(v, (int, float)))
        return f"<kspec.Run {self.name!r} {self.status} at {self.path}" + (f": {shown}" if shown else "") + ">"

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.name}**: {self.status} ({self.path})", ""]
        if self.metrics:
            lines += ["| metric | value |", "| --- | --- |"] + [f"| {k} | {v:.4f} |" for k, v in self.metrics.items()]
        for p in self.plots:
            lines.append(f"![{p.stem}]({p.as_posix()})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .report.html import run_summary_html

        return run_summary_html(self)


def open_run(path: str | Path) -> Run:
    """A saved run directory (from ``kspec run`` or ``spec.run()``)."""
    return Run(path)


__all__ = ["Diagnostics", "InvalidSpec", "Run", "ShapeTable", "Spec", "load", "open_run"]
