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


ABSENT_HOOK = '''\
import sys


class _Absent:
    """`import tensorflow` / `import keras` fail as they do where the train extra is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _Absent())
'''


def test_every_command_that_needs_tensorflow_gives_one_clean_message_without_it(tmp_path):
    """predict, visualize, evaluate, export and run without TensorFlow: exit 2, the same message, no
    traceback, and no run directory. An image-folder run, so predict decodes images (TensorFlow)."""
    import json

    from PIL import Image

    from kspec.pipeline import Pipeline
    from kspec.run import rundir

    for cls in ("a", "b"):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (8, 8), (40 * i, 0, 0)).save(tmp_path / "imgs" / cls / f"{i}.png")
    spec = tmp_path / "s.yaml"
    spec.write_text("kspec: 1\ndata: {type: image_folder, directory: imgs, target_size: [8, 8], class_mode: sparse}\n"
                    "model:\n  layers: [{type: Flatten}, {type: Dense, units: 2, activation: softmax}]\n"
                    "compile: {optimizer: adam, loss: sparse_categorical_crossentropy}\ntrain: {epochs: 1, seed: 0}\n")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    resolved = json.dumps(Pipeline(spec).resolved.to_json())
    (run_dir / "spec.resolved.json").write_text(resolved)
    (run_dir / "manifest.json").write_text(json.dumps({"version": 1, "status": "completed", "seed": 0,
                                                       "base_dir": str(tmp_path),
                                                       "seal": rundir.seal(resolved, str(tmp_path))}))
    (run_dir / "model.keras").write_bytes(b"never read: TensorFlow is missing first")
    image = tmp_path / "imgs" / "a" / "0.png"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(ABSENT_HOOK)
    commands = [["predict", run_dir, image], ["visualize", run_dir, "--image", image], ["evaluate", run_dir],
                ["export", run_dir, "--format", "tflite"], ["run", spec, "--out", tmp_path / "runs"]]
    code = ("import sys\nfrom kspec.cli import app\n"
            f"for args in {[[str(a) for a in c] for c in commands]!r}:\n"
            "    try:\n        app(args)\n    except SystemExit as e:\n        print('exit', args[0], e.code)\n"
            "    print('--', file=sys.stderr)\n")
    env = dict(__import__("os").environ, PYTHONPATH=f"{hook}:{ROOT}")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    assert out.stdout.split("\n")[:-1] == [f"exit {c[0]} 2" for c in commands], out.stdout + out.stderr[-2000:]
    import re

    blocks = out.stderr.split("--\n")[:-1]  # run prints its lint findings first
    messages = [re.sub(r" \(No module named '\w+'\)", "", b[b.index("error: "):].strip()) for b in blocks]
    assert len(messages) == len(commands) and len(set(messages)) == 1, messages
    assert messages[0] == ("error: this command needs Keras and TensorFlow, which are not installed\n"
                           '  hint: install them with: pip install "kspec[train]" (lint, validate and shapes work without them)')
    assert not (tmp_path / "runs").exists()
