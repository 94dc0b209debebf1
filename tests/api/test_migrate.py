"""`kspec migrate`: version-1 specs are current and untouched; the migration machinery, driven by
a synthetic version-2 step, rewrites a spec and its part files keeping every comment and line it
does not change."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kspec.migrate as migrate_mod
from kspec.cli import app
from kspec.diagnostics import KspecError
from kspec.migrate import Step, migrate_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "specs").glob("*.yaml"))


def renaming(old: str, new: str):
    """A section edit of the synthetic step: key ``old`` becomes ``new``, in place, with its comment."""

    def edit(section) -> list[str]:
        if old not in section:
            return []
        pos = list(section).index(old)
        comment = section.ca.items.pop(old, None)
        section.insert(pos, new, section.pop(old))
        if comment is not None:
            section.ca.items[new] = comment
        return [f"{old} renamed {new}"]

    return edit


SYNTHETIC = Step(1, "train.epochs is called train.num_epochs",
                 sections={"train": renaming("epochs", "num_epochs"), "compile": renaming("metrics", "metric_names")})


@pytest.fixture
def specs(tmp_path):
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    return tmp_path / "specs"


def comments(text: str) -> list[str]:
    return [line[line.index("#"):] for line in text.splitlines() if "#" in line]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_at_version_1_is_current_and_untouched(example, specs):
    path = specs / example.name
    before = path.read_text()
    mig = migrate_file(path)
    assert mig.version == 1 and mig.current and mig.texts == {}
    assert "already current (kspec: 1)" in mig.render()
    result = CliRunner().invoke(app, ["migrate", "--write", str(path)])
    assert result.exit_code == 0 and "already current" in result.output
    assert path.read_text() == before


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_a_synthetic_step_changes_only_what_it_migrates(example, specs):
    path = specs / example.name
    mig = migrate_file(path, steps=[SYNTHETIC], target=2)
    assert not mig.current and mig.changes[0] == "1 -> 2: train.epochs is called train.num_epochs"
    assert path in mig.texts
    for file, (before, after) in mig.texts.items():
        assert comments(after) == comments(before), f"comments kept in {file.name}"
        changed = [l for l in difflib.ndiff(before.splitlines(), after.splitlines()) if l[:2] in ("- ", "+ ")]
        removed = [l[2:] for l in changed if l.startswith("- ")]
        added = [l[2:] for l in changed if l.startswith("+ ")]
        assert len(removed) == len(added) <= 3, (file.name, changed)  # kspec:, epochs, metrics
        for old, new in zip(removed, added):  # (a comment after the value keeps its column)
            assert " ".join(new.split()) in (" ".join(o.split()) for o in (
                old.replace("kspec: 1", "kspec: 2"), old.replace("epochs", "num_epochs", 1),
                old.replace("metrics", "metric_names", 1)))
    if any("epochs" in c for c in mig.changes[1:]):
        assert any("num_epochs" in after for _, after in mig.texts.values())


def test_part_files_are_migrated_with_their_spec(specs):
    mig = migrate_file(specs / "mnist_mlp.yaml", steps=[SYNTHETIC], target=2)
    part = specs / "parts" / "adam_sparse.yaml"
    assert part in mig.texts and "compile: metrics renamed metric_names (in adam_sparse.yaml)" in mig.changes
    before, after = mig.texts[part]
    assert "metric_names:" in after and "kspec:" not in after, "a part file carries no version"
    assert comments(after) == comments(before)


def test_the_cli_writes_a_migration_and_check_reports_stale_specs(specs, monkeypatch):
    monkeypatch.setattr(migrate_mod, "STEPS", [SYNTHETIC])
    monkeypatch.setattr(migrate_mod, "FORMAT_VERSION", 2)
    path = specs / "hello.yaml"
    before = path.read_text()
    shown = CliRunner().invoke(app, ["migrate", str(path)])
    assert shown.exit_code == 0 and "version 1 -> 2" in shown.output and "+  num_epochs: 500" in shown.output
    assert path.read_text() == before, "without --write nothing is written"
    assert CliRunner().invoke(app, ["migrate", "--check", str(path)]).exit_code == 1
    written = CliRunner().invoke(app, ["migrate", "--write", str(path)])
    assert written.exit_code == 0 and f"wrote {path}" in written.output
    after = path.read_text()
    assert "kspec: 2" in after and "num_epochs: 500" in after and comments(after) == comments(before)
    assert CliRunner().invoke(app, ["migrate", "--check", str(path)]).exit_code == 0


def test_newer_or_malformed_versions_are_refused(tmp_path):
    newer = tmp_path / "newer.yaml"
    newer.write_text("kspec: 9\nname: x\n")
    with pytest.raises(KspecError, match="written for format version 9"):
        migrate_file(newer)
    odd = tmp_path / "odd.yaml"
    odd.write_text("kspec: one\n")
    result = CliRunner().invoke(app, ["migrate", str(odd)])
    assert result.exit_code == 2 and "is not a format version" in result.output
    bare = tmp_path / "bare.yaml"
    bare.write_text("name: x  # no version field\nmodel: {layers: []}\n")
    assert "read as version 1" in migrate_file(bare).render()


def test_a_null_in_a_block_mapping_stays_written_as_null(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("kspec: 1\ndata: {type: synthetic}\nmodel:\n  layers:\n    - type: Dense\n      units: 4\n"
                    "      bias_initializer: null  # kept\ncompile: {optimizer: adam, loss: mse}\n"
                    "train:\n  epochs: 3\n  seed: null\n")
    before, after = migrate_file(path, steps=[SYNTHETIC], target=2).texts[path]
    assert "      bias_initializer: null  # kept\n" in after and "  seed: null\n" in after and "num_epochs: 3" in after
