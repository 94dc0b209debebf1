"""Command line. Each command parses options, calls the library, picks a reporter and maps the
outcome to an exit code: 0 clean, 1 findings, 2 invalid input or usage. A user's mistake never
shows a Python traceback.
"""

from __future__ import annotations

if __name__ == "__main__":  # `python -m kspec.cli lint ...`: read lint's options before typer loads
    import sys as _sys

    from kspec.lintcmd import dispatch as _dispatch

    _dispatch(_sys.argv[1:])

import functools
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from .version import __version__
from .diagnostics import Diagnostic, KspecError, Severity, SpecInvalid
from .lintcmd import collect_specs

app = typer.Typer(
    name="kspec",
    help="Declarative Keras training specs: validate, lint, compile and run.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_INVALID = 0, 1, 2


def _err(text: str) -> None:
    typer.echo(text, err=True)


def boundary(fn: Callable) -> Callable:
    """Turn tool failures into a clean message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SpecInvalid as e:
            from .render import pick

            sources = getattr(e, "sources", {})
            _err(pick("full")(e.diagnostics, sources).rstrip())
            raise typer.Exit(EXIT_INVALID)
        except KspecError as e:
            _err(f"error: {e}")
            raise typer.Exit(EXIT_INVALID)
        except ImportError as e:  # an optional install (TensorFlow, matplotlib, ...) is missing
            from .extras import missing

            clean = missing(e)
            if clean is None:
                raise
            _err(f"error: {clean}")
            raise typer.Exit(EXIT_INVALID)
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(130)

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kspec {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    pass


# ------------------------------------------------------------------------------------ discovery

# collect_specs is imported above (kspec.lintcmd: typer-free, shared with the fast `kspec lint`)


# ------------------------------------------------------------------------------------ commands


SetOption = Annotated[Optional[list[str]], typer.Option(
    "--set", metavar="KEY=VALUE",
    help="Override one value of the spec, e.g. --set train.epochs=3 --set data.directory=/data/horses "
         "--set model.layers[2].units=64 (repeat; VALUE is YAML; relative paths are relative to the current "
         "folder). Validated like the file.")]


class Format(str, Enum):
    auto = "auto"
    full = "full"
    concise = "concise"
    json = "json"
    sarif = "sarif"
    github = "github"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


@app.command()
@boundary
def validate(
    specs: Annotated[list[str], typer.Argument(help="Spec files, folders or globs.")],
    set_: SetOption = None,
) -> None:
    """Check specs against the schema: syntax, unknown keys, types, values. Exit 2 on any error."""
    from .overrides import parse as parse_overrides
    from .pipeline import Pipeline
    from .render import pick

    overrides = parse_overrides(set_ or ())
    files, missing = collect_specs(specs)
    for m in missing:
        _err(f"error: no spec file matches {m!r}")
    diags: list[Diagnostic] = []
    sources: dict[str, str] = {}
    for f in files:
        p = Pipeline(f, overrides=overrides)
        diags.extend(p.spec_diagnostics)
        sources.update(p.document.sources)
    if diags:
        _err(pick("full")(diags, sources).rstrip())
        raise typer.Exit(EXIT_INVALID)
    if missing or not files:
        if not files and not missing:
            _err("error: no spec files found")
        raise typer.Exit(EXIT_INVALID)
    typer.echo(f"{len(files)} spec(s) valid")


@app.command()
@boundary
def lint(
    paths: Annotated[list[str], typer.Argument(help="Spec files, folders or globs.")],
    format: Annotated[Optional[Format], typer.Option("--format", "-f", help="Output format (default: auto, or `format` in [tool.kspec.lint]).")] = None,
    fail_on: Annotated[Optional[FailOn], typer.Option("--fail-on", help="Lowest severity that makes the exit code 1 (default: error).")] = None,
    select: Annotated[Optional[list[str]], typer.Option("--select", help="Run only these codes, groups (KS2) or names (repeat, or separate with commas).")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Skip these codes, groups or names.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="pyproject.toml to read [tool.kspec.lint] from (default: the nearest one).")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Worker processes (default: one per CPU for large batches).")] = None,
    specs_only: Annotated[bool, typer.Option("--specs-only", help="Skip named files that are not kspec specs (no top-level `kspec:` or `model:`), such as CI workflows; for pre-commit.")] = False,
    set_: SetOption = None,
    probe: Annotated[bool, typer.Option("--probe", help="Also train each spec for a moment on its data: the loss of one batch against ln(classes) (KS908) and 300 steps on one batch of 16 samples (KS909). Needs the train extra.")] = False,
) -> None:
    """Run every lint rule on every spec. Exit 0 clean, 1 findings at or above --fail-on, 2 a spec
    that cannot be read or validated, or a usage error.

    Never imports TensorFlow, unless --probe is given."""
    from .lintcmd import run_lint

    code = run_lint(paths, format=format.value if format else None, fail_on=fail_on.value if fail_on else None,
                    select=select, ignore=ignore, config=config, output=output, jobs=jobs, specs_only=specs_only,
                    overrides=set_, probe=probe)
    raise typer.Exit(code)


class ShapesFormat(str, Enum):
    text = "text"
    json = "json"


def _plan_json(path: Path, p) -> dict:
    """One spec's plan for ``kspec shapes --format json``: per layer and in total."""
    from .emit.model import layer_names
    from .render.machine import diagnostic_json

    r = p.resolved
    plan = p.plan
    names = layer_names(r.model.layers)
    layers = [{"index": lp.index, "name": names[lp.index], "type": lp.type,
               "input_shape": list(lp.input_shape), "output_shape": list(lp.output_shape),
               "trainable": lp.trainable, "non_trainable": lp.non_trainable} for lp in plan.layers]
    return {"spec": str(path), "name": r.spec.name or path.stem, "valid": True,
            "input_shape": list(plan.input_shape) if plan.input_shape else None,
            "output_shape": list(plan.output_shape) if plan.output_shape else None,
            "layers": layers,
            "totals": {"trainable": plan.trainable, "non_trainable": plan.non_trainable, "params": plan.params},
            "error": diagnostic_json(plan.error) if plan.error else None}


@app.command()
@boundary
def shapes(
    specs: Annotated[list[Path], typer.Argument(help="One or more spec files.")],
    format: Annotated[ShapesFormat, typer.Option("--format", "-f", help="text (a table per spec) or json (one document for all specs).")] = ShapesFormat.text,
    set_: SetOption = None,
) -> None:
    """Print each layer's output shape, parameter count and activation memory, computed without TensorFlow."""
    import json

    from .analyse.shapes import describe_data, render_plan
    from .overrides import parse as parse_overrides
    from .pipeline import Pipeline
    from .render import pick
    from .render.machine import diagnostic_json

    overrides = parse_overrides(set_ or ())
    exit_code = EXIT_CLEAN
    documents = []
    for n, spec in enumerate(specs):
        try:
            p = Pipeline(spec, overrides=overrides)
            p.require_valid()
            r = p.resolved
            if r.input_shape is None:
                raise KspecError("the input shape is unknown: the model declares none and the data does not tell it"
                                 + (f" ({r.facts.unavailable})" if r.facts.unavailable else ""),
                                 hint="add `input_shape: [...]` to the model section")
        except SpecInvalid as e:
            exit_code = EXIT_INVALID
            if format is ShapesFormat.json:
                documents.append({"spec": str(spec), "valid": False,
                                  "diagnostics": [diagnostic_json(d) for d in e.diagnostics]})
            else:
                _err(pick("full")(e.diagnostics, getattr(e, "sources", {})).rstrip())
            continue
        except KspecError as e:
            exit_code = EXIT_INVALID
            if format is ShapesFormat.json:
                documents.append({"spec": str(spec), "valid": False, "error": str(e)})
            else:
                _err(f"{spec}: error: {e}")
            continue
        shape_errors = [d for d in p.lint_diagnostics if d.code.startswith("KS1") and d.severity is Severity.ERROR]
        if shape_errors:
            exit_code = max(exit_code, EXIT_FINDINGS)
        if format is ShapesFormat.json:
            documents.append(_plan_json(spec, p))
            continue
        if n:
            typer.echo("")
        typer.echo(render_plan(p.plan, name=r.spec.name or spec.stem, layers=r.model.layers))
        for line in describe_data(r, p.plan):
            typer.echo(line)
        if shape_errors:
            _err("")
            _err(pick("full")(shape_errors, p.document.sources).rstrip())
    if format is ShapesFormat.json:
        typer.echo(json.dumps({"version": 1, "specs": documents}, indent=2))
    if exit_code:
        raise typer.Exit(exit_code)


@app.command()
@boundary
def schema(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the schemas to.")] = Path("schemas"),
    docs: Annotated[Optional[Path], typer.Option("--docs", help="Folder for the generated spec reference page (default: docs/ beside --out).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the generated files differ from the models.")] = False,
) -> None:
    """Write the JSON Schemas of the spec format (and its part files) and the spec reference page."""
    from .schema import check_schemas, write_schemas

    docs = docs or out.parent / "docs"
    if check:
        stale = check_schemas(out, docs)
        if stale:
            for s in stale:
                _err(f"stale: {s}")
            _err("run `kspec schema` and commit the result")
            raise typer.Exit(EXIT_FINDINGS)
        typer.echo(f"{out} is up to date")
        return
    for written in write_schemas(out, docs):
        typer.echo(f"wrote {written}")


@app.command("rules")
def rules_cmd() -> None:
    """List every lint rule: code, name, default severity and summary."""
    from .api_commands import rules

    for r in rules():
        typer.echo(str(r))


@app.command("rule")
@boundary
def rule_cmd(code: Annotated[str, typer.Argument(help="A rule code (KS201) or name.")]) -> None:
    """Print a rule's documentation: what it does, why it is bad, an example, what to write instead."""
    from .api_commands import rule

    typer.echo(rule(code))


class DistributeChoice(str, Enum):
    default = "default"
    mirrored = "mirrored"
    multi_worker = "multi_worker"
    parameter_server = "parameter_server"
    tpu = "tpu"


class RunFormat(str, Enum):
    full = "full"
    concise = "concise"


class PredictFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command()
@boundary
def run(
    spec: Annotated[Optional[Path], typer.Argument(help="A spec file, or a run directory to repeat.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Parent folder of run directories.")] = Path("runs"),
    seed: Annotated[Optional[int], typer.Option("--seed", help="Override train.seed.")] = None,
    epochs: Annotated[Optional[int], typer.Option("--epochs", min=1, help="Override train.epochs.")] = None,
    resume: Annotated[Optional[Path], typer.Option("--resume", help="Continue an interrupted run directory.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; only the final summary.")] = False,
    no_lint: Annotated[bool, typer.Option("--no-lint", help="Start even with error-level lint findings.")] = False,
    format: Annotated[RunFormat, typer.Option("--format", "-f", help="How run diagnostics are printed.")] = RunFormat.full,
    distribute: Annotated[Optional[DistributeChoice], typer.Option("--distribute", help="Override train.distribute: where to train.")] = None,
    workers: Annotated[Optional[str], typer.Option("--workers", help="multi_worker: how many workers (with --local), or every worker's host:port, comma-separated, the chief first.")] = None,
    worker_index: Annotated[Optional[int], typer.Option("--worker-index", min=0, help="multi_worker: this machine's index in --workers (0 is the chief).")] = None,
    local: Annotated[bool, typer.Option("--local", help="multi_worker: start the workers here, on 127.0.0.1 with free ports, and wait for them.")] = False,
    set_: SetOption = None,
) -> None:
    """Train a spec: fit, evaluate, predict, plots, run diagnostics; every artifact in a new run directory.

    Exit 0 when training completed without error-level run diagnostics, 1 with them (e.g. the loss
    became NaN) or with lint errors, 2 for an invalid spec, 130 when interrupted."""
    from .pipeline import Pipeline
    from .render import pick

    dist_opts = {"distribute": distribute.value if distribute else None, "workers": workers,
                 "worker_index": worker_index, "local": local}
    if resume is not None:
        from .run import resume_run

        if spec is not None:
            raise KspecError("give either a spec or --resume RUN_DIR, not both")
        if set_:
            raise KspecError("a resumed run keeps its spec: --set cannot change it", hint="start a new run with `kspec run SPEC --set ...`")
        if distribute is not None or workers is not None or worker_index is not None:
            raise KspecError("a resumed run keeps its distribute setting",
                             hint="on a cluster, give every worker its TF_CONFIG; on this machine, add --local")
        if local:
            from .run.worker import child_args, resume_workers, run_local

            args = child_args(None, resume=str(resume), out=None, seed=None, epochs=None, quiet=quiet,
                              no_lint=False, fmt=format.value, distribute=None, workers=None)
            raise typer.Exit(run_local(args, resume_workers(resume)))
        result = resume_run(resume, quiet=quiet, report_format=format.value)
    elif spec is not None and spec.is_dir():
        from .run import repeat_run

        if seed is not None or epochs is not None or set_:
            raise KspecError("a repeated run keeps its seed, epochs and spec", hint="run the spec file to change them")
        result = repeat_run(spec, out, quiet=quiet, report_format=format.value)
    else:
        if spec is None:
            raise KspecError("give a spec file, or --resume RUN_DIR", hint="e.g. kspec run specs/quickstart.yaml")
        p = Pipeline(spec, seed=seed, overrides=set_)
        p.require_valid()
        if any(v not in (None, False) for v in dist_opts.values()):
            from .run.worker import apply_overrides

            apply_overrides(p.resolved.train, **dist_opts)
        from .run.worker import reports_lint

        lint_findings = p.lint_diagnostics
        if lint_findings and reports_lint(p.resolved.train.distribute):  # once, not once per worker
            _err(pick(format.value)(lint_findings, p.document.sources).rstrip())
        errors = [d for d in lint_findings if d.severity is Severity.ERROR]
        if errors and not no_lint:
            _err("refusing to train with lint errors: fix them, or pass --no-lint to start anyway")
            raise typer.Exit(EXIT_FINDINGS)
        if local:
            from .run.worker import child_args, run_local

            n = p.resolved.train.distribute.workers
            args = child_args(str(spec), resume=None, out=str(out), seed=seed, epochs=epochs, quiet=quiet,
                              no_lint=True, fmt=format.value, distribute="multi_worker", workers=n,
                              overrides=set_)
            raise typer.Exit(run_local(args, n))
        from .run import run_pipeline

        result = run_pipeline(p, out, epochs=epochs, quiet=quiet, report_format=format.value)
    if any(d.severity is Severity.ERROR for d in result.diagnostics):
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
@boundary
def visualize(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (from `kspec run`).")],
    image: Annotated[Optional[Path], typer.Option("--image", help="An image file, or a .npy file with one sample.")] = None,
    index: Annotated[Optional[int], typer.Option("--index", min=0, help="Use sample N of the run's data instead of an image.")] = None,
    data: Annotated[str, typer.Option("--from", help="Data of --index: test, validation or train.")] = "test",
    layers: Annotated[Optional[list[str]], typer.Option("--layers", help="Layers to draw, by name or 0-based index (repeat, or separate with commas). Default: every convolution and pooling layer.")] = None,
    channel: Annotated[int, typer.Option("--channel", min=0, help="Channel drawn across layers in channel-N.png.")] = 0,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for the figures (default: RUN_DIR/visualize/<input>).")] = None,
) -> None:
    """Feature maps of one image through a saved model: a grid per convolution / pooling layer,
    one channel across layers, and every layer's output shape. Nothing is retrained."""
    from .api_commands import visualize as visualize_run

    chosen = [v.strip() for value in layers for v in value.split(",") if v.strip()] if layers else None
    result = visualize_run(run_dir, image=image, index=index, source=data, layers=chosen, channel=channel, out=out)
    for note in result.notes:
        _err(f"note: {note}")
    typer.echo(result.render())
    if not result.grids:
        raise KspecError("nothing to draw: " + (result.notes[-1] if result.notes else "no layer selected"))
    typer.echo(f"wrote {len(result.grids)} feature-map grid(s)"
               + (f" and {result.channel_figure.name}" if result.channel_figure else "") + f" to {result.out_dir}")


@app.command()
@boundary
def predict(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (from `kspec run`).")],
    inputs: Annotated[Optional[list[str]], typer.Argument(help="Image files, folders of images, or .npy files (samples as stored, before rescale); for a text run, sentences; for a table run, CSV / TSV / JSON-lines files of rows.")] = None,
    format: Annotated[PredictFormat, typer.Option("--format", "-f", help="table, json or csv.")] = PredictFormat.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the predictions to this file.")] = None,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", min=1, help="Default: the spec's batch size.")] = None,
    steps: Annotated[Optional[int], typer.Option("--steps", min=1, help="A series run: forecast this many steps after the end of the series.")] = None,
    generate: Annotated[Optional[int], typer.Option("--generate", min=1, help="A next-word run: generate this many words after --seed-text.")] = None,
    seed_text: Annotated[Optional[str], typer.Option("--seed-text", help="A next-word run: the text generation starts from.")] = None,
    row: Annotated[Optional[list[str]], typer.Option("--row", help="A table run: one row to predict from, as col=value,col=value (repeat for more rows).")] = None,
) -> None:
    """Predicted class and probability (or the value, for regression) for every input; a series
    run's forecast (--steps N); a next-word run's generated text (--generate N --seed-text TEXT)."""
    from .api_commands import predict as predict_run

    result = predict_run(run_dir, inputs or [], batch_size=batch_size, rows=row or [], steps=steps, generate=generate,
                         seed_text=seed_text)
    for note in result.notes:
        _err(f"note: {note}")
    text = {"table": lambda: result.to_table() + "\n", "json": result.to_json, "csv": result.to_csv}[format.value]()
    if output:
        from .atomic import write_output

        write_output(output, text)
        _err(f"wrote {len(result.rows)} prediction(s) to {output}")
    else:
        typer.echo(text, nl=False)


