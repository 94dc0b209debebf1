"""The lint engine: run every selected rule over a resolved spec and collect its findings.

A rule never stops the others: one that raises becomes a ``KS000 internal-error`` finding.
Configuration (select / ignore / severity overrides) and suppressions are applied here, so
rules only describe what is wrong.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, Severity
from .base import LintConfig, LintContext, Rule
from .config import suggest
from .rules import RULES, UnusedSuppression, find

__all__ = ["LintConfig", "LintContext", "Rule", "internal_error", "run_rules"]


def internal_error(rule: type[Rule], exc: BaseException, ctx: LintContext) -> Diagnostic:
    return Diagnostic("KS000", "internal-error", Severity.ERROR,
                      f"rule {rule.code} ({rule.name}) crashed: {type(exc).__name__}: {exc}",
                      span=ctx.span(()), hint="this is a bug in kspec; please report it with the spec")


def _suppressed(d: Diagnostic, ctx: LintContext, spec_ignores: set[str], used: set) -> bool:
    for token in (d.code, d.name):
        if token in spec_ignores:
            used.add(("spec", token))
            return True
    if d.span:
        codes = ctx.doc.suppressions.get((d.span.file, d.span.line), set())
        for token in (d.code, d.name):
            if token in codes:
                used.add((d.span.file, d.span.line, token))
                return True
    return False


def run_rules(ctx: LintContext, config: LintConfig | None = None) -> list[Diagnostic]:
    """All findings of the selected rules, after severity overrides and suppressions."""
    config = config or LintConfig()
    found: list[Diagnostic] = []
    for rule_cls in RULES:
        if rule_cls is UnusedSuppression or not config.selected(rule_cls):
            continue
        severity = config.severity_of(rule_cls)
        try:
            for d in rule_cls().check(ctx):
                found.append(d if d.severity is not rule_cls.severity else d.with_severity(severity))
        except Exception as exc:  # a broken rule must not hide the others' findings
            found.append(internal_error(rule_cls, exc, ctx))
    spec_ignores = set(ctx.resolved.spec.lint.ignore)
    used: set = set()
    kept = [d for d in found if not _suppressed(d, ctx, spec_ignores, used)]
    if config.selected(UnusedSuppression):
        kept.extend(UnusedSuppression().unused(ctx, spec_ignores, used, config.severity_of(UnusedSuppression),
                                               config.selected, find=find, suggest=suggest))
    return sorted(kept, key=Diagnostic.sort_key)
