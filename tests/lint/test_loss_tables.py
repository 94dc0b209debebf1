"""The loss tables the lint rules read know every loss the compile section accepts: a loss added
to kspec/compiling.py without a family (or a sign) fails here, not silently as ``other``."""

from __future__ import annotations

import typing

import pytest

from kspec.analyse.rules.common import NONNEGATIVE_LOSSES, SIGNED_LOSSES
from kspec.analyse.view import LOSS_FAMILY, loss_family
from kspec.compiling import LOSS_ALIASES, LOSS_CLASSES, LOSS_KERAS, LOSS_REFUSED, REGRESSION_LOSSES
from kspec.diagnostics import Severity

from .helpers import lint_fragment


def _accepted() -> set[str]:
    """Every canonical loss name a loss class of the compile vocabulary takes as its ``type``."""
    names: set[str] = set()
    for cls in LOSS_CLASSES:
        names.update(typing.get_args(cls.model_fields["type"].annotation))
    return names


def test_the_accepted_names_are_the_keras_table():
    assert _accepted() == set(LOSS_KERAS)
    assert set(LOSS_ALIASES.values()) <= set(LOSS_KERAS)


@pytest.mark.parametrize("name", sorted(_accepted()))
def test_every_accepted_loss_has_a_family_and_a_sign(name):
    assert name in LOSS_FAMILY, f"{name} is accepted by kspec/compiling.py but has no family in LOSS_FAMILY"
    assert loss_family(name) != "other"
    assert (name in NONNEGATIVE_LOSSES) != (name in SIGNED_LOSSES), f"{name}: say whether it can be negative"


def test_regression_table_agrees_with_the_families():
    assert REGRESSION_LOSSES == {n for n, f in LOSS_FAMILY.items() if f == "regression"}


def test_refused_losses_are_classified_too():
    assert {n.lower() for n in LOSS_REFUSED} <= set(LOSS_FAMILY)


def test_unknown_name_is_other():
    assert loss_family("not_a_loss") == "other"


_HEAD = "model:\n  layers:\n    - {type: Flatten}\n    - {type: Dense, units: 16, activation: relu}\n"


def _found(fragment):
    return [(d.code, d.severity) for d in lint_fragment(fragment)]


def test_focal_losses_want_the_activation_of_their_family():
    binary = _HEAD + ("    - {type: Dense, units: 1, activation: relu}\n"
                      "compile: {optimizer: adam, loss: binary_focal_crossentropy}\n")
    assert ("KS203", Severity.ERROR) in _found(binary)
    gce = _HEAD + ("    - {type: Dense, units: 10, activation: relu}\n"
                   "compile: {optimizer: adam, loss: categorical_generalized_cross_entropy}\n")
    assert ("KS203", Severity.ERROR) in _found(gce)
    fine = _HEAD + ("    - {type: Dense, units: 10, activation: softmax}\n"
                    "compile: {optimizer: adam, loss: categorical_generalized_cross_entropy}\n")
    assert "KS203" not in [c for c, _ in _found(fine)]


def test_a_threshold_on_a_signed_loss_is_not_unreachable():
    base = _HEAD + "    - {type: Dense, units: 1}\n"
    cb = "train:\n  callbacks:\n    - {type: threshold_stop, monitor: loss, threshold: -0.5, mode: min}\n"
    assert "KS405" in [c for c, _ in _found(base + "compile: {optimizer: adam, loss: dice}\n" + cb)]
    assert "KS405" not in [c for c, _ in _found(base + "compile: {optimizer: adam, loss: cosine_similarity}\n" + cb)]
