"""JSON Schema export: ``schemas/`` is generated from the Pydantic models and checked for drift.

Pydantic's tagged unions use OpenAPI's ``discriminator`` keyword, which the ``jsonschema`` library
and most editors ignore (they then report errors from the wrong branch). Each tagged ``oneOf`` is
rewritten into ``if``/``then`` branches keyed on the tag, so other tools give exact errors too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from .spec import FORMAT_VERSION, PART_MODELS, Spec

BASE_ID = f"https://kspec.dev/schemas/v{FORMAT_VERSION}/"


def _rewrite(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _rewrite(v) for k, v in node.items()}
    disc = node.pop("discriminator", None)
    if disc and "oneOf" in node:
        prop = disc["propertyName"]
        mapping = disc.get("mapping", {})
        branches = []
        for tag, ref in mapping.items():
            branches.append({"if": {"properties": {prop: {"const": tag}}, "required": [prop]},
                             "then": {"$ref": ref}})
        node.pop("oneOf")
        node.update({"type": "object", "required": [prop],
                     "properties": {prop: {"enum": sorted(mapping)}}, "allOf": branches})
    return node


def _strict(node: Any) -> None:
    """additionalProperties: false on every object schema with properties."""
    if isinstance(node, list):
        for n in node:
            _strict(n)
    elif isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node and "allOf" not in node:
            node.setdefault("additionalProperties", False)
        for v in node.values():
            _strict(v)


def build(name: str) -> dict:
    if name == "kspec":
        schema = Spec.model_json_schema(mode="validation")
        title = "kspec training spec"
    else:
        schema = TypeAdapter(PART_MODELS[name]).json_schema(mode="validation")
        title = f"kspec {name} part file"
    schema = _rewrite(schema)
    _strict(schema)
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema",
           "$id": f"{BASE_ID}{name}.schema.json", "title": title}
    out.update({k: v for k, v in schema.items() if k != "title"})
    return out


def schema_files() -> dict[str, str]:
    names = ["kspec", *PART_MODELS]
    return {f"{n}.schema.json": json.dumps(build(n), indent=2, sort_keys=True) + "\n" for n in names}


def generated_files(folder: Path, docs: Path | None = None) -> dict[Path, str]:
    """Every generated file: the schemas in ``folder`` and the reference page in ``docs``."""
    out = {folder / fname: text for fname, text in schema_files().items()}
    if docs is not None:
        out[docs / REFERENCE] = reference_markdown()
    return out


def write_schemas(folder: Path, docs: Path | None = None) -> list[Path]:
    from .atomic import write_text

    return [write_text(path, text) for path, text in generated_files(folder, docs).items()]


def check_schemas(folder: Path, docs: Path | None = None) -> list[str]:
    """Generated files that are missing or differ from the models."""
    return [str(p) for p, text in generated_files(folder, docs).items()
            if not p.is_file() or p.read_text(encoding="utf-8") != text]


# ------------------------------------------------------------------------------ reference page

REFERENCE = "spec-reference.md"


def _type_of(schema: dict, node: dict) -> str:
    if "$ref" in node:
        return node["$ref"].split("/")[-1]
    if "const" in node:
        return repr(node["const"])
    if "enum" in node:
        return " \\| ".join(repr(v) for v in node["enum"])
    for key in ("anyOf", "oneOf"):
        if key in node:
            return " \\| ".join(_type_of(schema, n) for n in node[key])
    if "allOf" in node and "properties" in node and "type" in node.get("properties", {}):
        return "one of: " + ", ".join(node["properties"]["type"].get("enum", []))
    t = node.get("type")
    if t == "array":
        inner = _type_of(schema, node.get("items", {})) if node.get("items") else "any"
        return f"list[{inner}]"
    bounds = []
    for k, sym in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if k in node:
            bounds.append(f"{sym} {node[k]}")
    return (t or "any") + (f" ({', '.join(bounds)})" if bounds else "")


def reference_markdown() -> str:
    """A reference page for every section and object of the spec format, from the models."""
    schema = build("kspec")
    lines = [
        "# Spec reference",
        "",
        "Generated from the Pydantic models by `kspec schema` (do not edit by hand; "
        "`kspec schema --check` fails when it is stale). Every object rejects unknown keys.",
        "",
    ]

    def table(title: str, node: dict) -> None:
        lines.append(f"## {title}")
        lines.append("")
        if node.get("description"):
            lines.append(" ".join(node["description"].split()))
            lines.append("")
        required = set(node.get("required", []))
        lines.append("| key | type | default | description |")
        lines.append("| --- | --- | --- | --- |")
        for key, prop in node.get("properties", {}).items():
            default = "required" if key in required else ("`" + json.dumps(prop["default"]) + "`" if "default" in prop else "")
            desc = " ".join(prop.get("description", "").split()).replace("|", "\\|")
            lines.append(f"| `{key}` | {_type_of(schema, prop)} | {default} | {desc} |")
        lines.append("")

    table("Spec (top level)", schema)
    for name in sorted(schema.get("$defs", {})):
        node = schema["$defs"][name]
        if "properties" in node:
            table(name, node)
    return "\n".join(lines).rstrip() + "\n"
