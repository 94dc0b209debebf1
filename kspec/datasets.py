"""Data kspec can read or make without TensorFlow: the synthetic ``shapes`` set, IDX files, array
files, and what is known about the Keras built-in data sets.

Everything here is NumPy and the standard library, so the lint path can use it.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import KspecError

if TYPE_CHECKING:  # NumPy is imported where it is used: linting a Keras data set needs none of it
    import numpy as np

# ------------------------------------------------------------------------------- synthetic shapes

SHAPE_CLASSES = ("circle", "square", "triangle", "cross")


def make_shapes(samples: int, image_size: int = 28, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``samples`` grayscale images of 4 shape classes.

    Returns ``(x, y)``: ``x`` uint8 of shape (samples, size, size, 1) with pixels 0..255, ``y``
    int64 labels 0..3 (see :data:`SHAPE_CLASSES`), balanced. The same arguments always give the
    same arrays.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    s = image_size
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) + 0.5
    labels = np.arange(samples) % len(SHAPE_CLASSES)
    rng.shuffle(labels)
    images = np.empty((samples, s, s), dtype=np.float32)
    for i, label in enumerate(labels):
        r = rng.uniform(0.22, 0.38) * s
        margin = 1.0 if s >= 16 else 0.0
        cx, cy = rng.uniform(r + margin, s - r - margin, size=2)
        dx, dy = xx - cx, yy - cy
        if label == 0:  # circle
            mask = dx * dx + dy * dy <= r * r
        elif label == 1:  # square
            mask = (np.abs(dx) <= r * 0.85) & (np.abs(dy) <= r * 0.85)
        elif label == 2:  # triangle, apex up
            mask = (dy <= r * 0.8) & (dy >= -r) & (np.abs(dx) <= (dy + r) * 0.6)
        else:  # cross
            w = r * 0.3
            mask = ((np.abs(dx) <= w) & (np.abs(dy) <= r)) | ((np.abs(dy) <= w) & (np.abs(dx) <= r))
        fg = rng.uniform(170, 255)
        bg = rng.uniform(0, 50)
        img = np.where(mask, fg, bg)
        img = img + rng.normal(0, noise * 255, size=img.shape)
        images[i] = img
    x = np.clip(images, 0, 255).round().astype(np.uint8)[..., None]
    return x, labels.astype(np.int64)


# ------------------------------------------------------------------------------- IDX files

_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _open(path: Path):
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def read_idx_header(path: str | Path) -> tuple[np.dtype, tuple[int, ...]]:
    """dtype and dimensions of an IDX file (gzip or plain), reading only its header."""
    import numpy as np

    path = Path(path)
    try:
        with _open(path) as f:
            head = f.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES:
                raise KspecError(f"{path} is not an IDX file (bad magic number {head.hex()})",
                                 hint="IDX files start with 0x0000 then a type byte, e.g. train-images-idx3-ubyte.gz")
            ndim = head[3]
            dims = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
    except (OSError, EOFError, struct.error) as e:
        raise KspecError(f"cannot read IDX file {path}: {e}") from None
    return np.dtype(_IDX_DTYPES[head[2]]), tuple(dims)


def open_idx(path: str | Path):
    """(dtype, dims, a binary file positioned at the first data byte) of an IDX file; the caller closes it."""
    path = Path(path)
    dtype, dims = read_idx_header(path)
    try:
        f = _open(path)
        f.read(4 + 4 * len(dims))
    except (OSError, EOFError) as e:
        raise KspecError(f"cannot read IDX file {path}: {e}") from None
    return dtype, dims, f


def read_idx(path: str | Path) -> np.ndarray:
    """The whole array of an IDX file."""
    import numpy as np

    path = Path(path)
    dtype, dims = read_idx_header(path)
    try:
        with _open(path) as f:
            f.read(4 + 4 * len(dims))
            buf = f.read()
    except (OSError, EOFError) as e:
        raise KspecError(f"cannot read IDX file {path}: {e}") from None
    need = int(np.prod(dims)) * dtype.itemsize
    if len(buf) < need:
        raise KspecError(f"IDX file {path} is truncated: {len(buf)} of {need} data bytes",
                         hint="download or copy the file again")
    return np.frombuffer(buf[:need], dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


# ------------------------------------------------------------------------------- Keras data sets


@dataclass(frozen=True)
class KerasDatasetInfo:
    name: str
    train: int
    test: int
    sample_shape: tuple[int, ...]
    label_shape: tuple[int, ...]
    num_classes: int
    class_names: tuple[str, ...]
    cache_subdir: str
    files: tuple[str, ...]


KERAS_DATASETS = {
    "mnist": KerasDatasetInfo("mnist", 60000, 10000, (28, 28), (), 10, tuple(str(i) for i in range(10)),
                              "datasets", ("mnist.npz",)),
    "fashion_mnist": KerasDatasetInfo(
        "fashion_mnist", 60000, 10000, (28, 28), (), 10,
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        "datasets/fashion-mnist",
        ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
    ),
    "cifar10": KerasDatasetInfo(
        "cifar10", 50000, 10000, (32, 32, 3), (1,), 10,
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        "datasets", ("cifar-10-batches-py",),
    ),
    "cifar100": KerasDatasetInfo("cifar100", 50000, 10000, (32, 32, 3), (1,), 100,
                                 tuple(str(i) for i in range(100)), "datasets", ("cifar-100-python",)),
}

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def keras_home() -> Path:
    import os

    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def read_array_file(path: Path, spec_path: tuple = ("data", "path")) -> dict[str, np.ndarray]:
    """Arrays of a .npy or .npz file, never unpickling objects (a spec's data cannot run code).

    A missing file is a :class:`KspecError` (the data may be absent on purpose, e.g. in CI); a file
    that is there but is not a NumPy array file is a ``DataFileError`` at ``spec_path``.
    """
    import numpy as np

    from .tables import DataFileError

    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except FileNotFoundError:
        raise KspecError(f"data file {path} does not exist", hint="check the path (relative to the spec)") from None
    except IsADirectoryError:
        raise DataFileError(f"{path} is a folder, not a .npy/.npz file", spec_path=spec_path) from None
    except OSError as e:
        raise KspecError(f"cannot read {path}: {e}") from None
    if not magic:
        raise DataFileError(f"cannot read {path}: the file is empty", spec_path=spec_path,
                            hint="save it again with numpy.save / numpy.savez")
    if magic != b"\x93NUMPY" and not magic.startswith(b"PK"):
        raise DataFileError(f"cannot read {path}: it is not a NumPy .npy or .npz file (it starts with {magic!r})",
                            spec_path=spec_path, hint="save the array with numpy.save (or numpy.savez for several)")
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return {"": loaded}
        with loaded:
            return {k: loaded[k] for k in loaded.files}
    except ValueError as e:
        raise DataFileError(f"cannot read {path}: {e}", spec_path=spec_path,
                            hint="save arrays with numeric dtypes (no Python objects)") from None
    except (EOFError, zipfile.BadZipFile):
        raise DataFileError(f"cannot read {path}: the file is cut short or damaged", spec_path=spec_path,
                            hint="save it again with numpy.save / numpy.savez") from None
    except OSError as e:
        raise DataFileError(f"cannot read {path}: {e}", spec_path=spec_path) from None


def file_fingerprint(paths: list[Path]) -> str:
    """sha256 over file names, sizes and contents."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(p.name).encode())
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def array_fingerprint(*arrays: np.ndarray | None) -> str:
    import numpy as np

    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()
