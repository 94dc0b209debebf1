"""Preprocessing and augmentation layers for images (and Rescaling for any input). The Random*
layers change samples only while training; at inference they pass inputs through."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field

from ..layers import (DataFormat, Factor, FillMode, Interpolation, LayerBase, PosInt, Shape, ShapeError,
                      join_channels, split_channels)

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
    lint_kind: ClassVar[str] = "keeps"
    """For the lint rules: resizing, cropping and the augmentation layers keep the values within the
    range they came in (the Random* layers pass inputs through at inference)."""
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


class _ValuedImage(_Image):
    seed: int | None = None
    """Seed of the random transform."""
    value_range: ValueRange = [0, 255]
    """Range of the input values, e.g. [0, 1] after rescaling."""


class _Factored(_ValuedImage):
    factor: Factor
    """Strength of the transform: f means [0, f] (or [-f, f]), or [lower, upper]."""


class RandomColorDegeneration(_Factored):
    """Randomly blends images with their grayscale version during training (RGB images)."""

    type: Literal["RandomColorDegeneration"]

    def output_shape(self, shape: Shape) -> Shape:
        _, c = split_channels(shape, self.data_format)
        if c != 3:
            raise ShapeError(f"RandomColorDegeneration needs RGB images (3 channels), got {c} channel(s)",
                             hint="use it on colour images, or leave it out for grayscale")
        return shape


class RandomHue(_Factored):
    """Randomly shifts the hue of RGB images during training."""

    type: Literal["RandomHue"]


class RandomSaturation(_Factored):
    """Randomly changes the saturation of RGB images during training."""

    type: Literal["RandomSaturation"]


class RandomSharpness(_Factored):
    """Randomly sharpens or blurs images during training."""

    type: Literal["RandomSharpness"]


class RandomPosterization(_Factored):
    """Randomly reduces the bits per colour channel during training."""

    type: Literal["RandomPosterization"]


class RandomInvert(_ValuedImage):
    """Randomly inverts images (value_range max - x) during training."""

    type: Literal["RandomInvert"]
    factor: Factor = 1.0
    """Probability of inverting an image."""


class RandomGrayscale(_Image):
    """Randomly turns images grayscale (same number of channels) during training."""

    type: Literal["RandomGrayscale"]
    factor: Annotated[float, Field(ge=0, le=1)] = 0.5
    """Probability of turning an image grayscale."""
    seed: int | None = None
    """Seed of the random transform."""


class RandomColorJitter(_ValuedImage):
    """Random brightness, contrast, saturation and hue changes during training."""

    type: Literal["RandomColorJitter"]
    brightness_factor: Factor | None = None
    """As RandomBrightness's factor (none: no change)."""
    contrast_factor: Factor | None = None
    """As RandomContrast's factor."""
    saturation_factor: Factor | None = None
    """As RandomSaturation's factor."""
    hue_factor: Factor | None = None
    """As RandomHue's factor."""


class RandomGaussianBlur(_ValuedImage):
    """Randomly blurs images with a Gaussian kernel during training."""

    type: Literal["RandomGaussianBlur"]
    factor: Factor = 1.0
    """Probability (or range) of blurring."""
    kernel_size: Annotated[int, Field(ge=1)] = 3
    """Side of the blur kernel."""
    sigma: Factor = 1.0
    """Standard deviation of the blur."""


class RandomErasing(_ValuedImage):
    """Randomly erases rectangles of images during training."""

    type: Literal["RandomErasing"]
    factor: Factor = 1.0
    """Probability of erasing."""
    scale: Factor = [0.02, 0.33]
    """Area of the rectangle as a fraction of the image."""
    fill_value: float | None = None
    """Value of the erased area (none: random noise)."""


class RandomElasticTransform(_ValuedImage):
    """Random elastic distortions during training."""

    type: Literal["RandomElasticTransform"]
    factor: Factor = 1.0
    """Probability of the transform."""
    scale: Factor = 1.0
    """Strength of the displacement."""
    interpolation: Interpolation = "bilinear"
    """nearest or bilinear."""
    fill_mode: FillMode = "reflect"
    """How points outside the image are filled."""
    fill_value: float = 0.0
    """Fill value with fill_mode constant."""


class RandomPerspective(_Image):
    """Random perspective warps during training."""

    type: Literal["RandomPerspective"]
    factor: Factor = 1.0
    """Probability of the warp."""
    scale: Annotated[float, Field(ge=0, le=1)] = 1.0
    """Strength of the warp."""
    interpolation: Interpolation = "bilinear"
    """nearest or bilinear."""
    fill_value: float = 0.0
    """Value of points outside the image."""
    seed: int | None = None
    """Seed of the random transform."""


