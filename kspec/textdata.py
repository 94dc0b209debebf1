"""Text data without TensorFlow: texts and labels from a CSV / TSV / JSON-lines file or a
class-per-subfolder tree of ``.txt`` files, the course's ``Tokenizer`` and ``pad_sequences``,
next-word n-grams, and the facts lint needs (vocabulary size, sequence length, classes).

The tokenizer behaves as ``keras.preprocessing.text.Tokenizer`` did (Keras 3 no longer ships it):
lower-case, the same filtered punctuation, split on spaces; word ids by descending count (ties in
order of first appearance) starting at 1, the out-of-vocabulary token first when there is one;
``num_words`` keeps ids below it (others become the OOV id, or are dropped without an OOV token).
``pad_sequences`` pads and truncates at the front (``pre``) or the back (``post``) with 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diagnostics import KspecError
from .tables import DataFileError, Records, read_records, read_utf8, table_split

if TYPE_CHECKING:
    import numpy as np

KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


# ------------------------------------------------------------------------------------ tokenizer


@dataclass
class Tokenizer:
    num_words: int | None = None
    oov_token: str | None = None
    lower: bool = True
    filters: str = KERAS_FILTERS
    split: str = " "
    word_index: dict[str, int] = field(default_factory=dict)
    word_counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self._table = str.maketrans({c: self.split for c in self.filters}) if self.filters else None
        self._ids: dict[str, int] | None = None

    def words(self, text: str) -> list[str]:
        if self.lower:
            text = text.lower()
        if self._table is not None:
            text = text.translate(self._table)
        return list(filter(None, text.split(self.split)))

    def fit(self, texts) -> "Tokenizer":
        from collections import Counter
        from itertools import chain

        counts = Counter(chain.from_iterable(map(self.words, texts)))  # keys in order of first appearance
        self.word_counts = dict(counts)
        ordered = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)  # stable: ties keep first appearance
        vocab = ([self.oov_token] if self.oov_token is not None else []) + [w for w, _ in ordered]
        self.word_index = {w: i for i, w in enumerate(vocab, 1)}
        self._ids = None
        return self

    @property
    def vocab_size(self) -> int:
        """Token ids run from 0 (padding) to vocab_size - 1."""
        n = len(self.word_index) + 1
        return min(n, self.num_words) if self.num_words else n

    def _kept(self) -> dict[str, int]:
        """Word -> id for the words ``num_words`` keeps (built once per fitted vocabulary)."""
        if self._ids is None:
            limit = self.num_words
            self._ids = {w: i for w, i in self.word_index.items() if not limit or i < limit}
        return self._ids

    def ids(self, text: str) -> list[int]:
        kept = self._kept()
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        if oov is not None:
            return list(map(kept.get, self.words(text), repeat(oov)))
        return [i for i in map(kept.get, self.words(text)) if i is not None]

    def sequences(self, texts) -> list[list[int]]:
        return list(map(self.ids, texts))

    def index_word(self) -> dict[int, str]:
        return {i: w for w, i in self.word_index.items()}

    def to_json(self) -> dict:
        return {"num_words": self.num_words, "oov_token": self.oov_token, "lower": self.lower,
                "filters": self.filters, "split": self.split, "word_index": self.word_index}

    @classmethod
    def from_json(cls, d: dict) -> "Tokenizer":
        return cls(num_words=d.get("num_words"), oov_token=d.get("oov_token"), lower=d.get("lower", True),
                   filters=d.get("filters", KERAS_FILTERS), split=d.get("split", " "),
                   word_index=dict(d.get("word_index", {})))


def pad_sequences(seqs: list[list[int]], maxlen: int | None = None, padding: str = "pre",
                  truncating: str = "pre", value: int = 0) -> np.ndarray:
    """The course's ``pad_sequences``: int32 array of shape (len(seqs), maxlen)."""
    import numpy as np

    if maxlen is None:
        maxlen = max(map(len, seqs), default=0)
    out = np.full((len(seqs), maxlen), value, dtype=np.int32)
    if maxlen == 0 or not seqs:
        return out
    # one scatter of all the ids: row of each id, and its column (from the front or the back)
    cut = [s[-maxlen:] for s in seqs] if truncating == "pre" else [s[:maxlen] for s in seqs]
    lens = np.fromiter(map(len, cut), dtype=np.int64, count=len(cut))
    total = int(lens.sum())
    flat = np.fromiter(chain.from_iterable(cut), dtype=np.int64, count=total)
    rows = np.repeat(np.arange(len(cut)), lens)
    cols = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
    if padding != "post":
        cols += maxlen - lens[rows]
    out[rows, cols] = flat
    return out


