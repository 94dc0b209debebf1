from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity, Span
from ..base import LintContext, Rule


RUN_CHECK_CODES = {
    "KS901": "nan-loss",
    "KS902": "loss-not-decreasing",
    "KS903": "overfitting",
    "KS904": "accuracy-at-chance",
    "KS905": "initial-loss-off",
    "KS906": "diverging-loss",
    "KS907": "oscillating-loss",
    "KS908": "probe-initial-loss",
    "KS909": "probe-single-batch",
    "KS910": "dead-relu",
    "KS911": "vanishing-gradients",
    "KS912": "exploding-gradients",
    "KS913": "saturated-activations",
}
"""The run diagnostics (``kspec.run.checks``), which ``lint.ignore`` may also silence. Kept here
because lint must not import the run stage; a test keeps the two lists equal."""


class UnusedSuppression(Rule):
    """What it does: reports a suppression (``lint.ignore`` in the spec, or a
    ``# kspec: ignore[CODE]`` comment) that silences no finding.

    Why is this bad: a stale suppression hides the next real finding of that code on that line
    and tells readers a problem exists where none does.

    Example:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10, activation: softmax}  # kspec: ignore[KS201]

    Use instead:
        model:
          layers:
            - {type: Flatten}
            - {type: Dense, units: 128, activation: relu}
            - {type: Dense, units: 10, activation: softmax}
    """

    code = "KS090"
    name = "unused-suppression"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        return iter(())

    def unused(self, ctx: LintContext, spec_ignores: set[str], used: set, severity: Severity,
               selected=lambda rule: True, *, find=lambda token: None,
               suggest=lambda token: None) -> list[Diagnostic]:
        """Suppressions that silenced nothing. A suppression of a rule that did not run (not
        selected) is not reported: nobody knows whether it would have silenced something.
        ``find`` looks a code or name up among the rules, ``suggest`` spells a near miss (both
        from the engine: a rule does not import the registry it belongs to)."""

        def unused_note(token: str) -> str | None:
            if token.upper() in RUN_CHECK_CODES or token in RUN_CHECK_CODES.values():
                return None  # a run diagnostic: only `kspec run` knows whether it silenced one
            rule = find(token)
            if rule is None:
                guess = suggest(token)
                return f"{token!r} is not a kspec rule code or name" + (f"; did you mean {guess!r}?" if guess else "")
            if not selected(rule):
                return None
            return ""

        out = []
        for i, token in enumerate(ctx.resolved.spec.lint.ignore):
            if ("spec", token) in used:
                continue
            note = unused_note(token)
            if note is None:
                continue
            path = ("lint", "ignore", i)
            out.append(Diagnostic(self.code, self.name, severity,
                                  note or f"lint.ignore lists {token!r}, which suppresses no finding in this spec",
                                  path=f"lint.ignore[{i}]", span=ctx.span(path),
                                  hint=f"remove {token!r} from lint.ignore"))
        for (file, line), codes in sorted(ctx.doc.suppressions.items()):
            text = ctx.doc.sources.get(file, "").splitlines()
            col = text[line - 1].find("#") + 1 if 0 < line <= len(text) else 1
            for token in sorted(codes):
                if (file, line, token) in used:
                    continue
                note = unused_note(token)
                if note is None:
                    continue
                out.append(Diagnostic(self.code, self.name, severity,
                                      note or f"`# kspec: ignore[{token}]` suppresses no finding on line {line}",
                                      span=Span(file, line, max(col, 1)),
                                      hint=f"remove {token!r} from the comment" if len(codes) > 1 else "remove the comment"))
        return out
