"""``--set KEY=VALUE``: applied after parsing, validated like the file, located on the command line."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kspec
from kspec.diagnostics import KspecError
from kspec.pipeline import Pipeline
from kspec.render import pick
from tests.conftest import ROOT

SPEC = """\
kspec: 1
data: {type: npz, path: data/mnist.npz}
model:
  input_shape: [4]
  layers:
    - {type: Dense, units: 8, activation: relu}
    - {type: Dense, units: 1}
compile: {optimizer: sgd, loss: mse}
train: {epochs: 2}
"""


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SPEC)
    return path


def errors(path, *overrides):
    p = Pipeline(path, overrides=list(overrides))
    return p, [d for d in p.spec_diagnostics if d.severity.value == "error"]


def test_values_are_yaml_and_land_at_their_path(spec):
    p, errs = errors(spec, "train.epochs=3", "model.layers[0].units=64", "model.input_shape=[2, 2]",
                     "compile.optimizer={type: adam, learning_rate: 0.01}")
    assert not errs, errs
    assert p.spec.train.epochs == 3 and p.spec.model.layers[0].units == 64
    assert list(p.spec.model.input_shape) == [2, 2] and p.spec.compile.optimizer.learning_rate == 0.01
    assert [o.argument for o in p.document.overrides][0] == "train.epochs=3"


@pytest.mark.parametrize("override, code, message", [
    ("train.epochs=abc", "KS012", "expected integer, got str 'abc'"),
    ("train.epochs=true", "KS012", "got bool True"),  # strict, as in a file: no bool-to-int
    ("train.epochs='3'", "KS012", "got str '3'"),
    ("train.epochs=!!int 3", "KS004", "explicit YAML tag"),
    ("model.layers[1].unitz=3", "KS011", "did you mean 'units'?"),
    ("model.layers[5].units=3", "KS007", "model.layers has 2 item(s), so there is no item [5]"),
    ("compile.optimizer.learning_rate=0.1", "KS007", "compile.optimizer is the value 'sgd', not a mapping"),
    ("train.epochs[0]=1", "KS007", "train.epochs is the value 2, not a list"),
])
def test_a_bad_override_is_an_error_located_on_the_command_line(spec, override, code, message):
    p, errs = errors(spec, override)
    assert [d.code for d in errs] == [code], errs
    d = errs[0]
    key = override.split("=")[0]
    assert message in d.message
    assert str(d.span) == f"command line: --set {key}" and d.span.on_command_line
    text = pick("full")(errs, p.document.sources)
    assert f"command line: --set {key}: error[{code}]" in text
    assert f" 1 | --set {override}" in text  # the code frame shows the option itself
    assert "s.yaml" not in text


def test_the_caret_points_at_the_value(spec):
    p, errs = errors(spec, "train.epochs=abc")
    lines = pick("full")(errs, p.document.sources).splitlines()
    frame = [line for line in lines if line.lstrip().startswith("|") and "^" in line][0]
    source = [line for line in lines if "--set train.epochs=abc" in line][0]
    assert source[frame.index("^"):frame.index("^") + 3] == "abc"


@pytest.mark.parametrize("argument, message", [("train.epochs", "write KEY=VALUE"), ("train..epochs=1", "an empty key"),
                                              ("train.ep ochs=1", "is not a key"), ("a=1\nb: 2", "more than one line")])
def test_a_malformed_option_is_a_usage_error(spec, argument, message):
    with pytest.raises(KspecError, match=message):
        Pipeline(spec, overrides=[argument])


def test_relative_data_paths_are_relative_to_the_current_folder(spec, tmp_path, monkeypatch):
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    p, _ = errors(spec, "data.path=other.npz")
    assert p.spec.data.path == str(elsewhere / "other.npz")
    p, _ = errors(spec, "data={type: npy, x: a.npy, y: /abs/b.npy}")
    assert (p.spec.data.x, p.spec.data.y) == (str(elsewhere / "a.npy"), "/abs/b.npy")
    p, _ = errors(spec)  # the file's own path stays relative to the spec's folder
    assert p.spec.data.path == "data/mnist.npz" and p.base_dir == spec.parent


def test_a_part_file_cannot_be_named(spec):
    _, errs = errors(spec, "model=model.yaml")
    assert [d.code for d in errs] == ["KS007"] and "part file" in errs[0].message


def test_python_api_takes_set_and_overrides(spec):
    assert kspec.load(spec, set=["train.epochs=4"]).resolved.train.epochs == 4
    s = kspec.load(spec, overrides={"train.epochs": 5, "model.layers[0].units": 16})
    assert s.resolved.train.epochs == 5 and s.resolved.model.layers[0].units == 16
    assert s.with_(train={"verbose": 0}).resolved.train.epochs == 5  # kept by with_
    with pytest.raises(kspec.InvalidSpec):
        kspec.load(spec, set=["train.epochs=true"])


@pytest.mark.parametrize("command", ["validate", "lint", "shapes", "run", "eject", "data inspect"])
def test_every_spec_command_takes_set(spec, command, tmp_path):
    from typer.testing import CliRunner

    from kspec.cli import app

    args = [*command.split(), str(spec), "--set", "model.layers[0].unitz=8"]
    if command == "run":
        args += ["--out", str(tmp_path / "runs")]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 2, out.output
    assert "command line: --set model.layers[0].unitz" in out.output and "did you mean 'units'?" in out.output
    assert not (tmp_path / "runs").exists()


def test_lint_with_set_keeps_its_fast_start(spec):
    code = (f"import sys; sys.argv = ['kspec', 'lint', {str(spec)!r}, '--set', 'train.epochs=abc']\n"
            "from kspec.entry import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 2, e.code\n"
            "bad = [m for m in ('typer', 'click', 'tensorflow') if m in sys.modules]\n"
            "assert not bad, bad\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "command line: --set train.epochs" in proc.stdout


def test_a_lint_finding_about_an_overridden_layer_notes_the_option(tmp_path):
    spec = tmp_path / "line.yaml"
    spec.write_text(SPEC.replace("data: {type: npz, path: data/mnist.npz}",
                                 "data: {type: arrays, x: [[1, 2, 3, 4], [0, 1, 0, 1]], y: [1.0, 2.0]}"))
    p = Pipeline(spec, overrides=["model.layers[1].units=3"])  # 3 outputs for 1 target: KS104 at the layer
    found = [d for d in p.diagnostics if d.code == "KS104"]
    assert found and found[0].span.file == str(spec), p.diagnostics
    notes = [r for r in found[0].related if r.span is not None and r.span.on_command_line]
    assert [str(r.span) for r in notes] == ["command line: --set model.layers[1].units"]
    assert notes[0].message == "the value in effect is 3"


def test_sarif_has_no_file_location_for_the_command_line(spec):
    import json

    p, errs = errors(spec, "train.epochs=abc")
    result = json.loads(pick("sarif")(errs, p.document.sources))["runs"][0]["results"][0]
    assert "physicalLocation" not in result["locations"][0]
    assert result["message"]["text"].startswith("command line: --set train.epochs: ")
