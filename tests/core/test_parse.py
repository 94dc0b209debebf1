from __future__ import annotations

from kspec.parse import loads


def test_positions_of_keys_and_items():
    doc = loads("a:\n  b: [1, 2]\n  c:\n    - x: 3\n", "f.yaml")
    assert doc.data == {"a": {"b": [1, 2], "c": [{"x": 3}]}}
    assert (doc.key_spans[("a", "b")].line, doc.key_spans[("a", "b")].col) == (2, 3)
    assert (doc.spans[("a", "b", 1)].line, doc.spans[("a", "b", 1)].col) == (2, 10)
    assert (doc.key_spans[("a", "c", 0, "x")].line, doc.key_spans[("a", "c", 0, "x")].col) == (4, 7)
    # unknown paths fall back to the nearest ancestor
    assert doc.span(("a", "c", 0, "missing")).line == 4


def test_yaml_1_2_keeps_on_and_yes_as_strings():
    doc = loads("on: yes\nb: true\n", "f.yaml")
    assert doc.data == {"on": "yes", "b": True}


def test_plain_python_types_only():
    doc = loads("a: 1\nb: 2.5\nc: x\nd: null\ne: '7'\n", "f.yaml")
    assert [type(v) for v in doc.data.values()] == [int, float, str, type(None), str]


def test_tags_are_rejected_without_construction():
    for text in ("a: !!python/name:os.system\n", "a: !custom {x: 1}\n",
                 "a: !!python/object/apply:os.system [echo]\n", "a: !!str 7\n", "a: !!int '5'\n",
                 "a: !!float 5\n", "a: !!map {b: 1}\n", "a: [!!seq [1]]\n", "!!map {a: 1}\n"):
        doc = loads(text, "f.yaml")
        assert doc.data is None and doc.diagnostics[0].code == "KS004", text


def test_duplicate_key_names_both_lines():
    doc = loads("a: 1\nb: 2\na: 3\n", "f.yaml")
    (d,) = doc.diagnostics
    assert d.code == "KS002" and d.span.line == 3 and "line 1" in d.hint


def test_json_is_first_class():
    doc = loads('{\n  "a": {"b": [1, 2]}\n}\n', "f.json")
    assert doc.data == {"a": {"b": [1, 2]}}
    assert doc.key_spans[("a", "b")].line == 2


def test_parts_are_composed_with_their_own_positions(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "m.yaml").write_text("layers:\n  - {type: Dense, units: 3}\n")
    main = "kspec: 1\nmodel: parts/m.yaml\n"
    doc = loads(main, str(tmp_path / "s.yaml"), base_dir=tmp_path)
    assert doc.data["model"] == {"layers": [{"type": "Dense", "units": 3}]}
    span = doc.key_spans[("model", "layers", 0, "units")]
    assert span.file.endswith("m.yaml") and span.line == 2
    assert doc.parts == {"model": str(tmp_path / "parts" / "m.yaml")}


def test_inline_suppressions_are_collected():
    doc = loads("a: 1  # kspec: ignore[KS201, KS105]\nb: 2\n", "f.yaml")
    assert doc.suppressions == {("f.yaml", 1): {"KS201", "KS105"}}


def test_json_escapes_beyond_the_basic_plane_are_one_character():
    doc = loads('{"name": "run \\ud83d\\ude00"}', "f.json")
    assert doc.data == {"name": "run \U0001F600"}
