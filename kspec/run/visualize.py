"""``kspec visualize`` and the spec's ``visualize`` section: every layer's output for one image,
drawn as feature-map grids (see :mod:`kspec.report.features`), and the layer-by-layer shapes.

    visualize/<input>/
      shapes.txt              each layer's output shape for this image, and the prediction
      01-conv2d.png ...       one grid per convolution / pooling layer
      channel-<N>.png         channel N across those layers
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..atomic import write_text
from ..diagnostics import KspecError, did_you_mean


@dataclass
class LayerOutput:
    index: int
    name: str
    type: str
    shape: tuple[int, ...]


@dataclass
class VisualizeResult:
    out_dir: Path
    input_name: str
    input_shape: tuple[int, ...]
    layers: list[LayerOutput]
    grids: list[Path] = field(default_factory=list)
    channel_figure: Path | None = None
    channel: int = 0
    prediction: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The course's printout: each layer's name and output shape for this one image."""
        width = max([len("input")] + [len(l.name) for l in self.layers]) + 2
        tw = max([0] + [len(l.type) for l in self.layers]) + 2
        lines = [f"{'input'.ljust(width)}{''.ljust(tw)}{(1,) + tuple(self.input_shape)}"]
        for l in self.layers:
            lines.append(f"{l.name.ljust(width)}{l.type.ljust(tw)}{l.shape}")
        p = self.prediction
        if p:
            if "class_id" in p:
                lines.append(f"prediction: {p.get('class_name', p['class_id'])} (p={p['probability']:.3f})")
            else:
                lines.append(f"prediction: {p['output']}")
        return "\n".join(lines)


def has_feature_maps(layer_type: str) -> bool:
    return "Conv" in layer_type or "Pool" in layer_type


def select(model_layers: Sequence[Any], outputs: Sequence[np.ndarray], wanted: Sequence[str | int] | None) -> list[int]:
    """Indices of the layers to draw: ``wanted`` by name or 0-based index, else every convolution
    and pooling layer whose output is an image (batch, height, width, channels)."""
    if wanted is None:
        return [i for i, (l, o) in enumerate(zip(model_layers, outputs))
                if o.ndim == 4 and has_feature_maps(type(l).__name__)]
    names = [l.name for l in model_layers]
    chosen: list[int] = []
    for w in wanted:
        if isinstance(w, int) or (isinstance(w, str) and w.lstrip("-").isdigit()):
            i = int(w)
            if not -len(names) <= i < len(names):
                raise KspecError(f"there is no layer {i}: the model has {len(names)} layers (0..{len(names) - 1})")
            i %= len(names)
        elif w in names:
            i = names.index(w)
        else:
            guess = did_you_mean(str(w), names)
            raise KspecError(f"the model has no layer named {w!r}" + (f"; did you mean {guess!r}?" if guess else ""),
                             hint=f"its layers are: {', '.join(names)}")
        if outputs[i].ndim != 4:
            raise KspecError(f"layer {names[i]} ({type(model_layers[i]).__name__}) outputs {tuple(outputs[i].shape)}, "
                             "which has no feature maps",
                             hint="feature maps are drawn for layers whose output is (batch, height, width, channels)")
        if i not in chosen:
            chosen.append(i)
    return chosen


def layer_outputs(model, x: np.ndarray) -> list[np.ndarray]:
    """Every layer's output for the batch ``x`` (the course's ``activation_model``)."""
    from ..emit.model import keras

    k = keras()
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    activation_model = k.Model(inputs=inputs, outputs=[layer.output for layer in model.layers])
    outs = activation_model(x, training=False)
    if not isinstance(outs, (list, tuple)):
        outs = [outs]
    return [np.asarray(o) for o in outs]


def visualize_model(model, x: np.ndarray, *, out_dir: Path, layers: Sequence[str | int] | None = None,
                    channel: int = 0, class_names: list[str] | None = None, resolved=None,
                    input_name: str = "input") -> VisualizeResult:
    """Draw the feature maps of ``x`` (one sample, batch axis first) through ``model`` into ``out_dir``."""
    from ..report.features import plot_channel, plot_layer_grid, safe_name

    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 0 or len(x) != 1:
        raise KspecError(f"visualize takes one sample; got {len(x) if x.ndim else 0}")
    outs = layer_outputs(model, x)
    mlayers = list(model.layers)
    result = VisualizeResult(out_dir=Path(out_dir), input_name=input_name, input_shape=tuple(x.shape[1:]),
                             layers=[LayerOutput(i, l.name, type(l).__name__, tuple(o.shape))
                                     for i, (l, o) in enumerate(zip(mlayers, outs))], channel=channel)
    if resolved is not None:
        from .common import describe_predictions

        result.prediction = describe_predictions(outs[-1], class_names, resolved)[0]
    chosen = select(mlayers, outs, layers)
    if not chosen:
        result.notes.append("this model has no convolution or pooling layers, so there are no feature maps to draw")
    width = len(str(len(mlayers)))
    for i in chosen:
        l = mlayers[i]
        path = result.out_dir / f"{str(i + 1).zfill(max(2, width))}-{safe_name(l.name)}.png"
        result.grids.append(plot_layer_grid(outs[i], l.name, type(l).__name__, path))
    if chosen:
        have = [(mlayers[i].name, outs[i]) for i in chosen if outs[i].shape[-1] > channel]
        if not have:
            most = max(outs[i].shape[-1] for i in chosen)
            raise KspecError(f"channel {channel} is out of range: the layers drawn have at most {most} channels "
                             f"(0..{most - 1})")
        skipped = [mlayers[i].name for i in chosen if outs[i].shape[-1] <= channel]
        if skipped:
            result.notes.append(f"channel {channel} is not in {', '.join(skipped)} (too few channels); left out "
                                f"of channel-{channel}.png")
        result.channel_figure = plot_channel(x[0], have, channel, result.out_dir / f"channel-{channel}.png")
    write_text(result.out_dir / "shapes.txt", result.render() + "\n")
    return result


def visualize_run(run_dir: Path, *, image: str | Path | None = None, index: int | None = None,
                  source: str = "test", layers: Sequence[str | int] | None = None, channel: int = 0,
                  out: Path | None = None) -> VisualizeResult:
    """Feature maps of a saved run's model for an image file (or .npy sample), or for sample
    ``index`` of its ``source`` data. Nothing is retrained."""
    from .saved import SavedRun

    saved = SavedRun(run_dir)
    r = saved.resolved
    if image is not None:
        from .inputs import read_inputs

        batch = read_inputs([image], r)
        if len(batch.x) != 1:
            raise KspecError(f"{image} holds {len(batch.x)} samples; visualize draws one",
                             hint="pick one with --index on the run's data, or save a single sample")
        x, name = batch.x, Path(str(image)).stem
    else:
        from ..emit.data import build_inputs
        from .common import data_sample, prepare_keras

        prepare_keras(r.seed)
        index = index or 0
        x = data_sample(r, build_inputs(r), source, index)
        name = f"{source}-{index}"
    out_dir = Path(out) if out is not None else saved.dir / "visualize" / name
    result = visualize_model(saved.model, x, out_dir=out_dir, layers=layers, channel=channel,
                             class_names=saved.class_names, resolved=r, input_name=name)
    result.notes[:0] = saved.notes
    return result