class RandomShear(_Image):
    """Random shear along x and y during training."""

    type: Literal["RandomShear"]
    x_factor: Factor = 0.0
    """Horizontal shear: f means [-f, f]."""
    y_factor: Factor = 0.0
    """Vertical shear."""
    interpolation: Interpolation = "bilinear"
    """nearest or bilinear."""
    fill_mode: FillMode = "reflect"
    """How points outside the image are filled."""
    fill_value: float = 0.0
    """Fill value with fill_mode constant."""
    seed: int | None = None
    """Seed of the random transform."""


class Solarization(_Plain):
    """Randomly inverts pixels above a threshold, and shifts values, during training."""

    type: Literal["Solarization"]
    addition_factor: Factor = 0.0
    """Value added before solarising, as a fraction of value_range."""
    threshold_factor: Factor = 0.0
    """Threshold, as a fraction of value_range."""
    value_range: ValueRange = [0, 255]
    """Range of the input values."""
    seed: int | None = None
    """Seed of the random transform."""


class AutoContrast(_Plain):
    """Stretches each image's values to the whole value_range."""

    type: Literal["AutoContrast"]
    value_range: ValueRange = [0, 255]
    """Range of the input values."""


class Equalization(_Image):
    """Histogram equalisation of each image."""

    type: Literal["Equalization"]
    value_range: ValueRange = [0, 255]
    """Range of the input values."""
    bins: Annotated[int, Field(ge=1)] = 256
    """Histogram bins."""


class ContrastLimitedAdaptiveHistogramEqualization(_Image):
    """CLAHE: histogram equalisation per tile with a clipped histogram."""

    type: Literal["ContrastLimitedAdaptiveHistogramEqualization"]
    value_range: ValueRange = [0, 255]
    """Range of the input values."""
    clip_limit: Annotated[float, Field(gt=0)] = 4.0
    """Histogram clipping limit."""
    tile_grid_size: Annotated[list[PosInt], Field(min_length=2, max_length=2)] = [8, 8]
    """Tiles per [row, column]."""


class AugMix(_ValuedImage):
    """AugMix: mixes several chains of random augmentations during training."""

    type: Literal["AugMix"]
    num_chains: PosInt = 3
    """Augmentation chains mixed."""
    chain_depth: Union[PosInt, Annotated[list[PosInt], Field(min_length=2, max_length=2)]] = 3
    """Operations per chain (or a [min, max] range)."""
    factor: Factor = 0.3
    """Strength of the operations."""
    alpha: Annotated[float, Field(gt=0)] = 1.0
    """Dirichlet / Beta parameter of the mixing weights."""
    all_ops: bool = True
    """Use every operation (including ones that overlap test-time corruptions)."""
    interpolation: Interpolation = "bilinear"
    """nearest or bilinear."""


class RandAugment(_ValuedImage):
    """RandAugment: num_ops random augmentations per image during training."""

    type: Literal["RandAugment"]
    num_ops: PosInt = 2
    """Operations applied to each image."""
    factor: Factor = 0.5
    """Strength of the operations."""
    interpolation: Interpolation = "bilinear"
    """nearest or bilinear."""


class Normalization(LayerBase):
    """Shifts and scales inputs to mean 0 and variance 1 per feature; the statistics are adapted on
    the training split before training (or given as mean and variance)."""

    type: Literal["Normalization"]
    axis: Union[int, list[int], None] = -1
    """Axis (or axes) with one mean and variance each; none: one for all values."""
    mean: Union[float, list[float], None] = None
    """Given means (then no adaptation); with variance."""
    variance: Union[float, list[float], None] = None
    """Given variances (with mean)."""
    invert: bool = False
    """Undo the normalisation instead (x * std + mean)."""
    family: ClassVar[str] = "preprocessing"

    @property
    def adapts(self) -> bool:
        """The layer's statistics come from the training data (``adapt`` before training)."""
        return self.mean is None

    def _kept(self, shape: Shape) -> list[int | None]:
        full = (None,) + tuple(shape)
        axes = [] if self.axis is None else [self.axis] if isinstance(self.axis, int) else self.axis
        out = []
        for a in axes:
            if a == 0 or not -len(full) <= a < len(full):
                raise ShapeError(f"Normalization axis {a} is not an axis of the input", field="axis")
            if full[a] is None:
                raise ShapeError(f"Normalization axis {a} needs a known size", field="axis")
            out.append(full[a])
        return out

    def output_shape(self, shape: Shape) -> Shape:
        self._kept(shape)
        return shape

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        if not self.adapts:
            return 0, 0
        n = 1
        for d in self._kept(shape):
            n *= d
        return 0, 2 * n + 1  # mean, variance and the sample count
