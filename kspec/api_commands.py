"""The rest of the command line as Python functions: what ``kspec predict``, ``evaluate``,
``visualize``, ``export``, ``diff``, ``report``, ``trust``, ``import``, ``migrate``, ``data
inspect``, ``data make-shapes``, ``rules`` and ``rule`` do, each returning the object the command
prints. The CLI calls these same functions, so a mistake raises the same :class:`KspecError`
(with the same message and hint) in Python as on the command line.

Each is also reachable as ``kspec.<name>`` (``export_run``, ``write_report`` and ``migrate_spec``
are named so as not to clash with kspec's modules ``export``, ``report`` and ``migrate``); the
run-directory ones are methods of :class:`kspec.Run` too (``run.predict([...])``, ``run.export(...)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .diagnostics import KspecError

# ------------------------------------------------------------------------------------ saved runs


def predict(run_dir: str | Path, inputs: Sequence[str | Path] = (), *, batch_size: int | None = None,
            rows: Sequence[str] = (), steps: int | None = None, generate: int | None = None,
            seed_text: str | None = None):
    """``kspec predict``: predictions of a saved run's model for image / ``.npy`` files, folders,
    sentences (text runs) or rows (table runs, ``rows=["col=value,col=value"]``); a series run's
    forecast (``steps=N``); a next-word run's text (``generate=N, seed_text=...``).

    Returns a ``Predictions``: ``.rows`` (one dict per input), ``.notes``, and ``.to_table()``,
    ``.to_json()``, ``.to_csv()`` (what ``--format`` prints)."""
    from .run.predict import predict_run, predict_sequence

    inputs = [str(i) for i in inputs]
    if steps is not None or generate is not None or seed_text is not None:
        return predict_sequence(Path(run_dir), inputs, steps=steps, generate=generate, seed_text=seed_text)
    if not inputs and not rows:
        raise KspecError("give the inputs to predict", hint="image or .npy files; sentences for a text run; "
                         "row files or --row col=value,... for a table run; "
                         "--steps N for a series run; --generate N --seed-text TEXT for a next-word run")
    return predict_run(Path(run_dir), inputs, batch_size=batch_size, rows=list(rows))


def evaluate(run_dir: str | Path, data: str | Path = "test", *, batch_size: int | None = None):
    """``kspec evaluate``: the saved model evaluated again on the run's ``test`` or ``validation``
    data, or on the data section in a YAML/JSON file. Returns an ``Evaluation`` (``.metrics``,
    ``.notes``, ``.render()``, ``.to_json()``)."""
    from .run.predict import evaluate_run

    return evaluate_run(Path(run_dir), str(data), batch_size=batch_size)


def visualize(run_dir: str | Path, *, image: str | Path | None = None, index: int | None = None,
              source: str = "test", layers: Sequence[str | int] | None = None, channel: int = 0,
              out: str | Path | None = None):
    """``kspec visualize``: feature maps of one input (an image or ``.npy`` file, or sample
    ``index`` of the run's ``source`` data) drawn to ``out`` (default ``RUN_DIR/visualize/...``).
    Returns a ``VisualizeResult`` (``.grids``, ``.channel_figure``, ``.layers``, ``.notes``,
    ``.out_dir``, ``.render()``)."""
    from .run.visualize import visualize_run

    if source not in ("test", "validation", "train"):
        raise KspecError(f"--from {source!r}: use test, validation or train")
    if image is not None and index is not None:
        raise KspecError("give --image or --index, not both")
    return visualize_run(Path(run_dir), image=image, index=index, source=source,
                         layers=list(layers) if layers else None, channel=channel,
                         out=Path(out) if out is not None else None)


def export_run(run_dir: str | Path, format: str, *, out: str | Path | None = None, quantize: bool = False):
    """``kspec export``: ``savedmodel``, ``tflite`` (``quantize=True``: dynamic range) or ``onnx``,
    loaded back and compared with the Keras model on sample inputs. Returns an ``Exported``
    (``.path``, ``.max_abs_diff``, ``.tolerance``, ``.render()``); outputs beyond the tolerance raise."""
    from .export import export_run as export

    if format not in ("savedmodel", "tflite", "onnx"):
        raise KspecError(f"unknown export format {format!r}", hint="use savedmodel, tflite or onnx")
    return export(run_dir, format, out=out, quantize=quantize)


def diff(run_a: str | Path, run_b: str | Path, *, html: str | Path | None = None):
    """``kspec diff``: what differs between two runs. Returns a ``RunDiff`` (``.same``,
    ``.changes``, ``.render()``, ``.to_json()``); ``html=PATH`` also writes the side-by-side page."""
    from .run.diff import diff_runs

    d = diff_runs(run_a, run_b)
    if html is not None:
        from .atomic import write_text
        from .report.html import render_diff

        write_text(Path(html), render_diff(d))
    return d


def write_report(run_dir: str | Path, output: str | Path | None = None) -> Path:
    """``kspec report``: write (again) a run's ``report.html``; returns its path."""
    from .report.html import write_report as write

    return write(Path(run_dir), Path(output) if output is not None else None)


def trust(run_dir: str | Path) -> dict[str, Any]:
    """``kspec trust``: accept a run directory made elsewhere (read its ``spec.resolved.json``
    first). Returns its manifest."""
    from .run.rundir import trust as seal_run

    return seal_run(Path(run_dir))


# ------------------------------------------------------------------------------------ specs and models


def import_model(model: str | Path, output: str | Path | None = None):
    """``kspec import``: a saved Keras Sequential model (``.keras``, ``to_json()`` text, HDF5) as a
    spec's model (and compile) section. Returns an ``Imported``: ``.spec`` (the sections as a
    dict), ``.notes`` (what was left out), ``.yaml`` (the file ``kspec import`` writes);
    ``output=PATH`` writes it."""
    from .keras_import import import_model as read_model
    from .keras_import import to_yaml

    model = Path(model)
    imported = read_model(model)
    imported.yaml = to_yaml(imported, model.name)
    if output is not None:
        from .atomic import write_text

        write_text(Path(output), imported.yaml)
    return imported


def migrate_spec(spec: str | Path, *, write: bool = False):
    """``kspec migrate``: one spec (and its part files) rewritten to the current format version,
    comments and layout kept. Returns a ``Migration`` (``.current``, ``.changes``, ``.texts``:
    file -> (before, after), ``.render()``); ``write=True`` writes the files."""
    from .migrate import migrate_file

    mig = migrate_file(Path(spec))
    if write and not mig.current:
        mig.write()
    return mig


# ------------------------------------------------------------------------------------ data


@dataclass
class DataReport:
    """What ``kspec data inspect`` found: ``data`` is its ``--format json`` output as a dict,
    ``str()`` its text; ``problems`` is true when a file cannot be decoded or a class is empty
    (the command then exits 1)."""

    data: dict[str, Any]
    text: str
    problems: bool = False
    report: Any = None
    """For image folders: the full ``InspectReport`` (listings, file checks)."""

    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return "```\n" + self.text + "\n```"


def inspect_data(target: str | Path, *, batch_size: int | None = None, sample: bool = False,
                 set: Iterable[str] | Mapping[str, Any] | None = None) -> DataReport:
    """``kspec data inspect``: a spec's data (image folder, table, text, series) or an image folder:
    classes and counts, image sizes and modes, unreadable files, steps per epoch. ``sample=True``
    checks an even sample of a large tree; ``set`` changes the spec as ``--set`` does."""
    from .datacmd import inspect, render_text
    from .overrides import parse as parse_overrides
    from .seqcmd import data_kind, inspect_kind, render

    target = Path(target)
    if isinstance(set, Mapping):
        set = [f"{k}={_yaml_value(v)}" for k, v in set.items()]
    overrides = parse_overrides(list(set or ()))
    if overrides and not target.is_file():
        raise KspecError("--set changes a spec: give a spec file, not a folder")
    if target.is_file() and data_kind(target, overrides):
        found = inspect_kind(target, overrides)
        return DataReport(found, render(found))
    report = inspect(target, batch_size=batch_size, full=not sample, overrides=overrides)
    return DataReport(report.to_json(), render_text(report), bool(report.problems), report)


def _yaml_value(v: Any) -> str:
    import json

    return v if isinstance(v, str) else json.dumps(v)


def make_shapes(out: str | Path, *, samples: int = 2000, validation_samples: int = 500, image_size: int = 28,
                noise: float = 0.1, seed: int = 0, force: bool = False):
    """``kspec data make-shapes``: the synthetic shapes set as ``out/train/<class>/*.png`` and
    ``out/validation/...``. Returns what was written (``.root``, ``.counts``)."""
    from .datacmd import make_shapes_tree

    if samples < 4 or validation_samples < 0 or not 8 <= image_size <= 512 or not 0.0 <= noise <= 1.0:
        raise KspecError("make_shapes needs samples >= 4, validation_samples >= 0, 8 <= image_size <= 512 and "
                         f"0 <= noise <= 1 (got {samples}, {validation_samples}, {image_size}, {noise})")
    return make_shapes_tree(Path(out), samples=samples, validation_samples=validation_samples, image_size=image_size,
                            noise=noise, seed=seed, force=force)


# ------------------------------------------------------------------------------------ rules


@dataclass(frozen=True)
class RuleInfo:
    """One line of ``kspec rules``."""

    code: str
    name: str
    severity: str
    summary: str
    kind: str
    """``lint`` (checked before training) or ``run`` (a run diagnostic, KS9xx)."""

    def __str__(self) -> str:
        return f"{self.code}  {self.severity:<7}  {self.name:<34} {self.summary}"


def rules() -> list[RuleInfo]:
    """``kspec rules``: every lint rule and run check, by code."""
    from .analyse.rules import RULES
    from .docs import summary
    from .run.checks import RUN_CHECKS

    found = [(r, "lint") for r in RULES] + [(r, "run") for r in RUN_CHECKS]
    return [RuleInfo(r.code, r.name, r.severity.value, summary(r), kind)
            for r, kind in sorted(found, key=lambda rk: rk[0].code)]


def rule(code: str) -> str:
    """``kspec rule CODE``: a rule's documentation (by code, ``KS201``, or name), as the command prints it."""
    from .analyse.rules import RULES, find
    from .diagnostics import did_you_mean
    from .docs import render_rule
    from .run.checks import RUN_CHECKS
    from .run.checks import find as find_check

    found = find(code) or find_check(code)
    if found is None:
        known = list(RULES) + list(RUN_CHECKS)
        from .analyse.config import suggest

        guess = suggest(code) or did_you_mean(code, [r.code for r in known] + [r.name for r in known])
        raise KspecError(f"no rule {code!r}" + (f"; did you mean {guess!r}?" if guess else ""),
                         hint="`kspec rules` lists them all")
    return render_rule(found)


__all__ = ["DataReport", "RuleInfo", "diff", "evaluate", "export_run", "import_model", "inspect_data", "make_shapes",
           "migrate_spec", "predict", "rule", "rules", "trust", "visualize", "write_report"]