@app.command()
@boundary
def evaluate(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (from `kspec run`).")],
    data: Annotated[str, typer.Option("--data", help="test, validation, or a YAML/JSON file with another data section.")] = "test",
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", min=1, help="Default: the spec's batch size.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Also write the metrics as JSON to this file.")] = None,
) -> None:
    """Evaluate a saved model again, on the run's test or validation data or on another data section."""
    from .api_commands import evaluate as evaluate_run

    result = evaluate_run(run_dir, data, batch_size=batch_size)
    for note in result.notes:
        _err(f"note: {note}")
    typer.echo(result.render())
    if output:
        from .atomic import write_output

        write_output(output, result.to_json())


@app.command()
@boundary
def diff(
    run_a: Annotated[Path, typer.Argument(help="A run directory.")],
    run_b: Annotated[Path, typer.Argument(help="Another run directory.")],
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    html: Annotated[Optional[Path], typer.Option("--html", help="Also write a side-by-side HTML page here.")] = None,
) -> None:
    """What differs between two runs: resolved spec, seed, data fingerprint, versions, environment,
    final metrics. Exit 0 when nothing differs, 1 otherwise."""
    from .api_commands import diff as diff_runs

    if format not in ("text", "json"):
        raise KspecError(f"unknown format {format!r}", hint="use text or json")
    d = diff_runs(run_a, run_b, html=html)
    typer.echo(d.to_json() if format == "json" else d.render(), nl=False)
    if html is not None:
        _err(f"wrote {html}")
    if not d.same:
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
@boundary
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (from `kspec run`).")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the page here (default: RUN_DIR/report.html).")] = None,
) -> None:
    """Write (again) a run's report.html: one self-contained page with curves, metrics, confusion
    matrix, predictions, feature maps, findings, the shape table, the spec and its provenance."""
    from .api_commands import write_report

    typer.echo(f"wrote {write_report(run_dir, output)}")