# ------------------------------------------------------------------------------------ TextVectorization

KERAS_STRIP = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
"""Keras's ``DEFAULT_STRIP_REGEX`` (TextVectorization's punctuation)."""
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_WHITESPACE = re.compile(r"[ \t\n\r\v\f]+")
_STRIP = str.maketrans(dict.fromkeys('!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\''))
"""The characters of ``KERAS_STRIP``, deleted by ``str.translate`` (faster than the regex)."""
_NOT_SPLIT_BY_KERAS = re.compile("[\x1c-\x1f]")
"""ASCII characters ``str.split()`` splits on and Keras's whitespace split does not."""


@dataclass
class Vectorizer:
    """``keras.layers.TextVectorization`` in pure Python, fitted on the training texts: the same
    standardisation (``tf.strings.lower`` lower-cases ASCII letters only), split, n-grams joined by
    a space, vocabulary order (count, then the token's bytes, both descending), reserved ids (int
    mode: 0 padding, 1 ``[UNK]``; other modes: 0 ``[UNK]``) and encodings. In int mode sequences are
    cut and padded at the end, as Keras does."""

    max_tokens: int | None = None
    standardize: str | None = "lower_and_strip_punctuation"
    split: str | None = "whitespace"
    ngrams: tuple[int, ...] | None = None
    output_mode: str = "int"
    pad_to_max_tokens: bool = False
    vocabulary: list[str] = field(default_factory=list)
    idf: list[float] | None = None
    kind: str = "TextVectorization"

    def __post_init__(self):
        self._index_of: tuple[int, int, dict[str, int]] | None = None

    def _index(self) -> dict[str, int]:
        """``word_index``, built once per vocabulary (not once per text)."""
        vocab = self.vocabulary
        if self._index_of is None or self._index_of[:2] != (id(vocab), len(vocab)):
            self._index_of = (id(vocab), len(vocab), {w: i for i, w in enumerate(vocab) if w})
        return self._index_of[2]

    def words(self, text: str) -> list[str]:
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            text = text.translate(_ASCII_LOWER)
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = text.translate(_STRIP)
        if self.split == "whitespace":
            if text.isascii() and not _NOT_SPLIT_BY_KERAS.search(text):
                tokens = text.split()  # for these characters the same split as Keras's, faster
            else:
                tokens = [t for t in _WHITESPACE.split(text) if t]
        elif self.split == "character":
            tokens = list(text)
        else:
            tokens = [text]
        if self.ngrams:
            tokens = [" ".join(tokens[i:i + n]) for n in self.ngrams for i in range(len(tokens) - n + 1)]
        return tokens

    @property
    def _reserved(self) -> list[str]:
        return ["", "[UNK]"] if self.output_mode == "int" else ["[UNK]"]

    def fit(self, texts) -> "Vectorizer":
        import math

        from collections import Counter

        counts: Counter[str] = Counter()
        docs: Counter[str] = Counter()
        n_docs = 0
        tf_idf = self.output_mode == "tf_idf"
        for words in map(self.words, texts):
            n_docs += 1
            counts.update(words)
            if tf_idf:
                docs.update(set(words))
        reserved = self._reserved
        for r in reserved:
            counts.pop(r, None)
        ordered = sorted(counts.items(), key=lambda kv: (kv[1], kv[0].encode("utf-8")), reverse=True)
        if self.max_tokens:
            ordered = ordered[:max(0, self.max_tokens - len(reserved))]
        self.vocabulary = reserved + [w for w, _ in ordered]
        if self.output_mode == "tf_idf":
            learned = [math.log(1 + n_docs / (1 + docs[w])) for w, _ in ordered]
            mean = sum(learned) / len(learned) if learned else 0.0
            self.idf = [mean] + learned
        return self

    @property
    def vocab_size(self) -> int:
        """Ids run from 0 to vocab_size - 1 (int mode: 0 is padding)."""
        return len(self.vocabulary)

    @property
    def width(self) -> int:
        """Values per sample of an encoded (not int) output."""
        return int(self.max_tokens) if self.pad_to_max_tokens and self.max_tokens else self.vocab_size

    @property
    def word_index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.vocabulary) if w}

    @property
    def oov_token(self) -> str:
        return "[UNK]"

    def ids(self, text: str) -> list[int]:
        index = self._index()
        return list(map(index.get, self.words(text), repeat(index["[UNK]"])))

    def sequences(self, texts) -> list[list[int]]:
        return list(map(self.ids, texts))

    def index_word(self) -> dict[int, str]:
        return {i: w for w, i in self.word_index.items()}

    def encode(self, texts: list[str], maxlen: int) -> np.ndarray:
        import numpy as np

        if self.output_mode == "int":
            return pad_sequences(self.sequences(texts), maxlen, "post", "post")
        out = np.zeros((len(texts), self.width), dtype=np.float32)
        seqs = self.sequences(texts)
        lens = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
        ids = np.fromiter(chain.from_iterable(seqs), dtype=np.int64, count=int(lens.sum()))
        rows = np.repeat(np.arange(len(seqs)), lens)
        if self.output_mode == "multi_hot":
            out[rows, ids] = 1.0
        else:  # count, tf_idf: occurrences
            np.add.at(out, (rows, ids), 1.0)
        if self.output_mode == "tf_idf" and self.idf:
            weights = np.zeros(self.width, dtype=np.float32)
            weights[:len(self.idf)] = self.idf
            out *= weights
        return out

    def to_json(self) -> dict:
        return {"kind": self.kind, "max_tokens": self.max_tokens, "standardize": self.standardize,
                "split": self.split, "ngrams": list(self.ngrams) if self.ngrams else None,
                "output_mode": self.output_mode, "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary": self.vocabulary, "idf": self.idf}

    @classmethod
    def from_json(cls, d: dict) -> "Vectorizer":
        return cls(max_tokens=d.get("max_tokens"), standardize=d.get("standardize"), split=d.get("split"),
                   ngrams=tuple(d["ngrams"]) if d.get("ngrams") else None, output_mode=d.get("output_mode", "int"),
                   pad_to_max_tokens=bool(d.get("pad_to_max_tokens")), vocabulary=list(d.get("vocabulary", [])),
                   idf=d.get("idf"))


