"""The hand-written Keras script that specs/fashion_mnist_mlp.yaml replaces, written the way the
course's notebook does it (Keras 3 names). ``benchmarks/runner_overhead.py`` runs it next to
``kspec run`` and compares wall time and accuracy.

Prints one JSON line: import, data, fit and total seconds, the history and the test metrics.
KERAS_HOME must point at a folder with datasets/fashion-mnist/ in it (the benchmark makes one).
"""

import json
import sys
import time

T0 = time.perf_counter()

import keras  # noqa: E402

T_IMPORT = time.perf_counter()
EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 0


class myCallback(keras.callbacks.Callback):  # noqa: N801 - the course's name
    def on_epoch_end(self, epoch, logs={}):  # noqa: B006 - as in the course
        if logs.get("accuracy") >= 0.95:
            print("\nReached 95% accuracy so cancelling training!")
            self.model.stop_training = True


keras.utils.set_random_seed(SEED)
fashion_mnist = keras.datasets.fashion_mnist
(training_images, training_labels), (test_images, test_labels) = fashion_mnist.load_data()
training_images = training_images / 255.0
test_images = test_images / 255.0
T_DATA = time.perf_counter()

model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
t_fit, c_fit = time.perf_counter(), time.process_time()
history = model.fit(training_images, training_labels, epochs=EPOCHS, batch_size=32,
                    validation_data=(test_images, test_labels), callbacks=[myCallback()], verbose=0)
T_FIT, C_FIT = time.perf_counter() - t_fit, time.process_time() - c_fit
test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=0)
classifications = model.predict(test_images[:10], verbose=0)
print(json.dumps({
    "import_s": T_IMPORT - T0, "data_s": T_DATA - T_IMPORT, "fit_s": T_FIT, "fit_cpu_s": C_FIT, "total_s": time.perf_counter() - T0,
    "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
    "test_loss": float(test_loss), "test_accuracy": float(test_acc),
}))
