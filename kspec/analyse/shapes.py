"""Static shape and parameter inference for a Sequential model, layer by layer, in pure Python.

Each layer class in :mod:`kspec.layers` carries its own rule; this module walks the stack, keeps
the first impossible layer as a diagnostic at that exact layer, and totals the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Diagnostic, Severity
from ..layers import LayerBase, Shape, ShapeError, fmt_shape

BYTES_PER_VALUE = 4  # float32


@dataclass
class LayerPlan:
    index: int
    layer: LayerBase
    input_shape: Shape
    output_shape: Shape
    trainable: int
    non_trainable: int

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def activation_bytes(self) -> int:
        n = 1
        for d in self.output_shape:
            n *= d or 0
        return n * BYTES_PER_VALUE

    @property
    def type(self) -> str:
        return self.layer.type


@dataclass
class Plan:
    input_shape: Shape | None
    layers: list[LayerPlan] = field(default_factory=list)
    error: Diagnostic | None = None
    """The first layer that cannot accept its input (the stack stops there)."""

    @property
    def complete(self) -> bool:
        return self.input_shape is not None and self.error is None

    @property
    def output_shape(self) -> Shape | None:
        return self.layers[-1].output_shape if self.complete and self.layers else None

    @property
    def trainable(self) -> int:
        return sum(p.trainable for p in self.layers)

    @property
    def non_trainable(self) -> int:
        return sum(p.non_trainable for p in self.layers)

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def activation_bytes(self) -> int:
        return sum(p.activation_bytes for p in self.layers)


def infer(layers: list[LayerBase], input_shape: Shape | None) -> Plan:
    """Walk ``layers`` from ``input_shape`` (per sample). Stops at the first impossible layer."""
    plan = Plan(input_shape=tuple(input_shape) if input_shape else None)
    if input_shape is None:
        return plan
    shape: Shape = tuple(input_shape)
    for i, layer in enumerate(layers):
        try:
            out, trainable, frozen = layer.infer(shape)
        except ShapeError as e:
            path = ("model", "layers", i) + (tuple(e.field.split(".")) if e.field else ())
            plan.error = Diagnostic(
                "KS101", "impossible-shape", Severity.ERROR,
                f"layer {i} ({layer.type}) cannot take input {fmt_shape(shape)}: {e.message}",
                path=_fmt(path), hint=e.hint, data={"input_shape": list(shape), "layer": i},
            )
            plan.error.data["spec_path"] = path
            return plan
        plan.layers.append(LayerPlan(i, layer, shape, out, trainable, frozen))
        shape = out
    return plan


def _fmt(path: tuple) -> str:
    from ..diagnostics import format_path

    return format_path(path)


def human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def render_plan(plan: Plan, *, name: str = "", layers: list[LayerBase] | None = None) -> str:
    """The plan as a table, like ``model.summary()`` plus activation memory per sample. With
    ``layers`` (the model's layers), an impossible stack shows the layer that fails as a row."""
    rows = [("#", "layer", "output shape", "params", "act/sample")]
    rows.append(("", "Input", fmt_shape(plan.input_shape) if plan.input_shape else "?", "0", ""))
    for p in plan.layers:
        rows.append((str(p.index), _label(p.layer), fmt_shape(p.output_shape), f"{p.params:,}",
                     human_bytes(p.activation_bytes)))
    if plan.error and layers is not None:
        i = plan.error.data["layer"]
        rows.append((str(i), _label(layers[i]), "!! impossible", "", ""))
    widths = [max(len(r[c]) for r in rows) for c in range(5)]
    lines = [f"Model: {name}"] if name else []
    for j, r in enumerate(rows):
        lines.append("  ".join(r[c].rjust(widths[c]) if c in (0, 3, 4) else r[c].ljust(widths[c]) for c in range(5)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    if plan.error:
        lines.append(f"error: {plan.error.message}")
        lines.append("(totals below cover the layers before it)")
    lines.append(f"Total params: {plan.params:,} ({human_bytes(plan.params * BYTES_PER_VALUE)})")
    lines.append(f"Trainable params: {plan.trainable:,}")
    lines.append(f"Non-trainable params: {plan.non_trainable:,}")
    lines.append(f"Activation memory per sample: {human_bytes(plan.activation_bytes)}")
    return "\n".join(lines)


def _label(layer: LayerBase) -> str:
    label = layer.type + (f" ({layer.name})" if layer.name else "")
    act = layer.activation_name
    if act:
        label += f" [{act}]"
    return label


def _range(lo: float, hi: float) -> str:
    return f"{lo:g}..{hi:g}"


def _labels_expected(resolved, plan: Plan) -> str | None:
    """What the labels must look like for the model's output and loss."""
    out = plan.output_shape
    if out is None:
        return None
    loss = resolved.compile.loss.type
    width = out[-1]
    logits = getattr(resolved.compile.loss, "from_logits", False)
    if loss == "sparse_categorical_crossentropy":
        what = f"integer class ids 0..{width - 1}" if width else "integer class ids"
    elif loss == "categorical_crossentropy":
        what = f"one-hot vectors of {width}"
    elif loss == "binary_crossentropy":
        what = "0/1 labels" if width == 1 else f"multi-hot 0/1 vectors of {width}"
    else:
        what = f"targets of shape {fmt_shape(out)}" if out != (1,) else "one number per sample"
    return f"{what} ({loss}{', from logits' if logits else ''} on output {fmt_shape(out)})"


def describe_data(resolved, plan: Plan) -> list[str]:
    """Two lines: the data the model expects, and the data the spec gives (as far as known)."""
    lines = []
    facts = resolved.facts
    data = resolved.data
    scale = data.rescale
    if plan.input_shape is not None:
        expects = f"Expects: inputs {fmt_shape(plan.input_shape)} per sample"
        labels = _labels_expected(resolved, plan)
        if labels:
            expects += f"; labels: {labels}"
        lines.append(expects)
    if facts.sample_shape is not None or facts.unavailable:
        if facts.unavailable:
            lines.append(f"Data:    unknown ({facts.unavailable})")
            return lines
        shape = facts.extra.get("stored_sample_shape")
        given = f"Data:    samples {fmt_shape(facts.sample_shape)}"
        if shape:
            given += f" (stored {fmt_shape(shape)}, reshaped)"
        if facts.dtype:
            given += f" {facts.dtype}"
        if facts.raw_range:
            given += f" {_range(*facts.raw_range)}"
            if scale is not None:
                given += f", rescaled by {scale:.6g} to {_range(facts.raw_range[0] * scale, facts.raw_range[1] * scale)}"
        if facts.num_classes:
            kind = facts.fed_label_kind
            given += f"; {facts.num_classes} classes" + (f" as {kind.replace('_', '-')} labels" if kind else "")
        elif facts.label_kind == "continuous" and facts.target_range:
            given += f"; continuous targets {_range(*facts.target_range)}"
        counts = [f"{n:,} {what}" for n, what in ((facts.n_train, "training"), (facts.n_validation, "validation"),
                                                   (facts.n_test, "test")) if n]
        if counts:
            given += "; " + ", ".join(counts) + " samples"
        lines.append(given)
    return lines