def vectorizes(spec: Any) -> bool:
    """The data's tokenisation is a TextVectorization (not the course's Tokenizer)."""
    return getattr(spec.tokenizer, "type", None) == "TextVectorization"


def tokenizer_of(spec: Any) -> Tokenizer | Vectorizer:
    t = spec.tokenizer
    if vectorizes(spec):
        ngrams = tuple(range(1, t.ngrams + 1)) if isinstance(t.ngrams, int) else tuple(t.ngrams) if t.ngrams else None
        return Vectorizer(max_tokens=t.max_tokens, standardize=t.standardize, split=t.split, ngrams=ngrams,
                          output_mode=t.output_mode, pad_to_max_tokens=t.pad_to_max_tokens)
    return Tokenizer(num_words=t.num_words, oov_token=t.oov_token, lower=t.lower,
                     filters=KERAS_FILTERS if t.filters is None else t.filters, split=t.split)


# ------------------------------------------------------------------------------------ reading


@dataclass
class TextSet:
    texts: list[str]
    labels: list[str] | None
    where: list[str]
    """Per text: the file and line (``file:line``) or file it came from."""


def _from_records(rec: Records, data: Any, *, labelled: bool,
                  spec_path: tuple = ("data", "path")) -> TextSet:
    texts = rec.column(data.text_column, ("data", "text_column"))
    if not rec.rows:
        raise DataFileError(f"{rec.path} has a header and no texts",
                            hint="add rows of text and label, or point to the right file", spec_path=spec_path)
    where = [rec.where(i) for i in range(len(rec.rows))]
    labels = None
    if labelled and data.label_column is not None:
        labels = rec.column(data.label_column, ("data", "label_column"))
        for i, v in enumerate(labels):
            if v is None:
                raise DataFileError(f"{where[i]}: the label is empty", hint="fill it in or remove the row",
                                    spec_path=("data", "label_column"))
    for i, t in enumerate(texts):
        if t is None:
            col = rec.index(data.text_column, ("data", "text_column"))
            what = f"the object has no {rec.columns[col]!r} key" if (i, col) in rec.absent else "the text is empty"
            raise DataFileError(f"{where[i]}: {what}", hint="remove the row, or fill in its text",
                                spec_path=("data", "text_column"))
    return TextSet([t for t in texts], labels, where)


