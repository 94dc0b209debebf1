"""The Python API: load from a path, a dict or text; diagnostics, shapes, overrides; one exception
type for an invalid spec, printed as the CLI prints it; models and runs (slow)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import kspec
from kspec.diagnostics import KspecError, SpecInvalid

ROOT = Path(__file__).resolve().parents[2]

LINE = """\
kspec: 1
name: line
data:
  type: arrays
  x: [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
  y: [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
model:
  input_shape: [1]
  layers:
    - {type: Dense, units: 1}
compile: {optimizer: sgd, loss: mean_squared_error}
train: {epochs: 3, seed: 0, verbose: 0}   # a comment kept by overrides
predict: {x: [10.0]}
"""

CNN = {
    "kspec": 1, "name": "cnn",
    "data": {"type": "synthetic", "samples": 64, "test_samples": 16, "image_size": 12, "rescale": "1/255",
             "validation": 0.25},
    "model": {"layers": [{"type": "Conv2D", "filters": 2, "kernel_size": 3, "activation": "relu"},
                         {"type": "Flatten"}, {"type": "Dense", "units": 4, "activation": "softmax"}]},
    "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
    "train": {"epochs": 1, "batch_size": 16, "seed": 0, "verbose": 0},
}


def test_import_kspec_loads_neither_the_api_nor_tensorflow():
    code = ("import sys, kspec; assert callable(kspec.load); "
            "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))")
    bare = subprocess.run([sys.executable, "-c", "import sys, kspec; print('kspec.api' in sys.modules, 'numpy' in sys.modules)"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    assert bare.stdout.split() == ["False", "False"]
    used = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert used.stdout.strip() == "[]"


def test_load_from_path_text_and_dict_agree(tmp_path):
    path = tmp_path / "line.yaml"
    path.write_text(LINE)
    from_path, from_text = kspec.load(path), kspec.load(LINE)
    from_str_path = kspec.load(str(path))
    assert from_path.file == str(path) == from_str_path.file and from_text.file == "<string>"
    assert from_path.to_dict() == from_text.to_dict()
    from_dict = kspec.load(from_text.data)
    assert from_dict.file == "<dict>"
    assert from_dict.to_dict() == from_path.to_dict()


def test_shapes_table_without_tensorflow():
    spec = kspec.load(CNN)
    t = spec.shapes
    assert [r["layer"] for r in t.rows] == ["Conv2D", "Flatten", "Dense"]
    assert [tuple(r["output_shape"]) for r in t.rows] == [(10, 10, 2), (200,), (4,)]
    assert t.params == (3 * 3 * 1 * 2 + 2) + (200 * 4 + 4)
    assert "Conv2D [relu]" in str(t) and "Total params: 824" in str(t)
    html = t._repr_html_()
    assert "<table>" in html and "(10, 10, 2)" in html


def test_diagnostics_are_lints_findings_with_code_frames():
    bad = LINE.replace("units: 1}", "units: 1, activation: softmax}")
    spec = kspec.load(bad)
    assert spec.valid
    codes = spec.diagnostics.codes()
    assert codes, "softmax on one unit is a lint finding"
    from kspec.pipeline import Pipeline

    assert codes == [d.code for d in Pipeline(text=bad).diagnostics]
    text = str(spec.diagnostics)
    assert "activation: softmax" in text and "^" in text  # the code frame
    html = spec.diagnostics._repr_html_()
    assert "activation: softmax" in html and "class='diag" in html
    assert spec.diagnostics._repr_markdown_().startswith("```text")


def test_invalid_spec_raises_one_type_printed_as_the_cli_prints(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(LINE.replace("units: 1", "unit: 1"))
    with pytest.raises(kspec.InvalidSpec) as info:
        kspec.load(path)
    e = info.value
    assert isinstance(e, SpecInvalid) and isinstance(e, KspecError)
    assert {d.code for d in e.diagnostics} == {"KS011", "KS013"}
    cli = subprocess.run([sys.executable, "-m", "kspec.cli", "validate", str(path)], capture_output=True, text=True,
                         cwd=ROOT)
    assert cli.returncode == 2
    assert str(e) == cli.stderr.rstrip()
    assert "did you mean &#x27;units&#x27;" in e._repr_html_()
    relaxed = kspec.load(path, strict=False)
    assert not relaxed.valid and {d.code for d in relaxed.diagnostics} == {"KS011", "KS013"}
    with pytest.raises(kspec.InvalidSpec):
        relaxed.model()


def test_missing_file_and_wrong_source_type():
    with pytest.raises(kspec.InvalidSpec, match="does not exist"):
        kspec.load("no/such/spec.yaml")
    with pytest.raises(KspecError, match="a path, a dict or YAML text"):
        kspec.load(42)


def test_overrides_merge_validate_and_keep_comments():
    spec = kspec.load(LINE)
    longer = spec.with_(train={"epochs": 7})
    assert longer.resolved.train.epochs == 7 and longer.resolved.seed == 0
    assert spec.resolved.train.epochs == 3, "the original is unchanged"
    assert "# a comment kept by overrides" in longer.pipeline.text
    assert spec.with_(predict=None).resolved.spec.predict is None
    assert spec.with_({"name": "other"}).name == "other"
    with pytest.raises(kspec.InvalidSpec) as info:
        spec.with_(train={"epochs": "three"})
    e = info.value
    assert [d.code for d in e.diagnostics] == ["KS012"]
    assert "epochs: three" in str(e) and "(with overrides)" in str(e)


def test_overrides_of_a_section_in_a_part_file(tmp_path):
    (tmp_path / "train.yaml").write_text("epochs: 3\nseed: 0\nverbose: 0\n")
    main = tmp_path / "main.yaml"
    main.write_text(LINE.replace("train: {epochs: 3, seed: 0, verbose: 0}   # a comment kept by overrides",
                                 "train: train.yaml"))
    spec = kspec.load(main)
    assert spec.resolved.train.epochs == 3
    assert spec.with_(train={"epochs": 2}).resolved.train.epochs == 2


def test_spec_display_in_jupyter():
    spec = kspec.load(CNN)
    html = spec._repr_html_()
    assert "cnn" in html and "<table>" in html and "no problems found" in html
    assert "Conv2D" in spec._repr_markdown_()


@pytest.mark.slow
def test_model_is_compiled_and_matches_the_shapes():
    pytest.importorskip("tensorflow")
    spec = kspec.load(CNN)
    model = spec.model()
    assert model.count_params() == spec.shapes.params
    assert [tuple(l.output.shape[1:]) for l in model.layers] == [tuple(r["output_shape"]) for r in spec.shapes.rows]
    assert model.optimizer is not None and model.loss == "sparse_categorical_crossentropy"


@pytest.mark.slow
def test_run_returns_history_model_metrics_predictions(tmp_path):
    pytest.importorskip("tensorflow")
    import numpy as np

    spec = kspec.load(LINE)
    run = spec.run(out=tmp_path, epochs=2, quiet=True)
    assert run.status == "completed" and run.path.parent == tmp_path
    assert len(run.history["loss"]) == 2
    assert run.predictions[0]["input"] == 10.0
    out = float(run.model.predict(np.array([[10.0]]), verbose=0)[0, 0])
    assert out == pytest.approx(run.predictions[0]["output"], rel=1e-6)
    assert (run.path / "report.html").is_file()
    again = kspec.open_run(run.path)
    assert again.history == run.history and again.predictions == run.predictions
    assert again.spec.to_dict()["train"]["epochs"] == 2
    html = run._repr_html_()
    assert "data:image/png;base64," in html and "completed" in html
    seeded = spec.run(out=tmp_path, epochs=2, seed=5, quiet=True)
    assert seeded.manifest["seed"] == 5 and seeded.history["loss"] != run.history["loss"]


def test_run_refuses_lint_errors_and_open_run_names_a_bad_folder(tmp_path):
    bad = LINE.replace("loss: mean_squared_error", "loss: sparse_categorical_crossentropy")
    spec = kspec.load(bad)
    if not spec.diagnostics.errors:
        pytest.skip("no lint error for this mistake")
    with pytest.raises(kspec.InvalidSpec, match="refusing to train with lint errors"):
        spec.run(out=tmp_path)
    with pytest.raises(KspecError, match="not a kspec run directory"):
        kspec.open_run(tmp_path)


# ---------------------------------------------------------------- the other commands, from Python


def cli(*args: str):
    from typer.testing import CliRunner

    from kspec.cli import app

    return CliRunner().invoke(app, list(args))


def test_every_command_has_an_api_function():
    """Each `kspec` command is reachable from Python (run, validate, lint, shapes, eject through a
    Spec; the rest as functions); the CLI prints what those functions return."""
    from kspec.cli import app

    commands = {c.name or c.callback.__name__ for c in app.registered_commands} | {"data"}
    through_spec = {"validate": "load", "lint": "load", "shapes": "load", "run": "load", "eject": "load",
                    "schema": None}
    as_functions = {"rules": "rules", "rule": "rule", "visualize": "visualize", "predict": "predict",
                    "evaluate": "evaluate", "diff": "diff", "report": "write_report", "trust": "trust",
                    "import": "import_model", "export": "export_run", "migrate": "migrate_spec",
                    "data": "inspect_data"}
    assert commands == set(through_spec) | set(as_functions)
    for name in as_functions.values():
        assert callable(getattr(kspec, name)) and name in kspec.__all__, name
    for name in ("predict", "evaluate", "visualize", "export", "diff", "report"):
        assert callable(getattr(kspec.Run, name)), name


def test_rules_and_rule_print_what_the_cli_prints():
    found = kspec.rules()
    assert [r.code for r in found] == sorted(r.code for r in found) and {r.kind for r in found} == {"lint", "run"}
    ks201 = next(r for r in found if r.code == "KS201")
    assert ks201.name == "last-layer-units-mismatch" and ks201.severity == "error"
    assert cli("rules").output == "".join(f"{r}\n" for r in found)
    assert cli("rule", "KS201").output == kspec.rule("KS201") + "\n"
    with pytest.raises(KspecError, match="no rule 'KS2O1'") as e:
        kspec.rule("KS2O1")
    assert cli("rule", "KS2O1").output.startswith(f"error: {e.value}")


def test_data_inspect_and_make_shapes_from_python(tmp_path):
    written = kspec.make_shapes(tmp_path / "shapes", samples=16, validation_samples=8, image_size=8, seed=1)
    assert sum(written.counts["train"].values()) == 16
    found = kspec.inspect_data(tmp_path / "shapes")
    assert not found.problems and str(found) in cli("data", "inspect", str(tmp_path / "shapes")).output
    assert found.data == __import__("json").loads(cli("data", "inspect", str(tmp_path / "shapes"), "-f", "json").output)
    (tmp_path / "shapes" / "train" / "circle" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert kspec.inspect_data(tmp_path / "shapes").problems
    with pytest.raises(KspecError, match="give a spec file, not a folder"):
        kspec.inspect_data(tmp_path / "shapes", set={"data.limit": 4})
    with pytest.raises(KspecError, match="make_shapes needs samples >= 4"):
        kspec.make_shapes(tmp_path / "more", samples=2)


def test_migrate_and_import_from_python(tmp_path):
    mig = kspec.migrate_spec(ROOT / "specs" / "hello.yaml")
    assert mig.current and mig.render() in cli("migrate", str(ROOT / "specs" / "hello.yaml")).output
    with pytest.raises(KspecError) as e:
        kspec.import_model(tmp_path / "missing.keras")
    assert str(e.value) in cli("import", str(tmp_path / "missing.keras")).output
