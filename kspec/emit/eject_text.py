"""``kspec eject`` for text data: kspec's text pipeline (:mod:`kspec.textdata`,
:func:`kspec.emit.sequences.text_inputs`) written out in plain Python, NumPy and Keras.

``type: text``: the texts and labels read as kspec reads them (a CSV / TSV / JSON-lines file, a
class-per-subfolder tree of ``.txt`` files, or for ``next_word`` the lines of a text file), the
seeded validation split, the tokenizer fitted on the training texts only, and the encoding: the
course's ``Tokenizer`` (Keras 3 no longer ships it, so the script carries the few lines that
number the words as it did) and ``keras.utils.pad_sequences``, or ``TextVectorization``'s
vocabulary and encodings computed in Python as kspec computes them (the same ids and values as
the Keras layer, without a layer to adapt); next-word data are the n-gram prefixes of every line.
Class ids in sorted label order (numbers by value first), optionally one-hot.

``type: keras_text``: ``keras.datasets.imdb/reuters.load_data(num_words=...)`` padded as kspec
pads them, ``limit``, and the last fraction held out for validation.
"""

from __future__ import annotations

from pathlib import Path

from ..resolve import Resolved
from ..textdata import KERAS_FILTERS, KERAS_STRIP, KERAS_TEXT, tokenizer_of, vectorizes
from .eject_sequences import READ_RECORDS, data_format, held_out_code, path_code, split_code

COLUMN = '''

def column(header, rows, name):
    """The values of one column, by header name (JSON lines: key) or 0-based index."""
    i = name if isinstance(name, int) else header.index(name)
    return [row[i] if i < len(row) else None for row in rows]
'''

READ_FOLDER = '''

def read_folder(root, classes=None):
    """(texts, labels, classes) of a folder with one subfolder of .txt files per class: the class
    names are the subfolders' names, sorted (hidden ones skipped), the files sorted by name."""
    if classes is None:
        classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    texts, labels = [], []
    for c in classes:
        for f in sorted((root / c).glob("*.txt")):
            texts.append(f.read_bytes().decode("utf-8").removeprefix("\\ufeff"))
            labels.append(c)
    return texts, labels, classes
'''

READ_LINES = '''

def read_lines(path):
    """The lines of a text file that hold more than whitespace, as they are."""
    text = Path(path).read_bytes().decode("utf-8").removeprefix("\\ufeff")
    return [line for line in text.split("\\n") if line.strip()]
'''

CLASS_KEY = '''

def class_key(label):
    """Labels sort as numbers by value first, then as names."""
    try:
        return (0, float(label), "")
    except ValueError:
        return (1, 0.0, label)
'''


def text_code(r: Resolved, script: Path) -> tuple[list[str], set[str]]:
    """Lines that define ``x, y``, ``validation`` and ``x_test, y_test`` (arrays) as kspec's
    ``text_inputs`` builds them; the standard modules they need."""
    d = r.data
    std = {"collections"}
    lines = _reader_code(d, std) + _tokenizer_code(d, std)
    if d.task == "next_word":
        lines += _next_word_code(r, script)
    else:
        lines += _classify_code(r, script)
    lines += _labels_code(d, "VOCAB_SIZE" if d.task == "next_word" else "len(classes)")
    unused = [k for k in ("rescale", "reshape") if getattr(d, k) is not None]
    if unused:  # kspec's text_inputs reads none of them
        lines.append(f"# data.{', data.'.join(unused)}: not applied to text data; kspec run does not apply "
                     f"{'it' if len(unused) == 1 else 'them'} either")
    what = "n-grams" if d.task == "next_word" else "texts"
    lines.append(f'print(f"{{len(x)}} training {what}; a vocabulary of {{VOCAB_SIZE}} ids; '
                 f'{"sequences of {MAXLEN}" if _int_ids(d) else "{WIDTH} values per text"}")')
    return lines, std


def _int_ids(d) -> bool:
    return not vectorizes(d) or d.tokenizer.output_mode == "int"


