"""Every rule is documented in four parts, and its documentation is executable: the Example
triggers the rule, and the Use instead is a clean spec."""

from __future__ import annotations

import re

import pytest

from kspec.analyse.lint import LintConfig, Rule
from kspec.analyse.rules import BY_CODE, RETIRED, RULES, find
from kspec.diagnostics import Severity
from kspec.docs import SECTIONS, SPEC_CODES, render_rule, sections

from .helpers import BASE, codes, lint_fragment, lint_text, merge

RULE_IDS = [r.code for r in RULES]


def _config(rule):
    """Advice rules run only when selected: their examples are linted with the rule turned on."""
    return LintConfig(select=["ALL", rule.code]) if rule.advice else None


def test_registry_codes_are_unique_stable_and_grouped():
    assert len(BY_CODE) == len(RULES), "two rules share a code"
    assert len({r.name for r in RULES}) == len(RULES), "two rules share a name"
    for rule in RULES:
        assert issubclass(rule, Rule)
        assert re.fullmatch(r"KS\d{3}", rule.code), rule.code
        assert rule.code[2] in "012345678", f"{rule.code}: group 9 is for run diagnostics, not lint rules"
        assert rule.advice == (rule.code[2] == "8"), f"{rule.code}: advice rules, and only they, are KS8xx"
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), f"{rule.code}: name must be kebab-case"
        assert isinstance(rule.severity, Severity)
        assert rule.code not in SPEC_CODES and rule.code not in RETIRED


def test_find_by_code_or_name():
    assert find("ks201") is find("last-layer-units-mismatch") is BY_CODE["KS201"]
    assert find("KS999") is None


@pytest.mark.parametrize("code", RULE_IDS)
def test_docstring_has_the_four_sections(code):
    rule = BY_CODE[code]
    found = sections(rule)
    missing = [s for s in SECTIONS if not found.get(s, "").strip()]
    assert not missing, f"{code} {rule.name}: docstring lacks {missing}"
    assert list(found) == list(SECTIONS), f"{code}: sections out of order: {list(found)}"


def test_a_missing_section_is_detected():
    class Incomplete(Rule):
        """What it does: something.

        Example:
            model: {}
        """

    found = sections(Incomplete)
    assert [s for s in SECTIONS if s not in found] == ["Why is this bad", "Use instead"]


def test_base_spec_is_clean():
    assert lint_text(BASE) == []


def test_merge_replaces_whole_sections_and_keeps_fragment_lines():
    merged = merge("model:\n  layers: [{type: Dense, units: 3}]  # here\n")
    assert merged.splitlines()[1].endswith("# here")
    assert merged.count("model:") == 1 and "data:" in merged and "compile:" in merged


@pytest.mark.parametrize("code", RULE_IDS)
def test_example_triggers_the_rule(code):
    rule = BY_CODE[code]
    found = lint_fragment(sections(rule)["Example"], config=_config(rule))
    assert not [d for d in found if d.code.startswith("KS0") and d.code != "KS090"], \
        f"{code}: the Example is not a valid spec: {[(d.code, d.message) for d in found]}"
    assert code in codes(found), f"{code}: its Example does not trigger it (found {codes(found)})"


@pytest.mark.parametrize("code", RULE_IDS)
def test_use_instead_is_clean(code):
    rule = BY_CODE[code]
    found = lint_fragment(sections(rule)["Use instead"], config=_config(rule))
    assert code not in codes(found)
    assert found == [], f"{code}: its 'Use instead' is not clean: {[(d.code, d.message) for d in found]}"


def test_rule_command_text_has_every_section():
    text = render_rule(BY_CODE["KS201"])
    assert text.startswith("KS201 last-layer-units-mismatch (default severity: error)")
    for head in SECTIONS:
        assert f"## {head}" in text
