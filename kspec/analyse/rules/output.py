from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..lint import LintContext, Rule


class LastLayerUnitsMismatch(Rule):
    """What it does: compares the units of the last Dense layer with the number of classes
    (from the labels, the data set's metadata or the class folders). Binary data needs one
    sigmoid unit or two softmax units.

    Why is this bad: with too few units some classes can never be predicted and Keras fails on
    the first batch with an out-of-range label; with too many the model wastes outputs on
    classes that do not exist, and accuracy looks fine while the probabilities are wrong.

    Example:
        data: {type: keras, name: fashion_mnist, rescale: 1/255}
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 8, activation: softmax}

    Use instead:
        data: {type: keras, name: fashion_mnist, rescale: 1/255}
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS201"
    name = "last-layer-units-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        facts = ctx.facts
        n = facts.num_classes
        if not facts.classification or n is None or not ctx.layers:
            return
        index = len(ctx.layers) - 1
        last = ctx.layers[index]
        if last.type != "Dense":
            return
        units = last.units
        related = []
        origin = facts.origin.get("num_classes")
        if origin:
            related.append(ctx.related(f"the data has {n} classes", origin))
        if n == 2:
            if units == 1 or units == 2:
                return
            expected = "1 (sigmoid) or 2 (softmax)"
        elif units == n:
            return
        else:
            expected = str(n)
        yield self.diag(
            ctx, ctx.layer_path(index, "units"),
            f"last layer has {units} units but the data has {n} classes; expected {expected}",
            hint=f"set units: {1 if n == 2 else n}" + (" with activation: sigmoid" if n == 2 else ""),
            related=related, received=units, expected=expected,
        )
