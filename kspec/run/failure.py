"""What a Keras or TensorFlow error during a run says, in a few plain lines, and where in the spec.

Keras 3 wraps a layer's error in ``Exception encountered when calling Dense.call()`` ... ``Arguments
received by ...`` and colours the useful line with ANSI codes; TensorFlow puts a graph error's
cause after a ``Detected at node ... defined at`` stack of Python frames. The first line of either
says nothing about what is wrong. :func:`explain` keeps the lines that do, and finds the spec
place they concern: the layer named in the message (or in the failing node's name), or the loss.
"""

from __future__ import annotations

import re
from typing import Any, Callable

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_NOISE = (
    re.compile(r"^Graph execution error:?$"),
    re.compile(r"^<stack traces unavailable>$"),
    re.compile(r"^Exception encountered when calling .*$"),
    re.compile(r"^Detected at node .* defined at \(most recent call last\):$"),
    re.compile(r"^Arguments received by .*$"),
    re.compile(r"^\[\[.*\]\].*$"),  # [[{{node ...}}]] [Op:__inference_...]
    re.compile(r"^(?:•|\*|-) \w+=.*$"),  # the arguments Keras lists
    re.compile(r"^File \".*\", line \d+.*$"),
)
_NODE = re.compile(r"Detected at node '?([^\s']+)'? defined at")
_CALLED = re.compile(r"Exception encountered when calling (?:layer )?['\"]?(\w+)['\"]?")
MAX_LINES = 4
MAX_CHARS = 600


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour and style codes."""
    return _ANSI.sub("", text)


def useful_lines(error: BaseException) -> list[str]:
    """The lines of ``error``'s message that say what is wrong (colour codes removed)."""
    text = strip_ansi(str(error))
    out: list[str] = []
    in_frames = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _NODE.search(line):
            in_frames = True
            continue
        if in_frames and (raw.startswith((" ", "\t")) or line.startswith("File ")):
            continue  # a Python frame of the node's definition, and its code line
        in_frames = False
        if any(p.match(line) for p in _NOISE):
            continue
        if line not in out:
            out.append(line[:MAX_CHARS])
        if len(out) == MAX_LINES:
            break
    if not out:
        first = (text.strip().splitlines() or [""])[0]
        out = [first[:MAX_CHARS]] if first else []
    return out


def _raising_layer(error: BaseException, names: list[str]) -> int | None:
    """The index of the spec layer whose method raised ``error`` (the innermost frame whose
    ``self`` is a layer of the model), or None."""
    tb = error.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        owner = frame.f_locals.get("self")
        name = getattr(owner, "name", None)
        if isinstance(name, str) and name in names and hasattr(owner, "built"):
            return names.index(name)
    return None


def locate(error: BaseException, r: Any, span_of: Callable[[tuple], Any]) -> tuple[Any, str] | None:
    """(span, what) of the spec place ``error`` concerns: the layer that raised it (building or
    calling it), a layer named in it (Keras's layer name, or a TensorFlow node
    ``sequential/dense_1/MatMul``), else the loss of a ``compile_loss`` node."""
    from ..emit.model import layer_names

    text = strip_ansi(str(error))
    try:
        names = layer_names(r.model.layers)
    except Exception:  # pragma: no cover - a model section kspec could not name
        names = []
    raised = _raising_layer(error, names)
    if raised is not None:
        layer = r.model.layers[raised]
        return span_of(("model", "layers", raised)), f"model.layers[{raised}] ({layer.type} {names[raised]!r})"
    node = _NODE.search(text)
    places = [node.group(1)] if node else []
    places.append(text)
    for place in places:
        for i, name in sorted(enumerate(names), key=lambda item: -len(item[1])):
            if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", place):
                layer = r.model.layers[i]
                return span_of(("model", "layers", i)), f"model.layers[{i}] ({layer.type} {name!r})"
    called = _CALLED.search(text)
    if called:
        types = [i for i, layer in enumerate(r.model.layers) if layer.type == called.group(1)]
        if len(types) == 1:
            i = types[0]
            return span_of(("model", "layers", i)), f"model.layers[{i}] ({called.group(1)})"
    if node and node.group(1).startswith("compile_loss"):
        return span_of(("compile", "loss")), "compile.loss"
    return None