def _reader_code(d, std: set[str]) -> list[str]:
    lines: list[str] = []
    files = [p for p in (d.path, d.test_path) if p is not None]
    if any(not (d.task == "next_word" and _plain_lines(p)) for p in files):
        std |= {"csv", "io", "json"}
        lines += ["", ""] + READ_RECORDS.strip("\n").splitlines() + COLUMN.rstrip().splitlines()
    if d.task == "next_word" and d.path is not None and _plain_lines(d.path):
        lines += ["", ""] + READ_LINES.strip("\n").splitlines()
    if d.task != "next_word" and d.directory is not None:
        lines += ["", ""] + READ_FOLDER.strip("\n").splitlines()
    if d.task != "next_word":
        lines += CLASS_KEY.rstrip().splitlines()
    return lines


def _plain_lines(path: str) -> bool:
    """A next-word corpus that is a text file of lines (not a CSV / TSV / JSON-lines file)."""
    return Path(path).suffix.lower() not in (".csv", ".tsv", ".jsonl", ".ndjson")


def _tokenizer_code(d, std: set[str]) -> list[str]:
    if vectorizes(d):
        return _vectorizer_code(d, std)
    t = d.tokenizer
    filters = KERAS_FILTERS if t.filters is None else t.filters
    lines = ["", "", "# the course's Tokenizer (keras.preprocessing.text.Tokenizer, gone from Keras 3), fitted on the training texts",
             f"NUM_WORDS = {t.num_words!r}  # keep the ids below this{'' if t.num_words else ' (None: every word)'}",
             f"OOV_TOKEN = {t.oov_token!r}  # {'id 1: every word outside the vocabulary' if t.oov_token is not None else 'None: words outside the vocabulary are dropped'}",
             f"FILTERS = {filters!r}  # replaced by SPLIT before splitting",
             f"SPLIT = {t.split!r}", "", "", "def words(text):",
             '    """The words of a text as Tokenizer saw them: '
             + ("lower-cased, " if t.lower else "") + 'every FILTERS character made a SPLIT, split on SPLIT."""']
    if t.lower:
        lines.append("    text = text.lower()")
    if filters:
        lines.append("    text = text.translate(str.maketrans({c: SPLIT for c in FILTERS}))")
    lines += ["    return [w for w in text.split(SPLIT) if w]", "", "",
              "def fit_tokenizer(texts):",
              '    """Word -> id as Tokenizer.fit_on_texts numbered them: from 1 by descending count, ties in order',
              '    of first appearance' + (', the OOV token first."""' if t.oov_token is not None else '."""'),
              "    counts = collections.Counter(w for text in texts for w in words(text))"]
    ordered = "sorted(counts, key=counts.get, reverse=True)  # a stable sort: ties keep their order"
    lines.append(f"    vocabulary = [OOV_TOKEN] + {ordered}" if t.oov_token is not None else f"    vocabulary = {ordered}")
    lines += ["    return {w: i for i, w in enumerate(vocabulary, 1)}", "", "",
              "def texts_to_ids(texts, word_index):",
              '    """Tokenizer.texts_to_sequences: every text as word ids; a word outside the vocabulary'
              + (' (or with an id' if t.num_words else ''),
              '    ' + ('of NUM_WORDS or more) ' if t.num_words else '')
              + ('becomes the OOV id."""' if t.oov_token is not None else 'is dropped."""')]
    kept = "kept" if t.num_words else "word_index"
    if t.num_words:
        lines.append("    kept = {w: i for w, i in word_index.items() if i < NUM_WORDS}")
    if t.oov_token is not None:
        lines += ["    oov = word_index[OOV_TOKEN]", f"    return [[{kept}.get(w, oov) for w in words(text)] for text in texts]"]
    else:
        lines.append(f"    return [[{kept}[w] for w in words(text) if w in {kept}] for text in texts]")
    return lines


