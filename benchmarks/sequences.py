"""Series and text pipelines: kspec against what the course writes by hand.

Every measurement runs in its own subprocess (peak memory is per variant):

* series epoch time: the course's Dense forecaster fitted on kspec's window pipeline (one tensor,
  batches gathered by start index) and on the course's ``windowed_dataset`` (``tf.data``
  ``window`` / ``flat_map`` / ``shuffle`` / ``map`` / ``batch``), same series, model, batch and
  seed; the median of the epochs after the first;
* peak resident memory against the number of windows (series of 10k .. 1M steps, one epoch
  iterated), for kspec's pipeline and for windows materialised as NumPy arrays (what
  ``model.fit(x, y)`` on a windowed array needs);
* text: tokenising 100,000 short texts (fit the vocabulary, map to ids, pad) with kspec's
  tokenizer, and with ``keras.layers.TextVectorization`` (``adapt`` + call), Keras 3's
  replacement for the course's ``Tokenizer``;
* text epoch time: Embedding + GlobalAveragePooling1D fitted on kspec's encoded arrays and on
  arrays encoded by hand the same way (both are NumPy arrays handed to ``fit``).
* ``kspec_run``: the same series and text models trained by ``kspec run`` itself (the runner's
  callbacks, checkpoints and history included), timed by an epoch timer added to the callbacks the
  runner hands ``fit``.

The epoch benchmarks run ``--rounds`` rounds of every variant, each variant in its own process
and the order rotated every round; each round's ratios are to that round's course run, and the
course's script runs twice a round (``course_again``) so the spread of two identical fits, the
noise floor, is printed beside the ratios it qualifies.

    python benchmarks/sequences.py --json benchmarks/sequences.results.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent


def _series_spec(length: int, split: int):
    from kspec.pipeline import Pipeline

    text = f"""kspec: 1
data: {{type: series, generator: {{length: {length}}}, split_time: {split}, window_size: 20, shuffle_buffer: 1000}}
model:
  layers: [{{type: Dense, units: 10, activation: relu}}, {{type: Dense, units: 10, activation: relu}}, {{type: Dense, units: 1}}]
compile: {{optimizer: {{type: sgd, learning_rate: 1.0e-6, momentum: 0.9}}, loss: mse}}
train: {{epochs: 1, batch_size: 32, seed: 0}}
"""
    return Pipeline(text=text, base_dir=ROOT).resolved


def course_windowed_dataset(series, window_size, batch_size, shuffle_buffer):
    """The course's function, as its notebooks write it."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(series)
    dataset = dataset.window(window_size + 1, shift=1, drop_remainder=True)
    dataset = dataset.flat_map(lambda window: window.batch(window_size + 1))
    dataset = dataset.shuffle(shuffle_buffer).map(lambda window: (window[:-1], window[-1]))
    dataset = dataset.batch(batch_size).prefetch(1)
    return dataset


