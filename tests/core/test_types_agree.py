"""kspec and its exported JSON Schema accept and reject the same documents.

Documents are drawn by mutating every shipped spec (parts composed in): a value anywhere in the
tree is replaced by a value of another JSON type (``true`` for a number, ``"128"`` for an integer,
``5.0`` for an integer, ``null``, a list, a mapping, ...), a key is removed or an unknown one added.
For each, kspec's verdict (``validate``) must equal the schema's (``jsonschema`` with the schema's
own dialect). The schema is what editors and check-jsonschema enforce; a document one accepts and
the other refuses is a bug in one of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kspec.parse import Document, load
from kspec.validate import validate
from tests.conftest import ROOT, example_specs

SCHEMA = json.loads((ROOT / "schemas" / "kspec.schema.json").read_text())
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)

# Checks a JSON Schema cannot express; a document refused only for one of these is not a disagreement.
BEYOND_SCHEMA = ("only one entry may be -1",)


def _bases() -> list[dict]:
    out = []
    for path in example_specs():
        doc = load(path)
        assert doc.ok, path
        out.append(doc.data)
    return out


BASES = _bases()


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _copy(node):
    return json.loads(json.dumps(node))


def _set(doc, path, value):
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _delete(doc, path):
    node = doc
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


SCALARS = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(-3, 300),
    st.sampled_from([0.0, 1.0, 2.0, 5.0, 0.5, 0.95, -1.5, 1e-3, 128.0]),
    st.sampled_from(["1", "5", "128", "0.95", "true", "1/255", "relu", "adam", "x.yaml", "", "test"]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.sampled_from(["type", "units", "name", "bogus"]), SCALARS, max_size=2),
)


@st.composite
def mutants(draw):
    doc = _copy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 2))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
        if action == "replace":
            _set(doc, path, draw(VALUES))
        elif action == "delete" and isinstance(path[-1], str):
            _delete(doc, path)
        else:
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict):
                parent[draw(st.sampled_from(["bogus", "unit", "epoch"]))] = draw(SCALARS)
    return doc


def _kspec_accepts(doc: dict) -> tuple[bool, list[str]]:
    spec, diagnostics = validate(Document(file="<generated>", data=_copy(doc)))
    return spec is not None, [d.message for d in diagnostics]


def _schema_accepts(doc: dict) -> tuple[bool, list[str]]:
    errors = [e.message for e in VALIDATOR.iter_errors(doc)]
    return not errors, errors


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutants())
def test_kspec_and_the_schema_agree_on_mutated_specs(doc):
    ours, our_messages = _kspec_accepts(doc)
    theirs, their_messages = _schema_accepts(doc)
    if not ours and theirs and all(any(b in m for b in BEYOND_SCHEMA) for m in our_messages):
        return
    assert ours == theirs, f"kspec: {our_messages or 'accepts'}; schema: {their_messages or 'accepts'}"


@pytest.mark.parametrize("path,value", [
    (("train", "epochs"), True), (("train", "epochs"), "5"), (("kspec",), "1"),
    (("data", "rescale"), True), (("model", "layers", 1, "units"), "128"),
    (("train", "callbacks", 0, "threshold"), "0.95"),
])
def test_no_coercion_and_the_message_names_the_place(path, value):
    doc = _copy(next(b for b in BASES if b.get("name") == "fashion_mnist_mlp"))
    _set(doc, path, value)
    ours, messages = _kspec_accepts(doc)
    theirs, _ = _schema_accepts(doc)
    assert not ours and not theirs
    where = ".".join(p if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
    assert any(m.startswith(f"{where}: expected") for m in messages), messages


def test_a_whole_float_is_an_integer_for_both():
    doc = _copy(next(b for b in BASES if b.get("name") == "fashion_mnist_mlp"))
    _set(doc, ("train", "epochs"), 5.0)
    assert _kspec_accepts(doc)[0] and _schema_accepts(doc)[0]
    spec, _ = validate(Document(file="<generated>", data=doc))
    assert spec.train.epochs == 5 and type(spec.train.epochs) is int


@pytest.mark.skipif(shutil.which("check-jsonschema") is None, reason="check-jsonschema is not installed")
def test_check_jsonschema_agrees(tmp_path):
    base = next(b for b in BASES if b.get("name") == "fashion_mnist_mlp")
    cases = {"good": (base, True)}
    for name, (path, value) in {"bool_epochs": (("train", "epochs"), True),
                                "str_units": (("model", "layers", 1, "units"), "128"),
                                "str_version": (("kspec",), "1")}.items():
        doc = _copy(base)
        _set(doc, path, value)
        cases[name] = (doc, False)
    for name, (doc, valid) in cases.items():
        f = tmp_path / f"{name}.json"
        f.write_text(json.dumps(doc))
        result = subprocess.run(["check-jsonschema", "--schemafile", str(ROOT / "schemas" / "kspec.schema.json"), str(f)],
                                capture_output=True, text=True, timeout=120)
        assert (result.returncode == 0) == valid == _kspec_accepts(doc)[0], (name, result.stdout)
