"""Reporters: golden snapshots of every format for a few representative specs, the SARIF schema,
the JSON fields, GitHub escaping and ``auto``.

Regenerate the snapshots after an intended change with ``KSPEC_UPDATE_GOLDEN=1 pytest tests/lint``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kspec import __version__
from kspec.analyse.rules import RULES
from kspec.diagnostics import Diagnostic, Related, Severity, Span
from kspec.pipeline import Pipeline
from kspec.render import REPORTERS, pick, resolve_name
from kspec.render.machine import JSON_VERSION

from .helpers import LINT_FIXTURES

GOLDEN = Path(__file__).parent / "golden"
SARIF_SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "sarif-schema-2.1.0.json"
UPDATE = os.environ.get("KSPEC_UPDATE_GOLDEN") == "1"

SPECS = ["fashion_mlp_mistakes.yaml", "composed.yaml", "suppressions.yaml", "clean_binary_folder.yaml"]
FORMATS = {"full": "txt", "concise": "txt", "json": "json", "github": "txt", "sarif": "json"}


@pytest.fixture
def in_fixtures(monkeypatch):
    monkeypatch.chdir(LINT_FIXTURES)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def lint(name: str) -> tuple[list[Diagnostic], dict[str, str]]:
    p = Pipeline(name)
    return p.diagnostics, p.document.sources


def _normalise(text: str) -> str:
    text = text.replace(Path.cwd().resolve().as_uri(), "file:///SRCROOT")
    return text.replace(f'"{__version__}"', '"<version>"')


def _sarif_snapshot(text: str) -> str:
    """The results and the rule ids: rule help text is tested by the docs tests, not snapshotted."""
    doc = json.loads(text)
    run = doc["runs"][0]
    keep = {"rule_ids": [r["id"] for r in run["tool"]["driver"]["rules"]], "results": run["results"]}
    return json.dumps(keep, indent=2) + "\n"


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("spec", SPECS)
def test_golden(spec, fmt, in_fixtures):
    diagnostics, sources = lint(spec)
    rendered = pick(fmt)(diagnostics, sources)
    if fmt == "sarif":
        rendered = _sarif_snapshot(rendered)
    rendered = _normalise(rendered)
    path = GOLDEN / f"{Path(spec).stem}.{fmt}.{FORMATS[fmt]}"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with KSPEC_UPDATE_GOLDEN=1"
    assert rendered == path.read_text(encoding="utf-8"), f"{path.name} differs (KSPEC_UPDATE_GOLDEN=1 updates it)"


def _sample() -> list[Diagnostic]:
    return [
        Diagnostic("KS201", "last-layer-units-mismatch", Severity.ERROR, "8 units, 10 classes: 100% wrong",
                   path="model.layers[2].units", span=Span("specs/a.yaml", 8, 28, 8, 29), hint="set units: 10",
                   related=(Related("the data has 10 classes", Span("specs/a.yaml", 3, 27, 3, 40), "data.name"),),
                   data={"received": 8, "expected": "10"}),
        Diagnostic("KS306", "little-data", Severity.INFO, "few\nsamples", path="model.layers",
                   span=Span("specs/b.yaml", 5, 3)),
        Diagnostic("KS011", "unknown-key", Severity.ERROR, "unknown key 'unit'", path="model.layers[0].unit",
                   span=Span("specs/c.yaml", 2, 5, 2, 9)),
    ]


def test_json_has_version_and_every_field():
    doc = json.loads(pick("json")(_sample(), {}))
    assert doc["version"] == JSON_VERSION
    assert doc["summary"] == {"info": 1, "warning": 0, "error": 2, "files": ["specs/a.yaml", "specs/b.yaml", "specs/c.yaml"]}
    first = doc["diagnostics"][0]
    assert set(first) == {"code", "name", "severity", "message", "path", "span", "hint", "related", "data"}
    assert first["span"] == {"file": "specs/a.yaml", "line": 8, "col": 28, "end_line": 8, "end_col": 29}
    assert first["related"] == [{"message": "the data has 10 classes", "path": "data.name",
                                 "span": {"file": "specs/a.yaml", "line": 3, "col": 27, "end_line": 3, "end_col": 40}}]
    assert first["data"] == {"received": 8, "expected": "10"}


def _sarif_validator():
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SARIF_SCHEMA} (../shared is absent)")
    import jsonschema

    return jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")),
                                      format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("spec", SPECS)
def test_sarif_is_valid_against_the_schema(spec, in_fixtures):
    validator = _sarif_validator()
    diagnostics, sources = lint(spec)
    doc = json.loads(pick("sarif")(diagnostics, sources))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:10])


def test_sarif_rules_one_entry_per_code_with_help():
    validator = _sarif_validator()
    doc = json.loads(pick("sarif")(_sample(), {}))
    assert not list(validator.iter_errors(doc))
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)), "one rules entry per code"
    assert set(ids) == {r.code for r in RULES} | {"KS011"}
    ks201 = rules[ids.index("KS201")]
    assert ks201["name"] == "last-layer-units-mismatch"
    assert ks201["defaultConfiguration"]["level"] == "error"
    for head in ("What it does:", "Why is this bad:", "Example:", "Use instead:"):
        assert head in ks201["help"]["text"]
    assert "```yaml" in ks201["help"]["markdown"]
    result = run["results"][0]
    assert result["ruleId"] == "KS201" and ids[result["ruleIndex"]] == "KS201"
    assert result["level"] == "error" and run["results"][1]["level"] == "note"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 8, "startColumn": 28, "endLine": 8, "endColumn": 29}
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "model.layers[2].units"
    assert result["relatedLocations"][0]["message"]["text"] == "the data has 10 classes"
    assert "help: set units: 10" in result["message"]["text"]


def test_github_annotations_escape_data_and_properties():
    out = pick("github")(_sample(), {}).splitlines()
    assert out[0] == ("::error file=specs/a.yaml,line=8,col=28,endLine=8,endColumn=29,"
                      "title=KS201 last-layer-units-mismatch::8 units, 10 classes: 100%25 wrong%0Ahelp: set units: 10")
    assert out[1] == "::notice file=specs/b.yaml,line=5,col=3,title=KS306 little-data::few%0Asamples"
    assert out[-1] == "found 2 errors, 1 info"


def test_auto_picks_github_under_actions(monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert resolve_name("auto") == "github" and pick("auto") is REPORTERS["github"]
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    assert resolve_name("auto") == "full"
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert pick("auto") is REPORTERS["full"]


def test_full_format_has_a_code_frame():
    source = "kspec: 1\n" * 7 + "    - {type: Dense, units: 8, activation: softmax}\n"
    out = pick("full")(_sample()[:1], {"specs/a.yaml": source})
    assert "specs/a.yaml:8:28: error[KS201]" in out
    assert " 8 |     - {type: Dense, units: 8, activation: softmax}" in out
    assert "   |                            ^" in out
    assert "= note: specs/a.yaml:3:27: the data has 10 classes" in out
    assert "= help: set units: 10" in out


def test_every_reporter_handles_no_findings():
    for name, reporter in REPORTERS.items():
        out = reporter([], {})
        assert out.endswith("\n"), name
