"""Text data without TensorFlow: the course's Tokenizer and pad_sequences, the vocabulary fitted
on the training split only, next-word n-grams, bad text files found by lint before training."""

from __future__ import annotations

import numpy as np
import pytest

from kspec.pipeline import Pipeline
from kspec.textdata import Tokenizer, load_text, make_reviews, pad_sequences, reviews_csv
from tests.conftest import SPECS

SPEC = """\
kspec: 1
data: {DATA}
model:
  layers: [{type: Dense, units: 1, activation: sigmoid}]
compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
"""


def lint(tmp_path, data: str):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.replace("{DATA}", data), encoding="utf-8")
    p = Pipeline(path)
    return p, p.diagnostics


def test_tokenizer_orders_words_by_count_with_the_oov_token_first():
    tok = Tokenizer(oov_token="<OOV>").fit(["I love my dog", "I love my cat", "You love my dog!"])
    # the course's first NLP notebook prints exactly this word_index
    assert tok.word_index == {"<OOV>": 1, "love": 2, "my": 3, "i": 4, "dog": 5, "cat": 6, "you": 7}
    assert tok.sequences(["i really love my dog", "my dog loves my manatee"]) == [[4, 1, 2, 3, 5], [3, 5, 1, 3, 1]]


def test_num_words_keeps_ids_below_it():
    tok = Tokenizer(num_words=4, oov_token="<OOV>").fit(["a a a b b c", "d"])
    assert tok.ids("a b c d") == [2, 3, 1, 1] and tok.vocab_size == 4
    no_oov = Tokenizer(num_words=3).fit(["a a b c"])
    assert no_oov.ids("a b c z") == [1, 2]


def test_pad_sequences_sides():
    seqs = [[1, 2, 3, 4], [5]]
    np.testing.assert_array_equal(pad_sequences(seqs), [[1, 2, 3, 4], [0, 0, 0, 5]])
    np.testing.assert_array_equal(pad_sequences(seqs, 3, padding="post", truncating="post"), [[1, 2, 3], [5, 0, 0]])
    np.testing.assert_array_equal(pad_sequences(seqs, 3), [[2, 3, 4], [0, 0, 5]])


def test_vocabulary_comes_from_the_training_split_only(tmp_path):
    rows = ["text,label"] + [f"common word{i % 2},{'a' if i % 2 else 'b'}" for i in range(8)] + ["zebra only here,a"]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    p, found = lint(tmp_path, "{type: text, path: t.csv, validation: 0.2, seed: 3}")
    loaded = load_text(p.resolved.data, tmp_path)
    words = set(loaded.state.tokenizer.word_index)
    held_out = len(rows) - 1 - len(loaded.x_train)
    assert held_out == 2 and loaded.x_val.shape[0] == 2
    # whatever the split, the vocabulary is exactly the words of the training rows
    texts = [r.split(",")[0] for r in rows[1:]]
    from kspec.tables import table_split

    tr, _ = table_split(len(texts), 0.2, 3)
    want = {w for i in tr for w in texts[i].split()}
    assert words == want | {"<OOV>"}
    assert p.resolved.facts.extra["vocab_size"] == len(want) + 2


def test_shipped_reviews_are_the_generator_output():
    assert (SPECS / "text" / "reviews.csv").read_text() == reviews_csv(2000, 0)
    assert (SPECS / "text" / "reviews_test.csv").read_text() == reviews_csv(500, 1)
    labels = [label for _, label in make_reviews(2000, 0)]
    assert labels.count("positive") == labels.count("negative") == 1000


def test_text_folder_tree(tmp_path):
    for c, texts in {"neg": ["bad film", "awful"], "pos": ["good film", "great fun", "nice"]}.items():
        (tmp_path / "train" / c).mkdir(parents=True)
        for i, t in enumerate(texts):
            (tmp_path / "train" / c / f"{i}.txt").write_text(t)
    p, found = lint(tmp_path, "{type: text, directory: train, tokenizer: {maxlen: 4}}")
    f = p.resolved.facts
    assert found == []
    assert f.class_names == ["neg", "pos"] and f.class_counts == {"neg": 2, "pos": 3} and f.sample_shape == (4,)


