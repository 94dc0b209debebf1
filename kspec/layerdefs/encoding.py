"""Layers that turn numbers into categories: one-hot / multi-hot encoding, bucketing into bins,
hashing, and integer vocabularies. Discretization and IntegerLookup without given bins or
vocabulary are adapted on the training split before training, as Normalization is.

Their inputs are a kspec model's numeric input (float32): Keras casts them to integers where it
needs integers. Output shapes are the ones Keras computes before any data is seen; where that
shape would depend on a vocabulary adapted on the data, the spec must fix the width itself.
"""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, model_validator

from ..layers import LayerBase, PosInt, Shape, ShapeError, fmt_shape


class _Encoding(LayerBase):
    family: ClassVar[str] = "preprocessing"
    lint_kind: ClassVar[str] = "opaque"
    lint_nonlinear: ClassVar[bool] = True
    """For the lint rules: values become ids or their encoding, a step function (not a linear map)."""

    def id_count(self) -> int | None:
        """How many integer ids the layer outputs (0..n-1) with ``output_mode: int``; None when it
        outputs an encoding, or when the count depends on data adapted at run time."""
        return None

    def _encoded(self, shape: Shape, depth: int, mode: str) -> Shape:
        """Keras's static shape of an encoded output: ``one_hot`` adds an axis of ``depth`` (replacing
        a last axis of 1), the other modes replace the last axis (one vector of ids per sample)."""
        if len(shape) > 1:
            raise ShapeError(
                f"{self.type} with output_mode {mode} encodes one vector of ids per sample, got shape "
                f"{fmt_shape(shape)}: Keras's static shape and the tensor it computes disagree on rank 2 and above",
                field="output_mode", hint="add a Flatten layer before it")
        if mode == "one_hot" and shape[-1] != 1:
            return tuple(shape) + (depth,)
        return (depth,)


class CategoryEncoding(_Encoding):
    """One-hot, multi-hot or count encoding of integer ids 0..num_tokens-1."""

    type: Literal["CategoryEncoding"]
    num_tokens: PosInt
    """Number of ids: inputs are integers in 0..num_tokens-1 (Keras requires it)."""
    output_mode: Literal["multi_hot", "one_hot", "count"] = "multi_hot"
    """``multi_hot``: 1 for each id present in the sample; ``count``: how often; ``one_hot``: one vector per id."""
    sparse: bool = False
    """Output a sparse tensor (TensorFlow backend)."""

    def output_shape(self, shape: Shape) -> Shape:
        return self._encoded(shape, self.num_tokens, self.output_mode)


class Discretization(_Encoding):
    """Buckets values into bins: by given ``bin_boundaries``, or ``num_bins`` quantile bins adapted
    on the training split."""

    type: Literal["Discretization"]
    bin_boundaries: list[float] | None = None
    """Sorted boundaries: [0, 1] makes bins (-inf, 0), [0, 1), [1, inf). Give this or num_bins."""
    num_bins: Annotated[int, Field(ge=0)] | None = None
    """Number of bins whose boundaries are quantiles of the training split (adapted before training)."""
    epsilon: Annotated[float, Field(gt=0)] = 0.01
    """Error tolerance of the quantiles when adapting."""
    output_mode: Literal["int", "one_hot", "multi_hot", "count"] = "int"
    """``int``: the bin index of each value; else an encoding of the bins as in CategoryEncoding."""
    sparse: bool = False
    """Output a sparse tensor (not with output_mode int)."""

    @model_validator(mode="after")
    def _bins(self):
        if (self.num_bins is None) == (self.bin_boundaries is None):
            raise ValueError("give either bin_boundaries or num_bins (Keras needs exactly one of them)")
        if self.bin_boundaries is not None and self.bin_boundaries != sorted(self.bin_boundaries):
            raise ValueError(f"bin_boundaries must be sorted in increasing order, got {self.bin_boundaries}")
        if self.sparse and self.output_mode == "int":
            raise ValueError("sparse: true needs output_mode one_hot, multi_hot or count (Keras refuses it with int)")
        return self

    @property
    def adapts(self) -> bool:
        """The bin boundaries come from the training data (``adapt`` before training)."""
        return self.bin_boundaries is None

    @property
    def depth(self) -> int:
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else int(self.num_bins or 0)

    def id_count(self) -> int | None:
        return self.depth if self.output_mode == "int" else None

    def output_shape(self, shape: Shape) -> Shape:
        if self.output_mode == "int":
            return shape
        return self._encoded(shape, self.depth, self.output_mode)


