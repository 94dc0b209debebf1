"""One object holds a spec's whole compilation; each stage is computed once, only when asked.

``lint`` stops after ``diagnostics`` and never imports TensorFlow; ``run`` reuses what lint computed.

    document     parse.load        -> Document (data + source positions)
    spec         validate.validate -> Spec | None
    resolved     resolve.resolve   -> Resolved (defaults, parts, data facts)
    plan         analyse.shapes    -> Plan (shapes and parameter counts per layer)
    diagnostics  analyse.lint      -> every finding, sorted
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from .diagnostics import Diagnostic, KspecError, Severity, SpecInvalid
from .parse import Document, load, loads


class Pipeline:
    def __init__(self, path: str | Path | None = None, *, text: str | None = None, file: str = "<string>",
                 seed: int | None = None, lint_config=None, base_dir: Path | None = None,
                 overrides=()):
        if path is None and text is None:
            raise ValueError("give a path or text")
        from .overrides import parse as parse_overrides

        self.overrides = parse_overrides(overrides or ())
        """``--set KEY=VALUE`` overrides (:class:`kspec.overrides.Override`), applied after parsing."""
        self.path = Path(path) if path is not None else None
        self.text = text
        self.file = str(path) if path is not None else file
        self.seed = seed
        self.lint_config = lint_config
        self.base_dir = base_dir or (self.path.parent if self.path else Path.cwd())

    @cached_property
    def document(self) -> Document:
        if self.text is not None:
            doc = loads(self.text, self.file, base_dir=self.base_dir)
        else:
            doc = load(self.path)
        if self.overrides and doc.data is not None:
            from .overrides import apply

            apply(doc, self.overrides)
        return doc

    @cached_property
    def _validated(self):
        from .validate import validate

        return validate(self.document)

    @cached_property
    def spec(self):
        return self._validated[0]

    @cached_property
    def spec_diagnostics(self) -> list[Diagnostic]:
        """Syntax and schema errors: a spec with any of these cannot be analysed or run."""
        return list(self.document.diagnostics) + list(self._validated[1])

    @cached_property
    def resolved(self):
        from .resolve import resolve

        if self.spec is None:
            self._invalid()
        return resolve(self.spec, self.base_dir, seed=self.seed)

    @cached_property
    def plan(self):
        from .analyse.shapes import infer

        r = self.resolved
        return infer(r.model.layers, r.input_shape)

    @cached_property
    def lint_diagnostics(self) -> list[Diagnostic]:
        from .analyse.lint import LintContext, run_rules

        if self.spec is None:
            return []
        found = run_rules(LintContext(self.document, self.resolved, self.plan), self.lint_config)
        if self.document.overrides:
            from .overrides import note_overrides

            found = note_overrides(found, self.document.overrides)
        return found

    @cached_property
    def diagnostics(self) -> list[Diagnostic]:
        return sorted(self.spec_diagnostics + self.lint_diagnostics, key=Diagnostic.sort_key)

    @property
    def valid(self) -> bool:
        return self.spec is not None and not any(d.severity is Severity.ERROR for d in self.spec_diagnostics)

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    def require_valid(self) -> None:
        if not self.valid:
            self._invalid()

    def _invalid(self):
        e = SpecInvalid(self.spec_diagnostics)
        e.sources = dict(self.document.sources)  # code frames, for whoever prints it
        raise e


__all__ = ["Pipeline", "KspecError"]