def _from_tree(root: Path, spec_path: tuple, class_names: list[str] | None = None) -> tuple[TextSet, list[str]]:
    if not root.is_dir():
        raise KspecError(f"text folder {root} does not exist", hint="check the path (relative to the spec)")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if class_names is not None:
        classes = class_names
    if not classes:
        raise DataFileError(f"{root} has no class subfolders (text_dataset_from_directory reads one folder per class)",
                            spec_path=spec_path)
    texts, labels, where = [], [], []
    for c in classes:
        folder = root / c
        files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
        if not files:
            raise DataFileError(f"class folder {folder} holds no .txt files", spec_path=spec_path)
        for f in files:
            text = read_utf8(f, spec_path)
            if not text.strip():
                raise DataFileError(f"{f} is empty", hint="remove the file, or give it a text", spec_path=spec_path)
            texts.append(text)
            labels.append(c)
            where.append(str(f))
    return TextSet(texts, labels, where), classes


def _lines(path: Path) -> TextSet:
    text = read_utf8(path, ("data", "path"))
    texts, where = [], []
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            texts.append(line)
            where.append(f"{path}:{n}")
    if not texts:
        raise DataFileError(f"{path} holds no text", spec_path=("data", "path"))
    return TextSet(texts, None, where)


def _rel(base_dir: Path, p: str) -> Path:
    path = Path(p).expanduser()
    return path if path.is_absolute() else base_dir / path


# ------------------------------------------------------------------------------------ the data set


@dataclass
class TextState:
    """What a text run keeps (``vocabulary.json``): the tokenizer fitted on the training texts,
    the padding, the classes or the n-gram length."""

    tokenizer: Tokenizer | Vectorizer
    maxlen: int
    """Sequence length (int ids), or the width of a multi_hot / count / tf_idf encoding."""
    padding: str
    truncating: str
    task: str
    classes: list[str] = field(default_factory=list)

    def encode(self, texts: list[str]) -> np.ndarray:
        if isinstance(self.tokenizer, Vectorizer):
            return self.tokenizer.encode(texts, self.maxlen)
        return pad_sequences(self.tokenizer.sequences(texts), self.maxlen, self.padding, self.truncating)

    def to_json(self) -> dict:
        return {"task": self.task, "maxlen": self.maxlen, "padding": self.padding, "truncating": self.truncating,
                "classes": self.classes, "vocab_size": self.tokenizer.vocab_size, "tokenizer": self.tokenizer.to_json()}

    @classmethod
    def from_json(cls, d: dict) -> "TextState":
        tok = d["tokenizer"]
        made = Vectorizer.from_json(tok) if tok.get("kind") == "TextVectorization" else Tokenizer.from_json(tok)
        return cls(made, d["maxlen"], d["padding"], d["truncating"], d["task"],
                   list(d.get("classes", [])))


@dataclass
class EncodedText:
    state: TextState
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None


def _class_ids(labels: list[str], classes: list[str], where: list[str]) -> list[int]:
    ids = {c: i for i, c in enumerate(classes)}
    out = []
    for k, v in enumerate(labels):
        if v not in ids:
            raise DataFileError(f"{where[k]}: label {v!r} is not among the training labels {classes}",
                                spec_path=("data", "label_column"))
        out.append(ids[v])
    return out


