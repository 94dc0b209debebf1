"""docs/layers.md lists every layer class of the installed Keras with its status in the spec
language, generated from the code; the vocabulary, the refused list and Keras agree."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from kspec.layerdoc import layers_table, statuses, table_in
from kspec.layers import ALIASES, LAYER_TYPES, NOT_KERAS_LAYERS, PENDING, REFUSED, all_layer_classes, layer_class

ROOT = Path(__file__).resolve().parents[2]


def test_committed_table_is_current():
    text = (ROOT / "docs" / "layers.md").read_text(encoding="utf-8")
    assert table_in(text) == layers_table(), "run `python -m kspec.layerdoc docs/layers.md` and commit it"


def test_every_type_has_one_status_and_a_class():
    assert not set(LAYER_TYPES) & set(REFUSED), set(LAYER_TYPES) & set(REFUSED)
    assert not set(LAYER_TYPES) & set(PENDING) and not set(REFUSED) & set(PENDING)
    for name in LAYER_TYPES:
        cls = layer_class(name)
        assert name in cls.model_fields["type"].annotation.__args__, name
        assert ALIASES.get(name, name) == cls.__name__, name
    assert len(all_layer_classes()) == len(set(LAYER_TYPES) - set(ALIASES))


@pytest.mark.slow
def test_table_names_every_keras_layer_class():
    from kspec.emit.model import keras as load

    keras = load()
    names = {n for n, obj in vars(keras.layers).items() if inspect.isclass(obj) and not n.startswith("_")}
    known = set(statuses()) - set(NOT_KERAS_LAYERS)
    assert names - known == set(), f"Keras layer classes missing from the vocabulary and docs/layers.md: {sorted(names - known)}"
    assert known - names == set(), f"names that are not Keras layer classes: {sorted(known - names)}"
    for name in set(LAYER_TYPES) - set(NOT_KERAS_LAYERS):  # an alias is the same Keras class
        assert getattr(keras.layers, name) is getattr(keras.layers, ALIASES.get(name, name))