@app.command()
@boundary
def trust(
    run_dir: Annotated[Path, typer.Argument(help="A run directory from elsewhere (another machine, a colleague).")],
) -> None:
    """Accept a run directory that was not made by kspec on this machine: afterwards the data files
    its spec.resolved.json names are read where they point (until then, only inside the run
    directory). Read that file first: a run directory from someone else may name any file."""
    from .api_commands import trust as seal_run

    manifest = seal_run(run_dir)
    typer.echo(f"kspec: {run_dir} is trusted on this machine (base folder {manifest.get('base_dir')})")


@app.command()
@boundary
def eject(
    spec: Annotated[Path, typer.Argument(help="A spec file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The script to write.")] = Path("train.py"),
    seed: Annotated[Optional[int], typer.Option("--seed", help="Override train.seed.")] = None,
    epochs: Annotated[Optional[int], typer.Option("--epochs", min=1, help="Override train.epochs.")] = None,
    set_: SetOption = None,
) -> None:
    """Write the spec as a plain Keras script (no kspec import) that trains exactly as `kspec run`:
    same model, data preparation, callbacks and settings; same seed, same loss history."""
    from .api import load

    s = load(spec, seed=seed, set=list(set_ or []) + ([f"train.epochs={epochs}"] if epochs is not None else []))
    for written in s.eject(output):
        typer.echo(f"wrote {written}")


