"""The CLI boundary: exit codes and no traceback for a user's mistake."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, ROOT, SPECS

INVALID = sorted((FIXTURES / "invalid").iterdir())


def kspec(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "kspec.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_validate_examples_exit_0():
    out = kspec("validate", str(SPECS))
    assert out.returncode == 0, out.stderr
    assert "valid" in out.stdout


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.name)
def test_invalid_specs_exit_2_without_traceback(fixture):
    for command in ("validate", "run"):
        out = kspec(command, str(fixture), "--out", "/nonexistent/never-created") if command == "run" else kspec(command, str(fixture))
        assert out.returncode == 2, (command, out.stdout, out.stderr)
        assert "Traceback" not in out.stderr + out.stdout
        assert f"{fixture.name}:" in out.stderr, out.stderr  # file:line:col


def test_missing_file_and_usage_errors_exit_2(tmp_path):
    assert kspec("validate", str(tmp_path / "nope.yaml")).returncode == 2
    assert kspec("run").returncode == 2
    assert kspec("run", "--resume", str(tmp_path)).returncode == 2
    out = kspec("rule", "KS999")
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_schema_check_passes_on_the_committed_schemas():
    out = kspec("schema", "--check")
    assert out.returncode == 0, out.stderr


def test_schema_check_fails_when_stale(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "kspec.schema.json").write_text("{}\n")
    out = kspec("schema", "--check", "--out", str(tmp_path / "schemas"))
    assert out.returncode == 1 and "stale" in out.stderr


def test_missing_data_file_is_a_clear_error(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("kspec: 1\ndata: {type: npz, path: nothere.npz}\nmodel:\n  input_shape: [4]\n  layers: [{type: Dense, units: 1}]\n"
                    "compile: {optimizer: sgd, loss: mse}\n")
    out = kspec("run", str(spec), "--out", str(tmp_path / "runs"))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "nothere.npz" in out.stderr and "Traceback" not in out.stderr


def test_run_without_tensorflow_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['keras'] = None; sys.modules['tensorflow'] = None\n"
            "from kspec.cli import main\n"
            f"sys.argv = ['kspec', 'run', {str(SPECS / 'hello.yaml')!r}, '--out', {str(tmp_path)!r}]\n"
            "main()\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "kspec[train]" in out.stderr and "Traceback" not in out.stderr
