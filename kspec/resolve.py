"""Stage 3, resolve: a valid spec -> a :class:`Resolved` spec with every default explicit, names
normalised, and the facts the data section tells statically (:class:`DataFacts`).

Facts come from the spec itself, the metadata of the Keras data sets, headers of array and IDX
files, and image-folder listings; never from TensorFlow. A fact that cannot be known is ``None``
and rules that need it stay silent.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import datasets
from .diagnostics import KspecError, did_you_mean
from .spec import (ArraysData, CompileSpec, IdxData, ImageFolderData, KerasData, ModelSpec, NpyData,
                   KerasTextData, NpzData, SeriesData, Spec, SyntheticData, TableData, TextData, TrainSpec)
from .tables import DataFileError

if TYPE_CHECKING:  # imported where arrays are read: a Keras data set's facts need no NumPy
    import numpy as np


@dataclass
class DataFacts:
    """What kspec knows about the data before loading it. ``None`` means unknown."""

    source: str
    sample_shape: tuple[int, ...] | None = None
    """Shape of one input sample, as stored (before any model layer)."""
    dtype: str | None = None
    raw_range: tuple[float, float] | None = None
    """Min and max input value as stored (before rescale)."""
    test_raw_range: tuple[float, float] | None = None
    """Min and max of the test inputs as stored (before rescale), when there are any."""
    num_classes: int | None = None
    class_names: list[str] | None = None
    classification: bool | None = None
    """True for class labels, False for continuous targets, None when unknown."""
    label_kind: str | None = None
    """Labels as stored: ``integer``, ``one_hot``, ``multi_hot``, ``binary`` or ``continuous``."""
    label_shape: tuple[int, ...] | None = None
    """Shape of one stored label (``()`` for a scalar)."""
    target_range: tuple[float, float] | None = None
    n_train: int | None = None
    n_validation: int | None = None
    n_test: int | None = None
    class_counts: dict[str, int] | None = None
    validation_class_counts: dict[str, int] | None = None
    origin: dict[str, tuple] = field(default_factory=dict)
    """Fact name -> spec path it comes from (for related locations in findings)."""
    unavailable: str | None = None
    """Why the data could not be inspected (missing file, ...)."""
    extra: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    """Statistics of the stored arrays by role (``x``, ``y``, ``x_test``, ``y_test``) and their
    ``overlap`` (see :mod:`kspec.datastats`); empty when the source holds no arrays kspec reads."""

    @property
    def fed_label_kind(self) -> str | None:
        return self.extra.get("fed_label_kind", self.label_kind)


@dataclass
class Resolved:
    spec: Spec
    model: ModelSpec
    compile: CompileSpec
    train: TrainSpec
    data: Any
    facts: DataFacts
    base_dir: Path
    input_shape: tuple[int, ...] | None
    seed: int
    seed_was_drawn: bool = False

    def to_json(self) -> dict:
        """The resolved spec: every default explicit, parts inlined."""
        d = self.spec.model_dump(mode="json")
        d["data"] = self.data.model_dump(mode="json")
        d["model"] = self.model.model_dump(mode="json")
        d["model"]["input_shape"] = list(self.input_shape) if self.input_shape else None
        d["compile"] = self.compile.model_dump(mode="json")
        d["train"] = self.train.model_dump(mode="json")
        d["train"]["seed"] = self.seed
        return d

    def spec_hash(self) -> str:
        blob = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()

    def path(self, rel: str) -> Path:
        p = Path(rel).expanduser()
        return p if p.is_absolute() else self.base_dir / p


def _label_facts(y: np.ndarray, facts: DataFacts) -> None:
    import numpy as np

    facts.label_shape = tuple(y.shape[1:])
    if y.size == 0 or not np.issubdtype(y.dtype, np.number):
        return
    ymin, ymax = float(np.min(y)), float(np.max(y))
    facts.target_range = (ymin, ymax)
    integral = bool(np.all(np.equal(np.mod(y, 1), 0)))
    flat = y.reshape(len(y), -1)
    if y.ndim >= 2 and flat.shape[1] > 1 and integral and ymin >= 0 and ymax <= 1:
        sums = flat.sum(axis=1)
        facts.label_kind = "one_hot" if np.all(sums == 1) else "multi_hot"
        facts.num_classes = facts.num_classes or flat.shape[1]
        facts.classification = True
    elif integral and ymin >= 0 and flat.shape[1] == 1:
        facts.label_kind = "binary" if ymax <= 1 else "integer"
        if facts.num_classes is None and facts.classification:
            facts.num_classes = int(ymax) + 1
    else:
        facts.label_kind = "continuous"
        facts.classification = False


def _value_range(x: np.ndarray) -> tuple[float, float] | None:
    import numpy as np

    if x.size and np.issubdtype(x.dtype, np.number):
        return float(np.min(x)), float(np.max(x))
    return None


def _window_overlap(x: np.ndarray) -> int | None:
    """When consecutive samples are a series cut into windows one step apart (sample i + 1 is sample
    i shifted left by one), the number of values neighbours share; else None."""
    import numpy as np

    if x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[2] != 1) or len(x) < 4 or x.shape[1] < 2:
        return None
    flat = x.reshape(len(x), -1)[:64]
    if np.array_equal(flat[1:, :-1], flat[:-1, 1:]) and not np.all(flat == flat[0, 0]):
        return int(flat.shape[1] - 1)
    return None


def _array_facts(facts: DataFacts, x: np.ndarray | None, y: np.ndarray | None, n_test: int | None = None) -> None:
    import numpy as np

    if x is not None:
        overlap = _window_overlap(x)
        if overlap:
            facts.extra["window_overlap"] = overlap
        facts.sample_shape = tuple(int(d) for d in x.shape[1:])
        facts.dtype = str(x.dtype)
        facts.n_train = int(x.shape[0])
        facts.raw_range = _value_range(x)
    if y is not None:
        _label_facts(y, facts)
        if facts.classification and facts.label_kind in ("integer", "binary"):
            ids, counts = np.unique(y.reshape(-1).astype(np.int64), return_counts=True)
            names = facts.class_names or [str(i) for i in range(int(ids.max()) + 1)]
            facts.class_counts = {names[i] if i < len(names) else str(i): int(c) for i, c in zip(ids, counts)}
    facts.n_test = n_test


def _stats_label_facts(y: dict, facts: DataFacts) -> None:
    """:func:`_label_facts` from the statistics of stored labels (see :mod:`kspec.datastats`)."""
    facts.label_shape = tuple(y["shape"][1:])
    if not y.get("numeric") or not y["shape"][0] or y.get("min") is None:
        return
    ymin, ymax = float(y["min"]), float(y["max"])
    facts.target_range = (ymin, ymax)
    integral = y["integral"] and not y["nan"] and not y["inf"]
    width = math.prod(y["shape"][1:]) if len(y["shape"]) > 1 else 1
    if len(y["shape"]) >= 2 and width > 1 and integral and ymin >= 0 and ymax <= 1:
        facts.label_kind = "one_hot" if y.get("rows_sum_to_one") else "multi_hot"
        facts.num_classes = facts.num_classes or width
        facts.classification = True
    elif integral and ymin >= 0 and width == 1:
        facts.label_kind = "binary" if ymax <= 1 else "integer"
        if facts.num_classes is None and facts.classification:
            facts.num_classes = int(ymax) + 1
    else:
        facts.label_kind = "continuous"
        facts.classification = False


def _stats_facts(facts: DataFacts, stats: dict, where: dict[str, tuple] | None = None) -> None:
    """:func:`_array_facts` from the statistics of a source's arrays, read in chunks and cached.

    The files exist (:func:`_file_stats` checked), so an array that cannot be read is an error
    at the spec key that names its file (``where`` maps a role to that key)."""
    import numpy as np

    for role in ("x", "y", "x_test", "y_test"):
        at = (where or {}).get(role, ("data", "path"))
        if "error" in stats.get(role, {}):
            raise DataFileError(f"cannot read the {role} array: {stats[role]['error']}", spec_path=at,
                                hint="save arrays with numeric dtypes, with numpy.save / numpy.savez")
        if role in stats and not stats[role].get("shape"):
            raise DataFileError(f"the {role} array is a single value (shape ()), not one value per sample",
                                hint="save an array whose first axis is the samples", spec_path=at)
    facts.stats = stats
    x, y, x_test = stats.get("x"), stats.get("y"), stats.get("x_test")
    if x is not None:
        if x.get("head") is not None:
            overlap = _window_overlap(np.asarray(x["head"]))
            if overlap:
                facts.extra["window_overlap"] = overlap
        facts.sample_shape = tuple(int(d) for d in x["shape"][1:])
        facts.dtype = x["dtype"]
        facts.n_train = int(x["shape"][0])
        facts.raw_range = (x["min"], x["max"]) if x.get("min") is not None else None
    if x_test is not None:
        facts.n_test = int(x_test["shape"][0])
        facts.test_raw_range = (x_test["min"], x_test["max"]) if x_test.get("min") is not None else None
    if y is not None:
        if facts.classification is None and np.issubdtype(np.dtype(y["dtype"]), np.integer):
            facts.classification = True
        _stats_label_facts(y, facts)
        if facts.classification and facts.label_kind in ("integer", "binary") and "distinct" in y:
            ids = {int(v): c for v, c in y["distinct"]}
            names = facts.class_names or [str(i) for i in range(max(ids) + 1)]
            facts.class_counts = {names[i] if i < len(names) else str(i): int(c) for i, c in sorted(ids.items())}


def _fraction(data: Any) -> float | None:
    return data.validation if isinstance(data.validation, float) else None


def _npz_keys(path: Path) -> set[str]:
    import zipfile

    from .datastats import npz_members

    try:
        return set(npz_members(path))
    except FileNotFoundError:
        raise KspecError(f"data file {path} does not exist", hint="check the path (relative to the spec)") from None
    except zipfile.BadZipFile:
        raise DataFileError(f"cannot read {path}: not an .npz archive", hint="save the arrays with numpy.savez",
                            spec_path=("data", "path")) from None
    except IsADirectoryError:
        raise DataFileError(f"{path} is a folder, not an .npz archive", spec_path=("data", "path")) from None
    except OSError as e:
        raise KspecError(f"cannot read {path}: {e}") from None


def _file_stats(parts: dict[str, tuple[Path, str]], data: Any) -> dict:
    from . import datastats

    for path, _ in parts.values():
        if not path.is_file():
            raise KspecError(f"data file {path} does not exist", hint="check the path (relative to the spec)")
    return datastats.file_stats(parts, labels=("y", "y_test"), fraction=_fraction(data))


class _Inline:
    """A number array written inline in a spec, as ``np.asarray(values, dtype=np.float64)`` would
    hold it (shape and the values in C order), without importing NumPy: inline arrays are small,
    and NumPy's import costs more than a cold ``kspec lint`` of such a spec otherwise takes."""

    def __init__(self, values: list):
        self.shape = self._shape(values)
        self.flat: list[float] = []
        self._flatten(values)

    @classmethod
    def _shape(cls, v: Any) -> tuple[int, ...]:
        if not isinstance(v, list):
            return ()
        shapes = {cls._shape(item) for item in v}
        if len(shapes) > 1:
            raise ValueError("ragged")
        return (len(v),) + (shapes.pop() if shapes else ())

    def _flatten(self, v: Any) -> None:
        if isinstance(v, list):
            for item in v:
                self._flatten(item)
        else:
            self.flat.append(float(v))

    @property
    def size(self) -> int:
        return len(self.flat)

    def range(self) -> tuple[float, float] | None:
        """(min, max) as np.min / np.max give them: NaN when any value is NaN."""
        if not self.flat:
            return None
        if any(v != v for v in self.flat):
            return (math.nan, math.nan)
        return (min(self.flat), max(self.flat))


