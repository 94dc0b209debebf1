"""Every example spec compiles to the model a person would write by hand in Keras, layer for
layer: same classes, same values for every argument the spec sets, same output shapes, same
parameter counts, same optimizer and loss."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")
L = keras.layers

from kspec.emit.model import build_loss, build_model, build_optimizer, compile_model  # noqa: E402
from kspec.pipeline import Pipeline  # noqa: E402
from tests.conftest import example_specs  # noqa: E402


def course_cnn(input_shape, filters=(16, 32, 64)):
    """The Horses-or-Humans convnet of the course notebooks."""
    layers = [keras.Input(input_shape)]
    for f in filters:
        layers += [L.Conv2D(f, (3, 3), activation="relu"), L.MaxPooling2D(2, 2)]
    return layers + [L.Flatten(), L.Dense(512, activation="relu"), L.Dense(1, activation="sigmoid")]


# Hand-written references: (layers, optimizer class, optimizer args, loss)
REFERENCES = {
    "hello": lambda: ([keras.Input((1,)), L.Dense(units=1)], "SGD", {"learning_rate": 0.01}, "mean_squared_error"),
    "quickstart": lambda: ([keras.Input((28, 28, 1)),
                            L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2),
                            L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                            L.Flatten(), L.Dense(64, activation="relu"), L.Dense(4, activation="softmax")],
                           "Adam", {"learning_rate": 0.001}, "sparse_categorical_crossentropy"),
    "fashion_mnist_mlp": lambda: ([keras.Input((28, 28)), L.Flatten(), L.Dense(128, activation="relu"),
                                   L.Dense(10, activation="softmax")],
                                  "Adam", {"learning_rate": 0.001}, "sparse_categorical_crossentropy"),
    "fashion_mnist_cnn": lambda: ([keras.Input((28, 28, 1)),
                                   L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D(2, 2),
                                   L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D(2, 2),
                                   L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")],
                                  "Adam", {"learning_rate": 0.001}, "sparse_categorical_crossentropy"),
    "mnist_mlp": lambda: ([keras.Input((28, 28)), L.Flatten(), L.Dense(128, activation="relu"), L.Dropout(0.2),
                           L.Dense(10, activation="softmax")],
                          "Adam", {"learning_rate": 0.001}, "sparse_categorical_crossentropy"),
    "fashion_mnist_parts": lambda: ([keras.Input((28, 28)), L.Flatten(), L.Dense(128, activation="relu"),
                                     L.Dropout(0.2), L.Dense(10, activation="softmax")],
                                    "Adam", {"learning_rate": 0.001}, "sparse_categorical_crossentropy"),
    "shapes-folder": lambda: ([keras.Input((28, 28, 1)),
                               L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2),
                               L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                               L.Flatten(), L.Dense(64, activation="relu"), L.Dense(4, activation="softmax")],
                              "Adam", {"learning_rate": 0.001}, "categorical_crossentropy"),
    "horse-or-human": lambda: (course_cnn((300, 300, 3), (16, 32, 64, 64, 64)), "RMSprop", {"learning_rate": 0.001},
                               "binary_crossentropy"),
    "horse-or-human-100px": lambda: ([keras.Input((100, 100, 1)),
                                      L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2),
                                      L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                                      L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
                                      L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
                                      L.Flatten(), L.Dropout(0.5), L.Dense(256, activation="relu"),
                                      L.Dense(1, activation="sigmoid")],
                                     "Adam", {"learning_rate": 0.0005}, "binary_crossentropy"),
    "shapes-augmented": lambda: ([keras.Input((28, 28, 1)),
                                  L.RandomFlip("horizontal"), L.RandomRotation(0.05), L.RandomZoom(0.1),
                                  L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2),
                                  L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                                  L.Flatten(), L.Dense(64, activation="relu"), L.Dense(4, activation="softmax")],
                                 "Adam", {"learning_rate": 0.001}, "sparse_categorical_crossentropy"),
    # the backbone as keras.applications builds it (kspec adds MobileNetV2's preprocess_input
    # inside its Functional; a Rescaling layer there has no weights)
    "transfer-mobilenet": lambda: ([keras.Input((48, 48, 3)),
                                    keras.applications.MobileNetV2(input_shape=(48, 48, 3), alpha=0.35, weights=None,
                                                                   include_top=False, pooling="avg"),
                                    L.Dropout(0.2), L.Dense(4, activation="softmax")],
                                   "Adam", {"learning_rate": 0.001}, "categorical_crossentropy"),
    "series_lr_sweep": lambda: ([keras.Input((20,)), L.Dense(10, activation="relu"), L.Dense(10, activation="relu"),
                                 L.Dense(1)], "SGD", {"learning_rate": 1e-8, "momentum": 0.9}, "huber"),
    "series_dense": lambda: ([keras.Input((20,)), L.Dense(10, activation="relu"), L.Dense(10, activation="relu"),
                              L.Dense(1)], "SGD", {"learning_rate": 1e-6, "momentum": 0.9}, "mean_squared_error"),
    # fruit: 2 numeric columns + colour one-hot (4 colours and the out-of-vocabulary slot)
    "table_fruit": lambda: ([keras.Input((7,)), L.Dense(16, activation="relu"), L.Dense(3, activation="softmax")],
                            "Adam", {"learning_rate": 0.001}, "sparse_categorical_crossentropy"),
    "text_sentiment": lambda: ([keras.Input((20,)), L.Embedding(1000, 16), L.GlobalAveragePooling1D(),
                                L.Dense(24, activation="relu"), L.Dense(1, activation="sigmoid")],
                               "Adam", {"learning_rate": 0.001}, "binary_crossentropy"),
    "text_sentiment_bilstm": lambda: ([keras.Input((20,)), L.Embedding(1000, 16), L.Bidirectional(L.LSTM(16)),
                                       L.Dense(24, activation="relu"), L.Dense(1, activation="sigmoid")],
                                      "Adam", {"learning_rate": 0.001}, "binary_crossentropy"),
    # TextVectorization multi_hot: one input per vocabulary entry (691 words and word pairs, [UNK] first)
    "text_bag_of_words": lambda: ([keras.Input((691,)), L.Dense(16, activation="relu"), L.Dense(1, activation="sigmoid")],
                                  "Adam", {"learning_rate": 0.01}, "binary_crossentropy"),
    "text_next_word": lambda: ([keras.Input((9,)), L.Embedding(81, 32), L.Bidirectional(L.LSTM(64)),
                                L.Dense(81, activation="softmax")],
                               "Adam", {"learning_rate": 0.01}, "sparse_categorical_crossentropy"),
    "series_lstm": lambda: ([keras.Input((20, 1)), L.Bidirectional(L.LSTM(32, return_sequences=True)),
                             L.Bidirectional(L.LSTM(32)), L.Dense(1)], "Adam", {"learning_rate": 0.001}, "huber"),
    "series_conv_lstm": lambda: ([keras.Input((20, 1)), L.Conv1D(32, 5, padding="causal", activation="relu"),
                                  L.LSTM(32, return_sequences=True), L.LSTM(32), L.Dense(1)],
                                 "Adam", {"learning_rate": 0.001}, "huber"),
    # houses: 3 numeric columns + district one-hot (4 districts and the out-of-vocabulary slot)
    "table_houses": lambda: ([keras.Input((8,)), L.Dense(32, activation="relu"), L.Dense(1)],
                             "Adam", {"learning_rate": 0.01}, "mean_squared_error"),
}


def _norm(v):
    if isinstance(v, list):
        return tuple(_norm(x) for x in v)
    if isinstance(v, tuple):
        return tuple(_norm(x) for x in v)
    return v


def _same_arg(field, spec_value, keras_value):
    spec_value, keras_value = _norm(spec_value), _norm(keras_value)
    if field in ("kernel_size", "strides", "pool_size", "dilation_rate") and isinstance(spec_value, int):
        spec_value = (spec_value,) * len(keras_value)
    if field.endswith("factor") and isinstance(spec_value, (int, float)) and isinstance(keras_value, (list, tuple)):
        spec_value = (-spec_value, spec_value)  # Keras keeps a bare factor f as the range (-f, f)
    if isinstance(keras_value, dict) and keras_value.get("module") == "keras.layers":  # a wrapped layer
        nested = getattr(spec_value, "model_fields_set", None)
        if nested is None:
            return False
        cfg = keras_value["config"]
        return keras_value["class_name"] == spec_value.keras_class and all(
            _same_arg(f, getattr(spec_value, f), cfg[f]) for f in nested - {"type", "name"}
        )
    if isinstance(keras_value, dict) and "class_name" in keras_value:  # initializers
        keras_value = keras.initializers.serialize(keras.initializers.get(keras_value))["class_name"]
        spec_value = keras.initializers.serialize(keras.initializers.get(spec_value))["class_name"]
    return spec_value == keras_value


@pytest.mark.parametrize("path", example_specs(), ids=lambda p: p.stem)
def test_spec_compiles_to_the_hand_written_model(path):
    p = Pipeline(path, seed=0)
    p.require_valid()
    r = p.resolved
    name = r.spec.name
    assert name in REFERENCES, f"add a hand-written reference model for {path.name} to this test"
    ref_layers, opt_cls, opt_args, loss = REFERENCES[name]()
    ref = keras.Sequential(ref_layers)
    got = build_model(r)
    assert len(got.layers) == len(ref.layers) == len(r.model.layers)
    for i, (g, h, spec_layer) in enumerate(zip(got.layers, ref.layers, r.model.layers)):
        assert type(g) is type(h), f"layer {i}: {type(g).__name__} != {type(h).__name__}"
        cfg = g.get_config()
        if spec_layer.type == "Application":  # a Functional backbone: compared by shape and weights below
            cfg = {}
        for field in spec_layer.model_fields_set - {"type", "name"} if cfg else ():
            assert _same_arg(field, getattr(spec_layer, field), cfg[field]), (i, field, cfg[field])
        # and the reference agrees on everything both configure
        ref_cfg = h.get_config()
        for key in ("units", "filters", "kernel_size", "strides", "padding", "pool_size", "activation", "rate", "use_bias"):
            if key in ref_cfg:
                assert _norm(cfg[key]) == _norm(ref_cfg[key]), (i, key)
        assert tuple(g.output.shape) == tuple(h.output.shape), i
        assert g.count_params() == h.count_params(), i
    assert got.count_params() == ref.count_params()
    opt = build_optimizer(r.compile.optimizer)
    assert type(opt).__name__ == opt_cls
    for k, v in opt_args.items():
        assert float(keras.ops.convert_to_numpy(getattr(opt, k))) == pytest.approx(v)
    assert build_loss(r.compile.loss) == loss
    compile_model(got, r)  # compiles without error


def test_static_shapes_agree_with_keras_for_every_example():
    for path in example_specs():
        p = Pipeline(path, seed=0)
        r = p.resolved
        model = build_model(r)
        plan = p.plan
        assert plan.complete, path
        for lp, layer in zip(plan.layers, model.layers):
            assert tuple(lp.output_shape) == tuple(layer.output.shape[1:]), (path.name, lp.index)
            assert lp.params == layer.count_params(), (path.name, lp.index)


def test_loss_objects_when_arguments_differ():
    p = Pipeline(text="kspec: 1\ndata: {type: keras, name: mnist}\nmodel:\n  layers: [{type: Flatten}, {type: Dense, units: 10}]\n"
                 "compile: {optimizer: {type: adam, learning_rate: 0.01}, loss: {type: sparse_categorical_crossentropy, from_logits: true}}\n")
    loss = build_loss(p.resolved.compile.loss)
    assert isinstance(loss, keras.losses.SparseCategoricalCrossentropy)
    assert loss.get_config()["from_logits"] is True


def test_layer_names_do_not_depend_on_what_the_process_built_before():
    p = Pipeline(text="kspec: 1\ndata: {type: synthetic, image_size: 16, rescale: 1/255}\nmodel:\n  layers:\n"
                 "    - {type: Conv2D, filters: 2, kernel_size: 3}\n    - {type: MaxPooling2D}\n"
                 "    - {type: Conv2D, filters: 2, kernel_size: 3, name: conv2d_1}\n    - {type: Conv2D, filters: 2, kernel_size: 1}\n"
                 "    - {type: Flatten}\n    - {type: Dense, units: 4, activation: softmax}\n"
                 "compile: {optimizer: adam, loss: sparse_categorical_crossentropy}\n")
    first = [layer.name for layer in build_model(p.resolved).layers]
    second = [layer.name for layer in build_model(p.resolved).layers]
    assert first == second == ["conv2d", "max_pooling2d", "conv2d_1", "conv2d_2", "flatten", "dense"]
