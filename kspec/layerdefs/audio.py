"""Spectrogram layers for audio waveforms given as arrays (samples per clip, and channels for
STFTSpectrogram). Shapes and weights are Keras's: STFTSpectrogram holds its Fourier kernels as
trainable weights (``trainable: false`` freezes them), MelSpectrogram holds none."""

# no `from __future__ import annotations`: Pydantic would compile and evaluate every field's
# annotation string when the classes are created, which is start-up time for every lint

import math
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from ..layers import DataFormat, LayerBase, PosInt, Shape, ShapeError, conv_length

Window = Literal["hann", "hamming"]


class STFTSpectrogram(LayerBase):
    """Short-time Fourier transform of each channel of a (samples, channels) waveform, as a
    convolution with Fourier kernels."""

    type: Literal["STFTSpectrogram"]
    mode: Literal["log", "magnitude", "psd", "real", "imag", "angle", "stft"] = "log"
    """What is output: log magnitude, magnitude, power, real or imaginary part, angle, or real and imaginary (stft)."""
    frame_length: PosInt = 256
    """Samples per frame (the window length)."""
    frame_step: PosInt | None = None
    """Samples between frames, at most frame_length (default: frame_length // 2)."""
    fft_length: PosInt | None = None
    """FFT size, at least frame_length (default: the next power of two)."""
    window: Window | None = "hann"
    """Window function (none: rectangular)."""
    periodic: bool = False
    """Periodic instead of symmetric window."""
    scaling: Literal["density", "spectrum"] | None = "density"
    """Scaling of the kernels (none: no scaling)."""
    padding: Literal["valid", "same"] = "valid"
    """``valid``: frames inside the clip only; ``same``: pad the ends."""
    expand_dims: bool = False
    """Keep channels on their own axis: (frames, frequencies, channels) instead of (frames, channels * frequencies)."""
    data_format: DataFormat | None = None
    """``channels_last`` (samples, channels), the default, or ``channels_first``."""
    family: ClassVar[str] = "preprocessing"
    min_rank: ClassVar[int] = 2
    max_rank: ClassVar[int | None] = 2

    @model_validator(mode="after")
    def _lengths(self):
        if self.frame_step is not None and self.frame_step > self.frame_length:
            raise ValueError(f"frame_step {self.frame_step} is greater than frame_length {self.frame_length} "
                             "(Keras needs 1 <= frame_step <= frame_length)")
        if self.fft_length is not None and self.fft_length < self.frame_length:
            raise ValueError(f"fft_length {self.fft_length} is smaller than frame_length {self.frame_length}")
        return self

    @property
    def _fft(self) -> int:
        return self.fft_length or 2 ** int(math.ceil(math.log2(self.frame_length)))

    def output_shape(self, shape: Shape) -> Shape:
        first = self.data_format == "channels_first"
        samples, channels = (shape[1], shape[0]) if first else (shape[0], shape[1])
        freq = self._fft // 2 + 1
        if self.mode == "stft":
            freq *= 2
        step = self.frame_step or self.frame_length // 2
        frames = conv_length(samples, self.frame_length, step, self.padding)
        if frames is not None and frames < 1:
            raise ShapeError(f"STFTSpectrogram frame_length {self.frame_length} is longer than the {samples} samples "
                             "of the input", field="frame_length", hint="use a shorter frame_length or padding: same")
        if self.expand_dims:
            return (channels, frames, freq) if first else (frames, freq, channels)
        width = None if channels is None else freq * channels
        return (width, frames) if first else (frames, width)

    def param_counts(self, shape: Shape) -> tuple[int, int]:
        kernels = (self.mode != "imag") + (self.mode != "real")
        return kernels * self.frame_length * (self._fft // 2 + 1), 0


class MelSpectrogram(LayerBase):
    """Mel-scaled spectrogram of a waveform (samples,): (num_mel_bins, frames) per clip."""

    type: Literal["MelSpectrogram"]
    fft_length: PosInt = 2048
    """FFT size."""
    sequence_stride: PosInt = 512
    """Samples between frames."""
    sequence_length: PosInt | None = None
    """Window length, at most fft_length (default: fft_length)."""
    window: Window | None = "hann"
    """Window function (none: rectangular)."""
    sampling_rate: PosInt = 16000
    """Samples per second of the audio."""
    num_mel_bins: PosInt = 128
    """Mel bands of the output."""
    min_freq: Annotated[float, Field(ge=0)] = 20.0
    """Lowest frequency of the mel bands, in Hz."""
    max_freq: Annotated[float, Field(gt=0)] | None = None
    """Highest frequency of the mel bands (default: sampling_rate / 2)."""
    power_to_db: bool = True
    """Output decibels instead of power."""
    top_db: Annotated[float, Field(ge=0)] = 80.0
    """Largest decibel range kept below the peak (with power_to_db)."""
    mag_exp: Annotated[float, Field(gt=0)] = 2.0
    """Exponent of the magnitude: 1 for magnitude, 2 for power."""
    min_power: Annotated[float, Field(gt=0)] = 1e-10
    """Floor of the power before the logarithm."""
    ref_power: Annotated[float, Field(gt=0)] = 1.0
    """Reference power of 0 dB."""
    family: ClassVar[str] = "preprocessing"
    min_rank: ClassVar[int] = 1
    max_rank: ClassVar[int | None] = 1

    @model_validator(mode="after")
    def _lengths(self):
        if self.sequence_length is not None and self.sequence_length > self.fft_length:
            raise ValueError(f"sequence_length {self.sequence_length} is greater than fft_length {self.fft_length} "
                             "(Keras needs fft_length >= sequence_length)")
        return self

    def output_shape(self, shape: Shape) -> Shape:
        n = shape[0]
        if n is not None and n <= self.fft_length // 2:
            raise ShapeError(f"MelSpectrogram pads each clip by fft_length // 2 = {self.fft_length // 2} samples "
                             f"by reflection, which needs more than that many samples; the input has {n}",
                             field="fft_length", hint=f"use fft_length below {2 * n} or longer clips")
        frames = None if n is None else (n + self.sequence_stride + 1) // self.sequence_stride
        return (self.num_mel_bins, frames)