def _inline_facts(data: Any, facts: DataFacts) -> None:
    """:func:`_array_facts` for inline ``x`` / ``y`` (the same facts, computed without NumPy)."""
    try:
        x, y = _Inline(data.x), _Inline(data.y)
    except ValueError:
        raise KspecError("inline x/y are ragged: every sample must have the same shape") from None
    if len(x.shape) == 1:
        x.shape = x.shape + (1,)
    if data.x_test is not None:
        try:
            facts.test_raw_range = _Inline(data.x_test).range()
        except ValueError:
            pass
    facts.sample_shape = tuple(x.shape[1:])
    facts.n_train = x.shape[0]
    facts.raw_range = x.range()
    if len(x.shape) == 2 or (len(x.shape) == 3 and x.shape[2] == 1):  # windows of a series?
        width = x.shape[1]
        rows = [list(x.flat[i * width:(i + 1) * width]) for i in range(min(x.shape[0], 64))]
        if (len(rows) >= 4 and width >= 2 and all(a[1:] == b[:-1] for a, b in zip(rows, rows[1:]))
                and len(set(x.flat)) > 1):
            facts.extra["window_overlap"] = width - 1
    facts.label_shape = tuple(y.shape[1:])
    if y.size:
        ymin, ymax = y.range()
        facts.target_range = (ymin, ymax)
        integral = all(v % 1 == 0 for v in y.flat)
        width = math.prod(y.shape[1:])
        if len(y.shape) >= 2 and width > 1 and integral and ymin >= 0 and ymax <= 1:
            rows = [y.flat[i:i + width] for i in range(0, y.size, width)]
            facts.label_kind = "one_hot" if all(sum(r) == 1 for r in rows) else "multi_hot"
            facts.num_classes = facts.num_classes or width
            facts.classification = True
        elif integral and ymin >= 0 and width == 1:
            facts.label_kind = "binary" if ymax <= 1 else "integer"
            if facts.num_classes is None and facts.classification:
                facts.num_classes = int(ymax) + 1
        else:
            facts.label_kind = "continuous"
            facts.classification = False
        if facts.classification and facts.label_kind in ("integer", "binary"):
            counts: dict[int, int] = {}
            for v in y.flat:
                counts[int(v)] = counts.get(int(v), 0) + 1
            names = facts.class_names or [str(i) for i in range(max(counts) + 1)]
            facts.class_counts = {names[i] if 0 <= i < len(names) else str(i): c for i, c in sorted(counts.items())}
    facts.n_test = len(data.x_test) if data.x_test is not None else None
    facts.dtype = "float32"
    facts.origin.update(sample_shape=("data", "x"), labels=("data", "y"))
    from . import datastats

    arrays = {"x": x, "y": y}
    for role in ("x_test", "y_test"):
        if getattr(data, role) is not None:
            try:
                arrays[role] = _Inline(getattr(data, role))
            except ValueError:
                continue
            if role == "x_test" and len(arrays[role].shape) == 1:
                arrays[role].shape = arrays[role].shape + (1,)
    facts.stats = datastats.inline_stats(arrays, labels=("y", "y_test"), fraction=_fraction(data))


