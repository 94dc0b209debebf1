"""Statistics of array data, computed once per data source for resolve and the lint rules.

Inputs are read in chunks of rows (an ``.npz`` member straight out of its zip stream, an
``.npy`` through a memory map), so memory stays bounded on data larger than RAM. Labels are
small (one value or vector per sample) and are read whole.

For each array: shape, dtype, NaN and Inf counts, finite min and max, whether every value is an
integer, the distinct values with their counts (up to 1,024 of them), per-feature min, max, mean
and standard deviation for tabular inputs (one vector per sample, up to 512 features), and
whether the rows of a 2-D label array sum to 1. Between splits: how many test rows also occur in
the training rows, and how many validation rows (the last fraction of the training rows, as
Keras's ``validation_split`` takes them) also occur in the rest, by a 128-bit hash of each row.

Results are cached with :mod:`kspec.cache` (kind ``stats``), keyed by the files' paths, sizes
and modification times, the keys read and the split, so a second lint of the same data opens no
data file. Inline arrays (a few numbers in the spec) get the same statistics in pure Python
(:func:`inline_stats`), without importing NumPy.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .diagnostics import KspecError

if TYPE_CHECKING:
    import numpy as np

VERSION = 1
CHUNK_BYTES = 8 << 20
MAX_DISTINCT = 1024
MAX_FEATURES = 512
HEAD_ROWS, HEAD_WIDTH = 64, 256
"""The first rows of a narrow input are kept (to tell windows cut from one series)."""


# ------------------------------------------------------------------------------------ reading


class Unreadable(Exception):
    pass


def npz_members(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {n[:-4] if n.endswith(".npy") else n: n for n in zf.namelist()}


def _header(f) -> tuple[tuple[int, ...], bool, Any]:
    from numpy.lib import format as npformat

    major, _ = npformat.read_magic(f)
    read = npformat.read_array_header_1_0 if major == 1 else npformat.read_array_header_2_0
    shape, fortran, dtype = read(f)
    if dtype.hasobject:
        raise Unreadable("holds Python objects (save arrays with numeric dtypes)")
    return shape, fortran, dtype


def _chunks_from_stream(f, shape, dtype) -> Iterator[np.ndarray]:
    import numpy as np

    row = dtype.itemsize * math.prod(shape[1:])
    rows = max(1, CHUNK_BYTES // max(row, 1))
    left = shape[0] if shape else 1
    while left > 0:
        n = min(rows, left)
        buf = f.read(n * row)
        if len(buf) < n * row:
            raise Unreadable("is truncated")
        yield np.frombuffer(buf, dtype=dtype).reshape((n,) + tuple(shape[1:]))
        left -= n


def iter_member(path: Path, key: str) -> tuple[tuple[int, ...], Any, Iterator[np.ndarray]]:
    """(shape, dtype, chunks of rows) of array ``key`` of an npz (``""``: a plain .npy file)."""
    import numpy as np

    if key == "":
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
        rows = max(1, CHUNK_BYTES // max(arr.dtype.itemsize * math.prod(arr.shape[1:]), 1))
        return arr.shape, arr.dtype, (np.asarray(arr[i:i + rows]) for i in range(0, max(arr.shape[0], 1), rows))
    zf = zipfile.ZipFile(path)
    f = zf.open(npz_members(path)[key])
    shape, fortran, dtype = _header(f)
    if fortran or not shape:
        f.close()
        zf.close()
        arr = np.load(path, allow_pickle=False)[key]
        return arr.shape, arr.dtype, iter([np.ascontiguousarray(arr).reshape(arr.shape or (1,))])

    def gen():
        try:
            yield from _chunks_from_stream(f, shape, dtype)
        finally:
            f.close()
            zf.close()

    return shape, dtype, gen()


IDX = "<idx>"
"""The key of an IDX file in :func:`file_stats`'s parts (an npz member's name, ``""`` a .npy file)."""


def iter_idx(path: Path) -> tuple[tuple[int, ...], Any, Iterator[np.ndarray]]:
    """(shape, dtype, chunks of rows) of an IDX file (gzip or plain), streamed."""
    from .datasets import open_idx

    dtype, dims, f = open_idx(path)
    native = dtype.newbyteorder("=")

    def gen():
        try:
            for chunk in _chunks_from_stream(f, dims, dtype):
                yield chunk.astype(native, copy=False)
        finally:
            f.close()

    return tuple(dims), native, gen()


# ------------------------------------------------------------------------------------ statistics

_R1 = _R2 = None


def _row_hashes(chunk: np.ndarray) -> np.ndarray:
    """Two 64-bit multiply-add hashes of each row's bytes (a (n, 2) uint64 array)."""
    import numpy as np

    global _R1, _R2
    flat = np.ascontiguousarray(chunk).reshape(len(chunk), -1).view(np.uint8)
    pad = (-flat.shape[1]) % 8
    if pad:
        flat = np.concatenate([flat, np.zeros((len(flat), pad), np.uint8)], axis=1)
    words = flat.view(np.uint64)
    width = words.shape[1]
    if _R1 is None or len(_R1) < width:
        rng = np.random.default_rng(20211202)
        _R1 = rng.integers(1, 2**63, size=max(width, 64), dtype=np.uint64) | np.uint64(1)
        _R2 = rng.integers(1, 2**63, size=max(width, 64), dtype=np.uint64) | np.uint64(1)
    signed = words.view(np.int64)  # an integer dot product wraps modulo 2**64, as the hash wants
    h1 = np.dot(signed, _R1[:width].view(np.int64)).view(np.uint64)
    h2 = np.dot(signed, _R2[:width].view(np.int64)).view(np.uint64)
    return np.stack([h1, h2], axis=1)


