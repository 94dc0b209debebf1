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


def write_schemas(folder: Path) -> list[Path]:
    from .atomic import write_text

    return [write_text(folder / fname, text) for fname, text in schema_files().items()]


def check_schemas(folder: Path) -> list[str]:
    """Names of files in ``folder`` that are missing or differ from the models."""
    stale = []
    for fname, text in schema_files().items():
        p = folder / fname
        if not p.is_file() or p.read_text(encoding="utf-8") != text:
            stale.append(str(p))
    return stale
