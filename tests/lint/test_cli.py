"""``kspec lint``, ``rules``, ``rule`` and ``shapes`` from the command line: exit codes, discovery,
output files, configuration, and the import boundary (no TensorFlow, Keras or matplotlib)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kspec.analyse.rules import RULES
from kspec.cli import app

from .helpers import BASE, LINT_FIXTURES, merge

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"

WARNING_ONLY = merge("model:\n  layers:\n    - {type: Flatten}\n    - {type: Dense, units: 64, activation: relu}\n"
                     "    - {type: Dropout, rate: 0.8}\n    - {type: Dense, units: 10, activation: softmax}\n")
ERROR = merge("model:\n  layers:\n    - {type: Flatten}\n    - {type: Dense, units: 8, activation: softmax}\n")
INVALID = "kspec: 1\ndata: {type: keras, name: fashion_mnist}\nmodel:\n  layers: [{type: Dense, unit: 3}]\n"


def run(*args: str, cwd: Path | None = None, env: dict | None = None):
    import os

    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        return CliRunner().invoke(app, list(args), env={"GITHUB_ACTIONS": "", **(env or {})})
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path):
    """A folder with a pyproject.toml (no settings) and a few specs."""
    (tmp_path / "pyproject.toml").write_text("[tool.kspec.lint]\n", encoding="utf-8")
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "clean.yaml").write_text(BASE, encoding="utf-8")
    return tmp_path


def test_example_specs_lint_clean():
    result = run("lint", str(SPECS))
    assert result.exit_code == 0, result.output
    assert "error[" not in result.output and "warning[" not in result.output, result.output


def test_exit_codes(project):
    specs = project / "specs"
    assert run("lint", str(specs / "clean.yaml"), cwd=project).exit_code == 0
    (specs / "warn.yaml").write_text(WARNING_ONLY)
    assert run("lint", str(specs / "warn.yaml"), cwd=project).exit_code == 0, "warnings pass the default fail-on"
    assert run("lint", "--fail-on", "warning", str(specs / "warn.yaml"), cwd=project).exit_code == 1
    (specs / "error.yaml").write_text(ERROR)
    result = run("lint", str(specs), cwd=project)
    assert result.exit_code == 1 and "KS201" in result.output and "KS501" in result.output, "one pass, all findings"
    assert run("lint", "--fail-on", "never", str(specs), cwd=project).exit_code == 0
    (specs / "invalid.yaml").write_text(INVALID)
    result = run("lint", str(specs), cwd=project)
    assert result.exit_code == 2 and "KS011" in result.output and "KS201" in result.output
    (specs / "invalid.yaml").write_text("kspec: 1\nmodel: [\n")
    assert run("lint", str(specs / "invalid.yaml"), cwd=project).exit_code == 2


def test_usage_errors_exit_2(project):
    assert run("lint", str(project / "specs" / "nope.yaml"), cwd=project).exit_code == 2
    assert run("lint", "--format", "xml", str(project / "specs"), cwd=project).exit_code == 2
    assert run("lint", "--select", "KS2O1", str(project / "specs"), cwd=project).exit_code == 2
    assert run("lint", cwd=project).exit_code == 2
    empty = project / "empty"
    empty.mkdir()
    assert run("lint", str(empty), cwd=project).exit_code == 2


def test_folders_and_globs_skip_part_files(project):
    specs = project / "specs"
    (specs / "parts").mkdir()
    (specs / "parts" / "model.yaml").write_text("layers: [{type: Flatten}, {type: Dense, units: 10, activation: softmax}]\n")
    (specs / "composed.yaml").write_text("kspec: 1\ndata: {type: keras, name: mnist, rescale: 1/255}\n"
                                         "model: parts/model.yaml\ncompile: {optimizer: adam, loss: sparse_categorical_crossentropy}\n")
    (specs / "error.yaml").write_text(ERROR)
    result = run("lint", "-f", "json", str(specs), cwd=project)
    files = {Path(d["span"]["file"]).name for d in json.loads(result.stdout)["diagnostics"]}
    assert files == {"error.yaml"} and result.exit_code == 1
    result = run("lint", "-f", "concise", str(specs / "c*.yaml"), cwd=project)
    assert result.exit_code == 0 and "no problems found" in result.stdout


def test_specs_only_skips_other_yaml(project):
    workflow = project / "ci.yaml"
    workflow.write_text("on: push\njobs: {}\n")
    assert run("lint", str(workflow), cwd=project).exit_code == 2
    assert run("lint", "--specs-only", str(workflow), cwd=project).exit_code == 0
    result = run("lint", "--specs-only", str(workflow), str(project / "specs" / "clean.yaml"), cwd=project)
    assert result.exit_code == 0 and "no problems found" in result.stdout


def test_output_file_and_formats(project):
    (project / "specs" / "error.yaml").write_text(ERROR)
    out = project / "kspec.sarif"
    result = run("lint", "--format", "sarif", "-o", str(out), str(project / "specs"), cwd=project)
    assert result.exit_code == 1 and result.stdout == ""
    doc = json.loads(out.read_text())
    assert doc["version"] == "2.1.0" and doc["runs"][0]["results"][0]["ruleId"] == "KS201"
    gh = run("lint", str(project / "specs"), cwd=project, env={"GITHUB_ACTIONS": "true"})
    assert gh.stdout.startswith("::error file=specs/error.yaml,line=4,col=28,")


def test_pyproject_settings_apply(project):
    (project / "pyproject.toml").write_text('[tool.kspec.lint]\nignore = ["KS2"]\nfail-on = "warning"\nformat = "concise"\n')
    specs = project / "specs"
    (specs / "error.yaml").write_text(ERROR)
    result = run("lint", str(specs), cwd=project)
    assert result.exit_code == 0 and result.stdout == "no problems found\n"
    (specs / "warn.yaml").write_text(WARNING_ONLY)
    result = run("lint", str(specs), cwd=project)
    assert result.exit_code == 1 and "KS501 [warning]" in result.stdout
    assert run("lint", "--fail-on", "error", str(specs), cwd=project).exit_code == 0, "the command line wins"
    (project / "pyproject.toml").write_text('[tool.kspec.lint]\nselct = ["KS2"]\n')
    result = run("lint", str(specs), cwd=project)
    assert result.exit_code == 2 and "did you mean 'select'" in result.output


def test_parallel_batch_gives_the_same_findings(project):
    specs = project / "specs"
    for i in range(6):
        (specs / f"e{i}.yaml").write_text(ERROR)
    one = run("lint", "-f", "json", "--jobs", "1", str(specs), cwd=project)
    two = run("lint", "-f", "json", "--jobs", "2", str(specs), cwd=project)
    assert one.exit_code == two.exit_code == 1
    assert json.loads(one.stdout)["diagnostics"] == json.loads(two.stdout)["diagnostics"]


def test_rules_and_rule():
    listed = run("rules").stdout.splitlines()
    assert {line.split()[0] for line in listed} >= {r.code for r in RULES}
    assert any(line.startswith("KS201  error") and "last-layer-units-mismatch" in line for line in listed)
    text = run("rule", "ks201").stdout
    assert "## Why is this bad" in text and "units: 10" in text
    assert run("rule", "last-layer-units-mismatch").stdout == text
    bad = run("rule", "KS2O1")
    assert bad.exit_code == 2 and "did you mean 'KS201'" in bad.output


def test_shapes_prints_the_plan_and_the_data():
    result = run("shapes", str(SPECS / "fashion_mnist_cnn.yaml"))
    assert result.exit_code == 0, result.output
    assert "Total params: 243,786" in result.stdout
    assert "Expects: inputs (28, 28, 1) per sample; labels: integer class ids 0..9" in result.stdout
    assert "Data:    samples (28, 28, 1) (stored (28, 28), reshaped) uint8 0..255" in result.stdout


def test_shapes_names_the_impossible_layer():
    result = run("shapes", str(LINT_FIXTURES / "shrinking_stack.yaml"))
    assert result.exit_code == 1
    assert "4  Conv2D [relu]  !! impossible" in result.stdout
    assert "error: layer 4 (Conv2D) cannot take input (1, 1, 16)" in result.stdout
    assert "shrinking_stack.yaml:12:48: error[KS101]" in result.output


BOUNDARY = textwrap.dedent("""
    import atexit, os, sys
    def check():
        heavy = sorted(m for m in ("tensorflow", "keras", "matplotlib") if m in sys.modules)
        if heavy:
            print("IMPORTED", heavy, flush=True)
            os._exit(3)
    atexit.register(check)
    sys.argv = ["kspec"] + sys.argv[1:]
    from kspec.cli import main
    main()