def _vectorizer_code(d, std: set[str]) -> list[str]:
    """TextVectorization's standardisation, split, n-grams, vocabulary and encoding, as functions."""
    v = tokenizer_of(d)
    std |= {"re", "string"} if v.split == "whitespace" else {"string"}
    int_mode = v.output_mode == "int"
    reserved = ["", "[UNK]"] if int_mode else ["[UNK]"]
    strip = "".join(c for c in map(chr, range(128)) if KERAS_STRIP.fullmatch(c))
    lines = ["", "", "# keras.layers.TextVectorization's vocabulary and encoding, in Python, fitted on the training texts",
             f"MAX_TOKENS = {v.max_tokens!r}  # the largest vocabulary, reserved tokens included",
             f"RESERVED = {reserved!r}  # " + ("0: padding, 1: out of the vocabulary" if int_mode else "0: out of the vocabulary")]
    if v.ngrams:
        lines.append(f"NGRAMS = {tuple(v.ngrams)!r}  # token n-grams of these lengths, joined by a space")
    if v.standardize in ("lower", "lower_and_strip_punctuation"):
        lines.append("ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)  # tf.strings.lower")
    if v.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        lines.append(f"PUNCTUATION = str.maketrans('', '', {strip!r})  # Keras's DEFAULT_STRIP_REGEX")
    if v.split == "whitespace":
        lines.append("WHITESPACE = re.compile(r'[ \\t\\n\\r\\v\\f]+')")
    lines += ["", "", "def tokens(text):",
              f'    """The tokens of a text, as TextVectorization(standardize={v.standardize!r}, split={v.split!r}'
              + (f',\n    ngrams={d.tokenizer.ngrams!r}' if v.ngrams else "") + ') makes them."""']
    if v.standardize in ("lower", "lower_and_strip_punctuation"):
        lines.append("    text = text.translate(ASCII_LOWER)")
    if v.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        lines.append("    text = text.translate(PUNCTUATION)")
    split = {"whitespace": "[t for t in WHITESPACE.split(text) if t]", "character": "list(text)"}.get(v.split, "[text]")
    if v.ngrams:
        lines += [f"    words = {split}",
                  "    return [' '.join(words[i:i + n]) for n in NGRAMS for i in range(len(words) - n + 1)]"]
    else:
        lines.append(f"    return {split}")
    tf_idf = v.output_mode == "tf_idf"
    if tf_idf:
        std.add("math")
    lines += ["", "", "def fit_vocabulary(texts):",
              '    """TextVectorization.adapt: RESERVED, then the tokens by count, then by their UTF-8 bytes (both',
              '    descending)' + (', MAX_TOKENS in all' if v.max_tokens else '') + ('; and the inverse document frequencies' if tf_idf else '') + '."""',
              "    counts = collections.Counter()"]
    if tf_idf:
        lines.append("    documents = collections.Counter()")
    lines += ["    for text in texts:", "        found = tokens(text)", "        counts.update(found)"]
    if tf_idf:
        lines.append("        documents.update(set(found))")
    lines += ["    for token in RESERVED:", "        counts.pop(token, None)",
              "    ordered = sorted(counts.items(), key=lambda kv: (kv[1], kv[0].encode('utf-8')), reverse=True)"]
    if v.max_tokens:
        lines.append("    ordered = ordered[:max(0, MAX_TOKENS - len(RESERVED))]")
    lines.append("    vocabulary = RESERVED + [token for token, _ in ordered]")
    if tf_idf:
        lines += ["    learned = [math.log(1 + len(texts) / (1 + documents[token])) for token, _ in ordered]",
                  "    return vocabulary, [sum(learned) / len(learned) if learned else 0.0] + learned  # [UNK]: the mean"]
    else:
        lines.append("    return vocabulary")
    return lines