def _sorted_classes(labels: list[str]) -> list[str]:
    def key(v: str):
        try:
            return (0, float(v), "")
        except ValueError:
            return (1, 0.0, v)

    return sorted(set(labels), key=key)


def load_text(data: Any, base_dir: Path) -> EncodedText:
    """Read, split, fit the tokenizer on the training texts only, and encode every split."""
    import numpy as np

    t = data.tokenizer
    if data.task == "next_word":
        if vectorizes(data):
            raise DataFileError("next-word prediction builds n-grams of token ids with the course's Tokenizer; "
                                "TextVectorization does not apply", hint="remove `type: TextVectorization` from "
                                "the tokenizer section", spec_path=("data", "tokenizer"))
        if data.path is None:
            raise DataFileError("a next-word data set is a text file: give `path`", spec_path=("data",))
        path = _rel(base_dir, data.path)
        if path.suffix.lower() in (".csv", ".tsv", ".jsonl", ".ndjson"):
            lines = _from_records(read_records(path, data.format), data, labelled=False)
        else:
            lines = _lines(path)
        tok = tokenizer_of(data).fit(lines.texts)
        grams: list[list[int]] = []
        for seq in tok.sequences(lines.texts):
            grams.extend(seq[:i + 1] for i in range(1, len(seq)))
        if not grams:
            raise DataFileError(f"{path} has no line of two or more known words to learn from",
                                spec_path=("data", "path"))
        maxlen = (t.maxlen + 1) if t.maxlen else max(len(g) for g in grams)
        padded = pad_sequences(grams, maxlen, "pre", "pre")
        state = TextState(tok, maxlen - 1, "pre", "pre", "next_word")
        x, y = padded[:, :-1], padded[:, -1].astype(np.int64)
        tr, va = table_split(len(x), data.validation, data.seed or 0, data.limit)
        if va:
            return EncodedText(state, x[tr], y[tr], x[va], y[va])
        return EncodedText(state, x[tr], y[tr])
    if data.directory is not None:
        train, classes = _from_tree(_rel(base_dir, data.directory), ("data", "directory"))
    elif data.path is not None:
        train = _from_records(read_records(_rel(base_dir, data.path), data.format), data, labelled=True)
        classes = None
    else:
        raise DataFileError("a text data set needs `path` (a CSV / TSV / JSON-lines file) or `directory` "
                            "(one subfolder of .txt files per class)", spec_path=("data",))
    if train.labels is None:
        raise DataFileError("classification needs labels: set `label_column`", spec_path=("data", "label_column"))
    tr, va = table_split(len(train.texts), data.validation, data.seed or 0, data.limit)
    train_labels = [train.labels[i] for i in tr]
    classes = classes or _sorted_classes(train_labels)
    if len(set(train_labels)) < 2:
        col = "label column" if data.directory is None else "folder tree"
        raise DataFileError(f"the {col} has one class ({train_labels[0]!r}) in the training texts",
                            hint="a classifier needs texts of at least two classes",
                            spec_path=("data", "label_column" if data.directory is None else "directory"))
    tok = tokenizer_of(data).fit(train.texts[i] for i in tr)
    if isinstance(tok, Vectorizer):
        if tok.output_mode == "int":
            seqs_len = t.output_sequence_length or max((len(tok.ids(train.texts[i])) for i in tr), default=1) or 1
        else:
            seqs_len = tok.width
        state = TextState(tok, seqs_len, "post", "post", "classify", list(classes))
    else:
        seqs_len = t.maxlen or max((len(tok.ids(train.texts[i])) for i in tr), default=1) or 1
        state = TextState(tok, seqs_len, t.padding, t.truncating, "classify", list(classes))
    ids = np.asarray(_class_ids(train.labels, classes, train.where), dtype=np.int64)
    xs = state.encode(train.texts)
    out = EncodedText(state, xs[tr], ids[tr])
    if va:
        out.x_val, out.y_val = xs[va], ids[va]
    test = None
    if data.test_directory is not None:
        test, _ = _from_tree(_rel(base_dir, data.test_directory), ("data", "test_directory"), list(classes))
    elif data.test_path is not None:
        test = _from_records(read_records(_rel(base_dir, data.test_path), data.format, spec_path=("data", "test_path")),
                             data, labelled=True, spec_path=("data", "test_path"))
    if test is not None:
        out.x_test = state.encode(test.texts)
        out.y_test = np.asarray(_class_ids(test.labels, classes, test.where), dtype=np.int64)
    return out


