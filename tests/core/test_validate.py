"""Invalid specs: every fixture line marked `# error: CODE [path]` must be reported at that line,
with that code and logical path; nothing else may be reported."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kspec.pipeline import Pipeline
from tests.conftest import FIXTURES

INVALID = FIXTURES / "invalid"
_MARK = re.compile(r"#\s*error:\s*(KS\d{3})(?:\s+(\S+))?")


def expected(path: Path) -> set[tuple]:
    out = set()
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        m = _MARK.search(line)
        if m:
            out.add((lineno, m.group(1), m.group(2) or ""))
    return out


YAML_FIXTURES = sorted(INVALID.glob("*.yaml"))


@pytest.mark.parametrize("fixture", YAML_FIXTURES, ids=lambda p: p.name)
def test_fixture_reports_exactly_its_marked_errors(fixture):
    want = expected(fixture)
    assert want, f"{fixture.name} has no `# error:` marks"
    got = {(d.span.line, d.code, d.path) for d in Pipeline(fixture).spec_diagnostics}
    # a mark without a path matches any path on that line
    got_cmp = {(l, c, p if any(w == (l, c, p) for w in want) else "") for l, c, p in got}
    missing, extra = want - got_cmp, got_cmp - want
    assert not missing and not extra, f"missing: {sorted(missing)}\nunexpected: {sorted(extra)}"


def test_json_unknown_key_with_did_you_mean():
    diags = Pipeline(INVALID / "unknown_keys.json").spec_diagnostics
    unknown = [d for d in diags if d.code == "KS011"]
    assert len(unknown) == 1
    d = unknown[0]
    assert (d.span.line, d.span.col) == (7, 25)
    assert d.path == "model.layers[1].unit"
    assert "did you mean 'units'" in d.message


def test_json_syntax_error_has_a_line():
    (d,) = Pipeline(INVALID / "bad_syntax.json").spec_diagnostics
    assert d.code == "KS001" and d.span.line == 5 and "JSON" in d.message


@pytest.mark.parametrize("text,fragment", [
    ("kspec: 1\ndata: {type: keras, name: mnist}\nmodel:\n  layers: [{type: Dense, units: 3, activation: rellu}]\ncompile: {optimizer: adam, loss: mse}\n",
     "did you mean 'relu'"),
    ("kspec: 1\ndata: {type: keras, name: mnist}\nmodel:\n  layers: [{type: Conv2d, filters: 3, kernel_size: 3}]\ncompile: {optimizer: adam, loss: mse}\n",
     "did you mean 'Conv2D'"),
    ("kspec: 1\ndata: {type: keras, name: mnist}\nmodel:\n  layers: [{type: Dense, units: 3}]\ncompile: {optimizer: RMSProp, loss: mse}\n",
     "did you mean 'rmsprop'"),
    ("kspec: 1\ndata: {type: keras, name: mnist}\nmodel:\n  layers: [{type: Dense, units: 3}]\ncompile: {optimizer: adam, loss: binary_crossentropyy}\n",
     "did you mean 'binary_crossentropy'"),
    ("kspec: 1\ndata: {type: keras, name: mnist}\nmodel:\n  layers: [{type: Dense, units: 3}]\ncompile: {optimizer: adam, loss: mse}\ntrain:\n  callbacks: [{type: early_stoping}]\n",
     "did you mean 'early_stopping'"),
])
def test_did_you_mean(text, fragment):
    diags = Pipeline(text=text, file="t.yaml").spec_diagnostics
    assert any(fragment in d.message for d in diags), [d.message for d in diags]


def test_every_problem_reported_in_one_pass():
    diags = Pipeline(INVALID / "bad_values.yaml").spec_diagnostics
    assert len(diags) == 6


def test_valid_spec_has_no_diagnostics(spec_file):
    p = Pipeline(spec_file("kspec: 1\ndata: {type: keras, name: mnist, rescale: 1/255}\nmodel:\n  layers: [{type: Flatten}, {type: Dense, units: 10, activation: softmax}]\ncompile: {optimizer: adam, loss: sparse_categorical_crossentropy}\n"))
    assert p.spec_diagnostics == []
    assert p.spec.data.rescale == pytest.approx(1 / 255)


def test_empty_and_non_mapping_specs(spec_file):
    assert Pipeline(spec_file("")).spec_diagnostics[0].code == "KS005"
    assert Pipeline(spec_file("- a\n- b\n")).spec_diagnostics[0].code == "KS005"


def test_missing_spec_file(tmp_path):
    (d,) = Pipeline(tmp_path / "nope.yaml").spec_diagnostics
    assert d.code == "KS003"
