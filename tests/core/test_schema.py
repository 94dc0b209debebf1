"""The exported JSON Schema tells the truth: it is current, it accepts every example spec, it
rejects what Pydantic rejects, and every document it accepts is accepted by Pydantic too."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis_jsonschema import from_schema
from ruamel.yaml import YAML

from kspec.schema import build, check_schemas
from kspec.spec import PART_MODELS, Spec
from tests.conftest import FIXTURES, ROOT, SPECS, example_specs

SCHEMAS = ROOT / "schemas"


def _raw(path):
    return YAML(typ="safe", pure=True).load(path.read_text())


def _validator(name: str):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_committed_schemas_are_current():
    assert check_schemas(SCHEMAS, ROOT / "docs") == [], "run `kspec schema` and commit schemas/ and docs/"


def test_schema_has_versioned_id_and_is_strict():
    schema = build("kspec")
    assert schema["$id"].endswith("/v1/kspec.schema.json")
    assert schema["additionalProperties"] is False
    for name, definition in schema["$defs"].items():
        if "properties" in definition and "allOf" not in definition:  # a tagged union's branches are strict
            assert definition.get("additionalProperties") is False, name


@pytest.mark.parametrize("spec", example_specs(), ids=lambda p: p.name)
def test_schema_accepts_example_specs(spec):
    errors = list(_validator("kspec").iter_errors(_raw(spec)))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("part", sorted((SPECS / "parts").glob("*.yaml")), ids=lambda p: p.name)
def test_schema_accepts_part_files(part):
    raw = _raw(part)
    assert any(not list(_validator(name).iter_errors(raw)) for name in PART_MODELS), part.name


SCHEMA_INVALID = ["unknown_keys.yaml", "bad_names.yaml", "bad_values.yaml", "missing_keys.yaml",
                  "missing_section.yaml", "wrong_types.yaml", "future_version.yaml", "unknown_keys.json"]


@pytest.mark.parametrize("name", SCHEMA_INVALID)
def test_schema_rejects_what_pydantic_rejects(name):
    raw = _raw(FIXTURES / "invalid" / name)
    with pytest.raises(Exception):
        Spec.model_validate(raw)
    assert list(_validator("kspec").iter_errors(raw)), f"schema accepted {name}"


def test_schema_error_names_the_right_branch():
    raw = {"kspec": 1, "data": {"type": "keras", "name": "mnist"},
           "model": {"layers": [{"type": "Dense", "unit": 3}]},
           "compile": {"optimizer": "adam", "loss": "mse"}}
    messages = [e.message for e in _validator("kspec").iter_errors(raw)]
    assert any("'unit'" in m for m in messages), messages


def _any_of(node):
    """Pydantic's schema with each tagged ``oneOf`` as ``anyOf``: the same documents (branches are
    disjoint by their ``type`` constant) but far cheaper for hypothesis-jsonschema to draw from."""
    if isinstance(node, list):
        return [_any_of(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _any_of(v) for k, v in node.items()}
    if node.pop("discriminator", None) is not None and "oneOf" in node:
        node["anyOf"] = node.pop("oneOf")
    return node


DRAWN_LAYERS = {"Dense", "Conv2D", "SpectralNormalization", "Conv1D", "LSTM", "GRU", "Bidirectional", "TimeDistributed", "Embedding",
                "BatchNormalization", "Dropout", "Reshape", "GlobalAveragePooling1D", "MaxPooling2D", "Flatten"}
"""Layer types drawn for the model part: hypothesis-jsonschema cannot canonicalise the union of the
whole vocabulary in reasonable time (every layer is checked against Keras in test_shapes_keras)."""


def _few_layers(schema):
    """The schema with each layer union cut down to DRAWN_LAYERS, and the definitions left unused removed."""
    defs = schema.get("$defs", {})
    for name in ("Layer", "InnerLayer", "RecurrentLayer", "KernelLayer"):
        union = defs.get(name)
        if not union or "oneOf" not in union:
            continue
        keep = [b for b in union["oneOf"] if b["$ref"].split("/")[-1] in DRAWN_LAYERS]
        union["oneOf"] = keep
        mapping = union.get("discriminator", {}).get("mapping", {})
        union["discriminator"]["mapping"] = {k: v for k, v in mapping.items() if v in [b["$ref"] for b in keep]}
    used, todo = set(), [{k: v for k, v in schema.items() if k != "$defs"}]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/") and ref.split("/")[-1] not in used:
                used.add(ref.split("/")[-1])
                todo.append(defs[ref.split("/")[-1]])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    schema["$defs"] = {k: v for k, v in defs.items() if k in used}
    return schema


BASE = {"kspec": 1, "data": {"type": "synthetic", "samples": 64, "image_size": 16, "rescale": "1/255"},
        "model": {"layers": [{"type": "Flatten"}, {"type": "Dense", "units": 4, "activation": "softmax"}]},
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}}


def _piecewise_lengths_differ(node) -> bool:
    """A PiecewiseConstantDecay whose ``values`` is not one longer than its ``boundaries``: the one
    compile constraint JSON Schema cannot state (kspec refuses it; the schema cannot)."""
    if isinstance(node, list):
        return any(_piecewise_lengths_differ(n) for n in node)
    if not isinstance(node, dict):
        return False
    if isinstance(node.get("boundaries"), list) and isinstance(node.get("values"), list):
        if len(node["values"]) != len(node["boundaries"]) + 1:
            return True
    return any(_piecewise_lengths_differ(v) for v in node.values())


@pytest.mark.parametrize("part,examples", [
    ("compile", 40), ("train", 30), ("data", 30)])
def test_schema_valid_documents_are_model_valid_and_lint_never_crashes(part, examples):
    from hypothesis import strategies as st
    from pydantic import TypeAdapter

    from kspec.pipeline import Pipeline

    adapter = TypeAdapter(PART_MODELS[part])
    exported = _validator(part)
    schema = _few_layers(adapter.json_schema(mode="validation"))
    if part == "compile":
        # hypothesis-jsonschema needs minutes for the optimizer / loss / metric unions: draw from
        # the schema with the branch walker instead (every document it gives is checked against
        # the exported schema below)
        @st.composite
        def walked(draw):
            return _draw(_Drawer(draw), schema, schema["$defs"])

        strategy = walked()
    else:
        strategy = from_schema(_any_of(schema))

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(strategy)
    def check(doc):
        try:
            json.dumps(doc, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            assume(False)  # lone surrogates cannot occur in a UTF-8 spec file
        assert not list(exported.iter_errors(doc)), "generated document must satisfy the exported schema"
        assume(not _piecewise_lengths_differ(doc))
        value = adapter.validate_python(doc)
        dumped = adapter.dump_python(value, mode="json")
        assert adapter.validate_python(dumped) == value
        if part == "data" and doc.get("type") in ("npz", "npy", "idx", "image_folder"):
            return  # these name files that do not exist; facts stay unknown (covered elsewhere)
        spec = dict(BASE, **{part: doc})
        p = Pipeline(text=json.dumps(spec), file="generated.json")
        assert p.spec_diagnostics == []
        crashed = [d for d in p.diagnostics if d.code == "KS000"]
        assert not crashed, crashed[0].message

    check()


# ------------------------------------------------------------------ layers, one branch at a time
#
# hypothesis-jsonschema needs minutes for the layer union (and for single weighted layers, whose
# argument objects are unions too), so layer documents are drawn by a small generator that walks
# one branch of the schema Pydantic makes ($defs/<Layer type>), nested layer unions cut down to a
# few types; then mutated (an unknown key, a wrong type, true for an integer, a string for a
# number, a required key dropped). Each document is judged by kspec and by the exported
# model.schema.json, which must agree.


class _Drawer:
    """``draw`` of a composite strategy with the ``data.draw`` spelling :func:`_draw` uses."""

    def __init__(self, draw):
        self.draw = draw


def _draw(data, node, defs, depth=0):
    """A value for the JSON Schema ``node`` (the subset Pydantic writes), drawn from ``data``."""
    from hypothesis import strategies as st

    if "$ref" in node:
        return _draw(data, defs[node["$ref"].split("/")[-1]], defs, depth)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return data.draw(st.sampled_from(node["enum"]))
    for key in ("anyOf", "oneOf"):
        if key in node:
            return _draw(data, data.draw(st.sampled_from(node[key])), defs, depth)
    kind = node.get("type")
    if isinstance(kind, list):
        kind = data.draw(st.sampled_from(kind))
    if kind == "null":
        return None
    if kind == "boolean":
        return data.draw(st.booleans())
    if kind in ("integer", "number"):
        lo = node.get("minimum", node.get("exclusiveMinimum", -8))
        hi = node.get("maximum", node.get("exclusiveMaximum", max(lo, 0) + 40))
        if kind == "integer":
            lo = int(lo) + (1 if "exclusiveMinimum" in node and lo == int(lo) else 0)
            hi = int(hi) - (1 if "exclusiveMaximum" in node and hi == int(hi) else 0)
            return data.draw(st.integers(lo, max(lo, hi)))
        return data.draw(st.floats(lo, hi, exclude_min="exclusiveMinimum" in node,
                                   exclude_max="exclusiveMaximum" in node, allow_nan=False))
    if kind == "string":
        if "pattern" in node:
            return data.draw(st.from_regex(node["pattern"], fullmatch=True).filter(lambda t: len(t) < 40))
        return data.draw(st.text("abc_-1", min_size=node.get("minLength", 0), max_size=6))
    if kind == "array":
        lo = node.get("minItems", 0)
        hi = node.get("maxItems", lo + 3)
        n = data.draw(st.integers(lo, min(hi, lo + 3)))
        return [_draw(data, node.get("items", {"type": "integer"}), defs, depth + 1) for _ in range(n)]
    if kind == "object" or "properties" in node:
        props, required = node.get("properties", {}), set(node.get("required", []))
        out = {}
        for key, sub in props.items():
            if key in required or data.draw(st.booleans()):
                out[key] = _draw(data, sub, defs, depth + 1)
        return out
    return data.draw(st.integers(0, 3))  # an unconstrained value


def _mutate(data, doc, branch):
    """A document a step away from ``doc``: the mutation's name and the document."""
    from hypothesis import strategies as st

    keys = [k for k in doc if k != "type"]
    how = data.draw(st.sampled_from(["none", "none", "unknown_key", "wrong_type", "bool_for_int",
                                     "string_for_number", "drop_required"]))
    doc = dict(doc)
    props = branch.get("properties", {})
    if how == "unknown_key":
        doc[data.draw(st.sampled_from(["unit", "kernal_size", "activations", "extra"]))] = 1
    elif how == "wrong_type" and keys:
        doc[data.draw(st.sampled_from(keys))] = data.draw(st.sampled_from([{"x": 1}, [[[]]]]))
    elif how == "bool_for_int":
        ints = [k for k in props if '"integer"' in json.dumps(props[k])]
        if not ints:
            return "none", doc
        doc[data.draw(st.sampled_from(ints))] = True
    elif how == "string_for_number":
        nums = [k for k in props if '"number"' in json.dumps(props[k]) or '"integer"' in json.dumps(props[k])]
        if not nums:
            return "none", doc
        doc[data.draw(st.sampled_from(nums))] = "3"
    elif how == "drop_required":
        req = [k for k in branch.get("required", []) if k != "type" and k in doc]
        if not req:
            return "none", doc
        del doc[data.draw(st.sampled_from(req))]
    else:
        how = "none"
    return how, doc


