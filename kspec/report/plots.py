"""The course's two figures: training and validation accuracy, training and validation loss."""

from __future__ import annotations

from pathlib import Path

from ..atomic import save_with


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_history(history: dict[str, list[float]], out_dir: Path) -> list[Path]:
    """Write accuracy.png (when an accuracy-like metric was logged) and loss.png. Returns the paths."""
    plt = _plt()
    written = []
    metrics = [k for k in history if not k.startswith("val_") and k not in ("learning_rate", "lr")]
    for metric in metrics:
        if metric != "loss" and "accuracy" not in metric and metric not in ("auc", "precision", "recall"):
            continue
        values = history[metric]
        epochs = range(1, len(values) + 1)
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        ax.plot(epochs, values, "r", marker="o", ms=3, label=f"Training {metric}")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "b", marker="o", ms=3, label=f"Validation {metric}")
        title = "loss" if metric == "loss" else metric
        ax.set_title(f"Training and validation {title}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        name = "loss.png" if metric == "loss" else f"{metric}.png"
        written.append(save_with(out_dir / name, lambda p, fig=fig: fig.savefig(p, dpi=100, format="png")))
        plt.close(fig)
    return written
