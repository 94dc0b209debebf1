"""What every lint rule is and is given: :class:`Rule`, :class:`LintContext`, :class:`LintConfig`.

Rules (``kspec.analyse.rules``) and the engine that runs them (``kspec.analyse.lint``) both build on
this module; it imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, Iterator

from ..diagnostics import Diagnostic, Related, Severity, Span, format_path
from ..parse import Document
from ..resolve import DataFacts, Resolved
from .shapes import Plan
from .view import ModelView, build


@dataclass
class LintContext:
    """Everything a rule may look at. Paths are tuples into the spec document."""

    doc: Document
    resolved: Resolved
    plan: Plan

    @cached_property
    def view(self) -> ModelView:
        """The model as every rule sees it: each layer's effective activation, the output head,
        the loss family and the label kind."""
        return build(self.resolved.model.layers, self.plan, self.resolved.compile.loss, self.resolved.facts)

    @property
    def facts(self) -> DataFacts:
        return self.resolved.facts

    @property
    def model(self):
        return self.resolved.model

    @property
    def layers(self):
        return self.resolved.model.layers

    @property
    def loss(self):
        return self.resolved.compile.loss

    @property
    def train(self):
        return self.resolved.train

    @property
    def data(self):
        return self.resolved.data

    def span(self, path: tuple, *, key: bool = False) -> Span | None:
        return self.doc.span(path, key=key)

    def related(self, message: str, path: tuple) -> Related:
        return Related(message, self.doc.span(path), format_path(path))

    def layer_path(self, index: int, *fields: str) -> tuple:
        return ("model", "layers", index) + fields

    def has_validation(self) -> bool:
        data = self.data
        if getattr(data, "validation_directory", None):
            return True
        if data.validation == "test":
            return self.facts.unavailable is not None or bool(self.facts.n_test)
        return data.validation != "none"


class Rule:
    """Base class of lint rules. Subclasses set ``code``, ``name``, ``severity`` and a docstring in
    four parts (what it does / why is this bad / example / use instead), and implement ``check``."""

    code: str = ""
    name: str = ""
    severity: Severity = Severity.WARNING
    advice: bool = False
    """Design advice (KS8xx): off unless ``select`` names it (its code, its name or the group KS8);
    ``ALL`` does not turn it on."""

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:  # pragma: no cover - abstract
        raise NotImplementedError
        yield

    def diag(self, ctx: LintContext, path: tuple, message: str, *, hint: str | None = None,
             related: Iterable[Related] = (), key: bool = False, severity: Severity | None = None,
             **data) -> Diagnostic:
        return Diagnostic(self.code, self.name, severity or self.severity, message, path=format_path(path),
                          span=ctx.span(path, key=key), hint=hint, related=tuple(related), data=data)


@dataclass
class LintConfig:
    """Which rules run and how severe they are (from ``[tool.kspec.lint]`` and the CLI)."""

    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)

    def selected(self, rule: type[Rule]) -> bool:
        def match(sel: str, *, picking: bool = False) -> bool:
            sel = sel.strip()
            if picking and rule.advice:  # advice only when named: code, name or a group of at least KS8
                return sel == rule.name or (len(sel) >= 3 and rule.code.startswith(sel.upper()))
            return sel == "ALL" or sel == rule.name or rule.code.startswith(sel.upper())

        return any(match(s, picking=True) for s in self.select) and not any(match(s) for s in self.ignore)

    def severity_of(self, rule: type[Rule]) -> Severity:
        for key in (rule.code, rule.name):
            if key in self.severity:
                return Severity(self.severity[key])
        return rule.severity
