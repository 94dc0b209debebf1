from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ...layers import fmt_shape
from ..lint import LintContext, Rule


class ImpossibleShape(Rule):
    """What it does: computes every layer's output shape from the input shape and reports the
    first layer that cannot accept its input: a kernel or pool window larger than its input, a
    convolution on data without a channel axis, a Reshape whose element count differs.

    Why is this bad: Keras fails only when the model is built, with a stack trace far from the
    line in the spec; or a dimension silently collapses to nothing.

    Example:
        model:
          input_shape: [4, 4, 1]
          layers:
            - {type: Conv2D, filters: 8, kernel_size: 5}

    Use instead:
        model:
          input_shape: [4, 4, 1]
          layers:
            - {type: Conv2D, filters: 8, kernel_size: 3}
    """

    code = "KS101"
    name = "impossible-shape"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        err = ctx.plan.error
        if err is not None:
            yield self.diag(ctx, err.data["spec_path"], err.message, hint=err.hint, input_shape=err.data["input_shape"])


class InputShapeMismatch(Rule):
    """What it does: compares the model's declared ``input_shape`` with the shape of one data
    sample, and suggests the fix when only a channel axis is missing.

    Why is this bad: the first layer must match the data. Keras fails at ``fit`` with an
    incompatible-shape error, or (for a missing channel axis) the notebook reshapes by hand.

    Example:
        data: {type: keras, name: fashion_mnist, rescale: 1/255}
        model:
          input_shape: [28, 28, 3]
          layers: [{type: Flatten}, {type: Dense, units: 10, activation: softmax}]

    Use instead:
        data: {type: keras, name: fashion_mnist, rescale: 1/255}
        model:
          input_shape: [28, 28]
          layers: [{type: Flatten}, {type: Dense, units: 10, activation: softmax}]
    """

    code = "KS102"
    name = "input-shape-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        declared = ctx.model.input_shape
        sample = ctx.facts.sample_shape
        if declared is None or sample is None or tuple(declared) == tuple(sample):
            return
        declared = tuple(declared)
        related = []
        origin = ctx.facts.origin.get("sample_shape")
        if origin:
            related.append(ctx.related(f"data samples have shape {fmt_shape(sample)}", origin))
        if declared == tuple(sample) + (1,):
            yield self.diag(
                ctx, ("model", "input_shape"),
                f"model input_shape {list(declared)} has a channel axis the data lacks: samples are {fmt_shape(sample)}",
                hint=f"add `reshape: {list(declared)}` to the data section to give each sample a channel axis",
                related=related, received=list(declared), expected=list(sample),
            )
            return
        yield self.diag(
            ctx, ("model", "input_shape"),
            f"model input_shape {list(declared)} differs from the data's sample shape {list(sample)}",
            hint=f"set input_shape: {list(sample)} (or remove it: kspec takes it from the data)",
            related=related, received=list(declared), expected=list(sample),
        )