@app.command("import")
@boundary
def import_cmd(
    model: Annotated[Path, typer.Argument(help="A .keras file, a model JSON file (model.to_json()) or an HDF5 model.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="The spec to write (default: print it).")] = None,
) -> None:
    """Turn a saved Keras Sequential model into a spec's model section (and compile settings, when
    the file has them). A functional, subclassed or custom model is refused, naming the layer."""
    from .api_commands import import_model

    imported = import_model(model, output)
    text = imported.yaml
    for note in imported.notes:
        _err(f"note: {note}")
    if output:
        _err(f"wrote {output}: {len(imported.spec['model']['layers'])} layer(s); add data and train sections to run it")
    else:
        typer.echo(text, nl=False)


class ExportFormat(str, Enum):
    savedmodel = "savedmodel"
    tflite = "tflite"
    onnx = "onnx"


@app.command()
@boundary
def export(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (from `kspec run`).")],
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="savedmodel, tflite or onnx.")],
    quantize: Annotated[bool, typer.Option("--quantize", help="tflite: dynamic-range quantisation (int8 weights).")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Where to write (default: RUN_DIR/export/).")] = None,
) -> None:
    """Export a trained run's model for deployment, load it back and compare its outputs with the
    Keras model's on sample inputs (exit 2 when they differ beyond the format's tolerance)."""
    from .api_commands import export_run

    typer.echo(export_run(run_dir, format.value, out=output, quantize=quantize).render())


@app.command()
@boundary
def migrate(
    specs: Annotated[list[str], typer.Argument(help="Spec files, folders or globs.")],
    write: Annotated[bool, typer.Option("--write", "-w", help="Rewrite the files (default: show the changes).")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when a spec is not at the current format version.")] = False,
) -> None:
    """Rewrite specs written for an older format version (`kspec:`) to the current one, keeping
    comments and layout; part files move with their spec. Current specs are left as they are."""
    import difflib

    from .api_commands import migrate_spec as migrate_file

    files, missing = collect_specs(specs)
    for m in missing:
        _err(f"error: no spec file matches {m!r}")
    if missing or not files:
        if not files and not missing:
            _err("error: no spec files found")
        raise typer.Exit(EXIT_INVALID)
    stale = 0
    for f in files:
        mig = migrate_file(f)
        typer.echo(mig.render())
        if mig.current:
            continue
        stale += 1
        if write:
            for written in mig.write():
                typer.echo(f"  wrote {written}")
        elif not check:
            for path, (before, after) in mig.texts.items():
                typer.echo("".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                                        str(path), f"{path} (migrated)")), nl=False)
    if check and stale and not write:
        raise typer.Exit(EXIT_FINDINGS)


