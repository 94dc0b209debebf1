"""Members of a tagged union defined elsewhere (kspec/compiledefs/, kspec/layerdefs/arguments.py)
are created only when a spec names one: linting a spec with the usual optimizer, loss and metric
names imports none of them, and the tags declared for them are the tags their classes take."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

import pytest

from kspec import compiling as C
from kspec import layers as L
from kspec.tagged import Later, Tagged

ROOT = Path(__file__).resolve().parents[2]

SPEC = """kspec: 1
name: lazy
data: {{type: arrays, x: [[0.0], [1.0], [2.0], [3.0]], y: [0, 1, 0, 1]}}
model:
  layers: [{{type: Dense, units: 2, activation: softmax}}]
compile: {compile}
"""

LINT = ("import sys\n"
        "sys.argv = ['kspec', 'lint', '--format', 'concise', sys.argv[1]]\n"
        "from kspec.entry import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print(code, sorted(m for m in sys.modules if m.startswith('kspec.compiledefs.')))\n")


def lint_loads(tmp_path: Path, compile_section: str) -> tuple[str, str]:
    """``kspec lint`` of a spec with this compile section in a new process: (exit code, the
    kspec.compiledefs modules it imported)."""
    spec = tmp_path / "lazy.yaml"
    spec.write_text(SPEC.format(compile=compile_section), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", LINT, str(spec)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    code, _, modules = out.stdout.strip().splitlines()[-1].partition(" ")
    return code, modules


@pytest.mark.parametrize("compile_section", [
    "{optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}",
    "{optimizer: {type: rmsprop, learning_rate: 0.001}, loss: binary_crossentropy, metrics: [accuracy, auc]}",
    "{optimizer: {type: SGD, momentum: 0.9}, loss: huber, metrics: [mae]}",
    "{optimizer: sgd, loss: mse}",
])
def test_a_spec_with_the_usual_compile_names_loads_no_compiledefs_module(tmp_path, compile_section):
    code, modules = lint_loads(tmp_path, compile_section)
    assert code in ("0", "1")  # valid; findings about the toy model are beside the point
    assert modules == "[]"


@pytest.mark.parametrize("compile_section,expected", [
    ("{optimizer: adamw, loss: mse}", "['kspec.compiledefs.optimizers']"),
    ("{optimizer: adam, loss: {type: tversky, alpha: 0.3}}", "['kspec.compiledefs.losses']"),
    ("{optimizer: adam, loss: mse, metrics: [{type: precision, thresholds: 0.7}]}", "['kspec.compiledefs.metrics']"),
    ("{optimizer: {type: adam, learning_rate: {type: exponential_decay, initial_learning_rate: 0.1, "
     "decay_steps: 10, decay_rate: 0.9}}, loss: mse}", "['kspec.compiledefs.schedules']"),
])
def test_a_rarer_member_loads_its_module_and_validates(tmp_path, compile_section, expected):
    code, modules = lint_loads(tmp_path, compile_section)
    assert code in ("0", "1")
    assert modules == expected


def _tagged(ann) -> Tagged:
    ann = getattr(ann, "__value__", ann)  # a TypeAliasType
    for arg in typing.get_args(ann):
        if isinstance(arg, Tagged):
            return arg
        if typing.get_args(arg):
            found = _tagged(arg)
            if found is not None:
                return found
    return None


@pytest.mark.parametrize("union,names", [
    (C.Schedule, C.SCHEDULE_NAMES), (C.Optimizer, C.OPTIMIZER_NAMES), (C.Loss, C.LOSS_NAMES), (C.Metric, C.METRIC_NAMES),
    (L.Initializer, None), (L.Regularizer, None), (L.Constraint, None),
], ids=["schedules", "optimizers", "losses", "metrics", "initializers", "regularizers", "constraints"])
def test_the_declared_tags_are_the_tags_the_classes_take(union, names):
    tagged = _tagged(union)
    for entry in tagged.entries:
        if isinstance(entry, Later):
            cls = entry.load()
            assert cls.__name__ == entry.name and cls.__module__ == entry.module
            assert typing.get_args(cls.model_fields["type"].annotation) == entry.tags, entry.name
    from_classes = [t for cls in tagged.members for t in typing.get_args(cls.model_fields["type"].annotation)]
    assert tagged.tags() == from_classes
    if names is not None:
        assert sorted(from_classes) == sorted(names)


def test_the_lazy_members_are_reachable_by_name_from_kspec_compiling():
    assert C.AdamW.__module__ == "kspec.compiledefs.optimizers"
    assert C.Precision in C.METRIC_CLASSES
    with pytest.raises(AttributeError):
        C.NoSuchOptimizer  # noqa: B018
