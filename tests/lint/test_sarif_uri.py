"""SARIF locations are valid URI references (RFC 3986) for any file name, and name the file."""

from __future__ import annotations

import json
import os
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest

from kspec.pipeline import Pipeline
from kspec.render import pick

NAMES = ["a b.yaml", "café.yaml", "100%.yaml", "x#1.yaml", "what?.yaml", "c:x.yaml", "sub dir/ü #?.yaml"]
SPEC = "kspec: 1\ndata: {type: keras, name: mnist}\nmodel: {layers: [{type: Flatten}, {type: Dense, units: 3}]}\n" \
       "compile: {optimizer: adam, loss: sparse_categorical_crossentropy}\n"


def _uris(sarif: dict) -> list[str]:
    return [loc["physicalLocation"]["artifactLocation"]["uri"]
            for run in sarif["runs"] for result in run["results"] for loc in result["locations"]]


def test_the_format_checker_can_tell():
    checker = jsonschema.FormatChecker()
    if "uri-reference" not in checker.checkers:
        pytest.skip("no RFC 3986 checker installed (rfc3986-validator)")
    assert not checker.conforms("a b.yaml", "uri-reference")
    assert checker.conforms("a%20b.yaml", "uri-reference")


@pytest.mark.parametrize("name", NAMES)
def test_sarif_uri_is_an_encoded_reference_to_the_file(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SPEC, encoding="utf-8")
    p = Pipeline(os.path.relpath(path))
    assert p.diagnostics, "the spec should have findings"
    (uri, *_) = _uris(json.loads(pick("sarif")(p.diagnostics, p.document.sources)))
    checker = jsonschema.FormatChecker()
    if "uri-reference" in checker.checkers:
        assert checker.conforms(uri, "uri-reference"), uri
    parts = urlsplit(uri)
    assert parts.scheme == "" and parts.query == "" and parts.fragment == "", uri  # relative, one path
    assert unquote(parts.path) == name


def test_sarif_uri_outside_the_working_folder_is_a_file_uri(tmp_path, monkeypatch):
    folder = tmp_path / "far away"
    folder.mkdir()
    path = folder / "spec #1.yaml"
    path.write_text(SPEC, encoding="utf-8")
    monkeypatch.chdir(tmp_path.parent)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    p = Pipeline(path)
    (uri, *_) = _uris(json.loads(pick("sarif")(p.diagnostics, p.document.sources)))
    assert uri.startswith("file:///") and " " not in uri and "#" not in uri
    assert unquote(urlsplit(uri).path) == str(path)


def test_github_annotations_keep_the_plain_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a b.yaml").write_text(SPEC, encoding="utf-8")
    p = Pipeline("a b.yaml")
    out = pick("github")(p.diagnostics, p.document.sources)
    assert "file=a b.yaml," in out
