"""The optional installs (pyproject extras) and the one message for a command that needs one.

``kspec lint``, ``validate`` and ``shapes`` need none of them. Every command that trains, loads or
draws a model needs the ``train`` extra (TensorFlow, Keras, matplotlib, TensorBoard); ``kspec
export --format onnx`` needs ``export``. Whichever module imports one of them, a missing one ends
in :func:`missing` (the CLI boundary turns a ``ModuleNotFoundError`` into it), never in a traceback.
"""

from __future__ import annotations

from .diagnostics import KspecError

EXTRA_OF = {"tensorflow": "train", "keras": "train", "tf_keras": "train", "matplotlib": "train",
            "tensorboard": "train", "tf2onnx": "export", "onnxruntime": "export", "onnx": "export"}
"""Top-level module -> the extra that installs it."""


def missing(error: ImportError) -> KspecError | None:
    """The clean error for ``error`` when it is a module of an extra that is not installed (or
    cannot be imported), else None."""
    name = (getattr(error, "name", None) or "").split(".")[0]
    if name not in EXTRA_OF:
        import re

        m = re.search(r"No module named '([\w.]+)'", str(error))
        name = m.group(1).split(".")[0] if m else ""
    extra = EXTRA_OF.get(name)
    if extra is None:
        return None
    what = "Keras and TensorFlow" if extra == "train" and name in ("tensorflow", "keras", "tf_keras") else name
    needs = "this command needs" if extra == "train" else "ONNX export needs"
    return KspecError(f"{needs} {what}, which {'are' if ' and ' in what else 'is'} not installed ({error})",
                      hint=f'install them with: pip install "kspec[{extra}]" (lint, validate and shapes work without them)')
