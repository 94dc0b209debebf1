from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity, Span
from ..lint import LintContext, Rule


class UnusedSuppression(Rule):
    """What it does: reports a suppression (``lint.ignore`` in the spec, or a
    ``# kspec: ignore[CODE]`` comment) that silences no finding.

    Why is this bad: a stale suppression hides the next real finding of that code on that line
    and tells readers a problem exists where none does.

    Example:
        compile:
          loss: sparse_categorical_crossentropy  # kspec: ignore[KS201]

    Use instead:
        compile:
          loss: sparse_categorical_crossentropy
    """

    code = "KS090"
    name = "unused-suppression"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        return iter(())

    def unused(self, ctx: LintContext, spec_ignores: set[str], used: set, severity: Severity) -> list[Diagnostic]:
        out = []
        ignore_list = ctx.resolved.spec.lint.ignore
        for i, token in enumerate(ignore_list):
            if ("spec", token) not in used:
                path = ("lint", "ignore", i)
                out.append(Diagnostic(self.code, self.name, severity,
                                      f"lint.ignore lists {token!r}, which suppresses no finding in this spec",
                                      path="lint.ignore[%d]" % i, span=ctx.span(path),
                                      hint=f"remove {token!r} from lint.ignore"))
        for (file, line), codes in sorted(ctx.doc.suppressions.items()):
            for token in sorted(codes):
                if (file, line, token) not in used:
                    out.append(Diagnostic(self.code, self.name, severity,
                                          f"`# kspec: ignore[{token}]` suppresses no finding on line {line}",
                                          span=Span(file, line, 1), hint="remove the comment"))
        return out
