"""The README's set-up commands work as written on a fresh clone, and CI runs them verbatim."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.conftest import ROOT


def _readme_test_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"Run the tests:\s*```sh\n(.+?)\n```", text, re.S)
    assert match, "README.md lost its 'Run the tests:' block"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command_verbatim():
    command = _readme_test_command()
    assert command == "pytest -q"
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines
    # the heavy tests the README's command leaves out still run in CI, after it
    assert ci_lines.index("pytest -q -m heavy") > ci_lines.index(command)


def test_collection_works_without_the_current_directory_on_sys_path(tmp_path):
    # The `pytest` console script, unlike `python -m pytest`, does not put the working directory
    # on sys.path; `python -P` reproduces that. Tests import `tests.conftest`, so the pytest
    # configuration must put the repository root there itself.
    result = subprocess.run(
        [sys.executable, "-P", "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/core/test_schema.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No module named 'tests'" not in result.stdout