def text_facts(data: Any, base_dir: Path, facts: Any) -> EncodedText:
    loaded = load_text(data, base_dir)
    st = loaded.state
    facts.sample_shape = (st.maxlen,)
    mode = getattr(st.tokenizer, "output_mode", "int")
    facts.dtype = "int32" if mode == "int" else "float32"
    facts.raw_range = (0.0, float(st.tokenizer.vocab_size - 1))
    facts.extra.update(vocab_size=st.tokenizer.vocab_size, text_task=st.task, split_applied=True)
    if mode == "int":
        facts.extra["seq_length"] = st.maxlen
    else:  # one value per vocabulary entry, not a sequence of ids
        facts.extra["output_width"] = st.maxlen
        x = loaded.x_train
        facts.raw_range = (float(x.min()), float(x.max())) if x.size else None
    limit = data.tokenizer.max_tokens if vectorizes(data) else data.tokenizer.num_words
    facts.origin.update(vocab_size=("data", "tokenizer") if limit else ("data",),
                        sample_shape=("data", "tokenizer"), num_classes=("data",))
    facts.n_train = len(loaded.x_train)
    facts.n_validation = len(loaded.x_val) if loaded.x_val is not None else None
    facts.n_test = len(loaded.x_test) if loaded.x_test is not None else None
    facts.classification = True
    facts.label_shape = ()
    if st.task == "next_word":
        facts.num_classes = st.tokenizer.vocab_size
        facts.label_kind = "integer"
    else:
        facts.class_names = facts.class_names or list(st.classes)
        facts.num_classes = len(st.classes)
        facts.label_kind = "binary" if len(st.classes) == 2 else "integer"
        counts = {c: 0 for c in st.classes}
        for i in loaded.y_train.tolist():
            counts[st.classes[i]] += 1
        facts.class_counts = counts
    return loaded


# ------------------------------------------------------------------------------------ Keras text sets


@dataclass(frozen=True)
class KerasTextInfo:
    name: str
    train: int
    test: int
    num_classes: int
    files: tuple[str, ...]


KERAS_TEXT = {
    "imdb": KerasTextInfo("imdb", 25000, 25000, 2, ("imdb.npz", "imdb_word_index.json")),
    "reuters": KerasTextInfo("reuters", 8982, 2246, 46, ("reuters.npz", "reuters_word_index.json")),
}


KERAS_START_CHAR, KERAS_OOV_CHAR, KERAS_INDEX_FROM = 1, 2, 3
"""``load_data``'s defaults for imdb and reuters: every sequence starts with 1, a word outside
``num_words`` is 2, and a word of rank r in the word index has the id r + 3."""


def keras_word_index(name: str, home: Path) -> dict[str, int]:
    """The word index of a Keras text set (``<name>_word_index.json`` in the Keras cache), which
    ``keras.datasets.<name>.get_word_index()`` downloads; a clear error when it is absent offline."""
    import json

    info = KERAS_TEXT[name]
    path = Path(home) / "datasets" / info.files[1]
    if not path.is_file():
        raise KspecError(
            f"cannot turn raw text into {name} word ids: the word index {info.files[1]} is not in the Keras cache "
            f"(looked for {path})",
            hint=f"copy {info.files[1]} into {path.parent} (online, keras.datasets.{name}.get_word_index() "
                 "downloads it there; KERAS_HOME sets the cache folder)")
    try:
        index = json.loads(read_utf8(path, ("data", "name")))
    except json.JSONDecodeError as e:
        raise KspecError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}",
                         hint=f"download {info.files[1]} again") from None
    if not isinstance(index, dict) or not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                                              for k, v in index.items()):
        raise KspecError(f"{path} is not a word index (a JSON object of word -> rank)",
                         hint=f"download {info.files[1]} again")
    return index