def _encoder_code(d, train_texts: str) -> list[str]:
    """The tokenizer fitted on ``train_texts``; ``VOCAB_SIZE``, ``MAXLEN`` or ``WIDTH``; ``encode(texts)``."""
    t = d.tokenizer
    if not vectorizes(d):
        longest = (f"max((len(ids) for ids in texts_to_ids({train_texts}, word_index)), default=1) or 1"
                   "  # the longest training text")
        return [f"word_index = fit_tokenizer({train_texts})",
                "VOCAB_SIZE = " + ("min(len(word_index) + 1, NUM_WORDS)" if t.num_words else "len(word_index) + 1")
                + "  # ids 0 (padding) to VOCAB_SIZE - 1",
                f"MAXLEN = {t.maxlen if t.maxlen else longest}", "", "",
                "def encode(texts):",
                f"    return keras.utils.pad_sequences(texts_to_ids(texts, word_index), maxlen=MAXLEN, padding={t.padding!r}, "
                f"truncating={t.truncating!r})"]
    tf_idf = t.output_mode == "tf_idf"
    lines = [f"vocabulary{', idf' if tf_idf else ''} = fit_vocabulary({train_texts})",
             "index = {token: i for i, token in enumerate(vocabulary) if token}", "VOCAB_SIZE = len(vocabulary)"]
    if t.output_mode == "int":
        longest = f"max((len(tokens(text)) for text in {train_texts}), default=1) or 1  # the longest training text"
        return lines + [f"MAXLEN = {t.output_sequence_length or longest}", "", "",
                        "def encode(texts):",
                        '    """Token ids, cut and padded with 0 at the end to MAXLEN."""',
                        "    ids = [[index.get(token, index['[UNK]']) for token in tokens(text)] for text in texts]",
                        "    return keras.utils.pad_sequences(ids, maxlen=MAXLEN, padding='post', truncating='post')"]
    width = "MAX_TOKENS  # pad_to_max_tokens" if t.pad_to_max_tokens and t.max_tokens else "VOCAB_SIZE"
    lines.append(f"WIDTH = {width}")
    if tf_idf:
        lines += ["IDF = np.zeros(WIDTH, dtype=np.float32)", "IDF[:len(idf)] = idf"]
    what = {"multi_hot": "1.0 where a token occurs", "count": "how often each token occurs",
            "tf_idf": "how often each token occurs, times its IDF"}[t.output_mode]
    lines += ["", "", "def encode(texts):", f'    """{t.output_mode}: WIDTH values per text, {what}."""',
              "    out = np.zeros((len(texts), WIDTH), dtype=np.float32)", "    for row, text in enumerate(texts):",
              "        for token in tokens(text):",
              f"            out[row, index.get(token, index['[UNK]'])] {'= 1.0' if t.output_mode == 'multi_hot' else '+= 1.0'}"]
    lines.append("    return out * IDF" if tf_idf else "    return out")
    return lines


def _texts_of(d, which: str, script: Path, r: Resolved) -> list[str]:
    """``texts, labels`` (and ``classes`` from a folder) read from the training or the test source."""
    path = d.path if which == "train" else d.test_path
    folder = d.directory if which == "train" else d.test_directory
    names = ("texts", "labels") if which == "train" else ("test_texts", "test_labels")
    if folder is not None:
        if which == "train":
            return [f"texts, labels, classes = read_folder({path_code(r, folder, script)})"]
        return [f"test_texts, test_labels, _ = read_folder({path_code(r, folder, script)}, classes)"]
    lines = [f"header, rows = read_records({path_code(r, path, script)}, {data_format(path, d.format)!r})",
             f"{names[0]} = column(header, rows, {d.text_column!r})"]
    if d.label_column is not None:
        lines.append(f"{names[1]} = column(header, rows, {d.label_column!r})")
    return lines