class _EpochTimer:
    """Wall time and process CPU time (all threads) of every epoch. On a shared machine the CPU
    time is the steadier of the two: other jobs slow the wall clock, not the work done."""

    def __init__(self):
        self.times = []
        self.cpu = []

    def result(self) -> dict:
        return {"epoch_s": self.times, "median_after_first_s": statistics.median(self.times[1:]),
                "epoch_cpu_s": self.cpu, "median_cpu_after_first_s": statistics.median(self.cpu[1:])}

    def callback(self):
        import keras

        timer = self

        class T(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.t, self.c = time.perf_counter(), time.process_time()

            def on_epoch_end(self, epoch, logs=None):
                timer.times.append(time.perf_counter() - self.t)
                timer.cpu.append(time.process_time() - self.c)

        return T()


def _run_epochs(spec: str, epochs: int) -> dict:
    """Epoch times of ``kspec run`` itself (its callbacks, checkpoints and history included): the
    spec trained by the runner, with the epoch timer added to the callbacks the runner gives fit."""
    import tempfile

    import keras

    from kspec.pipeline import Pipeline
    from kspec.run import run_pipeline

    timer = _EpochTimer()
    fit = keras.Model.fit

    def timed_fit(self, *args, callbacks=None, **kwargs):
        return fit(self, *args, callbacks=list(callbacks or []) + [timer.callback()], **kwargs)

    keras.Model.fit = timed_fit
    with tempfile.TemporaryDirectory() as out:
        run_pipeline(Pipeline(text=spec, base_dir=ROOT), Path(out), epochs=epochs, quiet=True)
    return timer.result()


SERIES_RUN_SPEC = """kspec: 1
name: bench_series
data: {type: series, split_time: 1000, window_size: 20, shuffle_buffer: 1000}
model:
  layers: [{type: Dense, units: 10, activation: relu}, {type: Dense, units: 10, activation: relu}, {type: Dense, units: 1}]
compile: {optimizer: {type: sgd, learning_rate: 1.0e-6, momentum: 0.9}, loss: mse}
train: {batch_size: 32, seed: 0, verbose: 0}
evaluate: false
"""

TEXT_RUN_SPEC = """kspec: 1
name: bench_text
data: {type: text, path: "@TEXT@", tokenizer: {num_words: 1000, oov_token: "<OOV>", maxlen: 20, padding: post, truncating: post}}
model:
  layers:
    - {type: Embedding, input_dim: 1000, output_dim: 16}
    - {type: GlobalAveragePooling1D}
    - {type: Dense, units: 24, activation: relu}
    - {type: Dense, units: 1, activation: sigmoid}
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
train: {batch_size: 32, seed: 0, verbose: 0}
evaluate: false
"""


def series_epochs(variant: str, epochs: int) -> dict:
    import keras
    import numpy as np

    from kspec.emit.sequences import series_inputs
    from kspec.series import make_series

    if variant == "kspec_run":
        return _run_epochs(SERIES_RUN_SPEC, epochs)
    r = _series_spec(1461, 1000)
    keras.utils.set_random_seed(0)
    if variant == "kspec":
        ds = series_inputs(r, batch_size=32, seed=0).train
    else:
        series = make_series()[1].astype(np.float32)
        ds = course_windowed_dataset(series[:1000], 20, 32, 1000)
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(10, activation="relu"),
                              keras.layers.Dense(10, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-6, momentum=0.9), loss="mse")
    timer = _EpochTimer()
    model.fit(ds, epochs=epochs, verbose=0, callbacks=[timer.callback()])
    return timer.result()


class _PeakRss:
    """Resident memory of this process, sampled every 2 ms on a thread: the peak between start()
    and stop(). (ru_maxrss is the peak of the whole life of the process, so a setup step that
    peaks higher would hide what the epoch itself takes.)"""

    def __init__(self):
        import threading

        self.page = os.sysconf("SC_PAGE_SIZE")
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def now(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self.page

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            self._stop.wait(0.002)

    def start(self):
        self.peak = self.now()
        self._thread.start()
        return self

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, self.now())


def series_memory(variant: str, length: int) -> dict:
    """Memory of one epoch of windows, caching off: ``setup_mb`` what building the pipeline keeps
    (the series and its copies; the arrays variant: every window), ``setup_peak_mb`` the peak while
    building, ``epoch_mb`` the peak above what setup kept while one epoch is iterated, ``total_mb``
    the peak of both above the process before."""
    import numpy as np

    from kspec.emit.sequences import series_inputs
    from kspec.series import make_series, windows

    r = _series_spec(length, length - 100)
    import tensorflow as tf

    mb = 1024 * 1024
    watch = _PeakRss().start()
    before = watch.now()
    t = time.perf_counter()
    if variant == "kspec":
        ds = series_inputs(r, batch_size=32, seed=0).train
    else:  # windows as arrays, as model.fit(x, y) takes them
        series = make_series(length)[1].astype(np.float32)
        x, y = windows(series, range(0, length - 100 - 21 + 1), 20, 1)
        x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
        ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1000, seed=0).batch(32)
    built = watch.now()
    setup_peak, watch.peak = max(watch.peak, built), built  # from here: the epoch's own peak
    n = 0
    for xb, _ in ds:
        n += int(xb.shape[0])
    peak = watch.stop()
    return {"windows": n, "series_steps": length, "setup_mb": round((built - before) / mb, 1),
            "setup_peak_mb": round((setup_peak - before) / mb, 1), "epoch_mb": round(max(0, peak - built) / mb, 1),
            "total_mb": round((max(peak, setup_peak) - before) / mb, 1),
            "epoch_s": round(time.perf_counter() - t, 3)}


def _texts(n: int):
    from kspec.textdata import make_reviews

    return [t for t, _ in make_reviews(n, 0)]