def test_next_word_ngrams(tmp_path):
    (tmp_path / "poem.txt").write_text("the cat sat\nthe cat ran far\n")
    p, found = lint(tmp_path, "{type: text, task: next_word, path: poem.txt, tokenizer: {oov_token: null}}")
    loaded = load_text(p.resolved.data, tmp_path)
    # n-grams of 'the cat sat' (2) and 'the cat ran far' (3), padded in front to 3 inputs
    assert loaded.x_train.shape == (5, 3) and len(loaded.y_train) == 5
    tok = loaded.state.tokenizer
    the, cat, far = tok.word_index["the"], tok.word_index["cat"], tok.word_index["far"]
    assert loaded.x_train[0].tolist() == [0, 0, the] and loaded.y_train[0] == cat
    assert loaded.y_train[-1] == far
    assert p.resolved.facts.num_classes == tok.vocab_size == 6


@pytest.mark.parametrize("content, data, words", [
    ("txt,label\nhello,a\nbye,b\n", "{type: text, path: t.csv}", "no column 'text'; did you mean 'txt'?"),
    ("text,label\nhello,a\n,b\n", "{type: text, path: t.csv}", "t.csv:3: the text is empty"),
    ("text,label\nhello,a\nbye,a\n", "{type: text, path: t.csv}", "one class ('a')"),
    ("text,sentiment\nhello,a\nbye,b\n", "{type: text, path: t.csv}", "no column 'label' (its header: text, sentiment)"),
    ("text,label\n", "{type: text, path: t.csv}", "t.csv has a header and no texts"),
    ("text,label\nhello,a\n  ,b\n", "{type: text, path: t.csv}", "t.csv:3: the text is empty"),
])
def test_bad_text_file_is_an_error_in_spec_and_file(tmp_path, content, data, words):
    (tmp_path / "t.csv").write_text(content)
    _, found = lint(tmp_path, data)
    assert [d.code for d in found] == ["KS701"], [(d.code, d.message) for d in found]
    assert words in found[0].message and found[0].span is not None


@pytest.mark.parametrize("test_file, words, where", [
    ("text,label\n", "u.csv has a header and no texts", "data.test_path"),
    ("txt,label\nhi,a\n", "u.csv has no column 'text'; did you mean 'txt'?", "data.text_column"),
    ("text,label\n,a\n", "u.csv:2: the text is empty", "data.text_column"),
])
def test_bad_test_file_is_an_error_too(tmp_path, test_file, words, where):
    (tmp_path / "t.csv").write_text("text,label\nhello,a\nbye,b\n")
    (tmp_path / "u.csv").write_text(test_file)
    _, found = lint(tmp_path, "{type: text, path: t.csv, test_path: u.csv}")
    assert [d.code for d in found] == ["KS701"] and words in found[0].message and found[0].path == where


@pytest.mark.parametrize("files, data, words", [
    ({"t.csv": "text,label\nhello,a\nbye,a\n"}, "{type: text, path: t.csv}", "one class ('a')"),
    ({"t.csv": b"text,label\nhello,a\ncaf\xe9,b\n"}, "{type: text, path: t.csv}", "t.csv:3:4 is not UTF-8"),
    ({"d/a/1.txt": "hello", "d/b/2.txt": " \n"}, "{type: text, directory: d}", "2.txt is empty"),
    ({"s.csv": "v\n1\n\n2\nnan\n"}, "{type: series, path: s.csv, column: v, window_size: 1}", "s.csv:5: the series 'v' is nan"),
    ({}, "{type: series, generator: {length: 30}, window_size: 30}", "longer than the series (30 time steps)"),
])
def test_run_refuses_bad_data_before_training(tmp_path, files, data, words):
    """`kspec run` stops at lint: the message points into the spec and the data file, and no run
    directory is made."""
    from typer.testing import CliRunner

    from kspec.cli import app

    for rel, content in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(content if isinstance(content, bytes) else content.encode())
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("{DATA}", data), encoding="utf-8")
    out = CliRunner().invoke(app, ["run", str(spec), "--out", str(tmp_path / "runs")])
    assert out.exit_code == 1, out.output
    assert f"{spec}:2:" in out.output and ": error[KS701]" in out.output and words in out.output, out.output
    assert "refusing to train" in out.output and "Traceback" not in out.output
    assert not (tmp_path / "runs").exists()


