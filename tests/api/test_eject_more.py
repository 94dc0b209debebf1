"""`kspec eject` of text data (the text examples, made-up text sources, keras_text from a fabricated
cache) and of layers adapted on the training data: each script, run without kspec, trains as
`kspec run` does, every metric of every epoch equal. Apart from test_eject.py so that the two
files' slow tests run on two workers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.api.test_eject import (SPECS, TINY_FOLDER, TINY_IMDB, check_example, imports_of,
                                  run_in_process_without_kspec, tiny_tree)

SHORT_TEXTS = f"data.path={SPECS / 'text' / 'reviews_test.csv'}"  # 500 reviews of the 2,000
TEXT_EXAMPLES = {
    # the course's Tokenizer, CSV files, validation on the test file
    "text_sentiment": ["train.epochs=1", SHORT_TEXTS],
    # Embedding + Bidirectional(LSTM); a seeded random validation split, one-hot labels, no OOV token, pre padding
    "text_sentiment_bilstm": ["train.epochs=1", SHORT_TEXTS, "data.test_path=null",
                              "data.validation=0.2", "data.tokenizer={num_words: 300, oov_token: null, maxlen: 12}",
                              "model.layers[0].input_dim=300", "model.layers[3]={type: Dense, units: 2, activation: softmax}",
                              "data.label_encoding=one_hot", "compile.loss=categorical_crossentropy"],
    # TextVectorization with bigrams, multi_hot
    "text_bag_of_words": ["train.epochs=1", SHORT_TEXTS, "data.limit=150"],  # the vocabulary of 150 texts
    # n-gram prefixes of every line of a text file, Bidirectional(LSTM)
    "text_next_word": ["train.epochs=2", "data.validation=0.1"],
}


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(TEXT_EXAMPLES))
def test_ejected_text_example_trains_exactly_like_kspec_run(tmp_path, example):
    """The text example spec (made short) ejected and run without kspec: every metric of every epoch equal."""
    check_example(tmp_path, example, TEXT_EXAMPLES[example])


@pytest.mark.slow
def test_ejected_keras_text_trains_exactly_like_kspec_run(tmp_path, monkeypatch):
    """imdb from a fabricated Keras cache (only the download is replaced, for kspec and the script
    alike): the same padding, limit, held-out last quarter and one-hot labels; every metric equal."""
    pytest.importorskip("tensorflow")
    import keras.src.datasets.imdb as keras_imdb

    import kspec
    from tests.conftest import fake_imdb

    npz = fake_imdb(tmp_path / "keras")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(keras_imdb, "get_file", lambda *a, **kw: str(npz))
    (tmp_path / "imdb.yaml").write_text(TINY_IMDB)
    spec = kspec.load(tmp_path / "imdb.yaml")
    spec.eject(tmp_path / "train.py")
    text = (tmp_path / "train.py").read_text()
    assert "keras.datasets.imdb.load_data(num_words=9)" in text and "x, y = x[:200], y[:200]" in text
    ours = spec.run(out=tmp_path / "runs", quiet=True).history
    ejected = run_in_process_without_kspec(tmp_path / "train.py")
    assert len(ejected["loss"]) == 2 and set(ejected) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key in ejected:
        assert ejected[key] == ours[key], key


def tiny_texts(root: Path) -> None:
    """A class-per-folder tree of .txt files (CRLF lines, a BOM, upper case, punctuation, a hidden
    folder), a JSON-lines file with numeric labels and a blank line, and a CRLF song for next_word."""
    import random

    rng = random.Random(0)
    words = {"neg": ["bad", "AWFUL", "dull.", "poor;", "Ça va pas"], "pos": ["Good", "great", "Café!", "fine,", "superb"],
             "mid": ["okay", "so-so", "Average", "fair"]}
    subjects = ["the film", "The plot", "this movie", "the END", "its cast"]

    def clause(kind: str) -> str:
        return f"{rng.choice(subjects)} was {rng.choice(words[kind])}"

    for split, n in (("train", 16), ("test", 6)):
        for label in ("neg", "pos"):
            (root / "tree" / split / label).mkdir(parents=True)
            for i in range(n):
                text = ("\ufeff" if i == 0 else "") + clause(label) + "\r\n" + clause(label) + " and " + clause(label)
                (root / "tree" / split / label / f"{i:02d}.txt").write_bytes(text.encode("utf-8"))
    (root / "tree" / "train" / ".hidden").mkdir()
    kinds = ["neg", "mid", "pos"]
    rows = [json.dumps({"id": i, "body": f"{clause(kinds[i % 3])}, {clause(kinds[i % 3])}", "stars": i % 3})
            for i in range(45)]
    (root / "reviews.jsonl").write_text("\n".join(rows[:20] + [""] + rows[20:]) + "\n", encoding="utf-8")
    vocab = "oh river carry my song to the sea and come back me down by water".split()
    song = [" ".join(rng.choice(vocab) for _ in range(rng.randint(3, 7))) for _ in range(14)]
    (root / "song.txt").write_bytes("\r\n".join(song).encode("utf-8"))


TEXT_SPECS = {
    "folder_tf_idf": """kspec: 1
