"""KS7xx: text, sequences, time series and tables: their data files and the models built on them."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..base import LintContext, Rule


class UnusableData(Rule):
    """What it does: reports a data file that exists but cannot be used as the data section says:
    a text or series column that is not in the file's header (with the closest name), a file that
    is not UTF-8 (with its line), an empty text, a label column with a single class, a series
    with a gap or a NaN (with its position), a window longer than the series; an array file
    (.npy, .npz, IDX) that is damaged, empty, not of its format, or lacks the array named.

    Why is this bad: training would stop at the first batch, or worse train on wrong data; the
    mistake is cheaper to fix before anything is loaded, and the message says where in the
    spec and where in the file.

    Example:
        data: {type: series, generator: {length: 15}, window_size: 20}
        model:
          layers:
            - {type: Dense, units: 1}
        compile: {optimizer: adam, loss: mse}

    Use instead:
        data: {type: series, generator: {length: 150}, window_size: 20, split_time: 120}
        model:
          layers:
            - {type: Dense, units: 1}
        compile: {optimizer: adam, loss: mse}
    """

    code = "KS701"
    name = "unusable-data"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        found = ctx.facts.extra.get("data_error")
        if not found:
            return
        message, path, hint = found
        path = tuple(path)
        while len(path) > 1 and ctx.span(path) is None:
            path = path[:-1]
        yield self.diag(ctx, path, message, hint=hint)


class NormalisationFromAllData(Rule):
    """What it does: finds normalisation statistics (mean and standard deviation, or minimum and
    maximum) taken from the whole series instead of the training period.

    Why is this bad: the statistics then carry information about the validation period (its
    level, its trend); the validation error looks better than it will on data the model has
    never seen.

    Example:
        data: {type: series, split_time: 1000, normalize: standard, normalize_fit: all}
        model:
          layers:
            - {type: Dense, units: 1}
        compile: {optimizer: adam, loss: mse}

    Use instead:
        data: {type: series, split_time: 1000, normalize: standard}
        model:
          layers:
            - {type: Dense, units: 1}
        compile: {optimizer: adam, loss: mse}
    """

    code = "KS702"
    name = "normalisation-from-all-data"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        d = ctx.data
        if getattr(d, "normalize_fit", None) != "all" or getattr(d, "normalize", "none") == "none":
            return
        if ctx.facts.extra.get("split_time") == ctx.facts.extra.get("series_length") and not d.split_time:
            return  # no validation period: nothing leaks
        yield self.diag(ctx, ("data", "normalize_fit"),
                        f"{d.normalize} normalisation is fitted on the whole series, validation period included",
                        hint="remove `normalize_fit: all` (the statistics then come from the training period)",
                        received="all", expected="train")


class WindowsOverlapValidation(Rule):
    """What it does: finds windowed samples (each sample the previous one shifted by a step, as a
    series cut into windows looks) split by a validation fraction, where the last training
    windows contain the values the first validation windows forecast.

    Why is this bad: a fraction of the samples is not a period of time. Values at the start of
    the validation period sit inside the last training windows, so the model has seen what it
    is asked to forecast, and the validation error is too good.

    Example:
        data:
          type: arrays
          x: [[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6], [5, 6, 7], [6, 7, 8], [7, 8, 9], [8, 9, 10]]
          y: [4, 5, 6, 7, 8, 9, 10, 11]
          validation: 0.25
        model:
          layers:
            - {type: Dense, units: 1}
        compile: {optimizer: adam, loss: mse}

    Use instead:
        data: {type: series, generator: {length: 200}, window_size: 3, split_time: 150}
        model:
          layers:
            - {type: Dense, units: 1}
        compile: {optimizer: adam, loss: mse}
    """

    code = "KS703"
    name = "validation-overlaps-training-windows"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        overlap = ctx.facts.extra.get("window_overlap")
        if not overlap or not isinstance(getattr(ctx.data, "validation", None), float):
            return
        yield self.diag(ctx, ("data", "validation"),
                        f"the samples are overlapping windows ({overlap} values shared by neighbours), and a "
                        f"validation fraction puts the values the first validation windows forecast inside the "
                        "last training windows",
                        hint="give the series itself as `type: series` with a split_time (windows never cross it)",
                        received=ctx.data.validation)


class EmbeddingBelowVocabulary(Rule):
    """What it does: compares an Embedding layer's ``input_dim`` with the vocabulary size the data
    section produces (``num_words`` of the tokenizer, or the number of words it found), or with
    the ids a layer before it makes: ``num_bins`` of Hashing, the bins of Discretization, the
    vocabulary of IntegerLookup (with its OOV and mask ids). A CategoryEncoding's ``num_tokens``
    is checked against those ids the same way.

    Why is this bad: token ids run from 0 to vocabulary size - 1; an id at or above ``input_dim``
    has no row in the embedding table. On a CPU Keras raises "indices ... is not in
    [0, input_dim)", and on a GPU the lookup silently returns zeros.

    Example:
        data:
          type: text
          path: sentiment.csv
          tokenizer: {num_words: 60, maxlen: 20}
        model:
          layers:
            - {type: Embedding, input_dim: 30, output_dim: 16}
            - {type: GlobalAveragePooling1D}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}

    Use instead:
        data:
          type: text
          path: sentiment.csv
          tokenizer: {num_words: 60, maxlen: 20}
        model:
          layers:
            - {type: Embedding, input_dim: 60, output_dim: 16}
            - {type: GlobalAveragePooling1D}
            - {type: Dense, units: 1, activation: sigmoid}
        compile: {optimizer: adam, loss: binary_crossentropy, metrics: [accuracy]}
    """

    code = "KS704"
    name = "embedding-below-vocabulary"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        vocab = ctx.facts.extra.get("vocab_size") or None
        origin = ctx.facts.origin.get("vocab_size") if vocab else None
        source, note = "the data's token ids", f"the vocabulary has {vocab} token ids (0..{(vocab or 1) - 1})"
        for i, layer in enumerate(ctx.layers):
            table = _ID_TABLES.get(layer.type)
            if table is not None:
                dim = getattr(layer, table, None)
                if vocab and isinstance(dim, int) and dim < vocab:
                    related = [ctx.related(note, origin)] if origin else []
                    yield self.diag(ctx, ctx.layer_path(i, table),
                                    f"{layer.type} {table} is {dim} but {source} run up to {vocab - 1}",
                                    hint=f"set {table}: {vocab}", related=related, received=dim, expected=vocab)
                if layer.type == "Embedding":
                    return
                vocab = None  # CategoryEncoding outputs an encoding, not ids
                continue
            id_count = getattr(layer, "id_count", None)
            if callable(id_count):
                vocab, origin = id_count(), ctx.layer_path(i)
                source = f"the ids of layer {i} ({layer.type})"
                note = f"{layer.type} makes {vocab} ids (0..{(vocab or 1) - 1})"
            elif getattr(layer, "lint_kind", None) != "keeps" and layer.type not in _KEEP_IDS:
                vocab = None  # the values are no longer the ids


_ID_TABLES = {"Embedding": "input_dim", "CategoryEncoding": "num_tokens"}
"""Layers that take integer ids below one of their arguments."""
_KEEP_IDS = ("Flatten", "Reshape", "Permute", "RepeatVector", "Masking", "Identity", "Dropout")