CROSS_FIELD = {"value_error"}
"""Pydantic error types of rules across fields (give bin_boundaries or num_bins, frame_step at most
frame_length, ...) that JSON Schema cannot state: the only rejections kspec may add to the schema's."""


def test_every_layer_branch_agrees_with_the_exported_schema():
    from hypothesis import strategies as st
    from pydantic import TypeAdapter, ValidationError

    from kspec.layers import Layer

    pydantic_schema = _few_layers(TypeAdapter(PART_MODELS["model"]).json_schema(mode="validation"))
    full_defs = TypeAdapter(PART_MODELS["model"]).json_schema(mode="validation")["$defs"]
    branches = sorted(b["$ref"].split("/")[-1] for b in full_defs["Layer"]["oneOf"])
    defs = {**full_defs, **{k: v for k, v in pydantic_schema["$defs"].items() if k.endswith("Layer")}}
    exported = json.loads((SCHEMAS / "model.schema.json").read_text())
    cls = jsonschema.validators.validator_for(exported)
    layer_schema = cls({"$defs": exported["$defs"], "$ref": "#/$defs/Layer"})
    adapter = TypeAdapter(Layer)
    seen = {"both_accept": 0, "both_reject": 0, "cross_field": 0}
    drawn: set[str] = set()

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.data())
    def check(data):
        name = data.draw(st.sampled_from(branches))
        branch = full_defs[name]
        how, doc = _mutate(data, _draw(data, branch, defs), branch)
        schema_ok = not list(layer_schema.iter_errors(doc))
        try:
            adapter.validate_python(doc)
            errors = []
        except ValidationError as e:
            errors = e.errors()
        if not errors:
            assert schema_ok, f"kspec accepts {doc} ({how}) and the schema rejects it"
            seen["both_accept"] += 1
            drawn.add(name)
        elif schema_ok:
            kinds = {err["type"] for err in errors}
            assert kinds <= CROSS_FIELD, f"the schema accepts {doc} ({how}); kspec rejects it: {errors}"
            seen["cross_field"] += 1
        else:
            seen["both_reject"] += 1
        if how in ("unknown_key", "wrong_type"):
            assert not schema_ok, f"{how}: the schema accepts {doc}"

    check()
    assert seen["both_accept"] >= 75 and seen["both_reject"] >= 50, seen
    assert len(drawn) >= len(branches) * 0.4, sorted(set(branches) - drawn)


def test_every_field_is_documented():
    schema = build("kspec")
    undocumented = []

    def walk(name, node):
        for key, prop in node.get("properties", {}).items():
            if key == "type" or prop.get("description"):
                continue
            ref = prop.get("$ref", "").split("/")[-1]
            if ref and schema["$defs"].get(ref, {}).get("description"):
                continue
            undocumented.append(f"{name}.{key}")

    walk("Spec", schema)
    for name, node in schema["$defs"].items():
        walk(name, node)
    assert not undocumented, "add a docstring to: " + ", ".join(undocumented)


def test_patterns_mean_the_same_in_every_regex_dialect():
    """JSON Schema patterns are ECMA-262: no inline flags or lookarounds, and no \\d, \\s, \\w
    (Python's match Unicode digits and spaces, JavaScript's do not)."""
    patterns = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.append(node["pattern"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for name in ["kspec", *PART_MODELS]:
        walk(build(name))
    assert patterns
    for p in patterns:
        assert "(?" not in p and not any(esc in p for esc in ("\\d", "\\s", "\\w", "\\D", "\\S", "\\W")), p
