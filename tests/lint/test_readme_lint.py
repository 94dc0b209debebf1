"""The `kspec lint specs/` block in README.md is what a fresh clone prints: the committed specs
and pyproject.toml alone, with no data next to them (no ../shared, no generated folders)."""

from __future__ import annotations

import re
import shutil
import subprocess

from kspec.lintcmd import run_lint
from tests.conftest import ROOT


def _readme_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"```console\n\$ kspec lint specs/\n(.*?)```", text, re.S)
    assert m, "README.md has no `$ kspec lint specs/` console block"
    return m.group(1)


def _tracked(folder: str) -> list[str] | None:
    try:
        out = subprocess.run(["git", "ls-files", "-z", folder], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    return [f for f in out.stdout.split("\0") if f] if out.returncode == 0 and out.stdout else None


def test_readme_lint_block_is_what_a_fresh_clone_prints(tmp_path, monkeypatch, capsys):
    clone = tmp_path / "clone"  # clone/../../shared and clone/data do not exist
    files = _tracked("specs")
    if files is None:  # not a git checkout (an unpacked sdist): the folder as it is
        shutil.copytree(ROOT / "specs", clone / "specs")
    for f in files or []:
        (clone / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, clone / f)
    shutil.copy2(ROOT / "pyproject.toml", clone / "pyproject.toml")  # its [tool.kspec.lint]
    monkeypatch.chdir(clone)
    code = run_lint(["specs/"])
    printed = capsys.readouterr().out
    assert code == 0
    assert printed == _readme_block(), "paste the output of `kspec lint specs/` in a fresh clone into README.md"