class _Acc:
    """Streaming statistics of one array."""

    def __init__(self, shape, dtype, *, features: bool, distinct: bool, hashes: bool):
        import numpy as np

        self.shape, self.dtype = tuple(int(d) for d in shape), np.dtype(dtype)
        self.numeric = np.issubdtype(self.dtype, np.number) or self.dtype == np.bool_
        self.floating = np.issubdtype(self.dtype, np.floating)
        self.nan = self.inf = 0
        self.lo, self.hi = math.inf, -math.inf
        self.integral = True
        self.sums_one = len(self.shape) >= 2 and math.prod(self.shape[1:]) > 1
        self.label = distinct
        self.distinct: dict | None = {} if distinct else None
        nfeat = self.shape[1] if len(self.shape) == 2 else 0
        self.features = features and 0 < nfeat <= MAX_FEATURES
        if self.features:
            self.fmin = np.full(nfeat, np.inf)
            self.fmax = np.full(nfeat, -np.inf)
            self.fsum = np.zeros(nfeat)
            self.fsq = np.zeros(nfeat)
            self.fn = np.zeros(nfeat)
        self.sum = self.sq = 0.0
        self.count = 0
        self.hashes: list | None = [] if hashes else None
        width = math.prod(self.shape[1:]) if len(self.shape) > 1 else 1
        self.head: list | None = [] if hashes and len(self.shape) in (2, 3) and width <= HEAD_WIDTH else None

    def add(self, chunk: np.ndarray) -> None:
        import numpy as np

        if self.hashes is not None and len(chunk):
            self.hashes.append(_row_hashes(chunk))
        if self.head is not None and len(self.head) < HEAD_ROWS:
            self.head.extend(chunk[:HEAD_ROWS - len(self.head)].tolist())
        if not self.numeric or chunk.size == 0:
            return
        x = chunk
        if self.floating:
            finite = np.isfinite(x)
            if not finite.all():
                self.nan += int(np.isnan(x).sum())
                self.inf += int(np.isinf(x).sum())
                x = np.where(finite, x, np.nan)
            lo, hi = np.nanmin(x) if finite.any() else math.inf, np.nanmax(x) if finite.any() else -math.inf
        else:
            lo, hi = x.min(), x.max()
        self.lo, self.hi = min(self.lo, float(lo)), max(self.hi, float(hi))
        if self.integral and self.floating:
            self.integral = bool(np.all(np.nan_to_num(np.mod(x, 1)) == 0))
        if not (self.label or self.features):
            return  # an image or sequence input: the range, the counts and the row hashes are enough
        xf = x.astype(np.float64, copy=False)
        self.sum += float(np.nansum(xf))
        self.sq += float(np.nansum(xf * xf))
        self.count += int(np.isfinite(xf).sum()) if self.floating else xf.size
        if self.sums_one:
            flat = xf.reshape(len(xf), -1)
            self.sums_one = bool(np.all(np.abs(flat.sum(axis=1) - 1) < 1e-6))
        if self.distinct is not None:
            if not self.floating and self.dtype != np.bool_ and lo >= 0 and hi < 1 << 20:
                counts = np.bincount(chunk.reshape(-1))
                vals = np.nonzero(counts)[0]
                counts = counts[vals]
            else:
                vals, counts = np.unique(xf[np.isfinite(xf)] if self.floating else xf, return_counts=True)
            for v, c in zip(vals.tolist(), counts.tolist()):
                self.distinct[v] = self.distinct.get(v, 0) + c
            if len(self.distinct) > MAX_DISTINCT:
                self.distinct = None
        if self.features:
            self.fmin = np.fmin(self.fmin, np.nanmin(xf, axis=0) if self.floating else xf.min(axis=0))
            self.fmax = np.fmax(self.fmax, np.nanmax(xf, axis=0) if self.floating else xf.max(axis=0))
            self.fsum += np.nansum(xf, axis=0)
            self.fsq += np.nansum(xf * xf, axis=0)
            self.fn += np.isfinite(xf).sum(axis=0)

    def result(self) -> dict:
        out: dict[str, Any] = {"shape": list(self.shape), "dtype": str(self.dtype), "numeric": self.numeric}
        if self.head is not None and self.numeric:
            out["head"] = self.head
        if not self.numeric:
            return out
        has = self.lo <= self.hi
        mean = self.sum / self.count if self.count else None
        var = max(self.sq / self.count - mean * mean, 0.0) if self.count else None
        out.update(nan=self.nan, inf=self.inf, min=self.lo if has else None, max=self.hi if has else None,
                   integral=self.integral, mean=mean, std=math.sqrt(var) if var is not None else None)
        if len(self.shape) >= 2 and math.prod(self.shape[1:]) > 1:
            out["rows_sum_to_one"] = self.sums_one
        if self.distinct is not None:
            out["distinct"] = [[v, c] for v, c in sorted(self.distinct.items())]
        if self.features:
            n = [max(c, 1) for c in self.fn.tolist()]
            means = [s / c for s, c in zip(self.fsum.tolist(), n)]
            out["features"] = {
                "min": self.fmin.tolist(), "max": self.fmax.tolist(), "mean": means,
                "std": [math.sqrt(max(q / c - m * m, 0.0)) for q, c, m in zip(self.fsq.tolist(), n, means)],
            }
        return out


