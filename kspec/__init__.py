"""kspec: declarative Keras training specs. Validate, lint, compile and run.

    import kspec
    spec = kspec.load("specs/quickstart.yaml")
    spec.diagnostics, spec.shapes, spec.model(), spec.run(out="runs")
    kspec.open_run("runs/quickstart-20261201-101500")

Importing kspec is cheap: the API module loads on first use, TensorFlow only when a model is built.
"""

from .version import __version__

_API = ("load", "open_run", "Spec", "Run", "Diagnostics", "ShapeTable", "InvalidSpec")
_COMMANDS = ("predict", "evaluate", "visualize", "export_run", "diff", "write_report", "trust", "import_model",
             "migrate_spec", "inspect_data", "make_shapes", "rules", "rule")
_DIAGNOSTICS = ("Diagnostic", "KspecError", "Severity", "SpecInvalid")

__all__ = ["__version__", *_API, *_COMMANDS, *_DIAGNOSTICS]


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    if name in _COMMANDS:
        from . import api_commands

        return getattr(api_commands, name)
    if name in _DIAGNOSTICS:
        from . import diagnostics

        return getattr(diagnostics, name)
    raise AttributeError(f"module 'kspec' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