def _classify_code(r: Resolved, script: Path) -> list[str]:
    d = r.data
    lines = ["", ""] + _texts_of(d, "train", script, r) + split_code(d, "len(texts)", "texts")
    if d.directory is None:
        lines.append("classes = sorted({labels[i] for i in train_rows}, key=class_key)  # the training labels")
    lines += ["train_texts = [texts[i] for i in train_rows]"] + _encoder_code(d, "train_texts")
    lines += ["", "", "label_ids = {c: i for i, c in enumerate(classes)}",
              "xs, ys = encode(texts), np.asarray([label_ids[v] for v in labels], dtype=np.int64)",
              "x, y = xs[train_rows], ys[train_rows]",
              "validation = (xs[validation_rows], ys[validation_rows]) if validation_rows else None"]
    if d.test_path is not None or d.test_directory is not None:
        lines += _texts_of(d, "test", script, r)
        lines.append("x_test, y_test = encode(test_texts), np.asarray([label_ids[v] for v in test_labels], dtype=np.int64)")
    else:
        lines.append("x_test = y_test = None")
    return lines


def _next_word_code(r: Resolved, script: Path) -> list[str]:
    d = r.data
    lines = ["", ""]
    if _plain_lines(d.path):
        lines.append(f"lines = read_lines({path_code(r, d.path, script)})")
    else:
        lines += [f"header, rows = read_records({path_code(r, d.path, script)}, {data_format(d.path, d.format)!r})",
                  f"lines = column(header, rows, {d.text_column!r})"]
    maxlen = d.tokenizer.maxlen
    lines += ["word_index = fit_tokenizer(lines)  # on every line: the n-grams are split after",
              "VOCAB_SIZE = " + ("min(len(word_index) + 1, NUM_WORDS)" if d.tokenizer.num_words else "len(word_index) + 1")
              + "  # ids 0 (padding) to VOCAB_SIZE - 1; the model predicts one of them",
              "grams = []", "for ids in texts_to_ids(lines, word_index):",
              "    grams += [ids[:i + 1] for i in range(1, len(ids))]  # every prefix of two words or more",
              f"MAXLEN = {maxlen if maxlen else 'max(len(g) for g in grams) - 1'}  # the input: all of a prefix but its last word",
              "padded = keras.utils.pad_sequences(grams, maxlen=MAXLEN + 1, padding='pre', truncating='pre')",
              "xs, ys = padded[:, :-1], padded[:, -1].astype(np.int64)  # the last word is the target"]
    lines += split_code(d, "len(xs)", "n-grams")
    lines += ["x, y = xs[train_rows], ys[train_rows]"]
    lines += ["validation = (xs[validation_rows], ys[validation_rows])" if isinstance(d.validation, float)
              else "validation = None"]
    lines.append("x_test = y_test = None")
    return lines


def _labels_code(d, n_classes: str) -> list[str]:
    lines = []
    if d.label_encoding == "one_hot":
        lines += [f"eye = np.eye({n_classes}, dtype=np.float32)  # one-hot labels", "y = eye[y]",
                  "validation = (validation[0], eye[validation[1]]) if validation is not None else None",
                  "y_test = eye[y_test] if y_test is not None else None"]
    if d.validation == "test":
        lines.append("validation = (x_test, y_test) if x_test is not None else None")
    return lines


def keras_text_code(r: Resolved, script: Path) -> tuple[list[str], set[str]]:
    """Lines that define ``x, y``, ``validation`` and ``x_test, y_test`` as kspec's ``keras_text_inputs``."""
    d = r.data
    info = KERAS_TEXT[d.name]
    words = f"num_words={d.num_words!r}" if d.num_words else ""
    lines = ["", f"(x, y), (x_test, y_test) = keras.datasets.{d.name}.load_data({words})  # word ids, from the Keras cache",
             "x, x_test = (keras.utils.pad_sequences(s, maxlen=%d, padding=%r, truncating=%r) for s in (x, x_test))"
             % (d.maxlen, d.padding, d.truncating),
             "y, y_test = np.asarray(y, dtype=np.int64), np.asarray(y_test, dtype=np.int64)"]
    if d.label_encoding == "one_hot":
        lines += [f"eye = np.eye({info.num_classes}, dtype=np.float32)  # one-hot labels", "y, y_test = eye[y], eye[y_test]"]
    if d.limit:
        lines.append(f"x, y = x[:{d.limit}], y[:{d.limit}]")
    lines += held_out_code(d)
    return lines, set()


__all__ = ["keras_text_code", "text_code"]
