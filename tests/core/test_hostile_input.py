"""Malformed and hostile input ends in exit 2 with a located message, in bounded time and memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from kspec.parse import load, loads

FULL = ("kspec: 1\ndata: {type: keras, name: mnist, rescale: 1/255}\n"
        "model: {layers: [{type: Flatten}, {type: Dense, units: 10, activation: softmax}]}\n"
        "compile: {optimizer: adam, loss: sparse_categorical_crossentropy}\n")


def _bomb(levels: int = 9, width: int = 10) -> str:
    lines = ["a: &a [" + ",".join(["x"] * width) + "]"]
    for i in range(1, levels + 1):
        name, prev = chr(ord("a") + i), chr(ord("a") + i - 1)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_quickly_at_the_alias():
    start = time.perf_counter()
    doc = loads(_bomb(), "bomb.yaml")
    assert time.perf_counter() - start < 2
    (d,) = doc.diagnostics
    assert d.code == "KS006" and doc.data is None
    assert "aliases would add more than 100,000 values" in d.message
    assert d.span.line == 5 and d.path.startswith("e[")


def test_a_few_aliases_are_fine():
    doc = loads("a: &x {units: 3}\nb: *x\nc: [*x, *x]\n", "f.yaml")
    assert doc.data == {"a": {"units": 3}, "b": {"units": 3}, "c": [{"units": 3}, {"units": 3}]}


@pytest.mark.parametrize("text,file", [
    ("kspec: 1\nmodel: " + "[" * 400 + "]" * 400 + "\n", "deep.yaml"),
    ('{"kspec": 1, "model": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}", "deep.json"),
    ("a:\n" + "".join("  " * i + "- \n" for i in range(1, 200)), "deep_block.yaml"),
], ids=["flow-yaml", "json", "block-yaml"])
def test_deep_nesting_is_refused_with_its_place(text, file):
    doc = loads(text, file)
    (d,) = doc.diagnostics
    assert d.code == "KS006" and "nesting deeper than 64 levels" in d.message
    assert d.span.line >= 1 and d.path


def test_nesting_within_the_limit_is_read():
    doc = loads("a: " + "[" * 60 + "]" * 60 + "\n", "f.yaml")
    assert doc.ok


@pytest.mark.parametrize("text,tag", [("a: !!str 7\n", "!!str"), ("a: !!int '5'\n", "!!int"),
                                      ("a: !!float 5\n", "!!float"), ("a: !custom x\n", "!custom")])
def test_every_explicit_tag_is_refused_and_named(text, tag):
    (d,) = loads(text, "f.yaml").diagnostics
    assert d.code == "KS004" and repr(tag) in d.message and d.path == "a" and d.span.line == 1


def test_part_file_that_is_not_utf8(tmp_path):
    (tmp_path / "model.yaml").write_bytes(b"layers:\n  - {type: Flatten, name: \xe9}\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(FULL.replace("model: {layers: [{type: Flatten}, {type: Dense, units: 10, activation: softmax}]}",
                                 "model: model.yaml"))
    doc = load(spec)
    (d,) = doc.diagnostics
    assert d.code == "KS003" and d.path == "model"
    assert "is not UTF-8 text (byte 0xe9 at line 2, column 27)" in d.message


def test_spec_that_is_not_utf8(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"kspec: 1\nname: \xff\n")
    (d,) = load(spec).diagnostics
    assert d.code == "KS003" and (d.span.line, d.span.col) == (2, 7)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_as_spec_or_part_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    (d,) = load(fifo).diagnostics
    assert d.code == "KS003" and "FIFO" in d.message
    spec = tmp_path / "spec.yaml"
    spec.write_text(FULL.replace("model: {layers: [{type: Flatten}, {type: Dense, units: 10, activation: softmax}]}",
                                 "model: pipe.yaml"))
    (d,) = load(spec).diagnostics
    assert d.code == "KS003" and "FIFO" in d.message and d.path == "model"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("command", ["validate", "lint", "shapes"])
def test_dev_zero_as_spec_exits_2_at_once(command):
    result = subprocess.run([sys.executable, "-m", "kspec.cli", command, "/dev/zero"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "character device, not a regular file" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_oversized_spec_is_refused(tmp_path, monkeypatch):
    from kspec import guard

    spec = tmp_path / "big.yaml"
    spec.write_text("kspec: 1\n" + "# padding\n" * 200)
    monkeypatch.setattr(guard, "MAX_SPEC_BYTES", 100)
    monkeypatch.setattr(guard.read_text, "__defaults__", (100,))
    (d,) = load(spec).diagnostics
    assert d.code == "KS003" and "more than the 100 kspec reads" in d.message


def test_machine_renderers_survive_the_deepest_document_kspec_reads():
    from kspec.pipeline import Pipeline
    from kspec.render import pick

    nested = {"kspec": 1}
    node = nested
    for _ in range(62):
        node["a"] = {}
        node = node["a"]
    p = Pipeline(text=json.dumps(nested), file="nested.json")
    for fmt in ("json", "sarif", "full", "github"):
        assert pick(fmt)(p.diagnostics, p.document.sources)


# ------------------------------------------------------------------------------------ lint -o


def _lint_to(target, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(FULL, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "kspec.cli", "lint", str(spec), "-o", str(target)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("kind", ["directory", "missing folder"])
def test_lint_output_onto_a_directory_or_missing_folder_is_refused(tmp_path, kind):
    target = tmp_path / "out" if kind == "directory" else tmp_path / "nope" / "report.txt"
    if kind == "directory":
        target.mkdir()
    result = _lint_to(target, tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert ("it is a directory" if kind == "directory" else "does not exist") in result.stderr
    assert target.is_dir() if kind == "directory" else not target.parent.exists()


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_lint_output_to_a_device_writes_through_and_keeps_the_device(tmp_path):
    import stat

    before = os.stat("/dev/null")
    result = _lint_to("/dev/null", tmp_path)
    assert result.returncode in (0, 1), result.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_lint_output_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    result = _lint_to(link, tmp_path)
    assert result.returncode in (0, 1), result.stderr
    assert link.is_symlink() and real.read_text() != "old"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_lint_output_to_a_fifo_writes_through(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, encoding="utf-8").read()))
    reader.start()
    result = _lint_to(fifo, tmp_path)
    reader.join(timeout=60)
    assert result.returncode in (0, 1), result.stderr
    assert got and got[0]
    import stat

    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize("value", ['"strict"', "3", "[1, 2]"])
def test_tool_kspec_that_is_not_a_table(tmp_path, value):
    (tmp_path / "pyproject.toml").write_text(f"[tool]\nkspec = {value}\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(FULL, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "kspec.cli", "lint", str(spec)], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "[tool.kspec] must be a table" in result.stderr


# ------------------------------------------------------------------------------------ writes stay in the run directory

_CALLBACK_SPEC = FULL + "train:\n  callbacks:\n    - {type: %s, %s: %s}\n"


@pytest.mark.parametrize("callback,key", [("csv_logger", "filename"), ("tensorboard", "log_dir"),
                                          ("model_checkpoint", "filepath")])
@pytest.mark.parametrize("value,why", [("/tmp/elsewhere.keras", "not a path inside the run directory"),
                                       ("../../x.keras", "not a path inside the run directory"),
                                       ("logs/../../x.keras", "not a path inside the run directory"),
                                       ("history.csv", "which kspec writes itself"),
                                       ("resume/x.keras", "which kspec writes itself")])
def test_callback_outputs_stay_inside_the_run_directory(callback, key, value, why):
    from kspec.validate import validate

    doc = loads(_CALLBACK_SPEC % (callback, key, value), "spec.yaml")
    spec, diagnostics = validate(doc)
    assert spec is None
    (d,) = diagnostics
    assert why in d.message and d.path == f"train.callbacks[0].{key}" and d.span.line == 7


def test_a_link_inside_the_run_directory_cannot_lead_out(tmp_path):
    from kspec.diagnostics import KspecError
    from kspec.emit.callbacks import inside

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "logs").symlink_to(tmp_path)
    assert inside(run_dir, "tb/x") == (run_dir / "tb" / "x").resolve()
    with pytest.raises(KspecError, match="leads outside the run directory"):
        inside(run_dir, "logs/x.csv")


# ------------------------------------------------------------------------------------ array files


def _npz_spec(tmp_path, name):
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"kspec: 1\ndata: {{type: npz, path: {name}}}\n"
                    "model: {layers: [{type: Flatten}, {type: Dense, units: 2, activation: softmax}]}\n"
                    "compile: {optimizer: adam, loss: sparse_categorical_crossentropy}\n", encoding="utf-8")
    return spec


@pytest.mark.parametrize("kind", ["object", "scalar", "corrupt", "not_an_array"])
def test_hostile_npz_is_a_data_finding_at_the_file(tmp_path, kind):
    import zipfile

    import numpy as np

    from kspec.pipeline import Pipeline

    path = tmp_path / "d.npz"
    if kind == "object":
        np.savez(path, x_train=np.array([{"a": 1}, None], dtype=object), y_train=np.array([0, 1]))
    elif kind == "scalar":
        np.savez(path, x_train=np.array(3.0), y_train=np.array(1))
    elif kind == "corrupt":
        path.write_bytes(b"PK\x03\x04garbage" * 10)
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("x_train.npy", b"hello")
            z.writestr("y_train.npy", b"world")
    p = Pipeline(_npz_spec(tmp_path, "d.npz"))
    codes = [d.code for d in p.diagnostics]
    assert "KS000" not in codes, [d.message for d in p.diagnostics]
    # the file is there but cannot be used: an error at the key that names it, not "not inspected"
    (d,) = [d for d in p.diagnostics if d.code == "KS701"]
    assert d.path == "data.path" and d.span.line == 2