""")


@pytest.mark.parametrize("args", [
    ["lint", "specs", "tests/fixtures/lint"],
    ["lint", "--format", "sarif", "specs"],
    ["shapes", "specs/fashion_mnist_cnn.yaml"],
    ["rule", "KS201"],
])
def test_lint_path_never_imports_tensorflow_keras_or_matplotlib(args):
    proc = subprocess.run([sys.executable, "-c", BOUNDARY, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "IMPORTED" not in proc.stdout, proc.stdout[-500:]
    assert proc.returncode in (0, 1), proc.stderr[-2000:]


# ------------------------------------------------------------------------------------ the fast `kspec lint`


def _fast(argv, capsys, monkeypatch, cwd):
    from kspec.lintcmd import fast_main

    monkeypatch.chdir(cwd)
    monkeypatch.setenv("GITHUB_ACTIONS", "")
    code = fast_main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv", [
    ["specs/clean.yaml"],
    ["specs"],
    ["--format", "json", "specs/warn.yaml", "specs/clean.yaml"],
    ["-fconcise", "--fail-on=never", "--select", "KS3,KS2", "--select", "KS402", "specs"],
    ["--ignore", "KS302", "--jobs", "1", "-j1", "--specs-only", "--", "specs/bad.yaml"],
    ["specs/absent.yaml", "specs/clean.yaml"],
    ["--select", "KS999", "specs"],
    ["specs/invalid.yaml"],
    ["-o", "report.txt", "specs"],
])
def test_fast_lint_answers_as_the_full_command_line(argv, project, capsys, monkeypatch):
    specs = project / "specs"
    (specs / "warn.yaml").write_text(WARNING_ONLY)
    (specs / "bad.yaml").write_text(ERROR)
    (specs / "invalid.yaml").write_text(INVALID)
    code, out, err = _fast(argv, capsys, monkeypatch, project)
    written = (project / "report.txt").read_text() if (project / "report.txt").exists() else None
    (project / "report.txt").unlink(missing_ok=True)
    full = CliRunner().invoke(app, ["lint", *argv])
    assert code == full.exit_code, (out, err, full.stdout, full.stderr)
    assert (out, err) == (full.stdout, full.stderr)
    assert written == ((project / "report.txt").read_text() if written is not None else None)


@pytest.mark.parametrize("argv", [[], ["-h"], ["--help", "specs"], ["--nope", "specs"], ["--jobs", "0", "specs"],
                                  ["--jobs", "x", "specs"], ["--format", "xml", "specs"], ["--fail-on"], ["-"]])
def test_fast_lint_leaves_help_and_usage_errors_to_the_full_command_line(argv):
    from kspec.lintcmd import parse_lint_args

    assert parse_lint_args(argv) is None


def test_fast_lint_does_not_load_typer():
    code = ("import sys; sys.argv = ['kspec', 'lint', 'specs/hello.yaml']\n"
            "from kspec.entry import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "bad = [m for m in ('typer', 'click', 'numpy', 'tensorflow') if m in sys.modules]\n"
            "assert not bad, bad\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
