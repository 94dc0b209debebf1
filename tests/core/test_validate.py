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


_BASE = "kspec: 1\ndata: {type: keras, name: mnist}\nmodel:\n  layers: [{type: Dense, units: 3}]\ncompile: {optimizer: adam, loss: mse}\n"


@pytest.mark.parametrize("text,path,guess", [
    (_BASE + "train:\n  callbacks: [{type: early_stopping, patiance: 3}]\n", "train.callbacks[0].patiance", "patience"),
    (_BASE + "train:\n  callbacks: [{type: EarlyStopping, patiance: 3}]\n", "train.callbacks[0].patiance", "patience"),
    (_BASE + "train:\n  callbacks: [terminate_on_nan, {type: learning_rate_scheduler, schedule: "
     "{type: exponential, initial_learning_rate: 0.1, factor: 10, epochs_per_fator: 2}}]\n",
     "train.callbacks[1].schedule.epochs_per_fator", "epochs_per_factor"),
    (_BASE.replace("optimizer: adam", "optimizer: {type: Adam, beta1: 0.9}"), "compile.optimizer.beta1", "beta_1"),
    (_BASE.replace("optimizer: adam", "optimizer: {type: sgd, learning_rate: {type: exponential_decay, "
                   "initial_learning_rate: 0.1, decay_steps: 10, decay_rat: 0.9}}"),
     "compile.optimizer.learning_rate.decay_rat", "decay_rate"),
    (_BASE.replace("loss: mse", "loss: mse, metrics: [accuracy, {type: Precision, threshold: 0.5}]"),
     "compile.metrics[1].threshold", "thresholds"),
    (_BASE.replace("{type: keras, name: mnist}", "{type: image_folder, directory: d, target_sise: [8, 8]}"),
     "data.target_sise", "target_size"),
    (_BASE.replace("{type: keras, name: mnist}", "{type: text, path: t.csv, tokenizer: {type: TextVectorization, "
                   "max_token: 10}}"), "data.tokenizer.max_token", "max_tokens"),
    (_BASE.replace("[{type: Dense, units: 3}]", "[{type: Bidirectional, layer: {type: LSTM, unit: 3}}]"),
     "model.layers[0].layer.unit", "units"),
    (_BASE.replace("[{type: Dense, units: 3}]", "[{type: TimeDistributed, layer: {type: Dense, unitz: 3}}]"),
     "model.layers[0].layer.unitz", "units"),
    (_BASE.replace("[{type: Dense, units: 3}]", "[{type: Dense, units: 3, kernel_initializer: "
                   "{type: RandomNormal, stdev: 0.1}}]"), "model.layers[0].kernel_initializer.stdev", "stddev"),
])
def test_unknown_key_in_a_union_or_list_item_gets_did_you_mean_without_the_json_schema(text, path, guess, monkeypatch):
    from kspec.spec import Spec

    def refuse(*a, **k):
        raise AssertionError("the JSON Schema was built")

    monkeypatch.setattr(Spec, "model_json_schema", refuse)
    diags = Pipeline(text=text, file="t.yaml").spec_diagnostics
    (d,) = [d for d in diags if d.code == "KS011"]
    assert d.path == path
    key = path.rsplit(".", 1)[1]
    assert d.message.endswith(f"did you mean {guess!r}?") and d.hint == f"rename {key!r} to {guess!r}"


def test_a_mapping_without_type_lists_the_types_of_its_place(monkeypatch):
    from kspec.spec import Spec

    monkeypatch.setattr(Spec, "model_json_schema", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    text = _BASE.replace("[{type: Dense, units: 3}]", "[{type: Bidirectional, layer: {units: 3}}]")
    text += "train:\n  callbacks: [{patience: 3}]\n"
    diags = {d.path: d for d in Pipeline(text=text, file="t.yaml").spec_diagnostics if d.code == "KS013"}
    assert diags["model.layers[0].layer"].data["expected"] == ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "GRU", "LSTM",
                                                               "SimpleRNN"]
    assert diags["train.callbacks[0]"].message.endswith(
        "one of csv_logger, early_stopping, learning_rate_scheduler, model_checkpoint, reduce_lr_on_plateau, "
        "swap_ema_weights, tensorboard, terminate_on_nan, threshold_stop")


def test_layer_union_tags_are_those_of_its_json_schema():
    """The types a layer place lists without creating classes agree with the classes' own literals."""
    import typing

    from kspec.layers import (KERNEL_LAYERS, RECURRENT, WRAPPERS, InnerLayer, KernelLayer, Layer, RecurrentLayer,
                              all_layer_classes)

    for place, keep in [(Layer, lambda n: True), (InnerLayer, lambda n: n not in WRAPPERS),
                        (RecurrentLayer, lambda n: n in RECURRENT), (KernelLayer, lambda n: n in KERNEL_LAYERS)]:
        from_classes = sorted(t for c in all_layer_classes() if keep(c.__name__)
                              for t in typing.get_args(c.model_fields["type"].annotation))
        assert sorted(typing.get_args(place)[1].tags()) == from_classes, place


@pytest.mark.parametrize("value", [3, [1], {}, {"type": 3}, {"type": ["a"]}, {"type": "nope"},
                                   {"type": "adam", "beta_1": 2}, {"type": "sgd", "momentun": 1}, {"type": "sgd"}])
def test_lazy_tagged_union_reports_as_pydantic_tagged_union(value):
    """kspec.tagged.Tagged builds one member's validator, and says what Pydantic's tagged union says."""
    from typing import Annotated, Union

    from pydantic import Field, TypeAdapter, ValidationError

    from kspec.compiling import OPTIMIZER_CLASSES, OptimizerBase
    from kspec.tagged import Tagged

    eager = TypeAdapter(Annotated[Union[OPTIMIZER_CLASSES], Field(discriminator="type")])
    lazy = TypeAdapter(Annotated[OptimizerBase, Tagged(*OPTIMIZER_CLASSES)])
    assert lazy.json_schema() == eager.json_schema()

    def errors(adapter):
        try:
            return adapter.validate_python(value)
        except ValidationError as e:
            tag = value.get("type") if isinstance(value, dict) else None
            return [(err["type"], err["msg"], err.get("ctx"), err["input"],
                     err["loc"][1:] if err["loc"][:1] == (tag,) else err["loc"]) for err in e.errors(include_url=False)]

    assert errors(lazy) == errors(eager)