def test_a_json_line_without_the_text_key_says_so(tmp_path):
    (tmp_path / "t.jsonl").write_text('{"text": "fine", "label": "a"}\n{"txt": "typo", "label": "b"}\n'
                                      '{"text": "", "label": "b"}\n')
    _, found = lint(tmp_path, "{type: text, path: t.jsonl}")
    assert [d.code for d in found] == ["KS701"] and "t.jsonl:2: the object has no 'text' key" in found[0].message
    (tmp_path / "t.jsonl").write_text('{"text": "fine", "label": "a"}\n{"text": " ", "label": "b"}\n')
    _, found = lint(tmp_path, "{type: text, path: t.jsonl}")
    assert "t.jsonl:2: the text is empty" in found[0].message


def test_non_utf8_text_names_line_and_column(tmp_path):
    (tmp_path / "t.jsonl").write_bytes(b'{"text": "fine", "label": "a"}\n{"text": "caf\xe9", "label": "b"}\n')
    _, found = lint(tmp_path, "{type: text, path: t.jsonl}")
    assert [d.code for d in found] == ["KS701"] and "t.jsonl:2:14 is not UTF-8" in found[0].message


def test_keras_text_facts_need_no_download(tmp_path):
    p, found = lint(tmp_path, "{type: keras_text, name: imdb, num_words: 10000, maxlen: 120}")
    f = p.resolved.facts
    assert found == [] and f.n_train == 25000 and f.sample_shape == (120,) and f.extra["vocab_size"] == 10000


def test_raw_text_gets_the_ids_keras_load_data_gives(tmp_path):
    import pytest

    from kspec.diagnostics import KspecError
    from kspec.textdata import encode_keras_text, keras_word_index

    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "reuters_word_index.json").write_text('{"the": 1, "oil": 2, "prices": 17}')
    index = keras_word_index("reuters", tmp_path)
    # start 1; rank + 3; 'prices' (20) is outside num_words 20 and 'rose' is unknown: both OOV 2
    x = encode_keras_text(["The oil, prices rose."], index, num_words=20, maxlen=6, padding="pre", truncating="pre")
    assert x.tolist() == [[0, 1, 4, 5, 2, 2]]
    x = encode_keras_text(["the oil prices"], index, num_words=None, maxlen=3, padding="post", truncating="post")
    assert x.tolist() == [[1, 4, 5]]
    with pytest.raises(KspecError, match="imdb_word_index.json is not in the Keras cache"):
        keras_word_index("imdb", tmp_path)
    (tmp_path / "datasets" / "imdb_word_index.json").write_text('["the"]')
    with pytest.raises(KspecError, match="is not a word index"):
        keras_word_index("imdb", tmp_path)


# ------------------------------------------------------------------------------------ TextVectorization

_TEXTS = ["The cat sat on the mat.", "the dog ate THE cat!", "A cat, a dog; a mat?", "Zebra's don't sit",
          "the end", "dog dog dog"]
_OPTIONS = [
    {}, {"max_tokens": 6}, {"ngrams": 2}, {"ngrams": [1, 3], "max_tokens": 12}, {"standardize": "lower"},
    {"standardize": None, "split": "character"}, {"standardize": "strip_punctuation"},
    {"output_mode": "multi_hot"}, {"output_mode": "count", "max_tokens": 5},
    {"output_mode": "tf_idf", "ngrams": 2}, {"output_mode": "multi_hot", "max_tokens": 20, "pad_to_max_tokens": True},
]


@pytest.mark.slow
def test_vectorizer_matches_keras_text_vectorization():
    from kspec.emit.model import keras
    from kspec.textdata import Vectorizer

    k = keras()
    for opts in _OPTIONS:
        ngrams = opts.get("ngrams")
        ours = Vectorizer(max_tokens=opts.get("max_tokens"), standardize=opts.get("standardize", "lower_and_strip_punctuation"),
                          split=opts.get("split", "whitespace"),
                          ngrams=tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else tuple(ngrams) if ngrams else None,
                          output_mode=opts.get("output_mode", "int"), pad_to_max_tokens=opts.get("pad_to_max_tokens", False))
        ours.fit(_TEXTS[:4])
        kwargs = dict(opts)
        if isinstance(kwargs.get("ngrams"), list):
            kwargs["ngrams"] = tuple(kwargs["ngrams"])
        layer = k.layers.TextVectorization(**kwargs, **({"output_sequence_length": 9}
                                                         if opts.get("output_mode", "int") == "int" else {}))
        layer.adapt(_TEXTS[:4])
        assert ours.vocabulary == [str(w) for w in layer.get_vocabulary()], opts
        theirs = np.asarray(layer(np.array(_TEXTS)))
        mine = ours.encode(_TEXTS, 9)
        assert mine.shape == theirs.shape, opts
        assert np.allclose(mine, theirs, atol=1e-5), (opts, mine, theirs)