def text_tokenise(variant: str, n: int) -> dict:
    """Fit a vocabulary on ``n`` short texts, map them to ids and pad to 20. ``kspec``: kspec's
    Tokenizer + pad_sequences; ``course``: the course's ``Tokenizer`` (``keras_preprocessing``, where
    Keras 2 kept it) + ``keras.utils.pad_sequences``; ``kspec_textvectorization``: kspec's
    TextVectorization (int mode); ``textvectorization``: ``keras.layers.TextVectorization`` adapt +
    call. Wall and process CPU time (all threads)."""
    texts = _texts(n)
    extra = {}
    if variant in ("course", "textvectorization"):
        import keras  # noqa: F401  (its import is not tokenising)
    t, c = time.perf_counter(), time.process_time()
    if variant == "kspec":
        from kspec.textdata import Tokenizer, pad_sequences

        tok = Tokenizer(num_words=10000, oov_token="<OOV>").fit(texts)
        x = pad_sequences(tok.sequences(texts), 20, "post", "post")
    elif variant == "course":
        from keras.utils import pad_sequences as keras_pad
        from keras_preprocessing.text import Tokenizer as CourseTokenizer

        tok = CourseTokenizer(num_words=10000, oov_token="<OOV>")
        tok.fit_on_texts(texts)
        x = keras_pad(tok.texts_to_sequences(texts), maxlen=20, padding="post", truncating="post")
    elif variant == "kspec_textvectorization":
        from kspec.textdata import Vectorizer

        x = Vectorizer(max_tokens=10000).fit(texts).encode(texts, 20)
    else:
        import keras
        import numpy as np

        layer = keras.layers.TextVectorization(max_tokens=10000, output_sequence_length=20)
        layer.adapt(texts, batch_size=4096)
        extra["adapt_s"] = round(time.perf_counter() - t, 3)
        x = np.asarray(layer(np.asarray(texts)))
    return {"texts": n, "seconds": round(time.perf_counter() - t, 3), "cpu_s": round(time.process_time() - c, 3),
            "shape": list(x.shape), "checksum": int(x.astype("int64").sum()), **extra}


def _text_csv() -> str:
    """The reviews the text epochs train on: ``KSPEC_BENCH_TEXT`` (written by the parent, of
    ``--reviews`` generated reviews), else the example's 2,000 in specs/text/reviews.csv."""
    return os.environ.get("KSPEC_BENCH_TEXT") or str(ROOT / "specs" / "text" / "reviews.csv")