def stats_of(shape, dtype, chunks, *, label: bool, hashes: bool = False) -> tuple[dict, Any]:
    """(statistics, row hashes or None) of one array given as chunks of rows."""
    import numpy as np

    acc = _Acc(shape, dtype, features=not label, distinct=label, hashes=hashes)
    for chunk in chunks:
        acc.add(chunk)
    hashed = None
    if acc.hashes is not None:
        hashed = np.concatenate(acc.hashes) if acc.hashes else np.zeros((0, 2), np.uint64)
    return acc.result(), hashed


def _overlap(train: Any, other: Any) -> int:
    """How many rows of ``other`` also occur in ``train`` (by row hash)."""
    import numpy as np

    if train is None or other is None or not len(train) or not len(other):
        return 0
    candidates = np.isin(other[:, 0], train[:, 0])  # 64 bits first, then both halves
    if not candidates.any():
        return 0
    seen = set(map(tuple, train[np.isin(train[:, 0], other[candidates, 0])].tolist()))
    return sum(tuple(row) in seen for row in other[candidates].tolist())


def split_overlap(hashes: Any, fraction: float | None) -> int:
    """Rows of the validation split (the last ``fraction`` of the rows) that also occur before it."""
    if hashes is None or not fraction:
        return 0
    n_val = int(round(len(hashes) * fraction))
    if n_val <= 0 or n_val >= len(hashes):
        return 0
    return _overlap(hashes[:-n_val], hashes[-n_val:])


# ------------------------------------------------------------------------------------ sources


def file_stats(parts: dict[str, tuple[Path, str]], *, labels: tuple[str, ...], fraction: float | None) -> dict:
    """Statistics of arrays in files: ``parts`` maps a role (``x``, ``y``, ``x_test`` ...) to
    (file, key in the npz, ``""`` for a .npy or :data:`IDX` for an IDX file). Cached by the files'
    fingerprints (:func:`kspec.cache.fingerprint`)."""
    from . import cache

    paths = sorted({p for p, _ in parts.values()})
    key = cache.fingerprint(paths, salt=f"kspec-stats-{VERSION}",
                            extra={"parts": {r: [str(p), k] for r, (p, k) in sorted(parts.items())},
                                   "fraction": fraction, "labels": list(labels)})
    return cache.remember("stats", key, lambda: _compute_file_stats(parts, labels, fraction))