def encode_keras_text(texts: list[str], word_index: dict[str, int], *, num_words: int | None, maxlen: int,
                      padding: str, truncating: str) -> np.ndarray:
    """Raw texts as the ids ``keras.datasets.imdb/reuters.load_data(num_words=...)`` gives, padded as
    the run padded them: lower-case words without punctuation, the start id first, word ids
    rank + 3, a word not in the index or outside ``num_words`` the OOV id."""
    words = Tokenizer().words
    limit = num_words or (max(word_index.values(), default=0) + KERAS_INDEX_FROM + 1)
    seqs = []
    for text in texts:
        ids = [KERAS_START_CHAR]
        for w in words(text):
            rank = word_index.get(w)
            i = rank + KERAS_INDEX_FROM if rank is not None else KERAS_OOV_CHAR
            ids.append(i if i < limit else KERAS_OOV_CHAR)
        seqs.append(ids)
    return pad_sequences(seqs, maxlen, padding, truncating)


def keras_text_facts(data: Any, facts: Any) -> None:
    info = KERAS_TEXT[data.name]
    facts.classification = True
    facts.num_classes = info.num_classes
    facts.class_names = facts.class_names or [str(i) for i in range(info.num_classes)]
    facts.label_kind = "binary" if info.num_classes == 2 else "integer"
    facts.label_shape = ()
    facts.n_train, facts.n_test = info.train, info.test
    facts.dtype = "int32"
    facts.sample_shape = (data.maxlen,)
    if data.num_words:
        facts.extra["vocab_size"] = data.num_words
        facts.origin["vocab_size"] = ("data", "num_words")
    facts.extra["seq_length"] = data.maxlen
    facts.origin.update(sample_shape=("data", "maxlen"), num_classes=("data", "name"))


# ------------------------------------------------------------------------------------ a generated set

_SUBJECTS = ("the film", "the plot", "the acting", "the soundtrack", "the ending", "the story", "the cast",
             "the script", "the dialogue", "the photography", "this movie", "the pacing", "the lead", "the humour")
_GOOD = ("wonderful", "moving", "brilliant", "funny", "gripping", "beautiful", "charming", "clever", "delightful",
         "superb", "touching", "smart", "fresh", "excellent")
_BAD = ("dull", "boring", "clumsy", "awful", "tedious", "predictable", "flat", "confusing", "lifeless", "weak",
        "silly", "bland", "messy", "poor")
_VERBS = ("was", "is", "felt", "seemed")
_ADVERBS = ("", "", "really ", "truly ", "quite ", "so ", "very ", "rather ", "utterly ")
_OPENERS = ("", "", "", "honestly, ", "overall ", "i thought ", "to be fair ", "in the end ")
_CLOSERS = ("", "", "", " and i would watch it again", " and i left early", " from start to finish", " at times",
            " for most of the time")


def make_reviews(n: int = 2000, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` short movie reviews with labels ``positive`` / ``negative``, the same for the same seed.

    70 % are one clause ("the plot was really gripping"); 15 % negate it ("the plot was not dull":
    positive) and 15 % turn it with "but" ("the acting was superb but the ending was weak": the
    second clause decides), so word order matters for part of the set.
    """
    import random

    rng = random.Random(seed)

    def clause(good: bool, negate: bool = False) -> str:
        words = _BAD if good == negate else _GOOD
        verb = rng.choice(_VERBS)
        return f"{rng.choice(_SUBJECTS)} {verb} {'not ' if negate else rng.choice(_ADVERBS)}{rng.choice(words)}"

    out = []
    for i in range(n):
        good = i % 2 == 0
        kind = rng.random()
        if kind < 0.7:
            body = clause(good)
        elif kind < 0.85:
            body = clause(good, negate=True)
        else:
            body = f"{clause(not good)} but {clause(good)}"
        closer = rng.choice(_CLOSERS)
        if closer == " and i would watch it again" and not good or closer == " and i left early" and good:
            closer = ""
        out.append((rng.choice(_OPENERS) + body + closer, "positive" if good else "negative"))
    rng.shuffle(out)
    return out


def reviews_csv(n: int = 2000, seed: int = 0) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["text", "label"])
    w.writerows(make_reviews(n, seed))
    return buf.getvalue()
