"""docs/lint.md stays true: its rule table is the registry's, and the pre-commit hook it shows
exists as .pre-commit-hooks.yaml declares it."""

from __future__ import annotations

from pathlib import Path

from kspec.analyse.rules import RULES
from kspec.docs import main, rules_table, table_in, with_table

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "lint.md"


def test_rule_table_matches_the_registry():
    table = table_in(DOC.read_text(encoding="utf-8"))
    assert table is not None, "docs/lint.md lost its rules:start / rules:end markers"
    assert table == rules_table(), "docs/lint.md's rule table is stale: run `python -m kspec.docs docs/lint.md`"
    for rule in RULES:
        assert f"| {rule.code} | `{rule.name}` | {rule.severity.value} |" in table


def test_table_rewrite_is_idempotent(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("intro\n<!-- rules:start -->\nold\n<!-- rules:end -->\nafter\n")
    assert main([str(doc)]) == 0
    text = doc.read_text()
    assert text.startswith("intro\n<!-- rules:start -->\n| Code |") and text.endswith("<!-- rules:end -->\nafter\n")
    assert with_table(text) == text


def test_docs_show_precommit_and_sarif_upload():
    text = DOC.read_text(encoding="utf-8")
    assert "kspec lint specs/" in text
    assert "hooks: [{id: kspec-lint}]" in text
    assert "kspec lint --format sarif -o kspec.sarif specs/" in text
    assert "github/codeql-action/upload-sarif" in text


def test_precommit_hook_definition():
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe", pure=True).load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "kspec-lint" and hook["language"] == "python" and hook["entry"] == "kspec lint"
    assert hook["files"] == r"\.(ya?ml|json)$"