def _compute_file_stats(parts: dict[str, tuple[Path, str]], labels: tuple[str, ...], fraction: float | None) -> dict:
    out: dict[str, Any] = {}
    hashes: dict[str, Any] = {}
    for role, (path, k) in parts.items():
        try:
            shape, dtype, chunks = iter_idx(path) if k == IDX else iter_member(path, k)
            out[role], hashes[role] = stats_of(shape, dtype, chunks, label=role in labels,
                                               hashes=role in ("x", "x_test"))
        except (Unreadable, KspecError, OSError, ValueError, zipfile.BadZipFile) as e:
            out[role] = {"error": str(e) if str(path) in str(e) else f"{path} {e}"}
    out["overlap"] = {"test": _overlap(hashes.get("x"), hashes.get("x_test")),
                      "validation": split_overlap(hashes.get("x"), fraction)}
    return out


def array_stats(arrays: dict[str, Any], *, labels: tuple[str, ...], fraction: float | None) -> dict:
    """The same statistics for arrays already in memory (inline data), not cached."""
    import numpy as np

    out: dict[str, Any] = {}
    hashes: dict[str, Any] = {}
    for role, a in arrays.items():
        if a is None:
            continue
        a = np.asarray(a)
        out[role], hashes[role] = stats_of(a.shape, a.dtype, [a], label=role in labels,
                                           hashes=role in ("x", "x_test"))
    out["overlap"] = {"test": _overlap(hashes.get("x"), hashes.get("x_test")),
                      "validation": split_overlap(hashes.get("x"), fraction)}
    return out


# ------------------------------------------------------------------------------------ inline


def _inline_one(shape: tuple[int, ...], flat: list[float], *, label: bool) -> dict:
    n = shape[0] if shape else 0
    width = math.prod(shape[1:]) if len(shape) > 1 else 1
    nan = sum(1 for v in flat if v != v)
    inf = sum(1 for v in flat if v in (math.inf, -math.inf))
    finite = [v for v in flat if v == v and v not in (math.inf, -math.inf)]
    out: dict[str, Any] = {"shape": list(shape), "dtype": "float64", "numeric": True, "nan": nan, "inf": inf,
                           "min": min(finite) if finite else None, "max": max(finite) if finite else None,
                           "integral": all(v % 1 == 0 for v in finite)}
    rows = [flat[i * width:(i + 1) * width] for i in range(n)]
    if label:
        mean = sum(finite) / len(finite) if finite else None
        out["mean"] = mean
        out["std"] = math.sqrt(max(sum(v * v for v in finite) / len(finite) - mean * mean, 0.0)) if finite else None
        distinct: dict[float, int] = {}
        for v in finite:
            distinct[v] = distinct.get(v, 0) + 1
        if len(distinct) <= MAX_DISTINCT:
            out["distinct"] = [[int(v) if v % 1 == 0 else v, c] for v, c in sorted(distinct.items())]
    else:
        out["mean"] = out["std"] = None
        if len(shape) == 2 and 0 < width <= MAX_FEATURES and n:
            cols = [[r[j] for r in rows if r[j] == r[j] and abs(r[j]) != math.inf] for j in range(width)]
            means = [sum(c) / len(c) if c else 0.0 for c in cols]
            out["features"] = {
                "min": [min(c) if c else math.inf for c in cols], "max": [max(c) if c else -math.inf for c in cols],
                "mean": means,
                "std": [math.sqrt(max(sum(v * v for v in c) / len(c) - m * m, 0.0)) if c else 0.0
                        for c, m in zip(cols, means)]}
    if len(shape) >= 2 and width > 1:
        out["rows_sum_to_one"] = all(abs(sum(r) - 1) < 1e-6 for r in rows)
    return out


