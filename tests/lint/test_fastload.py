"""The libyaml fast path of the parse stage gives exactly what ruamel's round-trip loader gives:
the same data and the same spans of values and keys; where it cannot be sure it steps aside."""

from __future__ import annotations

from pathlib import Path

import pytest

from kspec import fastload, parse

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(p for folder in ("specs", "tests/fixtures", "schemas") for p in (ROOT / folder).rglob("*")
               if p.suffix in (".yaml", ".yml", ".json") and p.is_file())

pytestmark = pytest.mark.skipif(not fastload.available(), reason="PyYAML's libyaml binding is not installed")


def ruamel_load(text: str) -> parse.Document:
    doc = parse.Document(file="f")
    real = fastload.load
    fastload.load = lambda text: None
    try:
        doc.data = parse._load_text(doc, "f", text, ())
    finally:
        fastload.load = real
    return doc


def fast_load(text: str) -> parse.Document | None:
    if fastload.load(text) is None:
        return None
    doc = parse.Document(file="f")
    doc.data = parse._load_text(doc, "f", text, ())
    return doc


def same(text: str) -> bool:
    """True when the fast path decided ``text``; asserts it agrees with ruamel."""
    fast = fast_load(text)
    if fast is None:
        return False
    slow = ruamel_load(text)
    assert fast.data == slow.data and [type(v) for v in _leaves(fast.data)] == [type(v) for v in _leaves(slow.data)]
    assert fast.spans == slow.spans
    assert fast.key_spans == slow.key_spans
    return True


def _leaves(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _leaves(v)
    elif isinstance(node, list):
        for v in node:
            yield from _leaves(v)
    else:
        yield node


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_files_load_the_same(path):
    same(path.read_text(encoding="utf-8"))


def test_most_specs_take_the_fast_path():
    decided = [same(p.read_text(encoding="utf-8")) for p in FILES]
    assert sum(decided) >= 0.7 * len(FILES)


SCALARS = [
    "1", "0", "-0", "-7", "10", "007", "+5", "1_000", "0x1F", "0o17", "0b101", "1.5", "-2.5e-3", "1e5", "1.",
    ".5", "-.5", "1.e3", ".inf", "-.inf", ".nan", "1/255", "28x28", "2024-01-31", "2024-01-31 10:00:00",
    "true", "True", "TRUE", "tRue", "false", "yes", "no", "on", "off", "y", "n", "null", "Null", "~", "",
    "<<", "=", "-foo", ".hidden", "a b", "3:30", "1:20:30", "'quoted 5'", '"1e3"', "|\n  block\n", "!!str 5",
    "!custom x", "&a 5", "[1, 2]", "{a: 1}", "é", "0.0", "1.0e+10", "12e",
]


@pytest.mark.parametrize("scalar", SCALARS)
def test_scalars_resolve_as_in_ruamel(scalar):
    text = f"key: {scalar}\nlist:\n  - {scalar}\n"
    if fast_load(text) is None:
        return
    same(text)


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n",  # duplicate key: ruamel reports KS002
    "a: !!python/object:os.system x\n",  # tag: KS004
    "a: &x 1\nb: *x\n",  # alias
    "<<: {a: 1}\nb: 2\n",  # merge key
    "1: one\n",  # non-string key
    "true: x\n",  # bool key: KS001
    "%YAML 1.1\n---\na: on\n",  # directive
    "a: 1\n---\nb: 2\n",  # two documents
    "a: [1, 2\n",  # syntax error
    "",  # empty
])
def test_unusual_documents_go_to_ruamel(text):
    assert fastload.load(text) is None


@pytest.mark.parametrize("text", ['{"a": "gpu:\\ud801\\udca0"}', '{"b": "caf\\u00e9", "c": "tab\\there"}'])
def test_json_escapes_decode_as_in_ruamel(text):
    doc, slow = parse.loads(text, "f"), ruamel_load(text)
    assert doc.data == slow.data and doc.spans == slow.spans


def test_diagnostics_of_bad_specs_are_unchanged():
    doc = parse.loads("kspec: 1\nmodel: {}\nmodel: {}\n", "dup.yaml")
    assert [d.code for d in doc.diagnostics] == ["KS002"]
    doc = parse.loads("kspec: 1\ndata: !!python/name:os.system\n", "tag.yaml")
    assert [d.code for d in doc.diagnostics] == ["KS004"]
