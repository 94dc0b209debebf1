"""Inputs a user hands to ``kspec predict`` / ``kspec visualize``: image files, folders of images,
``.npy`` arrays. Each is turned into what the model was trained on: the sample shape of the
model's input, scaled by the data section's ``rescale``.

Images are read with Pillow, converted to the model's channels (1 grayscale, 3 RGB, 4 RGBA) and
resized to its height and width. ``.npy`` files hold samples as the data stores them (before
``rescale``), like the spec's ``predict.x``: one sample, or many along the first axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..diagnostics import KspecError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
_RESAMPLE = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC", "area": "BOX",
             "lanczos3": "LANCZOS", "lanczos5": "LANCZOS", "gaussian": "BILINEAR", "mitchellcubic": "BICUBIC"}


@dataclass
class Batch:
    names: list[str]
    """One name per sample: the file, or ``file.npy[3]``."""
    x: np.ndarray
    """Samples as the model takes them (batch axis first), float32, rescaled."""


def image_geometry(input_shape: tuple[int, ...] | None) -> tuple[int, int, int | None]:
    """(height, width, channels or None for a 2-D sample) of a model that takes images."""
    if input_shape is None:
        raise KspecError("the model's input shape is unknown, so images cannot be prepared for it")
    if len(input_shape) == 3 and input_shape[-1] in (1, 3, 4):
        return input_shape[0], input_shape[1], input_shape[2]
    if len(input_shape) == 2:
        return input_shape[0], input_shape[1], None
    raise KspecError(f"this model takes samples of shape {list(input_shape)}, not images",
                     hint="pass the samples as a .npy file instead")


def read_image(path: Path, input_shape: tuple[int, ...], interpolation: str = "bilinear") -> np.ndarray:
    """One image file -> float32 array of ``input_shape`` with the raw pixel values (0..255)."""
    from PIL import Image, UnidentifiedImageError

    h, w, c = image_geometry(input_shape)
    try:
        with Image.open(path) as im:
            mode = {None: "L", 1: "L", 3: "RGB", 4: "RGBA"}[c]
            im = im.convert(mode)
            if im.size != (w, h):
                resample = getattr(Image.Resampling, _RESAMPLE.get(interpolation, "BILINEAR"))
                im = im.resize((w, h), resample)
            arr = np.asarray(im, dtype=np.float32)
    except FileNotFoundError:
        raise KspecError(f"image {path} does not exist") from None
    except (UnidentifiedImageError, OSError) as e:
        raise KspecError(f"cannot read image {path}: {e}", hint="use a PNG, JPEG, BMP or GIF file") from None
    if c is not None and arr.ndim == 2:
        arr = arr[..., None]
    return arr


def _fit_samples(arr: np.ndarray, input_shape: tuple[int, ...], stored: tuple[int, ...] | None, origin: str) -> np.ndarray:
    """An array of one or many samples -> (n, *input_shape)."""
    per = math.prod(input_shape)
    shapes = {tuple(input_shape)} | ({tuple(stored)} if stored else set())
    if tuple(arr.shape) in shapes or (arr.ndim == 1 and arr.size == per and len(input_shape) == 1):
        arr = arr[None]
    elif arr.ndim >= 1 and math.prod(arr.shape[1:]) == per:
        pass
    elif arr.size == per:
        arr = arr.reshape((1,) + tuple(input_shape))
    else:
        raise KspecError(f"{origin} has shape {list(arr.shape)}; the model takes samples of shape {list(input_shape)}",
                         hint="save one sample, or many samples along the first axis")
    return arr.reshape((len(arr),) + tuple(input_shape))


def read_inputs(paths: list[str | Path], resolved) -> Batch:
    """Image files, folders (every image inside, sorted) and .npy files -> one batch, preprocessed
    as the training data was (rescale; for image folders, the training pipeline's own decode and resize)."""
    input_shape = tuple(resolved.input_shape) if resolved.input_shape else None
    if input_shape is None:
        raise KspecError("the model's input shape is unknown")
    data = resolved.data
    interpolation = getattr(data, "interpolation", "bilinear")
    stored = resolved.facts.extra.get("stored_sample_shape") or resolved.facts.sample_shape
    names: list[str] = []
    arrays: list[np.ndarray] = []
    from ..spec import ImageFolderData

    def scale(a: np.ndarray) -> np.ndarray:
        from ..emit.data import rescale_array

        return rescale_array(a, data.rescale) if data.rescale is not None else a

    if isinstance(data, ImageFolderData):
        # exactly the training pipeline's decode, colour mode, resize and rescale
        def image(f: Path) -> np.ndarray:
            from ..emit.images import load_image

            if not f.exists():
                raise KspecError(f"image {f} does not exist")
            return load_image(f, resolved)
    else:
        def image(f: Path) -> np.ndarray:
            return scale(read_image(f, input_shape, interpolation))

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
                           and not f.name.startswith("."))
            if not files:
                raise KspecError(f"folder {p} has no images ({', '.join(IMAGE_SUFFIXES)})")
            for f in files:
                names.append(str(f))
                arrays.append(image(f)[None])
        elif p.suffix.lower() == ".npy":
            from ..datasets import read_array_file

            arr = read_array_file(p)[""]
            if not np.issubdtype(arr.dtype, np.number) and arr.dtype != np.bool_:
                raise KspecError(f"{p} holds {arr.dtype} values, not numbers")
            arr = scale(_fit_samples(arr.astype(np.float32), input_shape, stored, str(p)))
            names.extend(f"{p}[{i}]" if len(arr) > 1 else str(p) for i in range(len(arr)))
            arrays.append(arr)
        elif p.suffix.lower() in IMAGE_SUFFIXES:
            if not p.exists():
                raise KspecError(f"image {p} does not exist")
            names.append(str(p))
            arrays.append(image(p)[None])
        elif not p.exists():
            raise KspecError(f"{p} does not exist", hint="pass image files, folders of images or .npy files")
        else:
            raise KspecError(f"{p} is neither an image ({', '.join(IMAGE_SUFFIXES)}) nor a .npy file")
    if not arrays:
        raise KspecError("no inputs given", hint="pass image files, folders of images or .npy files")
    return Batch(names, np.concatenate(arrays).astype(np.float32))