name: folder_tf_idf
data:
  type: text
  directory: tree/train
  test_directory: tree/test
  validation: test
  tokenizer: {type: TextVectorization, max_tokens: 48, pad_to_max_tokens: true, standardize: lower,
              ngrams: [1, 3], output_mode: tf_idf}
model:
  layers:
    - {type: Dense, units: 8, activation: relu}
    - {type: Dense, units: 1, activation: sigmoid}
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
train: {epochs: 2, batch_size: 8, seed: 2, verbose: 0}
""",
    "jsonl_int_ids": """kspec: 1
name: jsonl_int_ids
data:
  type: text
  path: reviews.jsonl
  text_column: body
  label_column: stars
  validation: 0.25
  seed: 5
  label_encoding: one_hot
  tokenizer: {type: TextVectorization, max_tokens: 30, output_sequence_length: 7}
model:
  layers:
    - {type: Embedding, input_dim: 30, output_dim: 4}
    - {type: GlobalAveragePooling1D}
    - {type: Dense, units: 3, activation: softmax}
compile: {optimizer: adam, loss: categorical_crossentropy, metrics: [accuracy]}
train: {epochs: 2, batch_size: 8, seed: 1, verbose: 0}
""",
    "song_next_word": """kspec: 1
name: song_next_word
data:
  type: text
  task: next_word
  path: song.txt
  validation: 0.2
  tokenizer: {num_words: 12, oov_token: "<OOV>", maxlen: 4, lower: false, filters: "!?"}
model:
  layers:
    - {type: Embedding, input_dim: 12, output_dim: 4}
    - {type: LSTM, units: 8}
    - {type: Dense, units: 12, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
train: {epochs: 2, batch_size: 8, seed: 0, verbose: 0}
evaluate: false
""",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TEXT_SPECS))
def test_ejected_text_sources_train_exactly_like_kspec_run(tmp_path, name):
    """A folder of .txt files with tf_idf trigrams, JSON lines with int TextVectorization ids and
    numeric labels, a CRLF text file of lines for next_word: every metric of every epoch equal."""
    pytest.importorskip("tensorflow")
    import kspec

    tiny_texts(tmp_path)
    (tmp_path / "spec.yaml").write_text(TEXT_SPECS[name])
    spec = kspec.load(tmp_path / "spec.yaml")
    spec.eject(tmp_path / "train.py")
    assert imports_of(tmp_path / "train.py") <= {"collections", "csv", "io", "json", "math", "re", "string", "pathlib",
                                                 "numpy", "keras"}
    ours = spec.run(out=tmp_path / "runs", quiet=True).history
    ejected = run_in_process_without_kspec(tmp_path / "train.py")
    assert len(ejected["loss"]) == 2 and set(ejected) == set(ours) - {"learning_rate"}
    for key in ejected:
        assert ejected[key] == ours[key], key


ADAPTING = """kspec: 1
name: adapting
data:
  type: arrays
  x: [[0.0, 10.0], [1.0, 30.0], [2.0, 50.0], [3.0, 20.0], [4.0, 60.0], [5.0, 40.0], [6.0, 80.0], [7.0, 70.0]]
  y: [0, 0, 1, 0, 1, 0, 1, 1]
  validation: 0.25
model:
  input_shape: [2]
  layers:
    - {type: Dense, units: 4, activation: relu}
    - {type: Normalization}
    - {type: Dense, units: 1, activation: sigmoid}
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
train: {epochs: 3, batch_size: 2, seed: 4}
evaluate: false
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["arrays", "image_folder"])
def test_ejected_script_adapts_normalization_as_kspec_does(tmp_path, kind):
    """A Normalization layer without mean and variance is adapted on the training data before
    fit, through the layers before it; the script does the same, so the histories are equal."""
    pytest.importorskip("tensorflow")
    import kspec

    if kind == "arrays":
        (tmp_path / "spec.yaml").write_text(ADAPTING)
    else:
        tiny_tree(tmp_path / "tree")
        (tmp_path / "spec.yaml").write_text(TINY_FOLDER.replace(
            "    - {type: Conv2D, filters: 4, kernel_size: 3, activation: relu}",
            "    - {type: Normalization}\n    - {type: Conv2D, filters: 4, kernel_size: 3, activation: relu}"))
    spec = kspec.load(tmp_path / "spec.yaml")
    spec.eject(tmp_path / "train.py")
    text = (tmp_path / "train.py").read_text()
    assert ".adapt(data)" in text
    ours = spec.run(out=tmp_path / "runs", quiet=True).history
    ejected = run_in_process_without_kspec(tmp_path / "train.py")
    for key in ("loss", "val_loss"):
        assert ejected[key] == ours[key], key