# ------------------------------------------------------------------------------------ kspec data

data_app = typer.Typer(help="Image folders: inspect them, or write the synthetic shapes set as one.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("inspect")
@boundary
def data_inspect(
    target: Annotated[Path, typer.Argument(help="A spec (image folder, table, text or series data), or an image folder.")],
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", min=1, help="Batch size for the steps (default: the spec's, or 32).")] = None,
    sample: Annotated[bool, typer.Option("--sample", help="Check an even sample of large trees (as lint does) instead of every file.")] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    set_: SetOption = None,
) -> None:
    """Classes with counts, image sizes and modes, files that are not images or cannot be decoded,
    and the steps per epoch. Exit 1 when a file cannot be decoded or a class is empty."""
    import json

    from .api_commands import inspect_data

    if format not in ("text", "json"):
        raise KspecError(f"unknown format {format!r}", hint="use text or json")
    report = inspect_data(target, batch_size=batch_size, sample=sample, set=set_)
    if report.report is None:  # table, text or series data
        typer.echo(json.dumps(report.data, indent=2) if format == "json" else report.text)
        return
    typer.echo(json.dumps(report.data, indent=2) if format == "json" else report.text, nl=format == "json")
    if report.problems:
        raise typer.Exit(EXIT_FINDINGS)


@data_app.command("make-shapes")
@boundary
def data_make_shapes(
    out: Annotated[Path, typer.Argument(help="Folder to write train/ and validation/ into.")],
    samples: Annotated[int, typer.Option("--samples", min=4, help="Training images.")] = 2000,
    validation_samples: Annotated[int, typer.Option("--validation-samples", min=0, help="Validation images.")] = 500,
    image_size: Annotated[int, typer.Option("--image-size", min=8, max=512, help="Height and width in pixels.")] = 28,
    noise: Annotated[float, typer.Option("--noise", min=0.0, max=1.0, help="Pixel noise, 0..1.")] = 0.1,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generator.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace images already there.")] = False,
) -> None:
    """Write the synthetic shapes set (circle, square, triangle, cross) as class-per-subfolder PNG trees."""
    from .api_commands import make_shapes as make_shapes_tree

    written = make_shapes_tree(out, samples=samples, validation_samples=validation_samples, image_size=image_size,
                               noise=noise, seed=seed, force=force)
    for split, counts in written.counts.items():
        typer.echo(f"wrote {written.root / split}: " + ", ".join(f"{c} {n}" for c, n in counts.items()))
    typer.echo("next: kspec data inspect " + str(written.root) + "   (or train: kspec run specs/shapes_folder.yaml)")


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
