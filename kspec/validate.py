"""Stage 2, validate: plain data -> :class:`kspec.spec.Spec`, or diagnostics for every problem at once.

Pydantic reports every error in one pass. Each error becomes a :class:`Diagnostic` with the
file:line:col of the offending key or value, the logical path (``model.layers[2].units``), what
was found, what was expected and, for misspelt keys and names, the closest valid spelling.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel, BeforeValidator, Discriminator, Tag, ValidationError
from pydantic.fields import FieldInfo
from pydantic.json_schema import SkipJsonSchema
from typing_extensions import TypeAliasType

from .diagnostics import Diagnostic, Severity, did_you_mean, format_path
from .parse import Document
from .compiling import TYPE_ALIASES, SpecValueError
from .spec import Spec

_NAMES = {
    ("layers",): "layer type",
    ("optimizer",): "optimizer",
    ("learning_rate",): "learning-rate schedule",
    ("metrics",): "metric",
    ("loss",): "loss",
    ("callbacks",): "callback type",
    ("data",): "data source type",
}


def _doc_path(doc: Document, loc: tuple, etype: str = "") -> tuple:
    """Map a Pydantic location onto the document, dropping union tags and validator names."""
    node = doc.data
    out: list = []
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif (etype in ("missing", "extra_forbidden") and isinstance(node, dict) and isinstance(part, str)
              and part == loc[-1]):
            # a missing or unknown key: keep it as the last path element
            out.append(part)
            node = None
        # else: a union tag ("Dense", "inline", "function-after[...]"): skip it
    return tuple(out)


def _unwrap(ann: Any) -> tuple[Any, list]:
    """An annotation without its aliases and ``Annotated`` layers, and the metadata those held."""
    meta: list = []
    while True:
        if isinstance(ann, TypeAliasType):
            ann = ann.__value__
        elif typing.get_origin(ann) is typing.Annotated:
            meta.extend(ann.__metadata__)
            ann = ann.__origin__
        else:
            return ann, meta


def _options(ann: Any) -> tuple:
    """The members of a union (the annotation itself when it is not one)."""
    return typing.get_args(ann) if typing.get_origin(ann) in (typing.Union, types.UnionType) else (ann,)


def _type_tags(cls: type) -> tuple:
    """The ``type`` values a model accepts (empty for a model without a ``type`` literal)."""
    field = cls.model_fields.get("type")
    return typing.get_args(field.annotation) if field is not None else ()


def _models(ann: Any, node: Any, discriminator: Any = None) -> list[type]:
    """The model classes that validate the mapping ``node`` under ``ann``, chosen as validation
    chooses them: a layer by its type, a tagged union's member by its tag (after the union's
    before-validators, which rewrite aliases), a callable discriminator's member by its tag."""
    ann, meta = _unwrap(ann)
    for m in reversed(meta):  # the outermost before-validator runs first
        if isinstance(m, BeforeValidator) and isinstance(node, (dict, str)):
            try:
                node = m.func(node)
            except Exception:  # the value is refused: no member applies
                return []
    for m in meta:
        if hasattr(m, "model_for"):  # a layer or a lazy tagged union: the class its type names
            cls = m.model_for(node)
            return [cls] if cls is not None else []
        if isinstance(m, FieldInfo) and m.discriminator is not None:
            discriminator = m.discriminator
        elif isinstance(m, Discriminator):
            discriminator = m
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    options = _options(ann)
    if len(options) == 1:
        return []
    if isinstance(discriminator, Discriminator):
        tag = discriminator.discriminator(node)
        options = tuple(o for o in options if any(isinstance(m, Tag) and m.tag == tag for m in _unwrap(o)[1]))
    out = [c for o in options for c in _models(o, node)]
    if len(out) > 1 and isinstance(node, dict):
        out = [c for c in out if node.get("type") in _type_tags(c)] or out
    return out


