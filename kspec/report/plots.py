"""The course's figures, drawn without a display (matplotlib's Agg backend).

- ``accuracy.png`` / ``loss.png``: training and validation curves per epoch ("Training and
  validation accuracy", "Training and validation loss"), with legends. Keras 3 logs
  ``accuracy`` / ``val_accuracy`` (not ``acc``); whatever accuracy-like key was logged is drawn.
- ``confusion_matrix.png``: true class against predicted class on the evaluation data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..atomic import save_with
from ..run.history import as_float

PLOTTED = ("loss", "acc", "auc", "precision", "recall")


def plt():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as pyplot

    return pyplot


def save_figure(fig, path: Path, dpi: int = 100) -> Path:
    pyplot = plt()
    try:
        return save_with(path, lambda p: fig.savefig(p, dpi=dpi, format="png"))
    finally:
        pyplot.close(fig)


def fit_text(text, width_px: float, renderer=None, min_size: float = 6.0) -> None:
    """Make a matplotlib ``Text`` at most ``width_px`` pixels wide: break it into lines (long words
    too: a layer name has no spaces), and shrink the font only when even short lines do not fit."""
    import textwrap

    fig = text.get_figure()
    renderer = renderer or fig.canvas.get_renderer()
    original = text.get_text().replace("\n", " ")

    def too_wide() -> bool:
        return text.get_window_extent(renderer).width > width_px

    if not too_wide():
        return
    for chars in range(len(original) - 1, 11, -1):
        text.set_text(textwrap.fill(original, chars, break_long_words=True, break_on_hyphens=False))
        if not too_wide() and text.get_text().count("\n") < 3:
            return
    text.set_text(textwrap.fill(original, 24, break_long_words=True, break_on_hyphens=False))
    while too_wide() and text.get_fontsize() > min_size:
        text.set_fontsize(text.get_fontsize() - 0.5)


def _plotted(metric: str) -> bool:
    return metric == "loss" or "accuracy" in metric or metric in PLOTTED


def plot_history(history: dict[str, list], out_dir: Path) -> list[Path]:
    """Write ``loss.png`` and one figure per accuracy-like metric (``accuracy.png``). Returns the paths."""
    pyplot = plt()
    written = []
    metrics = [k for k in history if not k.startswith("val_") and k not in ("learning_rate", "lr") and _plotted(k)]
    for metric in metrics:
        values = [as_float(v) for v in history[metric]]
        epochs = range(1, len(values) + 1)
        fig, ax = pyplot.subplots(figsize=(6.4, 4.2))
        label = "loss" if metric == "loss" else ("accuracy" if metric == "acc" else metric)
        ax.plot(epochs, values, "r", marker="o", ms=3, label=f"Training {label}")
        val = history.get(f"val_{metric}")
        if val is not None and len(val) == len(values):
            ax.plot(epochs, [as_float(v) for v in val], "b", marker="o", ms=3, label=f"Validation {label}")
        ax.set_title(f"Training and validation {label}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        if len(values) <= 20:
            ax.set_xticks(list(epochs))
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        name = "loss.png" if metric == "loss" else f"{label}.png"
        written.append(save_figure(fig, out_dir / name))
    return written


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``m[i, j]``: samples of true class i predicted as j."""
    m = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return m


def plot_confusion(matrix: np.ndarray, class_names: Sequence[str], path: Path, *, title: str) -> Path:
    """A confusion matrix with counts in the cells; rows are true classes."""
    pyplot = plt()
    k = len(class_names)
    size = max(4.5, min(14.0, 0.55 * k + 3))
    fig, ax = pyplot.subplots(figsize=(size, size * 0.9))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels(class_names, rotation=45 if k > 4 else 0, ha="right" if k > 4 else "center")
    ax.set_yticklabels(class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    total = int(matrix.sum())
    correct = int(np.trace(matrix))
    ax.set_title(f"{title}: {correct}/{total} correct ({correct / max(total, 1):.1%})")
    if k <= 30:
        top = matrix.max() if matrix.size else 0
        for i in range(k):
            for j in range(k):
                v = int(matrix[i, j])
                ax.text(j, i, str(v), ha="center", va="center", fontsize=8 if k > 12 else 10,
                        color="white" if top and v > top / 2 else "black")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_lr_sweep(history: dict[str, list], path: Path) -> Path | None:
    """``lr_sweep.png``: each epoch's training loss against its learning rate, on a log axis
    (the course's ``plt.semilogx(history.history["learning_rate"], history.history["loss"])``).
    None when the history has no learning rates or losses to draw."""
    rates = history.get("learning_rate") or history.get("lr")
    losses = history.get("loss")
    if not rates or not losses:
        return None
    n = min(len(rates), len(losses))
    lr = [as_float(v) for v in rates[:n]]
    loss = [as_float(v) for v in losses[:n]]
    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(6.4, 4.2))
    ax.semilogx(lr, loss, marker="o", ms=3)
    finite = [(r, v) for r, v in zip(lr, loss) if np.isfinite(v) and np.isfinite(r) and r > 0]
    if finite:
        best = min(finite, key=lambda rv: rv[1])
        ax.annotate(f"lowest loss {best[1]:.4g}\nat learning rate {best[0]:.3g}", best,
                    textcoords="offset points", xytext=(10, 10), fontsize=8)
    ax.set_title("Loss against learning rate")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return save_figure(fig, path)