class Hashing(_Encoding):
    """Hashes values into num_bins bins (integer ids, or their encoding)."""

    type: Literal["Hashing"]
    num_bins: PosInt
    """Number of hash bins, including the mask bin when mask_value is set."""
    mask_value: int | str | None = None
    """A value that always maps to bin 0."""
    salt: Union[int, Annotated[list[int], Field(min_length=2, max_length=2)], None] = None
    """Salt of a keyed hash (SipHash64) instead of FarmHash64."""
    output_mode: Literal["int", "one_hot", "multi_hot", "count"] = "int"
    """``int``: the bin of each value; else an encoding of the bins as in CategoryEncoding."""
    sparse: bool = False
    """Output a sparse tensor (not with output_mode int)."""

    @model_validator(mode="after")
    def _sparse(self):
        if self.sparse and self.output_mode == "int":
            raise ValueError("sparse: true needs output_mode one_hot, multi_hot or count (Keras refuses it with int)")
        return self

    def id_count(self) -> int | None:
        return self.num_bins if self.output_mode == "int" else None

    def output_shape(self, shape: Shape) -> Shape:
        if self.output_mode == "int":
            return shape
        if self.output_mode == "one_hot" and shape[-1] != 1:
            raise ShapeError(
                f"Hashing with output_mode one_hot takes one value per sample (shape (1,)), got {fmt_shape(shape)}: "
                "Keras's static shape replaces the last axis while the tensor it computes adds one",
                field="output_mode", hint="use output_mode multi_hot or count for several values per sample")
        return self._encoded(shape, self.num_bins, self.output_mode)


class IntegerLookup(_Encoding):
    """Maps integer values to contiguous ids through a vocabulary: given, or adapted on the
    training split (the most frequent values first)."""

    type: Literal["IntegerLookup"]
    max_tokens: Annotated[int, Field(ge=2)] | None = None
    """Largest vocabulary size, OOV and mask ids included (none: every value seen)."""
    num_oov_indices: Annotated[int, Field(ge=0)] = 1
    """Ids reserved for values outside the vocabulary."""
    mask_token: int | None = None
    """A value that maps to id 0 (padding); none: no mask id."""
    oov_token: int = -1
    """The value returned for out-of-vocabulary ids when invert is true."""
    vocabulary: list[int] | None = None
    """The vocabulary (then no adaptation)."""
    vocabulary_dtype: Literal["int64"] = "int64"
    """Type of the vocabulary values (Keras supports int64 only)."""
    idf_weights: list[float] | None = None
    """Inverse document frequency of each vocabulary value (output_mode tf_idf with a given vocabulary)."""
    invert: bool = False
    """Map ids back to values instead."""
    output_mode: Literal["int", "one_hot", "multi_hot", "count", "tf_idf"] = "int"
    """``int``: the id of each value; else an encoding of the ids as in CategoryEncoding (tf_idf: weighted counts)."""
    sparse: bool = False
    """Output a sparse tensor (TensorFlow backend)."""
    pad_to_max_tokens: bool = False
    """Make encoded outputs max_tokens wide whatever the vocabulary size."""
    oov_method: Literal["floormod", "farmhash"] = "floormod"
    """How values outside the vocabulary are spread over the OOV ids."""
    salt: int | None = None
    """Salt of the OOV hash with oov_method farmhash."""

    @model_validator(mode="after")
    def _modes(self):
        if self.invert and self.output_mode != "int":
            raise ValueError("invert: true needs output_mode int (Keras maps ids back to values only then)")
        if self.pad_to_max_tokens and self.max_tokens is None:
            raise ValueError("pad_to_max_tokens: true needs max_tokens (the width of the output)")
        if self.vocabulary is not None and len(set(self.vocabulary)) != len(self.vocabulary):
            raise ValueError("the vocabulary repeats a value (Keras refuses repeated vocabulary entries)")
        if self.output_mode == "tf_idf" and self.vocabulary is not None and self.idf_weights is None:
            raise ValueError("output_mode tf_idf with a given vocabulary needs idf_weights (one per vocabulary value)")
        if self.idf_weights is not None and (self.output_mode != "tf_idf" or self.vocabulary is None):
            raise ValueError("idf_weights go with output_mode tf_idf and a given vocabulary")
        if self.idf_weights is not None and len(self.idf_weights) != len(self.vocabulary or []):
            raise ValueError(f"idf_weights has {len(self.idf_weights)} values for a vocabulary of "
                             f"{len(self.vocabulary or [])}")
        return self

    @property
    def adapts(self) -> bool:
        """The vocabulary comes from the training data (``adapt`` before training)."""
        return self.vocabulary is None

    def id_count(self) -> int | None:
        """The mask id (0, with a mask_token), the OOV ids, then one id per vocabulary value; at most
        max_tokens with an adapted vocabulary."""
        if self.output_mode != "int" or self.invert:
            return None
        if self.vocabulary is not None:
            return len(self.vocabulary) + self.num_oov_indices + (self.mask_token is not None)
        return self.max_tokens

    def output_shape(self, shape: Shape) -> Shape:
        if self.output_mode == "int":
            return shape
        if self.pad_to_max_tokens:
            depth = int(self.max_tokens or 0)
        elif self.vocabulary is not None:
            depth = len(self.vocabulary) + self.num_oov_indices
            if self.max_tokens is not None and depth > self.max_tokens:
                raise ShapeError(f"IntegerLookup vocabulary of {len(self.vocabulary)} values and "
                                 f"{self.num_oov_indices} OOV id(s) exceeds max_tokens {self.max_tokens}",
                                 field="vocabulary", hint="shorten the vocabulary or raise max_tokens")
        else:
            raise ShapeError(
                f"IntegerLookup with output_mode {self.output_mode} and an adapted vocabulary has an output width "
                "that depends on the data, and Keras fixes the model's shapes before adapting",
                field="output_mode", hint="set max_tokens and pad_to_max_tokens: true, or give the vocabulary")
        return self._encoded(shape, depth, self.output_mode)