def _items(ann: Any) -> list:
    """The item annotations of the list forms of ``ann``."""
    ann, _ = _unwrap(ann)
    if typing.get_origin(ann) is list:
        return [typing.get_args(ann)[0]]
    options = _options(ann)
    return [i for o in options for i in _items(o)] if len(options) > 1 else []


def _field_annotation(field: FieldInfo) -> tuple[Any, Any]:
    return field.rebuild_annotation(), field.discriminator


def _annotations_at(doc: Document, path: tuple) -> tuple[list[tuple[Any, Any]], Any]:
    """The annotations (with their discriminators) that describe the value at ``path``, walking the
    models from :class:`Spec` along the document, and the value there."""
    cands: list[tuple[Any, Any]] = [(Spec, None)]
    node = doc.data
    for part in path:
        nxt: list[tuple[Any, Any]] = []
        if isinstance(part, str) and isinstance(node, dict):
            for ann, disc in cands:
                for cls in _models(ann, node, disc):
                    field = next((f for name, f in cls.model_fields.items() if (f.alias or name) == part), None)
                    if field is not None:
                        nxt.append(_field_annotation(field))
        elif isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            nxt = [(item, None) for ann, _ in cands for item in _items(ann)]
        else:
            return [], None
        node = node[part]
        cands = nxt
    return cands, node


def _keys_at(doc: Document, path: tuple) -> list[str]:
    """The keys the mapping at ``path`` may hold (those its model declares in the JSON Schema)."""
    cands, node = _annotations_at(doc, path)
    models = [c for ann, disc in cands for c in _models(ann, node, disc)]
    if not models:
        return []
    return sorted(f.alias or name for name, f in models[0].model_fields.items()
                  if not any(isinstance(m, SkipJsonSchema) for m in f.metadata))


def _all_tags(ann: Any) -> list[str]:
    """Every ``type`` value ``ann`` allows for a mapping."""
    ann, meta = _unwrap(ann)
    for m in meta:
        if hasattr(m, "tags"):
            return list(m.tags())
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return list(_type_tags(ann))
    options = _options(ann)
    return [t for o in options for t in _all_tags(o)] if len(options) > 1 else []


def _tags_at(doc: Document, path: tuple) -> list[str]:
    """The ``type`` values allowed for the mapping at ``path``."""
    cands, _ = _annotations_at(doc, path)
    return sorted({t for ann, _ in cands for t in _all_tags(ann)})


_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}


def _detail(err: dict) -> str:
    """A short, plain statement of what a Pydantic error expected."""
    etype, ctx = err["type"], err.get("ctx") or {}
    if etype in _BOUNDS:
        bound = next(iter(v for k, v in ctx.items() if k in ("gt", "ge", "lt", "le")), "?")
        return f"must be {_BOUNDS[etype]} {bound}"
    if etype in ("too_short", "too_long"):
        n = ctx.get("min_length") if etype == "too_short" else ctx.get("max_length")
        return f"must have {'at least' if etype == 'too_short' else 'at most'} {n} item(s)"
    if etype == "int_parsing" or etype == "int_type":
        return "must be an integer"
    if etype == "float_parsing" or etype == "float_type":
        return "must be a number"
    if etype in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if etype == "literal_error":
        return "must be one of " + str(ctx.get("expected", ""))
    if etype == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}"
    return err["msg"].removeprefix("Value error, ").removeprefix("Input should be ")


