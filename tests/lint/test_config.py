"""Configuration: [tool.kspec.lint] select / ignore / severity / fail-on / format, the spec's own
``lint: {ignore: [...]}``, inline ``# kspec: ignore[CODE]`` comments, and KS090."""

from __future__ import annotations

import pytest

from kspec.analyse.config import load_config
from kspec.analyse.lint import LintConfig
from kspec.analyse.rules import BY_CODE
from kspec.diagnostics import KspecError, Severity

from .helpers import codes, lint_fragment, lint_text, merge

BAD_UNITS = """\
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 128, activation: relu}
    - {type: Dropout, rate: 0.8}
    - {type: Dense, units: 8, activation: softmax}
"""
"""KS501 (warning) on line 5 and KS201 (error) on line 6."""


def write_pyproject(tmp_path, body: str):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.kspec.lint]\n" + body, encoding="utf-8")
    return tmp_path


def test_no_pyproject_means_defaults(tmp_path):
    cfg, extra = load_config(tmp_path)
    assert cfg.select == ["ALL"] and cfg.ignore == [] and extra == {}


def test_pyproject_is_found_upwards_from_a_spec(tmp_path):
    write_pyproject(tmp_path, 'ignore = ["KS5"]\nfail-on = "warning"\nformat = "concise"\n')
    (tmp_path / "specs").mkdir()
    cfg, extra = load_config(tmp_path / "specs")
    assert cfg.ignore == ["KS5"] and extra == {"fail-on": "warning", "format": "concise"}


def test_select_ignore_by_code_group_and_name(tmp_path):
    write_pyproject(tmp_path, 'select = ["KS2", "high-dropout"]\nignore = ["last-layer-units-mismatch"]\n')
    cfg, _ = load_config(tmp_path)
    assert cfg.selected(BY_CODE["KS501"]) and cfg.selected(BY_CODE["KS202"])
    assert not cfg.selected(BY_CODE["KS201"]) and not cfg.selected(BY_CODE["KS101"])
    assert codes(lint_fragment(BAD_UNITS, config=cfg)) == ["KS501"]


def test_select_only_one_group(tmp_path):
    cfg = LintConfig(select=["KS2"])
    assert codes(lint_fragment(BAD_UNITS, config=cfg)) == ["KS201"]


def test_per_rule_severity(tmp_path):
    write_pyproject(tmp_path, '[tool.kspec.lint.severity]\nKS501 = "error"\nlast-layer-units-mismatch = "info"\n')
    cfg, _ = load_config(tmp_path)
    found = {d.code: d.severity for d in lint_fragment(BAD_UNITS, config=cfg)}
    assert found == {"KS501": Severity.ERROR, "KS201": Severity.INFO}


@pytest.mark.parametrize("body, says", [
    ('selct = ["KS2"]\n', "did you mean 'select'"),
    ('select = ["KS2O1"]\n', "did you mean 'KS201'"),
    ('ignore = ["hihg-dropout"]\n', "did you mean 'high-dropout'"),
    ('select = "KS2"\nignore = [1]\n', "must be a list"),
    ('fail-on = "errors"\n', "fail-on = 'errors' is not one of"),
    ('format = "xml"\n', "format = 'xml' is not one of"),
    ('[tool.kspec.lint.severity]\nKS501 = "fatal"\n', "is not one of error, warning, info"),
    ('[tool.kspec.lint.severity]\nKS5 = "error"\n', "must name one rule"),
    ('select = [\n', "fix the TOML syntax"),
])
def test_bad_config_is_a_clear_error(tmp_path, body, says):
    write_pyproject(tmp_path, body)
    with pytest.raises(KspecError) as e:
        load_config(tmp_path)
    assert says in str(e.value)


def test_spec_ignore_list_by_code_and_name():
    fragment = BAD_UNITS + "lint:\n  ignore: [KS201, high-dropout]\n"
    assert lint_fragment(fragment) == []


def test_inline_comment_suppresses_the_finding_on_its_line():
    fragment = BAD_UNITS.replace("units: 8, activation: softmax}", "units: 8, activation: softmax}  # kspec: ignore[KS201]")
    assert codes(lint_fragment(fragment)) == ["KS501"]
    by_name = BAD_UNITS.replace("rate: 0.8}", "rate: 0.8}  # kspec: ignore[high-dropout, KS201]")
    found = lint_fragment(by_name)
    assert [(d.code, d.span.line) for d in found] == [("KS090", 5), ("KS201", 6)], \
        "KS201 is on line 6, so the comment on line 5 suppresses nothing for it"


def test_a_comment_on_another_line_does_not_suppress():
    fragment = BAD_UNITS.replace("- {type: Flatten}", "- {type: Flatten}  # kspec: ignore[KS201]")
    assert sorted(codes(lint_fragment(fragment))) == ["KS090", "KS201", "KS501"]


def test_unused_suppressions_are_reported_with_their_place():
    fragment = BAD_UNITS + "lint:\n  ignore: [KS201, KS404, nonsense]\n"
    found = [d for d in lint_fragment(fragment) if d.code == "KS090"]
    assert [(d.span.line, d.message) for d in found] == [
        (8, "lint.ignore lists 'KS404', which suppresses no finding in this spec"),
        (8, "'nonsense' is not a kspec rule code or name"),
    ]
    assert found[0].path == "lint.ignore[1]" and found[0].span.col == 19


def test_unused_suppression_of_a_rule_that_did_not_run_is_not_reported():
    fragment = merge("lint:\n  ignore: [KS404]\n")
    assert codes(lint_text(fragment, config=LintConfig(ignore=["KS4"]))) == []
    assert codes(lint_text(fragment)) == ["KS090"]


def test_ks090_itself_can_be_ignored_or_made_an_error():
    fragment = merge("lint:\n  ignore: [KS404]\n")
    assert codes(lint_text(fragment, config=LintConfig(ignore=["unused-suppression"]))) == []
    found = lint_text(fragment, config=LintConfig(severity={"KS090": "error"}))
    assert [(d.code, d.severity) for d in found] == [("KS090", Severity.ERROR)]
