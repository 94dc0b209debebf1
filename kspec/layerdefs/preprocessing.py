"""Preprocessing and augmentation layers for images (and Rescaling for any input). The Random*
layers change samples only while training; at inference they pass inputs through."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ..layers import (DataFormat, Factor, FillMode, Interpolation, LayerBase, PosInt, Shape, join_channels,
                      split_channels)

ValueRange = Annotated[list[float], Field(min_length=2, max_length=2)]


class Rescaling(LayerBase):
    """Multiplies inputs by ``scale`` and adds ``offset`` (e.g. scale 1/255 for pixels)."""

    type: Literal["Rescaling"]
    scale: float
    """Multiply inputs by this, e.g. 1/255 written as 0.00392156862745098."""
    offset: float = 0.0
    """Then add this."""
    family: ClassVar[str] = "preprocessing"


class _Plain(LayerBase):
    family: ClassVar[str] = "preprocessing"
    min_rank: ClassVar[int] = 3
    max_rank: ClassVar[int | None] = 3


class _Image(_Plain):
    data_format: DataFormat | None = None
    """``channels_last`` (default) or ``channels_first``."""


class _Sized(_Image):
    height: PosInt
    """Output height."""
    width: PosInt
    """Output width."""

    def output_shape(self, shape: Shape) -> Shape:
        _, c = split_channels(shape, self.data_format)
        return join_channels((self.height, self.width), c, self.data_format)


class Resizing(_Sized):
    """Resizes images to height x width."""

    type: Literal["Resizing"]
    interpolation: Literal["nearest", "bilinear", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                           "mitchellcubic"] = "bilinear"
    """Resampling method."""
    crop_to_aspect_ratio: bool = False
    """Crop to the target aspect ratio first instead of distorting."""
    pad_to_aspect_ratio: bool = False
    """Pad to the target aspect ratio first instead of distorting."""
    fill_mode: Literal["constant"] = "constant"
    """How padding is filled (with pad_to_aspect_ratio)."""
    fill_value: float = 0.0
    """Value of the padding."""
    antialias: bool = False
    """Antialias when downsampling."""


class CenterCrop(_Sized):
    """Crops the centre height x width of images (resizing smaller images up first)."""

    type: Literal["CenterCrop"]


class RandomCrop(_Sized):
    """Crops a random height x width window during training (the centre at inference)."""

    type: Literal["RandomCrop"]
    seed: int | None = None
    """Seed of the random transform."""


class _Augment(_Image):
    seed: int | None = None
    """Seed of the random transform."""


class RandomFlip(_Augment):
    """Randomly flips images during training."""

    type: Literal["RandomFlip"]
    mode: Literal["horizontal", "vertical", "horizontal_and_vertical"] = "horizontal_and_vertical"
    """horizontal, vertical or horizontal_and_vertical."""


class _Geometric(_Augment):
    fill_mode: FillMode = "reflect"
    """How points outside the image are filled."""
    interpolation: Interpolation = "bilinear"
    """nearest or bilinear."""
    fill_value: float = 0.0
    """Fill value with fill_mode constant."""


class RandomRotation(_Geometric):
    """Randomly rotates images by up to ``factor`` x 2pi during training."""

    type: Literal["RandomRotation"]
    factor: Factor
    """Rotation as a fraction of a full turn: f means [-f, f], or [lower, upper]."""


class RandomZoom(_Geometric):
    """Randomly zooms images during training."""

    type: Literal["RandomZoom"]
    height_factor: Factor
    """Zoom as a fraction of height: negative zooms in, positive out; f means [-f, f]."""
    width_factor: Factor | None = None
    """Zoom of width (default: keep the aspect ratio)."""


class RandomTranslation(_Geometric):
    """Randomly shifts images during training (factors are fractions of height / width)."""

    type: Literal["RandomTranslation"]
    height_factor: Factor
    """Vertical shift as a fraction of height: f means [-f, f], or [lower, upper]."""
    width_factor: Factor
    """Horizontal shift as a fraction of width."""


class _Valued(_Plain):
    seed: int | None = None
    """Seed of the random transform."""
    value_range: ValueRange = [0, 255]
    """Range of the input values, e.g. [0, 1] after rescaling."""


class RandomContrast(_Valued):
    """Randomly adjusts contrast during training."""

    type: Literal["RandomContrast"]
    factor: Factor
    """Contrast change: a float f means [1-f, 1+f], or [lower, upper]."""


class RandomBrightness(_Valued):
    """Randomly adds to brightness during training."""

    type: Literal["RandomBrightness"]
    factor: Factor
    """Brightness change as a fraction of value_range: f means [-f, f], or [lower, upper]."""