def _expected_list(ctx_expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", ctx_expected)


def _kind(path: tuple) -> str:
    for i in range(len(path), 0, -1):
        key = tuple(p for p in path[:i] if isinstance(p, str))[-1:]
        if key in _NAMES:
            return _NAMES[key]
    return "value"


def _fmt(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def errors_to_diagnostics(doc: Document, error: ValidationError, *, skip: set[tuple] = frozenset()) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple] = set()
    errors = error.errors(include_url=False)
    groups: dict[tuple, list[dict]] = {}
    for err in errors:
        groups.setdefault(_doc_path(doc, tuple(err["loc"]), err["type"]), []).append(err)
    for err in errors:
        etype = err["type"]
        path = _doc_path(doc, tuple(err["loc"]), etype)
        key = (etype, path)
        if any(path[: len(s)] == s for s in skip):
            continue
        where = format_path(path)
        value = err.get("input")
        ctx = err.get("ctx") or {}
        hint = None
        data: dict[str, Any] = {"pydantic_type": etype}
        if etype == "extra_forbidden":
            code, name = "KS011", "unknown-key"
            key = path[-1] if path else "?"
            allowed = _keys_at(doc, path[:-1])
            guess = did_you_mean(str(key), allowed)
            msg = f"unknown key {key!r}" + (f" in {format_path(path[:-1])}" if path[:-1] else "")
            if guess:
                msg += f"; did you mean {guess!r}?"
                hint = f"rename {key!r} to {guess!r}"
            else:
                hint = "allowed keys here: " + ", ".join(allowed) if allowed else None
            data.update(received=key, expected=allowed)
            span = doc.span(path, key=True)
        elif etype == "missing":
            code, name = "KS013", "missing-key"
            key = path[-1] if path else "?"
            parent = format_path(path[:-1]) or "the spec"
            msg = f"{parent} is missing required key {key!r}"
            hint = f"add `{key}:` to {parent}"
            span = doc.span(path[:-1], key=True)
            data.update(expected=key)
        elif len(groups[path]) > 1 and etype not in ("missing", "extra_forbidden", "union_tag_invalid", "union_tag_not_found"):
            # one value that fits no branch of a union: say every form that was allowed
            details = []
            for e in groups[path]:
                d = _detail(e)
                if d not in details:
                    details.append(d)
            all_types = all(e["type"].endswith(("_type", "_parsing")) for e in groups[path])
            code, name = ("KS012", "wrong-type") if all_types else ("KS014", "invalid-value")
            msg = f"{where}: {_fmt(value)} is not allowed here; it " + ", or ".join(details)
            span = doc.span(path)
            data.update(received=value, expected=details)
            key = ("union", path)
        elif etype in ("union_tag_invalid", "union_tag_not_found"):
            code, name = "KS014", "unknown-type"
            kind = _kind(path)
            expected = _expected_list(ctx.get("expected_tags", "")) or _tags_at(doc, path)
            tag = ctx.get("tag")
            if etype == "union_tag_not_found":
                code, name = "KS013", "missing-key"
                msg = f"{where or 'item'} needs a `type` ({kind}): one of " + ", ".join(expected)
            else:
                guess = (did_you_mean(str(tag), expected)
                         or did_you_mean(str(tag), [a for a, c in TYPE_ALIASES.items() if c in expected]))
                msg = f"unknown {kind} {tag!r}" + (f"; did you mean {guess!r}?" if guess else "")
                hint = (f"write {guess!r}" if guess else "expected one of: " + ", ".join(expected))
            node = doc.get(path)
            if isinstance(node, dict) and "type" in node:
                span = doc.span(path + ("type",))
            else:
                span = doc.span(path, key=True)
            data.update(received=tag, expected=expected)
        elif etype == "layer_refused":
            code, name = "KS014", "unknown-type"
            tag = ctx.get("tag")
            msg = f"{where or 'layer'}: layer type {tag!r} {ctx.get('reason')}"
            hint = ctx.get("instead")
            node = doc.get(path)
            span = doc.span(path + ("type",)) if isinstance(node, dict) and "type" in node else doc.span(path)
            data.update(received=tag, refused=True)
        elif etype in ("literal_error", "enum"):
            code, name = "KS014", "invalid-value"
            expected = _expected_list(ctx.get("expected", ""))
            if not expected and ctx.get("expected"):
                expected = [e.strip() for e in re.split(r",| or ", str(ctx["expected"])) if e.strip()]
            guess = did_you_mean(str(value), [str(e) for e in expected]) if isinstance(value, str) else None
            what = path[-1] if path and isinstance(path[-1], str) else _kind(path)
            msg = f"{where}: {_fmt(value)} is not a valid {what}" + (f"; did you mean {guess!r}?" if guess else "")
            hint = f"write {guess!r}" if guess else "expected one of: " + ", ".join(map(str, expected))
            span = doc.span(path)
            data.update(received=value, expected=expected)
        elif etype == "value_error" and path and path[-1] == "kspec":
            code, name = "KS015", "unknown-format-version"
            msg = err["msg"].removeprefix("Value error, ")
            hint = "set `kspec: 1`, or upgrade kspec to read newer files"
            span = doc.span(path)
        elif etype.endswith("_type") or etype.endswith("_parsing") or etype in ("model_attributes_type", "is_instance_of"):
            code, name = "KS012", "wrong-type"
            expected = err["msg"].replace("Input should be ", "").replace("a valid ", "")
            expected = expected.split(",")[0]
            msg = f"{where}: expected {expected}, got {type(value).__name__} {_fmt(value)}"
            span = doc.span(path)
            data.update(received=value, expected=expected)
        elif isinstance(ctx.get("error"), SpecValueError):
            # a refusal that knows its fix (Keras 2's decay, a misspelt metric, a refused class)
            code, name = "KS014", "invalid-value"
            msg = f"{where}: {ctx['error']}"
            hint = ctx["error"].hint
            span = doc.span(path, key=isinstance(doc.get(path), dict) is False and path[-1:] in (("decay",), ("lr",)))
            data.update(received=value)
        else:
            code, name = "KS014", "invalid-value"
            msg = f"{where}: {_detail(err)}" if isinstance(value, dict) else f"{where}: {_fmt(value)} {_detail(err)}"
            span = doc.span(path)
            data.update(received=value)
        if key in seen:
            continue
        seen.add(key)
        out.append(Diagnostic(code, name, Severity.ERROR, msg, path=where, span=span, hint=hint, data=data))
    return out


def whole_floats_as_ints(data: Any) -> Any:
    """A copy of ``data`` with every whole float (``5.0``) as an int.

    JSON Schema's ``integer`` is any number without a fractional part, so the exported schema (and
    every editor that reads it) accepts ``epochs: 5.0``; the models are strict, and read the same
    documents only when whole floats arrive as ints. Iterative: depth is not bounded here.
    """
    def convert(v: Any) -> Any:
        if type(v) is float and v.is_integer():
            return int(v)
        return v

    if not isinstance(data, (dict, list)):
        return convert(data)
    root: Any = {} if isinstance(data, dict) else []
    stack = [(data, root)]
    while stack:
        src, dst = stack.pop()
        items = src.items() if isinstance(src, dict) else enumerate(src)
        for k, v in items:
            if isinstance(v, (dict, list)):
                new: Any = {} if isinstance(v, dict) else []
                stack.append((v, new))
            else:
                new = convert(v)
            if isinstance(dst, dict):
                dst[k] = new
            else:
                dst.append(new)
    return root


def validate(doc: Document) -> tuple[Spec | None, list[Diagnostic]]:
    """Validate a parsed document. Returns the spec (or None) and schema diagnostics."""
    if doc.data is None:
        return None, []
    # a part whose file could not be read was already reported by the parser
    skip = {(k,) for k in ("model", "data", "compile", "train") if k in doc.data and doc.data[k] is None}
    data = whole_floats_as_ints(doc.data) if isinstance(doc.data, dict) else doc.data
    try:
        spec = Spec.model_validate(data)
    except ValidationError as e:
        return None, errors_to_diagnostics(doc, e, skip=skip)
    if skip:
        return None, []
    return spec, []