def data_facts(data: Any, base_dir: Path) -> DataFacts:
    """Facts about ``data`` (a validated data section)."""
    facts = DataFacts(source=data.type)
    if data.class_names:
        facts.class_names = list(data.class_names)
        facts.num_classes = len(data.class_names)
        facts.classification = True
        facts.origin["num_classes"] = ("data", "class_names")
    try:
        _collect(data, base_dir, facts)
    except DataFileError as e:  # the data is there but unusable as the spec says: an error, not "unavailable"
        facts.extra["data_error"] = (e.message, e.spec_path, e.hint)
    except KspecError as e:
        facts.unavailable = e.message
    if data.label_encoding == "one_hot" and facts.label_kind in ("integer", "binary"):
        facts.extra["fed_label_kind"] = "one_hot"
    split_applied = bool(facts.extra.get("split_applied"))
    if data.limit and not split_applied and facts.n_train is not None:
        facts.n_train = min(facts.n_train, data.limit)  # arrays: the first N samples, then the split
    if split_applied:
        pass  # the source split its own counts (image folders hold out a fraction of every class)
    elif facts.n_train is not None and isinstance(data.validation, float):
        n_val = max(1, int(round(facts.n_train * data.validation))) if facts.n_train else 0  # as the runner holds out
        facts.n_validation, facts.n_train = n_val, facts.n_train - n_val
    elif data.validation == "test":
        facts.n_validation = facts.n_test
    if data.reshape and facts.sample_shape is not None:
        import math

        if math.prod(data.reshape) == math.prod(facts.sample_shape):
            facts.extra["stored_sample_shape"] = facts.sample_shape
            facts.sample_shape = tuple(data.reshape)
            facts.origin["sample_shape"] = ("data", "reshape")
        else:
            facts.extra["bad_reshape"] = (facts.sample_shape, tuple(data.reshape))
    if data.limit and split_applied and facts.n_train is not None:
        facts.n_train = min(facts.n_train, data.limit)  # image folders: N of the training files (text, tables: done)
    return facts


