"""Feature maps: what each convolution and pooling layer makes of one image (the course's
"Visualize Intermediate Representations").

Every map is normalised on its own, exactly as the course does (subtract the mean, divide by the
standard deviation, times 64 plus 128, clipped to 0..255), so a map with small values is as
visible as one with large values. One PNG per layer tiles all its channels in a grid, titled with
the layer's name and output shape; one more figure shows a single channel across the layers.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from .plots import fit_text, plt, save_figure


def normalise_map(fmap: np.ndarray) -> np.ndarray:
    """The course's per-map normalisation -> uint8 (a constant map becomes flat grey 128)."""
    x = np.asarray(fmap, dtype=np.float64)
    x = x - x.mean()
    std = x.std()
    if std > 0:
        x = x / std
    x = x * 64 + 128
    return np.clip(x, 0, 255).astype(np.uint8)


def tile(maps: np.ndarray, cols: int | None = None, gap: int = 1) -> np.ndarray:
    """``maps`` of shape (h, w, n) -> one (rows*(h+gap)-gap, cols*(w+gap)-gap) float image of the
    normalised maps; the gaps and unused cells are NaN (drawn as background)."""
    h, w, n = maps.shape
    cols = cols or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    grid = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        grid[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = normalise_map(maps[:, :, i])
    return grid


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def plot_layer_grid(fmap: np.ndarray, layer_name: str, layer_type: str, path: Path) -> Path:
    """``fmap``: one layer's output for one image, shape (1, h, w, channels)."""
    return save_figure(layer_grid_figure(fmap, layer_name, layer_type), path)


def layer_grid_figure(fmap: np.ndarray, layer_name: str, layer_type: str):
    """The figure :func:`plot_layer_grid` saves; its title is wrapped to fit the figure's width."""
    pyplot = plt()
    maps = fmap[0]
    h, w, n = maps.shape
    cols = max(1, math.ceil(math.sqrt(n * h / max(w, 1))))
    grid = tile(maps, cols)
    rows = math.ceil(n / cols)
    cell = max(0.35, min(1.2, 9.0 / max(cols, rows)))
    fig, ax = pyplot.subplots(figsize=(max(4.0, cols * cell), max(3.0, rows * cell * h / max(w, 1) + 0.8)))
    cmap = pyplot.get_cmap("viridis").with_extremes(bad="white")
    ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=255, interpolation="nearest", aspect="equal")
    title = ax.set_title(f"{layer_name} ({layer_type}) output {tuple(fmap.shape)}: {n} feature map{'s' if n != 1 else ''}")
    ax.set_xticks([])
    ax.set_yticks([])
    if n <= 64 and cell >= 0.5:
        for i in range(n):
            r, c = divmod(i, cols)
            ax.text(c * (w + 1), r * (h + 1), str(i), fontsize=6, color="white", va="top", ha="left",
                    bbox={"facecolor": "black", "alpha": 0.5, "pad": 0.5, "linewidth": 0})
    fit_text(title, 0.96 * fig.bbox.width)
    fig.tight_layout()
    return fig


def plot_channel(image: np.ndarray, layers: Sequence[tuple[str, np.ndarray]], channel: int, path: Path) -> Path:
    """The input image, then channel ``channel`` of each layer's maps (as ``imshow`` scales them, cmap
    inferno as in the course). Layers with fewer channels are left out by the caller."""
    return save_figure(channel_figure(image, layers, channel), path)


def channel_figure(image: np.ndarray, layers: Sequence[tuple[str, np.ndarray]], channel: int):
    """The figure :func:`plot_channel` saves; each panel's title is wrapped to the panel's width."""
    pyplot = plt()
    n = len(layers) + 1
    fig, axes = pyplot.subplots(1, n, figsize=(2.4 * n, 2.9), squeeze=False)
    axes = axes[0]
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 3 and img.shape[-1] not in (3, 4):
        img = img[..., 0]
    if img.ndim == 3:
        lo, hi = float(img.min()), float(img.max())
        img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    axes[0].imshow(img, cmap="gray" if img.ndim == 2 else None)
    axes[0].set_title(f"input {tuple(image.shape)}", fontsize=9)
    for ax, (name, fmap) in zip(axes[1:], layers):
        ax.imshow(fmap[0, :, :, channel], cmap="inferno")
        ax.set_title(f"{name}\n{tuple(fmap.shape)}", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    panel = 0.96 * fig.bbox.width / n
    for ax in axes:
        fit_text(ax.title, panel)
    fig.suptitle(f"channel {channel} across layers")
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    return fig