def inline_stats(arrays: dict[str, Any], *, labels: tuple[str, ...], fraction: float | None) -> dict:
    """The statistics of inline arrays, each given with ``shape`` and ``flat`` (C order) values."""
    out: dict[str, Any] = {}
    rows: dict[str, list] = {}
    for role, a in arrays.items():
        shape, flat = tuple(a.shape), list(a.flat)
        out[role] = _inline_one(shape, flat, label=role in labels)
        if role in ("x", "x_test") and shape:
            width = math.prod(shape[1:]) if len(shape) > 1 else 1
            rows[role] = [tuple(flat[i * width:(i + 1) * width]) for i in range(shape[0])]
    train, test = rows.get("x", []), rows.get("x_test", [])
    seen = set(train)
    overlap = {"test": sum(r in seen for r in test), "validation": 0}
    n_val = int(round(len(train) * fraction)) if fraction else 0
    if 0 < n_val < len(train):
        head = set(train[:-n_val])
        overlap["validation"] = sum(r in head for r in train[-n_val:])
    out["overlap"] = overlap
    return out


# ------------------------------------------------------------------------------------ image folders

IMAGE_STATS_VERSION = 1
IMAGE_SAMPLE = 256
"""Training images :func:`image_stats` decodes per tree; larger trees are sampled evenly per class."""
IMAGE_EXAMPLES = 5
"""Constant images named in the statistics (the rest are counted)."""
_PIL_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def sample_files(files_by_class: dict[str, list[Path]], limit: int) -> list[Path]:
    """At most ``limit`` files, each class in proportion to its size (at least one each), evenly
    spaced within the class: a deterministic sample that sees every class."""
    total = sum(len(v) for v in files_by_class.values())
    out: list[Path] = []
    for files in files_by_class.values():
        if not files:
            continue
        per = len(files) if total <= limit else max(1, round(limit * len(files) / total))
        stride = len(files) / per
        out.extend(files[int(i * stride)] for i in range(per))
    return out


def image_stats(files_by_class: dict[str, list[Path]], color_mode: str, root: Path, *,
                limit: int = IMAGE_SAMPLE) -> dict:
    """Pixel statistics of an image folder, from a sample of its files (:func:`sample_files`):
    each image decoded with Pillow and converted to ``color_mode`` as training converts it, before
    resizing (which can only narrow the range); bounded memory (one image at a time).

    ``{"sampled": n, "total": N, "unreadable": k, "min", "max", "mean", "std", "constant": c,
    "constant_files": [...]}``: the value range and the mean and standard deviation over every
    channel of the sampled images; ``constant``: sampled images whose every pixel has one value
    (per channel). A decoded 8-bit image holds no NaN or infinity, so none are counted. Cached with
    :mod:`kspec.cache` (kind ``image-stats``) by the sampled files' names, sizes and modification
    times: a second lint of an unchanged tree decodes nothing."""
    from . import cache

    chosen = sample_files(files_by_class, limit)
    total = sum(len(v) for v in files_by_class.values())
    key = cache.fingerprint(chosen, salt=f"kspec-image-stats-{IMAGE_STATS_VERSION}",
                            extra={"mode": color_mode, "total": total, "root": str(root)})
    return cache.remember("image-stats", key, lambda: _image_stats(chosen, color_mode, root, total))


def _image_stats(chosen: list[Path], color_mode: str, root: Path, total: int) -> dict:
    from PIL import Image, ImageStat

    mode = _PIL_MODES[color_mode]
    lo, hi = math.inf, -math.inf
    s = sq = count = 0.0
    read = unreadable = constant = 0
    examples: list[str] = []
    for path in chosen:
        try:
            with Image.open(path) as im:
                im = im.convert(mode)
                ext = im.getextrema()
                st = ImageStat.Stat(im)
        except Exception:  # a damaged file is KS311's to report; it adds nothing here
            unreadable += 1
            continue
        bands = ext if isinstance(ext[0], tuple) else (ext,)
        read += 1
        lo = min(lo, *(b[0] for b in bands))
        hi = max(hi, *(b[1] for b in bands))
        s += sum(st.sum)
        sq += sum(st.sum2)
        count += sum(st.count)
        if all(b[0] == b[1] for b in bands):
            constant += 1
            if len(examples) < IMAGE_EXAMPLES:
                try:
                    examples.append(Path(path).relative_to(root).as_posix())
                except ValueError:
                    examples.append(str(path))
    mean = s / count if count else None
    std = math.sqrt(max(sq / count - mean * mean, 0.0)) if count else None
    return {"sampled": read, "total": total, "unreadable": unreadable, "min": lo if read else None,
            "max": hi if read else None, "mean": mean, "std": std, "constant": constant,
            "constant_files": examples}