def _rel(base_dir: Path, p: str) -> Path:
    path = Path(p).expanduser()
    return path if path.is_absolute() else base_dir / path


def _collect(data: Any, base_dir: Path, facts: DataFacts) -> None:
    if isinstance(data, (IdxData, NpzData, NpyData)):
        import numpy as np
    if isinstance(data, ArraysData):
        _inline_facts(data, facts)
    elif isinstance(data, SyntheticData):
        facts.classification = True
        facts.sample_shape = (data.image_size, data.image_size, 1)
        facts.dtype = "uint8"
        facts.raw_range = facts.test_raw_range = (0.0, 255.0)
        facts.num_classes = len(datasets.SHAPE_CLASSES)
        facts.class_names = facts.class_names or list(datasets.SHAPE_CLASSES)
        facts.label_kind = "integer"
        facts.label_shape = ()
        facts.n_train = data.samples
        facts.n_test = data.test_samples
        per = data.samples // 4
        facts.class_counts = {c: per + (1 if i < data.samples % 4 else 0) for i, c in enumerate(datasets.SHAPE_CLASSES)}
        facts.origin.update(num_classes=("data", "name"), sample_shape=("data", "image_size"))
    elif isinstance(data, KerasData):
        info = datasets.KERAS_DATASETS[data.name]
        facts.classification = True
        facts.sample_shape = info.sample_shape
        facts.dtype = "uint8"
        facts.raw_range = facts.test_raw_range = (0.0, 255.0)
        facts.num_classes = info.num_classes
        facts.class_names = facts.class_names or list(info.class_names)
        facts.label_kind = "integer"
        facts.label_shape = info.label_shape
        facts.n_train, facts.n_test = info.train, info.test
        facts.class_counts = None
        facts.origin.update(num_classes=("data", "name"), sample_shape=("data", "name"))
    elif isinstance(data, IdxData):
        from .datastats import IDX

        facts.classification = True
        parts = {"x": (_rel(base_dir, data.train_images), IDX), "y": (_rel(base_dir, data.train_labels), IDX)}
        for role, name in (("x_test", data.test_images), ("y_test", data.test_labels)):
            if name:
                parts[role] = (_rel(base_dir, name), IDX)
        try:
            datasets.read_idx_header(parts["x"][0])  # a file that is not IDX: say so by name
        except KspecError as e:
            if not parts["x"][0].is_file():
                raise
            raise DataFileError(e.message, e.hint, spec_path=("data", "train_images")) from None
        facts.origin.update(num_classes=("data", "train_labels"), sample_shape=("data", "train_images"))
        _stats_facts(facts, _file_stats(parts, data), {"x": ("data", "train_images"), "y": ("data", "train_labels"),
                                                       "x_test": ("data", "test_images"),
                                                       "y_test": ("data", "test_labels")})
    elif isinstance(data, NpzData):
        path = _rel(base_dir, data.path)
        keys = _npz_keys(path)
        for field_name in ("x_key", "y_key"):
            k = getattr(data, field_name)
            if k not in keys:
                raise DataFileError(f"{data.path} has no array {k!r} (it has {sorted(keys)})",
                                    hint=(f"did you mean {hit!r}?" if (hit := did_you_mean(k, sorted(keys)))
                                          else f"set {field_name} to one of {sorted(keys)}"),
                                    spec_path=("data", field_name))
        parts = {"x": (path, data.x_key), "y": (path, data.y_key)}
        for role, k in (("x_test", data.x_test_key), ("y_test", data.y_test_key)):
            if k and k in keys:
                parts[role] = (path, k)
        facts.origin.update(sample_shape=("data", "path"), num_classes=("data", "path"), labels=("data", "path"))
        _stats_facts(facts, _file_stats(parts, data))
    elif isinstance(data, NpyData):
        parts = {"x": (_rel(base_dir, data.x), ""), "y": (_rel(base_dir, data.y), "")}
        for role in ("x_test", "y_test"):
            if getattr(data, role):
                parts[role] = (_rel(base_dir, getattr(data, role)), "")
        facts.origin.update(sample_shape=("data", "x"), num_classes=("data", "y"), labels=("data", "y"))
        _stats_facts(facts, _file_stats(parts, data), {role: ("data", role) for role in parts})
    elif isinstance(data, ImageFolderData):
        from . import imagefolder

        imagefolder.folder_facts(data, base_dir, facts)
    elif isinstance(data, SeriesData):
        from . import series

        series.series_facts(data, base_dir, facts)
    elif isinstance(data, TableData):
        from . import tables

        tables.table_facts(data, base_dir, facts)
    elif isinstance(data, TextData):
        from . import textdata

        textdata.text_facts(data, base_dir, facts)
    elif isinstance(data, KerasTextData):
        from . import textdata

        textdata.keras_text_facts(data, facts)


def resolve(spec: Spec, base_dir: Path, *, seed: int | None = None) -> Resolved:
    """Make every default explicit. ``seed`` overrides the spec's train seed.

    The validated spec is shared, not copied (a deep copy of inline arrays and long layer lists
    costs more than the rest of resolving); only ``train``, which a run may override in place
    (``--epochs``, ``--distribute``), is the resolved spec's own (a shallow copy)."""
    train = spec.train.model_copy() if isinstance(spec.train, TrainSpec) else TrainSpec()
    model, data, comp = spec.model, spec.data, spec.compile
    assert isinstance(model, ModelSpec) and isinstance(comp, CompileSpec), "parts are composed by the parser"
    facts = data_facts(data, base_dir)
    input_shape = tuple(model.input_shape) if model.input_shape else facts.sample_shape
    drawn = False
    if seed is None:
        seed = train.seed
    if seed is None:
        seed, drawn = secrets.randbelow(2**31), True
    return Resolved(spec=spec, model=model, compile=comp, train=train, data=data, facts=facts,
                    base_dir=base_dir, input_shape=input_shape, seed=seed, seed_was_drawn=drawn)
