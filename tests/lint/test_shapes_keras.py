"""kspec's static shapes and parameter counts against Keras itself.

For every spec in specs/ and for a few hundred generated layer stacks (seeded, random valid
arguments over every supported layer), :func:`kspec.analyse.shapes.infer` must give each layer's
output shape and its trainable / non-trainable parameter counts exactly as a ``keras.Sequential``
built from the same layers does; and a stack kspec calls impossible must fail to build in Keras.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from kspec.analyse.shapes import infer
from kspec.layers import LAYER_CLASSES, ShapeError
from kspec.pipeline import Pipeline
from pydantic import TypeAdapter

from kspec.layers import Layer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
N_STACKS = 300
LAYER = TypeAdapter(Layer)


@pytest.fixture(scope="module")
def keras():
    from kspec.emit.model import keras as load

    return load()


def keras_plan(keras, layers, input_shape):
    """[(output shape, trainable, non-trainable)] per layer, from Keras."""
    model = keras.Sequential([keras.Input(shape=tuple(input_shape))]
                             + [getattr(keras.layers, l.type)(**l.keras_kwargs()) for l in layers])
    out = []
    for layer in model.layers:
        trainable = sum(math.prod(w.shape) for w in layer.trainable_weights)
        frozen = sum(math.prod(w.shape) for w in layer.non_trainable_weights)
        out.append((tuple(layer.output.shape[1:]), trainable, frozen))
    return out


def kspec_plan(layers, input_shape):
    plan = infer(layers, tuple(input_shape))
    return plan, [(tuple(p.output_shape), p.trainable, p.non_trainable) for p in plan.layers]


def compare(keras, layers, input_shape, label):
    plan, ours = kspec_plan(layers, input_shape)
    if plan.error is not None:
        with pytest.raises(Exception):
            keras_plan(keras, layers, input_shape)
        return "impossible"
    theirs = keras_plan(keras, layers, input_shape)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, (f"{label}: layer {i} {layers[i].type}({layers[i].keras_kwargs()}) on input "
                        f"{plan.layers[i].input_shape}: kspec {a}, keras {b}")
    assert len(ours) == len(theirs)
    return "ok"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_example_specs_match_keras(spec, keras):
    r = Pipeline(spec).resolved
    assert r.input_shape is not None
    assert compare(keras, r.model.layers, r.input_shape, spec.name) == "ok"


# ------------------------------------------------------------------------------------ generator

ACTIVATIONS = ["relu", "sigmoid", "softmax", "tanh", None]


def _k(rng, lo=1, hi=5):
    return rng.randint(lo, hi) if rng.random() < 0.6 else [rng.randint(lo, hi), rng.randint(lo, hi)]


def gen_layer(rng: random.Random, shape: tuple) -> dict:
    """Random arguments for a layer that accepts ``shape`` (its kernel may still be too large:
    kspec must then call the stack impossible, and Keras must refuse it)."""
    rank = len(shape)
    choices = ["Dense", "Dropout", "BatchNormalization", "Activation", "Rescaling", "Flatten", "Reshape"]
    if rank == 3:
        choices += ["Conv2D"] * 3 + ["MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
                                     "GlobalMaxPooling2D", "RandomFlip", "RandomRotation", "RandomZoom",
                                     "RandomTranslation", "RandomContrast"]
    if rank == 2:
        choices += ["Conv1D"] * 3 + ["MaxPooling1D"] * 2
    t = rng.choice(choices)
    d: dict = {"type": t}
    if t == "Dense":
        d.update(units=rng.randint(1, 40), activation=rng.choice(ACTIVATIONS), use_bias=rng.random() < 0.8)
    elif t == "Dropout":
        d.update(rate=round(rng.uniform(0, 0.9), 2))
    elif t == "BatchNormalization":
        d.update(center=rng.random() < 0.7, scale=rng.random() < 0.7)
    elif t == "Activation":
        d.update(activation=rng.choice(ACTIVATIONS[:-1]))
    elif t == "Rescaling":
        d.update(scale=1 / 255, offset=rng.choice([0.0, -1.0]))
    elif t == "Reshape":
        total = math.prod(shape)
        divisors = [k for k in range(1, total + 1) if total % k == 0]
        a = rng.choice(divisors)
        d.update(target_shape=rng.choice([[a, -1], [-1, a], [a, total // a], [total], [a, total // a, 1]]))
        if rng.random() < 0.05:
            d["target_shape"] = [a + 1, total // a]  # a wrong element count
    elif t == "Conv2D":
        dilated = rng.random() < 0.2
        d.update(filters=rng.randint(1, 16), kernel_size=_k(rng), padding=rng.choice(["valid", "same"]),
                 activation=rng.choice(ACTIVATIONS), use_bias=rng.random() < 0.8)
        if dilated:
            d["dilation_rate"] = _k(rng, 1, 3)
        if rng.random() < (0.1 if dilated else 0.4):  # strides with dilation: Keras refuses both > 1
            d["strides"] = _k(rng, 1, 3)
    elif t == "Conv1D":
        d.update(filters=rng.randint(1, 16), kernel_size=rng.randint(1, 6),
                 padding=rng.choice(["valid", "same", "causal"]), activation=rng.choice(ACTIVATIONS))
        if rng.random() < 0.3:
            d["dilation_rate"] = rng.randint(1, 3)
        if rng.random() < 0.3:
            d["strides"] = rng.randint(1, 3)
    elif t in ("MaxPooling2D", "AveragePooling2D"):
        d.update(pool_size=_k(rng, 1, 4), padding=rng.choice(["valid", "same"]))
        if rng.random() < 0.4:
            d["strides"] = _k(rng, 1, 3)
    elif t == "MaxPooling1D":
        d.update(pool_size=rng.randint(1, 4), padding=rng.choice(["valid", "same"]))
        if rng.random() < 0.4:
            d["strides"] = rng.randint(1, 3)
    elif t == "RandomFlip":
        d.update(mode=rng.choice(["horizontal", "vertical", "horizontal_and_vertical"]))
    elif t == "RandomRotation":
        d.update(factor=0.1)
    elif t == "RandomZoom":
        d.update(height_factor=0.1)
    elif t == "RandomTranslation":
        d.update(height_factor=0.1, width_factor=0.1)
    elif t == "RandomContrast":
        d.update(factor=0.2)
    return {k: v for k, v in d.items() if v is not None}


def gen_stack(rng: random.Random):
    kind = rng.choice(["image", "image", "sequence", "vector"])
    if kind == "image":
        shape = (rng.randint(4, 40), rng.randint(4, 40), rng.choice([1, 3]))
    elif kind == "sequence":
        shape = (rng.randint(4, 40), rng.randint(1, 8))
    else:
        shape = (rng.randint(1, 50),)
    layers = []
    current = shape
    for _ in range(rng.randint(1, 7)):
        layer = LAYER.validate_python(gen_layer(rng, current))
        layers.append(layer)
        try:
            current, _, _ = layer.infer(current)
        except ShapeError:
            break
    return shape, layers


def test_generated_stacks_match_keras(keras):
    rng = random.Random(20240601)
    outcomes = {"ok": 0, "impossible": 0}
    seen_types = set()
    for n in range(N_STACKS):
        shape, layers = gen_stack(rng)
        seen_types |= {l.type for l in layers}
        outcomes[compare(keras, layers, shape, f"stack {n} from {shape}")] += 1
    assert outcomes["ok"] > N_STACKS * 0.6 and outcomes["impossible"] > 5, outcomes
    every = {cls.model_fields["type"].annotation.__args__[0] for cls in LAYER_CLASSES}
    assert every <= seen_types, f"layers never generated: {every - seen_types}"