def text_epochs(variant: str, epochs: int) -> dict:
    import keras
    import numpy as np

    from kspec.pipeline import Pipeline

    if variant == "kspec_run":
        return _run_epochs(TEXT_RUN_SPEC.replace("@TEXT@", _text_csv()), epochs)
    keras.utils.set_random_seed(0)
    if variant == "kspec":
        from kspec.emit.sequences import text_inputs

        spec = """kspec: 1
data: {type: text, path: "@TEXT@", tokenizer: {num_words: 1000, oov_token: "<OOV>", maxlen: 20, padding: post, truncating: post}}
model: {layers: [{type: Dense, units: 1, activation: sigmoid}]}
compile: {optimizer: adam, loss: binary_crossentropy}
"""
        r = Pipeline(text=spec.replace("@TEXT@", _text_csv()), base_dir=ROOT).resolved
        x, y = text_inputs(r, batch_size=32, seed=0).train
    else:  # the course's steps, by hand
        import csv

        with open(_text_csv(), encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        sentences = [row["text"] for row in rows]
        y = np.asarray([1 if row["label"] == "positive" else 0 for row in rows])
        from keras.utils import pad_sequences as keras_pad
        from keras_preprocessing.text import Tokenizer as CourseTokenizer

        tok = CourseTokenizer(num_words=1000, oov_token="<OOV>")
        tok.fit_on_texts(sentences)
        x = keras_pad(tok.texts_to_sequences(sentences), maxlen=20, padding="post", truncating="post")
    model = keras.Sequential([keras.Input((20,)), keras.layers.Embedding(1000, 16),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(24, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    timer = _EpochTimer()
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=[timer.callback()])
    return timer.result()


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


EPOCH_VARIANTS = ("kspec", "kspec_run", "course", "course_again")
"""``course_again`` is the course's script run a second time in each round: the ratio of the two
course runs is the noise floor, the spread two identical fits show on this machine."""


def _epoch_rounds(part: str, epochs: int, rounds: int) -> dict:
    """Every variant once per round, each in a fresh process, the order rotated each round (so no
    variant always runs first or last); per-round ratios to that round's course run, and their
    medians. The machine's load average is recorded with each round."""
    out: dict = {"rounds": [], "ratios": {}}
    for k in range(rounds):
        order = EPOCH_VARIANTS[k % len(EPOCH_VARIANTS):] + EPOCH_VARIANTS[:k % len(EPOCH_VARIANTS)]
        one = {"order": list(order), "load_before": os.getloadavg()[0]}
        for variant in order:
            one[variant] = _child([part, "course" if variant == "course_again" else variant, str(epochs)])
        one["load_after"] = os.getloadavg()[0]
        base = one["course"]
        one["ratios"] = {}
        for v in ("kspec", "kspec_run", "course_again"):
            one["ratios"][f"{v}_over_course"] = round(one[v]["median_after_first_s"] / base["median_after_first_s"], 3)
            one["ratios"][f"cpu_{v}_over_course"] = round(one[v]["median_cpu_after_first_s"]
                                                         / base["median_cpu_after_first_s"], 3)
        out["rounds"].append(one)
        print(f"{part} round {k + 1}/{rounds} (load {one['load_before']:.2f}): "
              + ", ".join(f"{key} {value}" for key, value in one["ratios"].items()), file=sys.stderr, flush=True)
    for key in out["rounds"][0]["ratios"]:
        values = [r["ratios"][key] for r in out["rounds"]]
        out["ratios"][f"{key}_median"] = round(statistics.median(values), 3)
        out["ratios"][f"{key}_range"] = [min(values), max(values)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs="+")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--reviews", type=int, default=25_000,
                    help="text epochs: generated reviews to train on (the size of the course's IMDB training set); "
                         "0 for the example's 2,000")
    ap.add_argument("--rounds", type=int, default=3,
                    help="epoch benchmarks: rounds of every variant, each in its own process, the order rotated every round")
    ap.add_argument("--texts", type=int, default=100_000)
    ap.add_argument("--lengths", default="10000,100000,1000000")
    ap.add_argument("--json")
    ap.add_argument("--only", help="comma-separated parts: series_epochs, text_epochs, text_tokenise, series_memory")
    a = ap.parse_args()
    if a.child:
        what, variant, arg = a.child
        fn = {"series_epochs": series_epochs, "series_memory": series_memory, "text_tokenise": text_tokenise,
              "text_epochs": text_epochs}[what]
        print(json.dumps(fn(variant, int(arg))))
        return
    parts = a.only.split(",") if a.only else ["series_epochs", "text_epochs", "text_tokenise", "series_memory"]
    results: dict = {part: {} for part in parts}
    if "text_epochs" in parts and a.reviews:
        import tempfile

        from kspec.textdata import reviews_csv

        csv_path = Path(tempfile.mkdtemp(prefix="kspec-bench-")) / "reviews.csv"
        csv_path.write_text(reviews_csv(a.reviews, 0), encoding="utf-8")
        os.environ["KSPEC_BENCH_TEXT"] = str(csv_path)
        results["text_epochs_reviews"] = a.reviews
    for part in ("series_epochs", "text_epochs"):
        if part in parts:
            results[part] = _epoch_rounds(part, a.epochs, a.rounds)
    if "text_tokenise" in parts:
        for variant in ("kspec", "course", "kspec_textvectorization", "textvectorization"):
            results["text_tokenise"][variant] = _child(["text_tokenise", variant, str(a.texts)])
    if "series_memory" in parts:
        for variant in ("kspec", "arrays"):
            results["series_memory"][variant] = [_child(["series_memory", variant, n]) for n in a.lengths.split(",")]
    ratios = results["ratios"] = {}
    for part, name in (("series_epochs", "series_epoch"), ("text_epochs", "text_epoch")):
        if part in parts:
            for key, value in results[part]["ratios"].items():
                ratios[f"{name}_{key}"] = value
    if "text_tokenise" in parts:
        tt = results["text_tokenise"]
        for x, y in (("kspec", "course"), ("kspec_textvectorization", "textvectorization")):
            for k in ("seconds", "cpu_s"):
                ratios[f"tokenise_{x}_over_{y}_{k}"] = round(tt[x][k] / tt[y][k], 3)
    print(json.dumps(results, indent=2))
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
