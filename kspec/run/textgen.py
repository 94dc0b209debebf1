"""Text runs after training: classify raw sentences (``kspec predict RUN "some sentence"``) and
continue a text word by word (``kspec predict RUN --generate N --seed-text TEXT``), with the
vocabulary the run fitted on its training texts (``vocabulary.json``)."""

from __future__ import annotations

import json

import numpy as np

from ..diagnostics import KspecError
from ..textdata import TextState


def text_state(saved) -> TextState:
    path = saved.dir / "vocabulary.json"
    if not path.is_file():
        raise KspecError(f"{saved.dir} has no vocabulary.json, so raw text cannot be turned into token ids",
                         hint="train the spec again with this version of kspec")
    return TextState.from_json(json.loads(path.read_text(encoding="utf-8")))


def encode_texts(saved, texts: list[str]) -> np.ndarray:
    data = saved.resolved.data
    if getattr(data, "type", None) == "keras_text":  # the Keras word index, as load_data numbers words
        from ..datasets import keras_home
        from ..textdata import encode_keras_text, keras_word_index

        return encode_keras_text(texts, keras_word_index(data.name, keras_home()), num_words=data.num_words,
                                 maxlen=data.maxlen, padding=data.padding, truncating=data.truncating)
    return text_state(saved).encode(texts)


def generate_text(saved, seed_text: str, words: int) -> str:
    """The course's loop: pad the text so far, predict the most likely next word, append it."""
    state = text_state(saved)
    index_word = state.tokenizer.index_word()
    model = saved.model
    text = seed_text
    for _ in range(words):
        x = state.encode([text])
        probs = np.asarray(model.predict(x, verbose=0))[0]
        probs[0] = -1.0  # id 0 is padding, never a word
        oov = state.tokenizer.word_index.get(state.tokenizer.oov_token) if state.tokenizer.oov_token else None
        if oov is not None and oov < len(probs):
            probs[oov] = -1.0
        word = index_word.get(int(np.argmax(probs)))
        if word is None:
            break
        text += " " + word
    return text