def test_text_vectorization_options_set_the_facts_and_fit_on_the_training_split(tmp_path):
    from kspec.textdata import TextState

    (tmp_path / "r.csv").write_text(reviews_csv(200), encoding="utf-8")

    def plan(tok):
        spec = tmp_path / "s.yaml"
        spec.write_text(f"kspec: 1\ndata: {{type: text, path: r.csv, validation: 0.5, tokenizer: {tok}}}\nmodel:\n"
                        "  layers:\n    - {type: Dense, units: 1, activation: sigmoid}\n"
                        "compile: {optimizer: adam, loss: binary_crossentropy}\n", encoding="utf-8")
        p = Pipeline(spec)
        return p, p.resolved.facts

    p, f = plan("{type: TextVectorization, max_tokens: 40, output_sequence_length: 7}")
    assert f.sample_shape == (7,) and f.dtype == "int32" and f.extra["vocab_size"] == 40 and f.extra["seq_length"] == 7
    p, f = plan("{type: TextVectorization, output_mode: multi_hot}")
    assert f.dtype == "float32" and f.raw_range == (0.0, 1.0) and "seq_length" not in f.extra
    assert f.sample_shape == (f.extra["output_width"],) == (f.extra["vocab_size"],)
    loaded = load_text(p.resolved.data, tmp_path)
    # fitted on the training half only: every vocabulary entry occurs in a training text
    train_words = set()
    vec = loaded.state.tokenizer
    texts = [t for t, _ in make_reviews(200)]
    for row in loaded.x_train:
        train_words |= {vec.vocabulary[i] for i in np.flatnonzero(row)}
    assert set(vec.vocabulary) - {"[UNK]"} <= train_words | {"[UNK]"}
    assert len(loaded.x_train) == 100 and texts
    again = TextState.from_json(loaded.state.to_json())
    assert np.array_equal(again.encode(["the plot was dull"]), loaded.state.encode(["the plot was dull"]))
    p, f = plan("{type: TextVectorization, ngrams: 2, max_tokens: 60, output_mode: tf_idf, pad_to_max_tokens: true}")
    assert f.sample_shape == (60,)


def test_text_vectorization_refuses_options_keras_refuses(tmp_path):
    (tmp_path / "r.csv").write_text(reviews_csv(20), encoding="utf-8")
    _, found = lint(tmp_path, "{type: text, path: r.csv, tokenizer: {type: TextVectorization, output_mode: count, "
                              "output_sequence_length: 3}}")
    assert any("output_sequence_length" in d.message for d in found), [d.message for d in found]


@pytest.mark.parametrize("data, n_validation", [
    ("{type: text, path: t.csv, validation: 0.25, seed: 1, limit: 3}", 3),
    ("{type: text, path: t.csv, limit: 3}", None),
])
def test_limit_keeps_the_first_training_texts_and_the_vocabulary_follows(tmp_path, data, n_validation):
    """``data.limit`` on text: the first N training texts (after the held-out split), the tokenizer
    fitted on those only; lint's facts count what the run trains on."""
    rows = ["text,label"] + [f"word{i} shared,{'a' if i % 2 else 'b'}" for i in range(12)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    p, _ = lint(tmp_path, data)
    loaded = load_text(p.resolved.data, tmp_path)
    assert len(loaded.x_train) == 3 and p.resolved.facts.n_train == 3
    assert (None if loaded.x_val is None else len(loaded.x_val)) == n_validation
    from kspec.tables import table_split

    kept = table_split(12, 0.25 if n_validation else "none", 1)[0][:3]
    assert set(loaded.state.tokenizer.word_index) == {f"word{i}" for i in kept} | {"shared", "<OOV>"}


def test_limit_on_arrays_is_counted_before_the_split_as_the_runner_applies_it(tmp_path):
    (tmp_path / "spec.yaml").write_text(SPEC.replace("{DATA}", "{type: arrays, x: [[0], [1], [2], [3], [4], [5], [6], [7], "
                                                     "[8], [9]], y: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], limit: 8, "
                                                     "validation: 0.25}"))
    facts = Pipeline(tmp_path / "spec.yaml").resolved.facts
    assert (facts.n_train, facts.n_validation) == (6, 2)  # the first 8 samples, the last 2 of them held out
